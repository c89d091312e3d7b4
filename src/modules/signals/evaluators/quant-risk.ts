import { Decimal } from '../../../core/decimal.js';
import type { EnrichedSignal, Evaluator, Verdict } from '../domain/types.js';
import {
  clamp,
  decide,
  decimalPrice,
  num,
  positive,
  qualityGate,
  qualityNote,
  referencePrice,
  show,
  untrusted,
  type QualityGate,
  type Side,
} from './quant-common.js';

export const RISK_REWARD_ID = 'quant.risk_reward';

/** The fixed-risk rule and the filters of the risk/reward model. */
export const RISK_RULES = {
  /** Equity lost when the stop is hit, in percent: the size is this over the stop distance. */
  riskPct: 1,
  /** Largest suggested position, in percent of equity, however tight the stop. */
  maxSizePct: 25,
  /** Below this reward/risk the signal is not worth its risk. */
  minRewardRisk: 1.5,
  /** Reward/risk at which support stops growing. */
  fullRewardRisk: 3,
  /** A stop nearer than this many ATRs sits inside ordinary noise. */
  minStopAtrs: 0.5,
  /** A stop farther than this many ATRs is far from anything the chart shows. */
  wideStopAtrs: 4,
  /** A stop nearer than this many spreads is taken by the spread itself. */
  minStopSpreads: 3,
  /** Defaults when the signal has no stop or take-profit. */
  defaultStopAtrs: 1.5,
  defaultRewardRisk: 2,
} as const;

/**
 * Decimals for a suggested price: six significant digits (50000 → 1, 3000 → 2, 1.2 → 5,
 * 0.0001234 → 9), or the reference price's own precision when it has more.
 */
export function pricePlaces(ref: Decimal): number {
  const p = ref.toNumber();
  const sig = p > 0 ? 5 - Math.floor(Math.log10(p)) : 18;
  return clamp(Math.max(sig, ref.places()), 0, 18);
}

/** `ref` moved by `distance` towards `dir` (+1 up, −1 down), rounded; undefined if not positive. */
function offset(ref: Decimal, distance: number, dir: 1 | -1, places: number): Decimal | undefined {
  if (!Number.isFinite(distance) || distance <= 0 || distance >= 1e20) return undefined;
  // fromNumber goes through toFixed(places + 2), which stops at 20 digits.
  const d = Decimal.fromNumber(distance, 16);
  const price = (dir > 0 ? ref.add(d) : ref.sub(d)).round(places);
  return price.isPositive() && !price.eq(ref) ? price : undefined;
}

interface Plan {
  entry: Decimal;
  entrySource: string;
  stop: Decimal;
  takeProfit: Decimal;
  stopSuggested: boolean;
  takeProfitSuggested: boolean;
}

type PlanResult = { ok: true; plan: Plan } | { ok: false; support: number; why: string };

function plan(input: EnrichedSignal, side: Side, atr: number | undefined): PlanResult {
  const ref = referencePrice(input);
  if (!ref) return { ok: false, support: 0.2, why: 'no entry, last price or book to measure from' };
  const entry = ref.price;
  const places = pricePlaces(entry);
  const up: 1 | -1 = side === 'long' ? 1 : -1;
  let stop = decimalPrice(input.signal.stop);
  const stopSuggested = !stop;
  if (!stop) {
    if (atr === undefined) {
      return { ok: false, support: 0.3, why: 'no stop, and no ATR to place one' };
    }
    stop = offset(entry, RISK_RULES.defaultStopAtrs * atr, -up as 1 | -1, places);
    if (!stop) {
      return { ok: false, support: 0.2, why: `an ATR of ${show(atr)} leaves no room for a stop` };
    }
  }
  const risk = entry.sub(stop).abs();
  if ((up > 0 && !stop.lt(entry)) || (up < 0 && !stop.gt(entry))) {
    return {
      ok: false,
      support: 0.05,
      why: `the stop ${stop} is on the wrong side of the ${side} entry ${entry}`,
    };
  }
  let takeProfit = decimalPrice(input.signal.takeProfit);
  const takeProfitSuggested = !takeProfit;
  if (!takeProfit) {
    takeProfit = offset(entry, risk.toNumber() * RISK_RULES.defaultRewardRisk, up, places);
    if (!takeProfit) return { ok: false, support: 0.2, why: 'no room for a take-profit' };
  }
  if ((up > 0 && !takeProfit.gt(entry)) || (up < 0 && !takeProfit.lt(entry))) {
    return {
      ok: false,
      support: 0.05,
      why: `the take-profit ${takeProfit} is on the wrong side of the ${side} entry ${entry}`,
    };
  }
  return {
    ok: true,
    plan: {
      entry,
      entrySource: ref.source,
      stop,
      takeProfit,
      stopSuggested,
      takeProfitSuggested,
    },
  };
}

