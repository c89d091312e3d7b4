import type { Clock } from '../../../core/clock.js';
import type { Database } from '../../../platform/db/index.js';
import type { Evaluator } from '../domain/types.js';
import type { BreakerState } from './breaker.js';
import { LlmEvaluator } from './llm-evaluator.js';
import { emptyUsage, usageOn, utcDay } from './usage-store.js';

/** Whether a model would be asked now. */
export type ModelAvailability = 'available' | 'circuit_open' | 'half_open' | 'budget_exhausted';

/** One evaluator as `GET /api/v1/signals/models` shows it. */
export interface ModelView {
  id: string;
  kind: 'quant' | 'llm';
  status: ModelAvailability;
  provider?: string;
  model?: string;
  promptVersion?: string;
  /** Operators only, from here on. */
  timeoutMs?: number;
  breaker?: {
    state: BreakerState;
    consecutiveFailures: number;
    retryAt: string | null;
    opened: number;
  };
  today?: {
    day: string;
    calls: number;
    failures: number;
    promptTokens: number;
    completionTokens: number;
    costUsd: string;
  };
  budget?: { dailyTokens: number | null; dailyCostUsd: string | null };
}

/**
 * The evaluators with their state: breaker, today's (UTC) usage from the database, so every
 * process reports the same spend, and budgets. `detail` adds what only operators see (usage,
 * cost, budgets, breaker counters); without it a model shows its identity and availability.
 */
export async function listModels(
  evaluators: readonly Evaluator[],
  deps: { database: Database; clock: Clock },
  opts: { detail: boolean },
): Promise<ModelView[]> {
  const llms = evaluators.filter((e): e is LlmEvaluator => e instanceof LlmEvaluator);
  const day = utcDay(deps.clock.now());
  const usage = await usageOn(
    deps.database.db,
    llms.map((e) => e.id),
    day,
  );
  return evaluators.map((e): ModelView => {
    if (!(e instanceof LlmEvaluator)) return { id: e.id, kind: e.kind, status: 'available' };
    const s = e.status();
    const u = usage.get(e.id) ?? emptyUsage(e.id, day);
    const status: ModelAvailability =
      s.breaker.state === 'open'
        ? 'circuit_open'
        : e.overBudget(u)
          ? 'budget_exhausted'
          : s.breaker.state === 'half_open'
            ? 'half_open'
            : 'available';
    const view: ModelView = {
      id: e.id,
      kind: 'llm',
      status,
      provider: s.provider,
      model: s.model,
      promptVersion: s.promptVersion,
    };
    if (!opts.detail) return view;
    const m = e.model;
    return {
      ...view,
      timeoutMs: s.timeoutMs,
      breaker: {
        state: s.breaker.state,
        consecutiveFailures: s.breaker.consecutiveFailures,
        retryAt: s.breaker.retryAt === null ? null : new Date(s.breaker.retryAt).toISOString(),
        opened: s.breaker.opened,
      },
      today: {
        day,
        calls: u.calls,
        failures: u.failures,
        promptTokens: u.promptTokens,
        completionTokens: u.completionTokens,
        costUsd: u.costUsd.toString(),
      },
      budget: {
        dailyTokens: m.dailyTokenBudget,
        dailyCostUsd: m.dailyCostBudgetUsd?.toString() ?? null,
      },
    };
  });
}
