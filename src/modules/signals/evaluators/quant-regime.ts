import type { EnrichedSignal, Evaluator, Features, Verdict } from '../domain/types.js';
import {
  clamp,
  decide,
  num,
  positionSide,
  positive,
  qualityGate,
  qualityNote,
  referencePrice,
  show,
  sign,
  untrusted,
  type Side,
} from './quant-common.js';

export const MOMENTUM_REGIME_ID = 'quant.momentum_regime';

/**
 * Regime thresholds on the EMA 9 − EMA 50 spread in ATRs (an ADX-free trend-strength proxy):
 * at least `trendAtrs` with the three EMAs stacked is a trend; under `rangeAtrs`, or EMAs out
 * of order without a wide spread, a range; anything else is mixed.
 */
export const REGIME_THRESHOLDS = { trendAtrs: 1.5, rangeAtrs: 0.75 } as const;
/** RSI beyond 50 ± this is overbought (longs) or oversold (shorts). */
export const RSI_EXTREME = 20;

export type Regime =
  | { kind: 'trend'; dir: 1 | -1; spreadAtrs: number }
  | { kind: 'range' | 'mixed'; spreadAtrs: number }
  | { kind: 'unknown' };

export function regimeOf(f: Features): Regime {
  const atr = positive(f.atr14);
  const ema9 = num(f.ema9);
  const ema50 = num(f.ema50);
  if (atr === undefined || ema9 === undefined || ema50 === undefined) return { kind: 'unknown' };
  const ema21 = num(f.ema21);
  const spreadAtrs = (ema9 - ema50) / atr;
  if (!Number.isFinite(spreadAtrs)) return { kind: 'unknown' };
  const stacked = ema21 === undefined || (ema9 - ema21) * (ema21 - ema50) > 0;
  const wide = Math.abs(spreadAtrs);
  if (wide >= REGIME_THRESHOLDS.trendAtrs && stacked) {
    return { kind: 'trend', dir: spreadAtrs > 0 ? 1 : -1, spreadAtrs };
  }
  if (wide < REGIME_THRESHOLDS.rangeAtrs || (!stacked && wide < REGIME_THRESHOLDS.trendAtrs)) {
    return { kind: 'range', spreadAtrs };
  }
  return { kind: 'mixed', spreadAtrs };
}

interface Stretch {
  /** How far price has run in the side's direction: +1 ≈ RSI 70 / upper band for a long. */
  value: number | undefined;
  rsi: number | undefined;
  percentB: number | undefined;
}

function stretchOf(input: EnrichedSignal, side: Side): Stretch {
  const f = input.features;
  const rsi = num(f.rsi14);
  const parts: number[] = [];
  if (rsi !== undefined) parts.push((rsi - 50) / RSI_EXTREME);
  let percentB: number | undefined;
  const upper = num(f.bollinger?.upper);
  const lower = num(f.bollinger?.lower);
  const ref = referencePrice(input);
  if (upper !== undefined && lower !== undefined && upper > lower && ref) {
    const p = ref.price.toNumber();
    const b = (p - lower) / (upper - lower);
    if (Number.isFinite(b)) {
      percentB = b;
      parts.push(clamp((b - 0.5) / 0.5, -3, 3));
    }
  }
  const value = parts.length
    ? clamp((sign(side) * parts.reduce((a, x) => a + x, 0)) / parts.length, -2, 2)
    : undefined;
  return { value, rsi, percentB };
}

/** Support lost by an overbought long or an oversold short (0 when neither). */
function exhaustionPenalty(s: Stretch, side: Side): number {
  let penalty = 0;
  if (s.rsi !== undefined) {
    const beyond = sign(side) * (s.rsi - 50) - RSI_EXTREME;
    if (beyond > 0) penalty += Math.min(0.3, 0.1 + beyond / 50);
  }
  if (s.percentB !== undefined && sign(side) * (s.percentB - 0.5) > 0.5) penalty += 0.05;
  return penalty;
}

const trendExcess = (r: { spreadAtrs: number }) =>
  clamp((Math.abs(r.spreadAtrs) - REGIME_THRESHOLDS.trendAtrs) / REGIME_THRESHOLDS.trendAtrs, 0, 1);

