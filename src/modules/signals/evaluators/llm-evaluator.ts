import type { Clock } from '../../../core/clock.js';
import { Decimal } from '../../../core/decimal.js';
import type { Database } from '../../../platform/db/index.js';
import type { Logger } from '../../../platform/logging/logger.js';
import {
  EvaluationError,
  type EnrichedSignal,
  type EvaluationContext,
  type EvaluationFailure,
  type Evaluator,
  type Verdict,
} from '../domain/types.js';
import type { BreakerStatus, ModelBreaker } from './breaker.js';
import type { ProviderName } from './config.js';
import { callCost, type TokenPrices } from './cost.js';
import type { EvaluatorMetrics } from './metrics.js';
import { renderPrompt, type PromptTemplate } from './prompt.js';
import { UpstreamError, type Completion, type Provider } from './provider.js';
import { emptyUsage, recordUsage, usageOn, utcDay, type DailyUsage } from './usage-store.js';
import { parseAnswer, VERDICT_SCHEMA, VERDICT_SCHEMA_NAME } from './verdict-schema.js';

/** A configured model, resolved: key looked up, prices parsed, defaults applied. */
export interface LlmModel {
  /** `llm.<configured id>`. */
  id: string;
  provider: ProviderName;
  model: string;
  baseUrl: string | undefined;
  timeoutMs: number;
  dailyTokenBudget: number | null;
  dailyCostBudgetUsd: Decimal | null;
  prices: TokenPrices | null;
}

export interface LlmEvaluatorDeps {
  model: LlmModel;
  provider: Provider;
  prompt: PromptTemplate;
  breaker: ModelBreaker;
  database: Database;
  clock: Clock;
  logger: Logger;
  metrics?: EvaluatorMetrics | undefined;
}

export interface LlmModelStatus {
  id: string;
  kind: 'llm';
  provider: ProviderName;
  model: string;
  promptVersion: string;
  timeoutMs: number;
  breaker: BreakerStatus;
}

/**
 * One LLM as an evaluator. Each call: refuse at once while the breaker is open or the day's
 * budget is spent (nothing is sent); render the versioned prompt; call the provider with the
 * verdict's JSON Schema under the model's deadline (the HTTP request is aborted when it
 * passes, or when the pipeline's does); validate the answer; record the call's tokens and exact
 * cost in `signal_model_usage`. Timeouts, HTTP errors and invalid answers all count against
 * the breaker: a model that keeps answering garbage costs money for nothing.
 */
export class LlmEvaluator implements Evaluator {
  readonly kind = 'llm' as const;
  readonly id: string;
  /**
   * The pipeline's deadline for this evaluator: the model's own plus a grace for the budget
   * lookup and the usage write, so that the model's timeout fires first and is recorded.
   */
  readonly timeoutMs: number;

  constructor(private readonly d: LlmEvaluatorDeps) {
    this.id = d.model.id;
    this.timeoutMs = d.model.timeoutMs + DEADLINE_GRACE_MS;
  }

  async evaluate(input: EnrichedSignal, ctx: EvaluationContext): Promise<Verdict> {
    const refused = this.d.breaker.refusesNow();
    if (refused) throw this.refuse('circuit_open', this.openMessage(refused.retryAt));
    const day = utcDay(this.d.clock.now());
    const spent = (await usageOn(this.d.database.db, [this.id], day)).get(this.id);
    const over = this.overBudget(spent ?? emptyUsage(this.id, day));
    if (over) throw this.refuse('budget_exhausted', over);
    // The pipeline gave up while the budget was read: nothing was sent, nothing to count.
    if (ctx.abort.aborted) {
      throw new EvaluationError('timeout', `${this.id}: the pipeline's deadline passed first`);
    }
    const admission = this.d.breaker.admit();
    if (!admission.admitted) throw this.refuse('circuit_open', this.openMessage(admission.retryAt));

    const started = ctx.now();
    let completion: Completion | undefined;
    let outcome: { verdict: Verdict } | { error: EvaluationError };
    try {
      completion = await this.call(input, ctx);
      outcome = this.judge(completion);
    } catch (err) {
      outcome = { error: this.failure(err, ctx, started) };
    }

    const error = 'error' in outcome ? outcome.error : undefined;
    if (error) this.d.breaker.failure(admission.probe);
    else this.d.breaker.success(admission.probe);
    await this.record(day, error !== undefined, completion);
    this.d.metrics?.observe(
      this.id,
      error?.code ?? 'ok',
      completion?.tokens,
      this.cost(completion),
    );
    if ('error' in outcome) {
      this.d.logger.warn(
        {
          at: 'signals.evaluators#evaluate',
          model: this.id,
          code: outcome.error.code,
          signalId: input.signal.eventId,
        },
        outcome.error.message,
      );
      throw outcome.error;
    }
    return outcome.verdict;
  }

  status(): LlmModelStatus {
    const m = this.d.model;
    return {
      id: m.id,
      kind: 'llm',
      provider: m.provider,
      model: m.model,
      promptVersion: this.d.prompt.version,
      timeoutMs: m.timeoutMs,
      breaker: this.d.breaker.status(),
    };
  }

  get model(): LlmModel {
    return this.d.model;
  }