/** Percent of equity that loses `riskPct` at the stop, capped; two decimals, rounded down. */
export function fixedRiskSize(entry: Decimal, stop: Decimal): number {
  const stopPct = entry.sub(stop).abs().div(entry).toNumber() * 100;
  if (!(stopPct > 0)) return 0;
  const size = Math.min(RISK_RULES.maxSizePct, (RISK_RULES.riskPct * 100) / stopPct);
  return Math.floor(size * 100) / 100;
}

function judgeEntry(input: EnrichedSignal, side: Side, gate: QualityGate): Verdict {
  const atr = positive(input.features.atr14);
  const none = { sizePct: null, stop: null, takeProfit: null };
  const p = plan(input, side, atr);
  if (!p.ok) {
    return {
      ...decide(side, p.support, gate),
      ...none,
      reasoning: `${cap(p.why)}.${qualityNote(gate)}`,
    };
  }
  const { entry, stop, takeProfit } = p.plan;
  const risk = entry.sub(stop).abs();
  const reward = takeProfit.sub(entry).abs();
  const rr = reward.div(risk).toNumber();
  const stopAtrs = atr === undefined ? undefined : risk.toNumber() / atr;
  const stopBps = risk.div(entry).toNumber() * 10_000;
  const spread = num(input.market.spreadBps);
  const notes: string[] = [];
  const stopText = `stop ${stop}${p.plan.stopSuggested ? ' (suggested)' : ''}`;
  const tpText = `take-profit ${takeProfit}${p.plan.takeProfitSuggested ? ' (suggested)' : ''}`;
  const facts = `R:R ${show(rr)} from ${p.plan.entrySource} ${entry}, ${stopText}, ${tpText}${
    stopAtrs === undefined ? ', no ATR' : `, stop ${show(stopAtrs)} ATR away`
  }`;

  let support: number;
  let why: string;
  if (stopAtrs !== undefined && stopAtrs < RISK_RULES.minStopAtrs) {
    support = 0.2;
    why = `the stop sits inside noise (under ${RISK_RULES.minStopAtrs} ATR)`;
  } else if (spread !== undefined && spread > 0 && stopBps < RISK_RULES.minStopSpreads * spread) {
    support = 0.2;
    why = `the stop is within ${RISK_RULES.minStopSpreads}× the ${show(spread, 1)} bps spread`;
  } else if (rr < RISK_RULES.minRewardRisk) {
    support = (0.45 * rr) / RISK_RULES.minRewardRisk;
    why = `reward/risk is below ${RISK_RULES.minRewardRisk}`;
  } else {
    const span = RISK_RULES.fullRewardRisk - RISK_RULES.minRewardRisk;
    support = 0.55 + 0.35 * clamp((rr - RISK_RULES.minRewardRisk) / span, 0, 1);
    why = 'reward/risk clears the minimum';
    if (stopAtrs !== undefined && stopAtrs > RISK_RULES.wideStopAtrs) {
      support -= 0.1;
      notes.push(`the stop is wide (over ${RISK_RULES.wideStopAtrs} ATR)`);
    }
    // Without an ATR the stop cannot be checked against noise: lean towards no opinion.
    if (stopAtrs === undefined) support = 0.5 + (support - 0.5) * 0.8;
  }
  const d = decide(side, support, gate);
  const acting = d.action !== 'hold';
  const size = acting ? fixedRiskSize(entry, stop) : null;
  const sizing = acting ? `; size ${size}% of equity risks ${RISK_RULES.riskPct}%` : '';
  return {
    ...d,
    sizePct: size,
    stop: acting ? stop.toString() : null,
    takeProfit: acting ? takeProfit.toString() : null,
    reasoning: `${cap(why)}: ${facts}${notes.length ? `; ${notes.join('; ')}` : ''}${sizing}.${qualityNote(gate)}`,
  };
}

/**
 * Is the trade worth its risk? Reward/risk from entry, stop and take-profit (ATR-based
 * defaults when the signal has none: stop 1.5 ATR away, take-profit at 2R), the stop's
 * distance in ATRs and in spreads. Holds below R:R 1.5 or with a stop inside noise; otherwise
 * backs the signal (0.55 at R:R 1.5 up to 0.9 from R:R 3) and sizes it so that the stop costs
 * 1% of equity, at most 25%.
 */
export function judgeRisk(input: EnrichedSignal): Verdict {
  const gate = qualityGate(input.quality);
  if (gate.blocking.length) return untrusted(gate, 'Risk/reward');
  const direction = input.signal.direction;
  if (direction === 'close') {
    return {
      ...decide('close', 0.6, gate),
      sizePct: null,
      stop: null,
      takeProfit: null,
      reasoning: `An exit has no reward/risk to weigh; closing releases the position's risk.${qualityNote(gate)}`,
    };
  }
  return judgeEntry(input, direction, gate);
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export const riskReward: Evaluator = {
  id: RISK_REWARD_ID,
  kind: 'quant',
  evaluate: (input) => judgeRisk(input),
};
