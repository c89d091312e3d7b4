/**
 * Risk/reward by example (quant.fixtures.ts: last trade 50000, ATR 250, spread 0.2 bps).
 * Support: below R:R 1.5 it is 0.45 × R:R / 1.5; from there 0.55 + 0.35 × min(1, (R:R − 1.5) / 1.5).
 * Size: 1 % risk over the stop distance in percent of the entry, at most 25 %.
 */
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.js';
import { enriched, UPTREND } from './quant.fixtures.js';
import { fixedRiskSize, judgeRisk, pricePlaces, riskReward } from './quant-risk.js';

describe('risk/reward', () => {
  it('suggests an ATR stop and a 2R take-profit when the signal has neither', () => {
    // stop 50000 − 1.5 × 250 = 49625, take-profit 50000 + 2 × 375 = 50750; R:R 2 → 0.6667;
    // the stop is 0.75 % away: 1 % / 0.75 % = 133 % of equity, capped at 25 %
    const v = judgeRisk(enriched());
    expect(v).toEqual({
      action: 'long',
      confidence: 0.667,
      sizePct: 25,
      stop: '49625',
      takeProfit: '50750',
      reasoning: expect.stringContaining('R:R 2.00 from last 50000, stop 49625 (suggested)'),
    });
    expect(v.reasoning).toContain('stop 1.50 ATR away; size 25% of equity risks 1%');
  });

  it('mirrors the defaults for a short', () => {
    const v = judgeRisk(enriched({ signal: { direction: 'short' } }));
    expect(v).toMatchObject({ action: 'short', stop: '50375', takeProfit: '49250' });
  });

  it('keeps the signal’s own prices and sizes from its stop', () => {
    // ATR 2000: stop 5000 away = 2.5 ATR, 10 % of the entry → 1 % / 10 % = 10 % of equity;
    // R:R 15000 / 5000 = 3 → 0.9
    const v = judgeRisk(
      enriched({
        signal: { entry: '50000.00', stop: '45000.00', takeProfit: '65000.00' },
        features: { ...UPTREND, atr14: 2000 },
      }),
    );
    expect(v).toMatchObject({
      action: 'long',
      confidence: 0.9,
      sizePct: 10,
      stop: '45000',
      takeProfit: '65000',
    });
    expect(v.reasoning).toContain('R:R 3.00 from entry 50000');
  });

  it('holds below the minimum reward/risk', () => {
    // R:R 1000 / 1000 = 1 → support 0.3 → hold 0.7
    const v = judgeRisk(enriched({ signal: { stop: '49000', takeProfit: '51000' } }));
    expect(v).toEqual({
      action: 'hold',
      confidence: 0.7,
      sizePct: null,
      stop: null,
      takeProfit: null,
      reasoning: expect.stringMatching(/^Reward\/risk is below 1.5: R:R 1.00/),
    });
  });

  it('holds a stop inside noise', () => {
    // 50 / 250 = 0.2 ATR
    const v = judgeRisk(enriched({ signal: { stop: '49950', takeProfit: '50500' } }));
    expect(v).toMatchObject({ action: 'hold', confidence: 0.8 });
    expect(v.reasoning).toContain('inside noise');
  });

  it('holds a stop the spread alone would take', () => {
    // stop 0.6 ATR = 150 = 30 bps; spread 12 bps × 3 = 36 bps
    const v = judgeRisk(
      enriched({ signal: { stop: '49850', takeProfit: '50600' }, market: { spreadBps: 12 } }),
    );
    expect(v).toMatchObject({ action: 'hold', confidence: 0.8 });
    expect(v.reasoning).toContain('within 3× the 12.0 bps spread');
  });

  it('refuses stops and take-profits on the wrong side', () => {
    const stop = judgeRisk(enriched({ signal: { stop: '51000' } }));
    expect(stop).toMatchObject({ action: 'hold', confidence: 0.95 });
    expect(stop.reasoning).toContain('stop 51000 is on the wrong side of the long entry 50000');
    const tp = judgeRisk(enriched({ signal: { direction: 'short', takeProfit: '51000' } }));
    expect(tp).toMatchObject({ action: 'hold', confidence: 0.95 });
  });

  it('marks down a stop far from the chart', () => {
    // 1500 / 250 = 6 ATR; R:R 3 → 0.9 − 0.1 = 0.8
    const v = judgeRisk(enriched({ signal: { stop: '48500', takeProfit: '54500' } }));
    expect(v).toMatchObject({ action: 'long', confidence: 0.8 });
    expect(v.reasoning).toContain('the stop is wide');
  });

  it('needs an ATR to place a stop, and leans to no opinion without one', () => {
    const { atr14: _, ...noAtr } = UPTREND;
    expect(judgeRisk(enriched({ features: noAtr }))).toMatchObject({
      action: 'hold',
      confidence: 0.7,
    });
    // R:R 3 → 0.9, pulled towards 0.5: 0.5 + 0.4 × 0.8 = 0.82
    const v = judgeRisk(
      enriched({ signal: { stop: '49000', takeProfit: '53000' }, features: noAtr }),
    );
    expect(v).toMatchObject({ action: 'long', confidence: 0.82 });
    expect(v.reasoning).toContain('no ATR');
  });

  it('rounds suggested prices to six significant digits or the entry’s own precision', () => {
    // 3000.5 − 1.5 × 12.345 = 2981.9825 → 2981.98; risk 18.52 → take-profit 3000.5 + 37.04
    const v = judgeRisk(
      enriched({
        signal: { symbol: 'ETH/USDT', entry: '3000.5' },
        market: { lastPrice: '3000', bid: '2999.9', ask: '3000.1', spreadBps: 0.7 },
        features: { atr14: 12.345 },
      }),
    );
    expect(v).toMatchObject({ action: 'long', stop: '2981.98', takeProfit: '3037.54' });
    expect(pricePlaces(Decimal.parse('50000'))).toBe(1);
    expect(pricePlaces(Decimal.parse('1.2'))).toBe(5);
    expect(pricePlaces(Decimal.parse('0.0001234'))).toBe(9);
    expect(pricePlaces(Decimal.parse('50000.123'))).toBe(3);
  });

  it('measures from the book’s mid when there is no entry or last trade', () => {
    const v = judgeRisk(enriched({ market: { lastPrice: null } }));
    expect(v.reasoning).toContain('from mid 50000');
    expect(
      judgeRisk(enriched({ market: { lastPrice: null, bid: null, ask: null } })),
    ).toMatchObject({ action: 'hold', confidence: 0.8 });
  });

  it('sizes with the fixed-risk rule, rounded down', () => {
    expect(fixedRiskSize(Decimal.parse('100'), Decimal.parse('97'))).toBe(25); // 33.3 → cap
    expect(fixedRiskSize(Decimal.parse('100'), Decimal.parse('88'))).toBe(8.33); // 1 / 12 %
    expect(fixedRiskSize(Decimal.parse('100'), Decimal.parse('100'))).toBe(0);
  });

  it('agrees to close, having no reward/risk to weigh', () => {
    const v = judgeRisk(enriched({ signal: { direction: 'close' } }));
    expect(v).toMatchObject({ action: 'close', confidence: 0.6, sizePct: null });
  });

  it('answers hold with low confidence on too little history', () => {
    expect(judgeRisk(enriched({ quality: ['insufficient_history'] }))).toMatchObject({
      action: 'hold',
      confidence: 0.2,
    });
  });

  it('is an Evaluator of kind quant', () => {
    expect(riskReward).toMatchObject({ id: 'quant.risk_reward', kind: 'quant' });
  });
});