  /** Why the model may not be called today, or undefined while its budgets last. */
  overBudget(u: DailyUsage): string | undefined {
    const m = this.d.model;
    const tokens = u.promptTokens + u.completionTokens;
    if (m.dailyTokenBudget !== null && tokens >= m.dailyTokenBudget) {
      return `${this.id} spent ${tokens} of its ${m.dailyTokenBudget} tokens for ${u.day} (UTC); it resumes at 00:00 UTC`;
    }
    if (m.dailyCostBudgetUsd !== null && u.costUsd.gte(m.dailyCostBudgetUsd)) {
      return `${this.id} spent $${u.costUsd.toString()} of its $${m.dailyCostBudgetUsd.toString()} for ${u.day} (UTC); it resumes at 00:00 UTC`;
    }
    return undefined;
  }

  private async call(input: EnrichedSignal, ctx: EvaluationContext): Promise<Completion> {
    const prompt = renderPrompt(this.d.prompt, input);
    const timeoutMs = this.d.model.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const onPipelineAbort = () => controller.abort(ctx.abort.reason);
    if (ctx.abort.aborted) controller.abort(ctx.abort.reason);
    else ctx.abort.addEventListener('abort', onPipelineAbort, { once: true });
    try {
      const pending = this.d.provider.complete({
        system: prompt.system,
        user: prompt.user,
        schema: VERDICT_SCHEMA as unknown as Record<string, unknown>,
        schemaName: VERDICT_SCHEMA_NAME,
        signal: controller.signal,
        timeoutMs,
      });
      return await untilAborted(pending, controller.signal);
    } finally {
      clearTimeout(timer);
      ctx.abort.removeEventListener('abort', onPipelineAbort);
    }
  }

  private judge(c: Completion): { verdict: Verdict } | { error: EvaluationError } {
    const tokens = c.tokens;
    const invalid = (why: string) => ({
      error: new EvaluationError('invalid_output', `${this.id}: ${why}`, tokens),
    });
    if (c.refusal) return invalid(`the model declined: ${c.refusal.slice(0, 200)}`);
    const parsed = parseAnswer(c.text);
    if (!parsed.ok) {
      const cut = c.truncated ? ' (cut at the output-token limit)' : '';
      return invalid(`${parsed.reason}${cut}`);
    }
    const cost = this.cost(c);
    return {
      verdict: {
        ...parsed.verdict,
        tokens,
        ...(cost ? { costUsd: cost.toString() } : {}),
        promptVersion: this.d.prompt.version,
      },
    };
  }

  private failure(err: unknown, ctx: EvaluationContext, started: number): EvaluationError {
    const elapsed = Math.max(0, ctx.now() - started);
    if (
      err === DEADLINE_ERROR ||
      (err instanceof UpstreamError && err.kind !== 'http' && err.kind !== 'connection')
    ) {
      const byPipeline = ctx.abort.aborted;
      return new EvaluationError(
        'timeout',
        byPipeline
          ? `${this.id}: the pipeline's deadline passed after ${elapsed} ms`
          : `${this.id}: no answer within ${this.d.model.timeoutMs} ms`,
      );
    }
    if (err instanceof UpstreamError) {
      return new EvaluationError('upstream_error', `${this.id}: ${err.message}`);
    }
    // Not the provider's doing (a bug, a failed render): record it without its text, which
    // could carry the prompt.
    this.d.logger.error(
      { at: 'signals.evaluators#evaluate', model: this.id, err },
      'evaluator failed',
    );
    return new EvaluationError(
      'upstream_error',
      `${this.id}: internal error (${err instanceof Error ? err.name : 'unknown'})`,
    );
  }

  private cost(c: Completion | undefined): Decimal | undefined {
    if (!c || !this.d.model.prices) return undefined;
    return callCost(c.tokens, this.d.model.prices);
  }

  private async record(day: string, failed: boolean, c: Completion | undefined): Promise<void> {
    try {
      await recordUsage(this.d.database.db, {
        modelId: this.id,
        day,
        failed,
        promptTokens: c?.tokens.prompt ?? 0,
        completionTokens: c?.tokens.completion ?? 0,
        costUsd: this.cost(c) ?? Decimal.ZERO,
        at: this.d.clock.date(),
      });
    } catch (err) {
      // The answer stands; the day's usage is undercounted by this one call.
      this.d.logger.error(
        { at: 'signals.evaluators#record', model: this.id, err },
        'usage not recorded',
      );
    }
  }

  private refuse(code: EvaluationFailure, message: string): EvaluationError {
    this.d.metrics?.observe(this.id, code, undefined, undefined);
    return new EvaluationError(code, message);
  }

  private openMessage(retryAt: number): string {
    const s = this.d.breaker.status();
    return `${this.id}: circuit open after ${s.consecutiveFailures} consecutive failures; next attempt after ${new Date(retryAt).toISOString()}`;
  }
}

const DEADLINE_ERROR = new Error('deadline');
const DEADLINE_GRACE_MS = 1000;

/**
 * Settles with `p`, or rejects as soon as `signal` aborts, even if an SDK ignores the abort
 * while reading a body: the deadline holds whatever the transport does.
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(DEADLINE_ERROR);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      reject(DEADLINE_ERROR);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? DEADLINE_ERROR : e);
      },
    );
  });
}
