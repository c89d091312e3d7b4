/**
 * Running the evaluators on one enriched signal: all at once, each with its own deadline and
 * its failures its own. Whatever an evaluator does (throws, hangs, answers nonsense), the
 * result is one `Decision` per evaluator and the signal goes on.
 */
import { Decimal } from '../../../core/decimal.js';
import {
  DECISION_ACTIONS,
  EvaluationError,
  type Decision,
  type EnrichedSignal,
  type EvaluationFailure,
  type Evaluator,
  type Verdict,
} from './types.js';

export interface EvaluateOptions {
  /** Deadline of an evaluator that states none (ms). */
  defaultTimeoutMs: number;
  /** Wall time for `decidedAt` (the injected clock). */
  now(): number;
  /** A monotonic timer for latencies (performance.now in production). */
  elapsed(): number;
}

const MAX_MESSAGE = 500;
const MAX_REASONING = 4000;
/**
 * The abort reason once an evaluation is over. One shared value: `abort()` without a reason
 * builds a DOMException, stack and all, for every evaluator of every signal.
 */
const SETTLED = Object.assign(new Error('the evaluation is over'), { name: 'AbortError' });

/**
 * Evaluates `input` with every evaluator in parallel; resolves when each has answered, failed
 * or passed its deadline, with the decisions in the evaluators' order.
 */
export function evaluateAll(
  evaluators: readonly Evaluator[],
  input: EnrichedSignal,
  opts: EvaluateOptions,
): Promise<Decision[]> {
  return Promise.all(evaluators.map((e) => evaluateOne(e, input, opts)));
}

export async function evaluateOne(
  evaluator: Evaluator,
  input: EnrichedSignal,
  opts: EvaluateOptions,
): Promise<Decision> {
  const started = opts.elapsed();
  const timeoutMs = evaluator.timeoutMs ?? opts.defaultTimeoutMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  const base = {
    signalId: input.signal.eventId,
    modelId: evaluator.id,
    kind: evaluator.kind,
  };
  try {
    // Called inside the try: one that throws synchronously is as isolated as one that rejects.
    const result: unknown = evaluator.evaluate(input, {
      abort: controller.signal,
      now: opts.now,
    });
    let answer: unknown = result;
    // Only an answer still to come has a deadline to meet: one computed synchronously (the
    // quant models) is already here, and no timer could have interrupted it anyway.
    if (isThenable(result)) {
      pending = true;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new EvaluationError('timeout', `no answer within ${timeoutMs} ms`);
          // The deadline settles first: an evaluator rejecting as it is aborted must not win.
          reject(err);
          controller.abort(err);
        }, timeoutMs);
      });
      answer = await Promise.race([result, deadline]);
    }
    const problem = verdictProblem(answer);
    if (problem) throw new EvaluationError('invalid_output', problem);
    // Assigned onto `base` rather than spread into a new object (see `quant-common.ts`).
    return Object.assign(base, {
      status: 'ok' as const,
      verdict: normalizeVerdict(answer as Verdict),
      failure: null,
      latencyMs: opts.elapsed() - started,
      decidedAt: opts.now(),
    });
  } catch (err) {
    const code: EvaluationFailure = err instanceof EvaluationError ? err.code : 'upstream_error';
    const message =
      err instanceof Error ? err.message : typeof err === 'string' ? err : 'evaluation failed';
    return Object.assign(base, {
      status: 'failed' as const,
      verdict: null,
      failure: { code, message: truncate(message, MAX_MESSAGE) },
      latencyMs: opts.elapsed() - started,
      decidedAt: opts.now(),
    });
  } finally {
    clearTimeout(timer);
    // Whatever the evaluator still has in flight is of no use any more.
    if (pending && !controller.signal.aborted) controller.abort(SETTLED);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/** Why an answer is not a usable verdict, or undefined when it is. */
export function verdictProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'the answer is not an object';
  const o = v as Record<string, unknown>;
  if (!(DECISION_ACTIONS as readonly unknown[]).includes(o.action))
    return `action must be one of ${DECISION_ACTIONS.join(', ')}`;
  if (typeof o.confidence !== 'number' || !(o.confidence >= 0 && o.confidence <= 1))
    return 'confidence must be a number from 0 to 1';
  if (
    o.sizePct !== null &&
    (typeof o.sizePct !== 'number' || !(o.sizePct >= 0 && o.sizePct <= 100))
  )
    return 'sizePct must be null or a number from 0 to 100';
  for (const k of ['stop', 'takeProfit'] as const) {
    const p = o[k];
    if (p === null) continue;
    const d = typeof p === 'string' ? Decimal.tryParse(p) : undefined;
    if (!d || !d.isPositive()) return `${k} must be null or a positive decimal string`;
  }
  if (typeof o.reasoning !== 'string') return 'reasoning must be a string';
  if (o.tokens !== undefined) {
    const t = o.tokens as Record<string, unknown> | null;
    const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
    if (typeof t !== 'object' || t === null || !count(t.prompt) || !count(t.completion))
      return 'tokens must be { prompt, completion } as whole numbers';
  }
  if (o.costUsd !== undefined) {
    const c = typeof o.costUsd === 'string' ? Decimal.tryParse(o.costUsd) : undefined;
    if (!c || c.isNegative()) return 'costUsd must be a non-negative decimal string';
  }
  return undefined;
}

function normalizeVerdict(v: Verdict): Verdict {
  return {
    action: v.action,
    confidence: v.confidence,
    sizePct: v.sizePct,
    stop: v.stop === null ? null : Decimal.parse(v.stop).toString(),
    takeProfit: v.takeProfit === null ? null : Decimal.parse(v.takeProfit).toString(),
    reasoning: truncate(v.reasoning, MAX_REASONING),
    ...(v.tokens ? { tokens: { prompt: v.tokens.prompt, completion: v.tokens.completion } } : {}),
    ...(v.costUsd !== undefined ? { costUsd: Decimal.parse(v.costUsd).toString() } : {}),
  };
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);