/** Support (0 … 1) for opening `side` in regime `r`. */
function entrySupport(r: Regime, s: Stretch, side: Side): { support: number; why: string } {
  const x = s.value;
  const penalty = exhaustionPenalty(s, side);
  const minus = penalty > 0 ? `; ${overExtended(side, s)} costs ${show(penalty)}` : '';
  switch (r.kind) {
    case 'trend': {
      if (r.dir === sign(side)) {
        const pullback = x !== undefined && x < -0.5 ? 0.05 : 0;
        return {
          support: 0.75 + 0.1 * trendExcess(r) + pullback - penalty,
          why: `momentum ${side} with the trend${pullback ? ', entered on a pullback' : ''}${minus}`,
        };
      }
      const fadingExhaustion = x !== undefined && x < -1 ? 0.15 : 0;
      return {
        support: 0.3 - 0.1 * trendExcess(r) + fadingExhaustion - penalty,
        why: `${side} fades the trend${fadingExhaustion ? ' (the move looks exhausted)' : ''}${minus}`,
      };
    }
    case 'range':
    case 'mixed': {
      if (x === undefined) {
        return {
          support: 0.4,
          why: `no RSI or Bollinger position to place the ${side} in the ${r.kind === 'range' ? 'range' : 'market'}`,
        };
      }
      const weight = r.kind === 'range' ? 0.25 : 0.15;
      const fade = x < -0.25 ? 'fades an extreme' : x > 0.25 ? 'chases the move' : 'sits mid-range';
      return {
        support: 0.5 - weight * clamp(x, -1.2, 1.2) - penalty,
        why: `${side} ${fade}${r.kind === 'range' ? ', which a range rewards only when fading' : ''}${minus}`,
      };
    }
    case 'unknown':
      if (x === undefined) return { support: 0.3, why: 'no trend, RSI or Bollinger data' };
      return {
        support: 0.5 - 0.1 * clamp(x, -1, 1) - penalty,
        why: `regime unknown, judged on RSI and Bollinger only${minus}`,
      };
  }
}

/** Support (0 … 1) for closing a `held` position in regime `r`. */
function exitSupport(r: Regime, s: Stretch, held: Side): { support: number; why: string } {
  const x = s.value;
  switch (r.kind) {
    case 'trend':
      if (r.dir !== sign(held)) return { support: 0.75, why: `trend runs against the ${held}` };
      return exhaustionPenalty(s, held) > 0
        ? { support: 0.6, why: `trend backs the ${held} but it is ${overExtended(held, s)}` }
        : { support: 0.35, why: `trend still backs the ${held}` };
    case 'range':
    case 'mixed':
      if (x === undefined) return { support: 0.5, why: 'no RSI or Bollinger position' };
      return {
        support: 0.5 + (r.kind === 'range' ? 0.25 : 0.1) * clamp(x, -1.2, 1.2),
        why:
          x > 0.25
            ? `the ${held} reached the favourable side of the ${r.kind === 'range' ? 'range' : 'market'}`
            : `the ${held} has room to revert`,
      };
    case 'unknown':
      return { support: 0.55, why: 'regime unknown; closing reduces exposure' };
  }
}

function overExtended(side: Side, s: Stretch): string {
  const word = side === 'long' ? 'overbought' : 'oversold';
  return s.rsi !== undefined ? `${word} (RSI ${show(s.rsi, 1)})` : `${word} (outside the band)`;
}

function describe(r: Regime, s: Stretch): string {
  const parts: string[] = [];
  if (r.kind === 'unknown') parts.push('regime unknown (needs EMA9, EMA50, ATR)');
  else {
    const name =
      r.kind === 'trend'
        ? `trending ${r.dir > 0 ? 'up' : 'down'}`
        : r.kind === 'range'
          ? 'ranging'
          : 'mixed';
    parts.push(`${name}, EMA9−EMA50 ${show(r.spreadAtrs)} ATR`);
  }
  if (s.rsi !== undefined) parts.push(`RSI ${show(s.rsi, 1)}`);
  if (s.percentB !== undefined) parts.push(`Bollinger %b ${show(s.percentB)}`);
  return parts.join(', ');
}

/**
 * Momentum or mean reversion? The EMA spread in ATRs classifies the market (trend, range,
 * mixed); RSI and the Bollinger %b say how far price has run in the signal's direction. In a
 * trend, signals with it are backed (0.75 … 0.85) and fades are not; in a range, fades of an
 * extreme are backed and chases are not; overbought longs and oversold shorts lose support
 * everywhere (0.1 at RSI 70, up to 0.3 from RSI 80).
 */
export function judgeRegime(input: EnrichedSignal): Verdict {
  const gate = qualityGate(input.quality);
  if (gate.blocking.length) return untrusted(gate, 'Momentum regime');
  const r = regimeOf(input.features);
  const base = { sizePct: null, stop: null, takeProfit: null };
  const direction = input.signal.direction;
  if (direction === 'close') {
    const held = positionSide(input);
    if (!held) {
      const s = stretchOf(input, 'long');
      return {
        ...decide('close', 0.55, gate),
        ...base,
        reasoning: `Position side unknown (payload.side); closing reduces exposure. ${cap(describe(r, s))}.${qualityNote(gate)}`,
      };
    }
    const s = stretchOf(input, held);
    const e = exitSupport(r, s, held);
    return {
      ...decide('close', e.support, gate),
      ...base,
      reasoning: `${cap(describe(r, s))}: ${e.why}.${qualityNote(gate)}`,
    };
  }
  const s = stretchOf(input, direction);
  const e = entrySupport(r, s, direction);
  return {
    ...decide(direction, e.support, gate),
    ...base,
    reasoning: `${cap(describe(r, s))}: ${e.why}.${qualityNote(gate)}`,
  };
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export const momentumRegime: Evaluator = {
  id: MOMENTUM_REGIME_ID,
  kind: 'quant',
  evaluate: (input) => judgeRegime(input),
};
