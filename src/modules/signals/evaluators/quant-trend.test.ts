/**
 * Trend alignment by example (defaults in quant.fixtures.ts, ATR 250). Support for a side is
 * 0.5 + 0.5 × alignment × (0.4 + 0.6 × strength), alignment = (agreeing − opposing) / 3 and
 * strength the mean of min(1, gap in ATRs / scale) over the winning votes, with scales 0.5
 * (EMA9−EMA21), 1 (EMA21−EMA50) and 0.2 (MACD histogram).
 */
import { describe, expect, it } from 'vitest';
import { DOWNTREND, enriched, RANGE, UPTREND } from './quant.fixtures.js';
import { judgeTrend, trendAlignment } from './quant-trend.js';

describe('trend alignment', () => {
  it('backs a long in a clean uptrend at the 0.95 cap, naming the gaps', () => {
    // gaps 1.2 and 2.4 ATR (strength 1, 1), histogram 0.16 ATR (0.8): support 0.98 → cap 0.95
    const v = judgeTrend(enriched());
    expect(v).toMatchObject({
      action: 'long',
      confidence: 0.95,
      sizePct: null,
      stop: null,
      takeProfit: null,
    });
    expect(v.reasoning).toContain('3 of 3 votes agree');
    expect(v.reasoning).toContain('EMA9 > EMA21 by 1.20 ATR');
    expect(v.reasoning).toContain('EMA21 > EMA50 by 2.40 ATR');
    expect(v.reasoning).toContain('MACD histogram +40.00');
  });

  it('answers hold to a short in the same uptrend, as firmly', () => {
    const v = judgeTrend(enriched({ signal: { direction: 'short' } }));
    expect(v).toMatchObject({ action: 'hold', confidence: 0.95 });
    expect(v.reasoning).toMatch(/^Short against the trend: 0 of 3 votes agree, 3 oppose/);
  });

  it('backs a short in a downtrend', () => {
    const v = judgeTrend(enriched({ signal: { direction: 'short' }, features: DOWNTREND }));
    expect(v).toMatchObject({ action: 'short', confidence: 0.95 });
  });

  it('scales confidence with the distance in ATRs', () => {
    // gaps 0.2, 0.4 and 0.04 ATR: strengths 0.4, 0.4, 0.2 → mean 1/3 → 0.5 + 0.5 × 0.6 = 0.8
    const mild = { ...UPTREND, ema9: 50050, ema21: 50000, ema50: 49900 };
    mild.macd = { macd: 1, signal: 0, histogram: 10 };
    expect(judgeTrend(enriched({ features: mild }))).toMatchObject({
      action: 'long',
      confidence: 0.8,
    });
  });

  it('weighs a split vote: two with, one against', () => {
    // EMA9 < EMA21 by 0.2 ATR opposes; EMA21 > EMA50 by 0.4 ATR (0.4) and histogram +10 (0.2)
    // agree: 0.5 + 0.5 × (1/3) × (0.4 + 0.6 × 0.3) = 0.5967
    const split = { ...UPTREND, ema9: 49950, ema21: 50000, ema50: 49900 };
    split.macd = { macd: 1, signal: 0, histogram: 10 };
    const v = judgeTrend(enriched({ features: split }));
    expect(v).toMatchObject({ action: 'long', confidence: 0.597 });
    expect(v.reasoning).toContain('2 of 3 votes agree, 1 oppose');
  });

  it('counts missing indicators as missing votes, not as agreement', () => {
    // Only the histogram (0.8 strength): alignment 1/3 → 0.5 + 0.5 × (1/3) × 0.88 = 0.6467
    const v = judgeTrend(enriched({ features: { macd: UPTREND.macd!, atr14: 250 } }));
    expect(v).toMatchObject({ action: 'long', confidence: 0.647 });
  });

  it('holds with low confidence when there is nothing to read', () => {
    expect(judgeTrend(enriched({ features: {} }))).toMatchObject({
      action: 'hold',
      confidence: 0.1,
    });
  });

  it('says so when there is no ATR and takes every vote at half strength', () => {
    const { atr14: _, ...noAtr } = UPTREND;
    // 3 agree at 0.5: 0.5 + 0.5 × (0.4 + 0.3) = 0.85
    const v = judgeTrend(enriched({ features: noAtr }));
    expect(v).toMatchObject({ action: 'long', confidence: 0.85 });
    expect(v.reasoning).toContain('(no ATR)');
  });

  it('holds a split market with one vote each way', () => {
    const v = judgeTrend(
      enriched({
        features: { ...RANGE, ema50: 50100, macd: { macd: 0, signal: 0, histogram: 0 } },
      }),
    );
    expect(v.action).toBe('hold');
    expect(v.reasoning).toContain('in a split trend');
  });

  describe('quality', () => {
    it('answers hold with low confidence on stale data or too little history', () => {
      for (const flag of ['stale_data', 'insufficient_history'] as const) {
        const v = judgeTrend(enriched({ quality: [flag] }));
        expect(v).toMatchObject({ action: 'hold', confidence: 0.2 });
        expect(v.reasoning).toContain(flag.replace('_', ' '));
      }
    });

    it('lowers confidence for missing candles and a wide spread', () => {
      // 0.95 × 0.8 × 0.85 = 0.646
      const v = judgeTrend(enriched({ quality: ['missing_candles', 'wide_spread'] }));
      expect(v).toMatchObject({ action: 'long', confidence: 0.646 });
      expect(v.reasoning).toContain('missing candles, wide spread');
    });
  });

  describe('close signals', () => {
    it('agrees to close a long when the trend turned down', () => {
      const v = judgeTrend(
        enriched({
          signal: { direction: 'close', payload: { side: 'long' } },
          features: DOWNTREND,
        }),
      );
      expect(v).toMatchObject({ action: 'close', confidence: 0.95 });
      expect(v.reasoning).toMatch(/^Trend turned against the long position/);
    });

    it('keeps a long the trend still backs', () => {
      const v = judgeTrend(
        enriched({ signal: { direction: 'close', payload: { positionSide: 'buy' } } }),
      );
      expect(v).toMatchObject({ action: 'hold', confidence: 0.95 });
      expect(v.reasoning).toMatch(/^Trend still backs the long position/);
    });

    it('leans to closing when the position side is unknown', () => {
      const v = judgeTrend(enriched({ signal: { direction: 'close' } }));
      expect(v).toMatchObject({ action: 'close', confidence: 0.55 });
      expect(v.reasoning).toContain('Position side unknown');
    });
  });

  it('is an Evaluator of kind quant', async () => {
    expect(trendAlignment).toMatchObject({ id: 'quant.trend_alignment', kind: 'quant' });
    const ctx = { abort: new AbortController().signal, now: () => 0 };
    expect(await trendAlignment.evaluate(enriched(), ctx)).toEqual(judgeTrend(enriched()));
  });
});
