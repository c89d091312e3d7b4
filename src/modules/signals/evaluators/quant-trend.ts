import type { EnrichedSignal, Evaluator, Features, Verdict } from '../domain/types.js';
import {
  decide,
  num,
  positionSide,
  positive,
  qualityGate,
  qualityNote,
  show,
  sign,
  untrusted,
  type Side,
} from './quant-common.js';

export const TREND_ALIGNMENT_ID = 'quant.trend_alignment';

/**
 * A gap of this many ATRs counts as a full-strength vote. The scales differ because the
 * quantities do: two fast EMAs sit closer together than EMA 21 and EMA 50 in the same trend,
 * and the MACD histogram (a difference of differences) is smaller still.
 */
export const TREND_SCALES = { ema9_21: 0.5, ema21_50: 1, macdHistogram: 0.2 } as const;
/** Strength assumed for a vote when there is no ATR to measure it against. */
const UNMEASURED = 0.5;
const VOTES = 3;

interface Vote {
  /** +1 bullish, −1 bearish, 0 flat. */
  sign: -1 | 0 | 1;
  /** 0 … 1: how far apart, in units of the vote's ATR scale. */
  strength: number;
  text: string;
}

function vote(name: string, diff: number, atr: number | undefined, scale: number): Vote {
  const s = diff > 0 ? 1 : diff < 0 ? -1 : 0;
  const atrs = atr === undefined ? undefined : Math.abs(diff) / atr;
  const strength = atrs === undefined ? UNMEASURED : Math.min(1, atrs / scale);
  const by = atrs === undefined ? '' : ` by ${show(atrs)} ATR`;
  return { sign: s, strength, text: `${name}${by}` };
}

/** The trend votes the features allow: EMA 9 vs 21, EMA 21 vs 50, MACD histogram sign. */
export function trendVotes(f: Features): Vote[] {
  const atr = positive(f.atr14);
  const ema9 = num(f.ema9);
  const ema21 = num(f.ema21);
  const ema50 = num(f.ema50);
  const hist = num(f.macd?.histogram);
  const votes: Vote[] = [];
  const cmp = (a: number, b: number) => (a > b ? '>' : a < b ? '<' : '=');
  if (ema9 !== undefined && ema21 !== undefined) {
    votes.push(vote(`EMA9 ${cmp(ema9, ema21)} EMA21`, ema9 - ema21, atr, TREND_SCALES.ema9_21));
  }
  if (ema21 !== undefined && ema50 !== undefined) {
    votes.push(vote(`EMA21 ${cmp(ema21, ema50)} EMA50`, ema21 - ema50, atr, TREND_SCALES.ema21_50));
  }
  if (hist !== undefined) {
    const v = vote('MACD histogram', hist, atr, TREND_SCALES.macdHistogram);
    v.text = `MACD histogram ${hist >= 0 ? '+' : ''}${show(hist)}`;
    votes.push(v);
  }
  return votes;
}

interface Tally {
  agree: number;
  oppose: number;
  /** −1 … 1: (agreeing − opposing) / 3, so missing votes weaken the result. */
  alignment: number;
  /** Mean strength of the votes on the winning side (0 … 1). */
  strength: number;
}

function tally(votes: Vote[], side: Side): Tally {
  const d = sign(side);
  const agreeing = votes.filter((v) => v.sign === d);
  const opposing = votes.filter((v) => v.sign === -d);
  const winners = agreeing.length >= opposing.length ? agreeing : opposing;
  const strength = winners.length
    ? winners.reduce((a, v) => a + v.strength, 0) / winners.length
    : 0;
  return {
    agree: agreeing.length,
    oppose: opposing.length,
    alignment: (agreeing.length - opposing.length) / VOTES,
    strength,
  };
}

/** Support (0 … 1) for a side from a tally: 0.5 ± half the alignment, weighted by strength. */
const supportFor = (t: Tally): number => 0.5 + 0.5 * t.alignment * (0.4 + 0.6 * t.strength);

/**
 * Does the signal trade with the trend? Three votes — EMA 9 above or below EMA 21, EMA 21
 * above or below EMA 50, the sign of the MACD histogram — each weighted by its gap in ATRs.
 * All three agreeing at full strength backs the signal at the 0.95 cap; all three against it
 * answers hold just as firmly. A `close` is backed when the trend turned against the position
 * the payload names.
 */
export function judgeTrend(input: EnrichedSignal): Verdict {
  const gate = qualityGate(input.quality);
  if (gate.blocking.length) return untrusted(gate, 'Trend alignment');
  const votes = trendVotes(input.features);
  const detail = votes.map((v) => v.text).join(', ');
  const noAtr = positive(input.features.atr14) === undefined && votes.length ? ' (no ATR)' : '';
  const base = { sizePct: null, stop: null, takeProfit: null };

  if (!votes.length) {
    return {
      action: 'hold',
      confidence: 0.1,
      ...base,
      reasoning: 'No EMA or MACD values to read a trend from.',
    };
  }

  const direction = input.signal.direction;
  if (direction === 'close') {
    const held = positionSide(input);
    if (!held) {
      const d = decide('close', 0.55, gate);
      return {
        ...d,
        ...base,
        reasoning: `Position side unknown (payload.side); closing reduces exposure. Trend: ${detail}${noAtr}.${qualityNote(gate)}`,
      };
    }
    const t = tally(votes, held);
    // Support for closing is support for the opposite of the position.
    const d = decide('close', 1 - supportFor(t), gate);
    const turned = t.oppose > t.agree;
    return {
      ...d,
      ...base,
      reasoning: `${turned ? 'Trend turned against' : 'Trend still backs'} the ${held} position: ${t.oppose} of ${VOTES} votes against, ${t.agree} with (${detail}${noAtr}).${qualityNote(gate)}`,
    };
  }

  const t = tally(votes, direction);
  const d = decide(direction, supportFor(t), gate);
  const relation =
    t.agree > t.oppose
      ? 'with the trend'
      : t.agree < t.oppose
        ? 'against the trend'
        : 'in a split trend';
  return {
    ...d,
    ...base,
    reasoning: `${cap(direction)} ${relation}: ${t.agree} of ${VOTES} votes agree, ${t.oppose} oppose (${detail}${noAtr}).${qualityNote(gate)}`,
  };
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export const trendAlignment: Evaluator = {
  id: TREND_ALIGNMENT_ID,
  kind: 'quant',
  evaluate: (input) => judgeTrend(input),
};
