import { Decimal } from '../../../core/decimal.js';
import type { DecisionAction, EnrichedSignal, QualityFlag, Verdict } from '../domain/types.js';

/**
 * What the built-in quant models share: reading prices and indicators defensively (a feature
 * may be missing, zero or absurd), discounting for data quality, and turning "support for
 * acting" into a verdict. Pure and deterministic: nothing here reads a clock.
 */

/** No rule-based model is ever certain. */
export const MAX_CONFIDENCE = 0.95;
/** Confidence of the hold answered when the data cannot be trusted at all. */
export const UNTRUSTED_CONFIDENCE = 0.2;

/** Flags that make any judgement worthless: the model answers hold with low confidence. */
export const BLOCKING_FLAGS: readonly QualityFlag[] = ['stale_data', 'insufficient_history'];

/** Multipliers applied to the confidence for flags that weaken, but do not void, the data. */
export const QUALITY_FACTORS: Record<QualityFlag, number> = {
  stale_data: 1,
  insufficient_history: 1,
  missing_candles: 0.8,
  wide_spread: 0.85,
  no_book: 0.95,
  // Funding and open interest are inputs of no built-in model.
  perp_data_unavailable: 1,
};

export type Side = 'long' | 'short';

/** A finite number, or undefined for anything else (missing, NaN, ±Infinity). */
export const num = (x: unknown): number | undefined =>
  typeof x === 'number' && Number.isFinite(x) ? x : undefined;

/** A finite, strictly positive number, or undefined. */
export const positive = (x: unknown): number | undefined => {
  const n = num(x);
  return n !== undefined && n > 0 ? n : undefined;
};

export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** A decimal string as a positive Decimal, or undefined when absent or not a positive number. */
export function decimalPrice(text: string | null | undefined): Decimal | undefined {
  if (text === null || text === undefined) return undefined;
  const d = Decimal.tryParse(text);
  return d && d.isPositive() ? d : undefined;
}

export interface ReferencePrice {
  price: Decimal;
  source: 'entry' | 'last' | 'mid';
}

/** The price a signal would trade at: its entry, else the last trade, else the book's mid. */
export function referencePrice(input: EnrichedSignal): ReferencePrice | undefined {
  const entry = decimalPrice(input.signal.entry);
  if (entry) return { price: entry, source: 'entry' };
  const last = decimalPrice(input.market.lastPrice);
  if (last) return { price: last, source: 'last' };
  const bid = decimalPrice(input.market.bid);
  const ask = decimalPrice(input.market.ask);
  if (bid && ask) return { price: bid.add(ask).div(Decimal.fromInt(2)), source: 'mid' };
  return undefined;
}

/** +1 for long, −1 for short. */
export const sign = (side: Side): 1 | -1 => (side === 'long' ? 1 : -1);

/**
 * The side of the position a `close` signal refers to, when the sender said so in its payload
 * (`positionSide`, `side` or `position`: long/short or buy/sell); undefined otherwise.
 */
export function positionSide(input: EnrichedSignal): Side | undefined {
  const payload = input.signal.payload;
  if (!payload) return undefined;
  for (const key of ['positionSide', 'side', 'position']) {
    const v = payload[key];
    if (typeof v !== 'string') continue;
    const s = v.trim().toLowerCase();
    if (s === 'long' || s === 'buy') return 'long';
    if (s === 'short' || s === 'sell') return 'short';
  }
  return undefined;
}

export interface QualityGate {
  /** Flags that void the judgement; non-empty means answer hold. */
  blocking: QualityFlag[];
  /** Product of the factors of the other flags. */
  factor: number;
  /** The weakening flags, for the reasoning. */
  weakening: QualityFlag[];
}

export function qualityGate(flags: readonly QualityFlag[]): QualityGate {
  const seen = new Set(flags);
  const blocking = BLOCKING_FLAGS.filter((f) => seen.has(f));
  let factor = 1;
  const weakening: QualityFlag[] = [];
  for (const f of seen) {
    const k = QUALITY_FACTORS[f] ?? 1;
    if (k < 1) {
      factor *= k;
      weakening.push(f);
    }
  }
  return { blocking, factor, weakening };
}

/** The hold answered when the data cannot support any judgement. */
export function untrusted(gate: QualityGate, model: string): Verdict {
  return {
    action: 'hold',
    confidence: UNTRUSTED_CONFIDENCE,
    sizePct: null,
    stop: null,
    takeProfit: null,
    reasoning: `${model}: no judgement on ${gate.blocking.map(flagText).join(' and ')}.`,
  };
}

const flagText = (f: QualityFlag): string => f.replace(/_/g, ' ');

/** Three decimals: enough for a confidence, and identical on every run. */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Turns support for acting (0 … 1) into an action and a confidence: above one half the model
 * backs `act`, otherwise it answers hold with the confidence of the rejection. Quality flags
 * then shrink the confidence, never the decision.
 */
export function decide(
  act: Exclude<DecisionAction, 'hold'>,
  support: number,
  gate: QualityGate,
): Verdict {
  const s = clamp(Number.isFinite(support) ? support : 0.5, 0, 1);
  const action: DecisionAction = s > 0.5 ? act : 'hold';
  const raw = s > 0.5 ? s : 1 - s;
  // Every field of a verdict, so that the evaluators' `{ ...decide(…), reasoning }` only
  // overwrites: on Node 20 a spread followed by new keys builds a hidden class per object.
  return {
    action,
    confidence: round3(clamp(raw, 0, MAX_CONFIDENCE) * gate.factor),
    sizePct: null,
    stop: null,
    takeProfit: null,
    reasoning: '',
  };
}

/** A short qualifier for the reasoning when quality flags lowered the confidence. */
export function qualityNote(gate: QualityGate): string {
  return gate.weakening.length
    ? ` Confidence ×${gate.factor.toFixed(2)} for ${gate.weakening.map(flagText).join(', ')}.`
    : '';
}

/** A number for a sentence: a few significant digits, no exponent for ordinary magnitudes. */
export function show(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e9 || a < 1e-4)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(Math.min(digits, 1)) : x.toFixed(digits);
}
