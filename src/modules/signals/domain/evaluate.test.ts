import { describe, expect, it } from 'vitest';
import { evaluateAll, verdictProblem } from './evaluate.js';
import { EvaluationError, type EnrichedSignal, type Evaluator, type Verdict } from './types.js';

const input: EnrichedSignal = {
  signal: {
    eventId: 'sig-1',
    userId: 'u',
    keyId: null,
    source: 'tv',
    venue: 'paper',
    symbol: 'BTC/USDT',
    direction: 'long',
    timeframe: null,
    entry: null,
    stop: null,
    takeProfit: null,
    strategy: null,
    profile: 'trend_follow_v1',
    sentAt: 0,
    receivedAt: 0,
    payload: null,
  },
  market: {
    lastPrice: null,
    bid: null,
    ask: null,
    spreadBps: null,
    timeframe: '15m',
    candles: 0,
    lastCandleAt: null,
    asOf: null,
  },
  features: {},
  quality: [],
  enrichedAt: 0,
};

const verdict: Verdict = {
  action: 'long',
  confidence: 0.7,
  sizePct: 2,
  stop: '63000.0',
  takeProfit: null,
  reasoning: 'trend up',
};
const evaluator = (
  id: string,
  run: (ctx: { abort: AbortSignal }) => Promise<unknown> | unknown,
  timeoutMs?: number,
): Evaluator => ({
  id,
  kind: 'quant',
  ...(timeoutMs ? { timeoutMs } : {}),
  evaluate: (_i, ctx) => run(ctx) as Promise<Verdict>,
});
const opts = { defaultTimeoutMs: 200, now: () => 42, elapsed: () => performance.now() };

describe('evaluateAll', () => {
  it('gives one decision per evaluator, a failure of one costing the others nothing', async () => {
    let aborted = false;
    const decisions = await evaluateAll(
      [
        evaluator('good', async () => verdict),
        evaluator('throws', () => {
          throw new Error('boom');
        }),
        evaluator('budget', async () => {
          throw new EvaluationError('budget_exhausted', 'no tokens left today');
        }),
        evaluator(
          'hangs',
          ({ abort }) =>
            new Promise((_, reject) =>
              abort.addEventListener('abort', () => {
                aborted = true;
                reject(new Error('cancelled'));
              }),
            ),
          30,
        ),
        evaluator('nonsense', async () => ({ ...verdict, confidence: 7 })),
      ],
      input,
      opts,
    );
    expect(decisions.map((d) => [d.modelId, d.status, d.failure?.code ?? null])).toEqual([
      ['good', 'ok', null],
      ['throws', 'failed', 'upstream_error'],
      ['budget', 'failed', 'budget_exhausted'],
      ['hangs', 'failed', 'timeout'],
      ['nonsense', 'failed', 'invalid_output'],
    ]);
    expect(aborted).toBe(true);
    expect(decisions[0]).toMatchObject({
      signalId: 'sig-1',
      kind: 'quant',
      verdict: { ...verdict, stop: '63000' },
      failure: null,
      decidedAt: 42,
    });
    expect(decisions[3]!.latencyMs).toBeGreaterThanOrEqual(25);
    expect(decisions[3]!.failure!.message).toBe('no answer within 30 ms');
  });

  it('takes an answer given synchronously as it is, with no deadline to race', async () => {
    let signal: AbortSignal | undefined;
    const [d] = await evaluateAll(
      [
        evaluator(
          'sync',
          ({ abort }) => {
            signal = abort;
            // Longer than its deadline: nothing can interrupt a synchronous computation.
            const until = performance.now() + 15;
            while (performance.now() < until);
            return verdict;
          },
          5,
        ),
      ],
      input,
      opts,
    );
    expect(d).toMatchObject({ modelId: 'sync', status: 'ok', failure: null });
    expect(d!.latencyMs).toBeGreaterThanOrEqual(14);
    expect(signal?.aborted).toBe(false);
  });

  it('names what is wrong with an answer', () => {
    expect(verdictProblem(verdict)).toBeUndefined();
    expect(verdictProblem(null)).toMatch(/not an object/);
    expect(verdictProblem({ ...verdict, action: 'buy' })).toMatch(/action/);
    expect(verdictProblem({ ...verdict, sizePct: 101 })).toMatch(/sizePct/);
    expect(verdictProblem({ ...verdict, stop: 63000 })).toMatch(/stop/);
    expect(verdictProblem({ ...verdict, tokens: { prompt: 1.5, completion: 0 } })).toMatch(
      /tokens/,
    );
    expect(verdictProblem({ ...verdict, costUsd: '-1' })).toMatch(/costUsd/);
  });
});
