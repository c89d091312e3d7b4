import { DECISION_ACTIONS, type Consensus, type Decision, type DecisionAction } from './types.js';

/**
 * Most cautious first: when two actions have the same confidence behind them, the more
 * cautious one wins, since a split vote is no reason to trade. `long` and `short` are equally
 * bold; a tie between exactly those two is a disagreement and gives `hold`.
 */
const CAUTION: Record<DecisionAction, number> = { hold: 0, close: 1, long: 2, short: 2 };

/**
 * The models' answers taken together: the action with the most confidence behind it among
 * the models that answered, and that confidence divided by how many answered. Failed
 * decisions count only in `failed`. With no answer at all the consensus is to hold, with no
 * confidence.
 *
 * @example
 * // two models say long at 0.8 and 0.6, one says hold at 0.9:
 * // long has 1.4 behind it → { action: 'long', confidence: 0.467 (1.4 / 3), agreeing: 2, answered: 3 }
 */
export function consensusOf(decisions: readonly Decision[]): Consensus {
  const sums = new Map<DecisionAction, { confidence: number; count: number }>();
  let answered = 0;
  let failed = 0;
  for (const d of decisions) {
    if (d.status !== 'ok' || !d.verdict) {
      failed++;
      continue;
    }
    answered++;
    const s = sums.get(d.verdict.action) ?? { confidence: 0, count: 0 };
    s.confidence += clamp01(d.verdict.confidence);
    s.count++;
    sums.set(d.verdict.action, s);
  }
  if (answered === 0) return { action: 'hold', confidence: 0, agreeing: 0, answered, failed };

  let best: DecisionAction | undefined;
  let bestSum = -1;
  let tiedBold = false;
  for (const action of DECISION_ACTIONS) {
    const s = sums.get(action);
    if (!s) continue;
    const sum = s.confidence;
    // Sums of a few floats: compare with a tolerance so that 0.1 + 0.2 ties with 0.3.
    if (sum > bestSum + 1e-12) {
      best = action;
      bestSum = sum;
      tiedBold = false;
    } else if (Math.abs(sum - bestSum) <= 1e-12 && best !== undefined) {
      if (CAUTION[action] < CAUTION[best]) {
        best = action;
        tiedBold = false;
      } else if (CAUTION[action] === CAUTION[best] && action !== best) tiedBold = true;
    }
  }
  const action: DecisionAction = tiedBold ? 'hold' : best!;
  const behind = sums.get(action) ?? { confidence: 0, count: 0 };
  return {
    action,
    // Three decimals, as the quant models give theirs: a mean of floats would otherwise show
    // 0.20000000000000004 for three models at 0.2.
    confidence: Math.round((behind.confidence / answered) * 1000) / 1000,
    agreeing: behind.count,
    answered,
    failed,
  };
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
