/**
 * Momentum vs mean reversion by example (quant.fixtures.ts, ATR 250). Stretch is the mean of
 * (RSI − 50) / 20 and (%b − 0.5) / 0.5, signed by the side; overbought longs and oversold shorts
 * lose min(0.3, 0.1 + (|RSI − 50| − 20) / 50).
 */
import { describe, expect, it } from 'vitest';
import { DOWNTREND, enriched, RANGE, UPTREND } from './quant.fixtures.js';
import { judgeRegime, momentumRegime, regimeOf } from './quant-regime.js';

describe('regime classification', () => {
  it('reads a trend, a range and a mixed market from the EMA spread in ATRs', () => {
    expect(regimeOf(UPTREND)).toEqual({ kind: 'trend', dir: 1, spreadAtrs: 3.6 });
    expect(regimeOf(DOWNTREND)).toEqual({ kind: 'trend', dir: -1, spreadAtrs: -3.6 });
    expect(regimeOf(RANGE)).toMatchObject({ kind: 'range' });
    // 1 ATR apart and stacked: neither
    expect(regimeOf({ ema9: 50250, ema21: 50100, ema50: 50000, atr14: 250 })).toMatchObject({
      kind: 'mixed',
      spreadAtrs: 1,
    });
    // 1 ATR apart with the EMAs out of order: a choppy range
    expect(regimeOf({ ema9: 50250, ema21: 50300, ema50: 50000, atr14: 250 }).kind).toBe('range');
  });

  it('does not guess without EMA 9, EMA 50 and a positive ATR', () => {
    expect(regimeOf({ ema9: 1, ema50: 2 })).toEqual({ kind: 'unknown' });
    expect(regimeOf({ ema9: 1, ema50: 2, atr14: 0 })).toEqual({ kind: 'unknown' });
  });
});

describe('momentum regime', () => {
  it('backs a momentum long in an uptrend', () => {
    // 0.75 + 0.1 × min(1, (3.6 − 1.5) / 1.5) = 0.85; RSI 60 is not overbought
    const v = judgeRegime(enriched());
    expect(v).toMatchObject({ action: 'long', confidence: 0.85, sizePct: null });
    expect(v.reasoning).toMatch(/^Trending up, EMA9−EMA50 3.60 ATR, RSI 60.0, Bollinger %b 0.57/);
    expect(v.reasoning).toContain('momentum long with the trend');
  });

  it('penalises an overbought long', () => {
    // RSI 78: 0.1 + 8 / 50 = 0.26 → 0.85 − 0.26 = 0.59
    const v = judgeRegime(enriched({ features: { ...UPTREND, rsi14: 78 } }));
    expect(v).toMatchObject({ action: 'long' });
    expect(v.confidence).toBeCloseTo(0.59, 3);
    expect(v.reasoning).toContain('overbought (RSI 78.0) costs 0.26');
  });

  it('turns an overbought long above the upper band into a hold', () => {
    // RSI 85 (−0.3) and price above the band (−0.05): 0.85 − 0.35 = 0.5 → hold
    const v = judgeRegime(
      enriched({ features: { ...UPTREND, rsi14: 85 }, market: { lastPrice: '50700' } }),
    );
    expect(v.action).toBe('hold');
  });

  it('penalises an oversold short in a downtrend', () => {
    const plain = judgeRegime(enriched({ signal: { direction: 'short' }, features: DOWNTREND }));
    const oversold = judgeRegime(
      enriched({ signal: { direction: 'short' }, features: { ...DOWNTREND, rsi14: 22 } }),
    );
    expect(plain).toMatchObject({ action: 'short', confidence: 0.85 });
    expect(oversold.confidence).toBeLessThan(plain.confidence);
    expect(oversold.reasoning).toContain('oversold (RSI 22.0)');
  });

  it('does not back a fade of a trend', () => {
    // 0.3 − 0.1 = 0.2 support → hold 0.8
    const v = judgeRegime(enriched({ signal: { direction: 'short' } }));
    expect(v).toMatchObject({ action: 'hold', confidence: 0.8 });
    expect(v.reasoning).toContain('short fades the trend');
  });

  it('backs a long fading the bottom of a range', () => {
    // RSI 30 → −1, %b 0.05 → −0.9: stretch −0.95 → 0.5 + 0.25 × 0.95 = 0.7375
    const v = judgeRegime(
      enriched({ features: { ...RANGE, rsi14: 30 }, market: { lastPrice: '49550' } }),
    );
    expect(v.action).toBe('long');
    expect(v.confidence).toBeCloseTo(0.7375, 3);
    expect(v.reasoning).toContain('long fades an extreme');
  });

  it('holds a long chasing the top of a range', () => {
    // RSI 68 → 0.9, %b 0.95 → 0.9: 0.5 − 0.25 × 0.9 = 0.275 → hold 0.725
    const v = judgeRegime(
      enriched({ features: { ...RANGE, rsi14: 68 }, market: { lastPrice: '50450' } }),
    );
    expect(v.action).toBe('hold');
    expect(v.confidence).toBeCloseTo(0.725, 3);
    expect(v.reasoning).toContain('long chases the move');
  });

  it('has little to say without regime or oscillator data', () => {
    expect(judgeRegime(enriched({ features: {} }))).toMatchObject({
      action: 'hold',
      confidence: 0.7,
    });
    const v = judgeRegime(enriched({ features: { rsi14: 50 } }));
    expect(v).toMatchObject({ action: 'hold', confidence: 0.5 });
    expect(v.reasoning).toContain('regime unknown');
  });

  it('answers hold with low confidence on stale data', () => {
    expect(judgeRegime(enriched({ quality: ['stale_data'] }))).toMatchObject({
      action: 'hold',
      confidence: 0.2,
    });
  });

  describe('close signals', () => {
    it('closes a short when the trend runs up', () => {
      const v = judgeRegime(
        enriched({ signal: { direction: 'close', payload: { side: 'short' } } }),
      );
      expect(v).toMatchObject({ action: 'close', confidence: 0.75 });
    });

    it('takes profit on an overbought long and keeps a healthy one', () => {
      const hot = judgeRegime(
        enriched({
          signal: { direction: 'close', payload: { side: 'long' } },
          features: { ...UPTREND, rsi14: 80 },
        }),
      );
      expect(hot).toMatchObject({ action: 'close', confidence: 0.6 });
      const healthy = judgeRegime(
        enriched({ signal: { direction: 'close', payload: { side: 'long' } } }),
      );
      expect(healthy).toMatchObject({ action: 'hold', confidence: 0.65 });
    });
  });

  it('is an Evaluator of kind quant', () => {
    expect(momentumRegime).toMatchObject({ id: 'quant.momentum_regime', kind: 'quant' });
  });
});
