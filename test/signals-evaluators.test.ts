/**
 * The LLM evaluators against fakes of OpenAI's and Gemini's HTTP APIs, driven by the official
 * SDKs: answers parsed into verdicts with tokens and exact cost, garbage refused, deadlines
 * held, breakers opened and probed, budgets kept in the database, keys kept out of every
 * message and log line, and the models route. Prices in these tests: $0.15 per million input
 * tokens and $0.60 per million output tokens, so 1200 + 80 tokens cost
 * (1200 × 0.15 + 80 × 0.6) / 1e6 = $0.000228.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, SimulatedClock } from '../src/core/clock.js';
import { loadConfig } from '../src/apps/config.js';
import type { App } from '../src/apps/app.js';
import { createIdentityModule } from '../src/modules/identity/index.js';
import {
  createEvaluators,
  evaluatorRoutes,
  listModels,
  parseModels,
  VERDICT_SCHEMA,
  type ModelConfig,
} from '../src/modules/signals/evaluators/index.js';
import { enriched } from '../src/modules/signals/evaluators/quant.fixtures.js';
import {
  EvaluationError,
  type Evaluator,
  type Verdict,
} from '../src/modules/signals/domain/types.js';
import { Outbox } from '../src/platform/bus/index.js';
import { ConfigError } from '../src/platform/config/index.js';
import type { Database } from '../src/platform/db/index.js';
import { createHttpServer, type HttpServer } from '../src/platform/http/index.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { Metrics } from '../src/platform/metrics/metrics.js';
import { createRateLimiter } from '../src/platform/ratelimit/index.js';
import { FakeGemini } from './fakes/gemini/index.js';
import {
  answer,
  fail,
  FakeOpenAI,
  garbage,
  GOOD_VERDICT,
  hang,
  refuse,
  slow,
} from './fakes/openai/index.js';
import { adminSession, LogCapture, signUp } from './helpers/app.js';
import { backends, freshDatabase, type FreshDatabase } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';

const OPENAI_KEY = `sk-test-${randomBytes(16).toString('hex')}`;
const GEMINI_KEY = `AIza-test-${randomBytes(16).toString('hex')}`;
const SECRETS = { OPENAI_KEY, GEMINI_KEY };
const PRICED = { inputPricePerMTok: '0.15', outputPricePerMTok: '0.6' };
const USAGE = { prompt: 1200, completion: 80 };

const BASE_CONFIG = {
  signalsQuantEvaluators: [] as [],
  signalsModels: [] as ModelConfig[],
  signalsModelsFile: [] as ModelConfig[],
  signalsEvaluatorTimeoutMs: 5000,
  signalsModelBreakerFailures: 3,
  signalsModelBreakerCooldownMs: 60_000,
};

const ctx = (abort = new AbortController().signal) => ({ abort, now: () => Date.now() });

async function failure(p: Verdict | Promise<Verdict>): Promise<EvaluationError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EvaluationError);
    return err as EvaluationError;
  }
  throw new Error('expected the evaluation to fail');
}

interface UsageRow {
  calls: number;
  failures: number;
  prompt_tokens: string;
  completion_tokens: string;
  cost_usd: string;
}

describe.each(backends)('LLM evaluators on $name', (backend) => {
  let fdb: FreshDatabase;
  let database: Database;
  let openai: FakeOpenAI;
  let gemini: FakeGemini;
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug', destination: logs });
  let seq = 0;

  beforeAll(async () => {
    fdb = await freshDatabase(backend);
    database = fdb.database;
    openai = await FakeOpenAI.start({ apiKey: OPENAI_KEY });
    gemini = await FakeGemini.start({ apiKey: GEMINI_KEY });
  });

  beforeEach(() => {
    openai.reset();
    gemini.reset();
  });

  afterAll(async () => {
    await openai?.close();
    await gemini?.close();
    await fdb?.drop();
  });

  /** One LLM evaluator with a fresh id (so usage rows never mix between tests). */
  function build(
    over: Partial<ModelConfig> = {},
    o: { clock?: SimulatedClock; config?: Partial<typeof BASE_CONFIG>; id?: string } = {},
  ) {
    const clock = o.clock ?? new SimulatedClock(Date.UTC(2026, 0, 5, 12));
    const id = o.id ?? `m${++seq}-${randomBytes(2).toString('hex')}`;
    const model: ModelConfig = {
      id,
      provider: 'openai',
      model: 'gpt-4o-mini',
      baseUrl: openai.baseUrl,
      apiKeyEnv: 'OPENAI_KEY',
      ...over,
    };
    const evaluators = createEvaluators({
      config: { ...BASE_CONFIG, ...o.config, signalsModels: [model] },
      database,
      clock,
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      secrets: SECRETS,
    });
    return { evaluator: evaluators[0]!, evaluators, clock, id: `llm.${id}` };
  }

  async function usage(modelId: string): Promise<UsageRow | undefined> {
    return (await database.db
      .selectFrom('signal_model_usage')
      .select(['calls', 'failures', 'prompt_tokens', 'completion_tokens', 'cost_usd'])
      .where('model_id', '=', modelId)
      .executeTakeFirst()) as UsageRow | undefined;
  }

  const lastCall = (fake: FakeOpenAI | FakeGemini) => fake.calls.at(-1)!;

  describe('OpenAI-compatible', () => {
    it('turns a good answer into a verdict with tokens, exact cost and the prompt version', async () => {
      const { evaluator, id } = build(PRICED);
      expect(evaluator).toMatchObject({ id, kind: 'llm' });
      openai.script(answer(GOOD_VERDICT, { usage: USAGE }));
      const v = await evaluator.evaluate(enriched(), ctx());
      expect(v).toEqual({
        ...GOOD_VERDICT,
        tokens: USAGE,
        costUsd: '0.000228',
        promptVersion: 'evaluate_signal.v1',
      });
      const req = lastCall(openai);
      expect(req.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      const body = req.body as {
        model: string;
        messages: Array<{ role: string; content: string }>;
        response_format: {
          type: string;
          json_schema: { name: string; strict: boolean; schema: unknown };
        };
      };
      expect(body.model).toBe('gpt-4o-mini');
      expect(body.response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'signal_verdict', strict: true, schema: VERDICT_SCHEMA },
      });
      expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
      expect(body.messages[1]!.content).toContain('Prompt version: evaluate_signal.v1');
      expect(body.messages[1]!.content).toContain('symbol: "BTC/USDT" on "paper"');
      expect(body.messages[1]!.content).toContain('"atr14": 250');
      expect(await usage(id)).toEqual({
        calls: 1,
        failures: 0,
        prompt_tokens: '1200',
        completion_tokens: '80',
        cost_usd: '0.000228',
      });
    });

    it('adds up a day of calls exactly, and reports no cost for an unpriced model', async () => {
      const { evaluator, id } = build(PRICED);
      openai.script(
        answer(GOOD_VERDICT, { usage: USAGE }),
        answer(GOOD_VERDICT, { usage: { prompt: 1, completion: 1 } }),
      );
      await evaluator.evaluate(enriched(), ctx());
      await evaluator.evaluate(enriched(), ctx());
      // 0.000228 + (0.15 + 0.6) / 1e6 = 0.00022875
      expect(await usage(id)).toMatchObject({
        calls: 2,
        prompt_tokens: '1201',
        cost_usd: '0.00022875',
      });

      const local = await FakeOpenAI.start();
      try {
        const ollama = build({
          apiKeyEnv: undefined,
          baseUrl: local.baseUrl,
          model: 'llama3.1:8b',
        });
        const v = await ollama.evaluator.evaluate(enriched(), ctx());
        expect(v.costUsd).toBeUndefined();
        expect(v.tokens!.prompt).toBeGreaterThan(100);
        expect(lastCall(local).headers.authorization).toBe('Bearer no-key');
        expect((await usage(ollama.id))!.cost_usd).toBe('0');
      } finally {
        await local.close();
      }
    });

    it('falls back to JSON mode for servers without structured outputs', async () => {
      const legacy = await FakeOpenAI.start({ jsonSchema: false });
      try {
        const strict = build({ apiKeyEnv: undefined, baseUrl: legacy.baseUrl });
        const e = await failure(strict.evaluator.evaluate(enriched(), ctx()));
        expect(e.code).toBe('upstream_error');
        expect(e.message).toContain('HTTP 400');
        expect(e.message).toContain("Invalid value: 'json_schema'");

        const json = build({
          apiKeyEnv: undefined,
          baseUrl: legacy.baseUrl,
          jsonMode: 'json_object',
        });
        legacy.script(answer(GOOD_VERDICT));
        expect(await json.evaluator.evaluate(enriched(), ctx())).toMatchObject({ action: 'long' });
        expect((lastCall(legacy).body as { response_format: unknown }).response_format).toEqual({
          type: 'json_object',
        });
      } finally {
        await legacy.close();
      }
    });

    it.each([
      ['prose', garbage('I would buy here, RSI looks fine.', USAGE), 'the answer is not JSON'],
      ['truncated JSON', garbage('{"action":"long","confid', USAGE), 'the answer is not JSON'],
      [
        'wrong fields',
        answer({ decision: 'buy', score: 0.9 }, { usage: USAGE }),
        '"action" is missing',
      ],
      [
        'confidence 7',
        answer({ ...GOOD_VERDICT, confidence: 7 }, { usage: USAGE }),
        'confidence must be <= 1',
      ],
      [
        'an unknown action',
        answer({ ...GOOD_VERDICT, action: 'buy' }, { usage: USAGE }),
        'action must be one of long, short, close, hold',
      ],
      [
        'a zero stop',
        answer({ ...GOOD_VERDICT, stop: '0' }, { usage: USAGE }),
        'stop "0" is not a positive decimal price',
      ],
      ['a refusal', { ...refuse(), usage: USAGE }, 'the model declined'],
    ])(
      'records %s as invalid_output, with the tokens it cost',
      async (_name, behaviour, reason) => {
        const { evaluator, id } = build(PRICED);
        openai.script(behaviour);
        const e = await failure(evaluator.evaluate(enriched(), ctx()));
        expect(e.code).toBe('invalid_output');
        expect(e.message).toContain(reason);
        expect(e.tokens).toEqual(USAGE);
        expect(await usage(id)).toMatchObject({ calls: 1, failures: 1, cost_usd: '0.000228' });
      },
    );

    it('says when an answer was cut at the output-token limit', async () => {
      const { evaluator } = build({ maxOutputTokens: 20 });
      openai.script(answer('{"action":"long","confidence":0.7,"si', { finish: 'length' }));
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e.message).toContain('cut at the output-token limit');
      expect(
        (lastCall(openai).body as { max_completion_tokens: number }).max_completion_tokens,
      ).toBe(20);
    });

    it('times out a hanging server at the model deadline, aborting the request', async () => {
      const { evaluator, id } = build({ timeoutMs: 300 });
      openai.script(hang());
      const t0 = Date.now();
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      const took = Date.now() - t0;
      expect(e.code).toBe('timeout');
      expect(e.message).toBe(`${id}: no answer within 300 ms`);
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(1500);
      expect(evaluator.timeoutMs).toBe(1300);
      await waitFor(() => lastCall(openai).aborted, 2000, { message: 'the request was not cut' });
      expect(await usage(id)).toMatchObject({ calls: 1, failures: 1, prompt_tokens: '0' });
    });

    it('times out a slow answer but takes one inside the deadline', async () => {
      const { evaluator } = build({ timeoutMs: 400 });
      openai.script(slow(1500, GOOD_VERDICT), slow(50, GOOD_VERDICT));
      expect((await failure(evaluator.evaluate(enriched(), ctx()))).code).toBe('timeout');
      expect(await evaluator.evaluate(enriched(), ctx())).toMatchObject({ action: 'long' });
    });

    it('stops when the pipeline’s deadline passes first', async () => {
      const { evaluator } = build({ timeoutMs: 5000 });
      openai.script(hang());
      const pipeline = new AbortController();
      setTimeout(() => pipeline.abort(), 100);
      const t0 = Date.now();
      const e = await failure(evaluator.evaluate(enriched(), ctx(pipeline.signal)));
      expect(e.code).toBe('timeout');
      expect(e.message).toContain("the pipeline's deadline passed");
      expect(Date.now() - t0).toBeLessThan(1000);
    });

    it.each([
      [500, 'HTTP 500 (server_error) — the provider failed: The server had an error'],
      [429, 'HTTP 429 (rate_limit_exceeded) — rate limited or out of quota: Rate limit reached'],
      [503, 'HTTP 503 (server_error) — the provider failed: The engine is currently overloaded'],
    ])('reports HTTP %i as upstream_error with the status', async (status, text) => {
      const { evaluator, id } = build();
      openai.script(fail(status));
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e.code).toBe('upstream_error');
      expect(e.message).toContain(`${id}: ${text}`);
      expect(e.tokens).toBeUndefined();
    });

    it('reports a refused key as HTTP 401 without a trace of the key', async () => {
      const leaky = await FakeOpenAI.start({ apiKey: 'sk-the-right-one', leakKeyInErrors: true });
      try {
        const { evaluator } = build({ baseUrl: leaky.baseUrl });
        const e = await failure(evaluator.evaluate(enriched(), ctx()));
        expect(e.message).toMatch(/HTTP 401 \(invalid_api_key\) — the API key was refused$/);
        expect(e.message).not.toContain(OPENAI_KEY);
        expect(e.message).not.toContain(OPENAI_KEY.slice(-4));
      } finally {
        await leaky.close();
      }
    });

    it('scrubs a key a server echoes into an error body', async () => {
      const leaky = await FakeOpenAI.start({ apiKey: OPENAI_KEY, leakKeyInErrors: true });
      try {
        const { evaluator } = build({ baseUrl: leaky.baseUrl });
        leaky.script(fail(500));
        const e = await failure(evaluator.evaluate(enriched(), ctx()));
        expect(e.message).toContain('request made with key [REDACTED]');
        expect(e.message).not.toContain(OPENAI_KEY);
      } finally {
        await leaky.close();
      }
    });

    it('reports an unreachable server as upstream_error', async () => {
      const gone = await FakeOpenAI.start();
      const url = gone.baseUrl;
      await gone.close();
      const { evaluator } = build({ baseUrl: url, apiKeyEnv: undefined });
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e).toMatchObject({ code: 'upstream_error' });
      expect(e.message).toContain('could not reach the server');
    });
  });

  describe('circuit breaker', () => {
    it('opens after repeated failures and refuses without calling the server', async () => {
      const { evaluator, id, clock } = build();
      openai.script(fail(500), garbage(), fail(429));
      for (let i = 0; i < 3; i++) await failure(evaluator.evaluate(enriched(), ctx()));
      const sent = openai.calls.length;
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e.code).toBe('circuit_open');
      expect(e.message).toBe(
        `${id}: circuit open after 3 consecutive failures; next attempt after ${new Date(clock.now() + 60_000).toISOString()}`,
      );
      expect(openai.calls.length).toBe(sent);
      // Refused calls never reached the provider and are not counted as calls.
      expect(await usage(id)).toMatchObject({ calls: 3, failures: 3 });
    });

    it('lets one probe through after the cool-down; its success closes the breaker', async () => {
      const { evaluator, evaluators, clock } = build();
      openai.script(fail(500), fail(500), fail(500));
      for (let i = 0; i < 3; i++) await failure(evaluator.evaluate(enriched(), ctx()));
      clock.advance(59_999);
      expect((await failure(evaluator.evaluate(enriched(), ctx()))).code).toBe('circuit_open');
      clock.advance(1);

      // Two calls at once: one probe goes to the server, the other is refused meanwhile.
      const sent = openai.calls.length;
      openai.script(slow(200, GOOD_VERDICT));
      const [probe, other] = await Promise.allSettled([
        evaluator.evaluate(enriched(), ctx()),
        evaluator.evaluate(enriched(), ctx()),
      ]);
      expect(probe).toMatchObject({ status: 'fulfilled', value: { action: 'long' } });
      expect(other).toMatchObject({ status: 'rejected', reason: { code: 'circuit_open' } });
      expect(openai.calls.length).toBe(sent + 1);

      const [view] = await listModels(evaluators, { database, clock }, { detail: true });
      expect(view).toMatchObject({ status: 'available', breaker: { state: 'closed', opened: 1 } });
      expect(await evaluator.evaluate(enriched(), ctx())).toMatchObject({ action: 'long' });
    });

    it('reopens on a failed probe with the cool-down doubled', async () => {
      const { evaluator, evaluators, clock } = build();
      openai.script(fail(500), fail(500), fail(500), fail(503));
      for (let i = 0; i < 3; i++) await failure(evaluator.evaluate(enriched(), ctx()));
      clock.advance(60_000);
      expect((await failure(evaluator.evaluate(enriched(), ctx()))).code).toBe('upstream_error');
      clock.advance(60_000);
      expect((await failure(evaluator.evaluate(enriched(), ctx()))).code).toBe('circuit_open');
      const [view] = await listModels(evaluators, { database, clock }, { detail: true });
      expect(view).toMatchObject({
        status: 'circuit_open',
        breaker: { state: 'open', retryAt: new Date(clock.now() + 60_000).toISOString() },
      });
      clock.advance(60_000);
      expect(await evaluator.evaluate(enriched(), ctx())).toMatchObject({ action: 'long' });
    });
  });

  describe('budgets', () => {
    it('refuses a model over its daily token budget without sending, until the next UTC day', async () => {
      const { evaluator, id, clock } = build({ dailyTokenBudget: 1000 });
      openai.script(answer(GOOD_VERDICT, { usage: USAGE }));
      await evaluator.evaluate(enriched(), ctx());
      const sent = openai.calls.length;
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e.code).toBe('budget_exhausted');
      expect(e.message).toBe(
        `${id} spent 1280 of its 1000 tokens for 2026-01-05 (UTC); it resumes at 00:00 UTC`,
      );
      expect(openai.calls.length).toBe(sent);

      // Another process (or this one after a restart) reads the same spend.
      const again = build({ dailyTokenBudget: 1000 }, { id: id.slice(4), clock });
      expect((await failure(again.evaluator.evaluate(enriched(), ctx()))).code).toBe(
        'budget_exhausted',
      );
      expect(openai.calls.length).toBe(sent);

      clock.set(Date.UTC(2026, 0, 6, 0, 0, 0));
      expect(await evaluator.evaluate(enriched(), ctx())).toMatchObject({ action: 'long' });
    });

    it('refuses a model over its daily cost budget', async () => {
      const { evaluator, id } = build({ ...PRICED, dailyCostBudgetUsd: '0.0002' });
      openai.script(answer(GOOD_VERDICT, { usage: USAGE }));
      await evaluator.evaluate(enriched(), ctx());
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e.code).toBe('budget_exhausted');
      expect(e.message).toContain(`${id} spent $0.000228 of its $0.0002 for 2026-01-05`);
    });
  });

  describe('Gemini', () => {
    const geminiModel = (over: Partial<ModelConfig> = {}): Partial<ModelConfig> => ({
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      baseUrl: gemini.baseUrl,
      apiKeyEnv: 'GEMINI_KEY',
      ...PRICED,
      ...over,
    });

    it('turns a good answer into a verdict, asking for JSON that follows the schema', async () => {
      const { evaluator, id } = build(geminiModel());
      gemini.script(answer(GOOD_VERDICT, { usage: USAGE }));
      const v = await evaluator.evaluate(enriched(), ctx());
      expect(v).toEqual({
        ...GOOD_VERDICT,
        tokens: USAGE,
        costUsd: '0.000228',
        promptVersion: 'evaluate_signal.v1',
      });
      const req = lastCall(gemini);
      expect(req.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
      expect(req.headers['x-goog-api-key']).toBe(GEMINI_KEY);
      const body = req.body as {
        contents: Array<{ role: string; parts: Array<{ text: string }> }>;
        systemInstruction: { parts: Array<{ text: string }> };
        generationConfig: { responseMimeType: string; responseJsonSchema: unknown };
      };
      expect(body.generationConfig.responseMimeType).toBe('application/json');
      expect(body.generationConfig.responseJsonSchema).toEqual(VERDICT_SCHEMA);
      expect(body.systemInstruction.parts[0]!.text).toContain('risk-aware crypto trading analyst');
      expect(body.contents[0]!.parts[0]!.text).toContain('Prompt version: evaluate_signal.v1');
      expect(await usage(id)).toMatchObject({
        calls: 1,
        prompt_tokens: '1200',
        cost_usd: '0.000228',
      });
    });

    it('refuses garbage and safety blocks as invalid_output', async () => {
      const { evaluator } = build(geminiModel());
      gemini.script(answer({ ...GOOD_VERDICT, confidence: 7 }, { usage: USAGE }), refuse());
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e).toMatchObject({ code: 'invalid_output', tokens: USAGE });
      expect(e.message).toContain('confidence must be <= 1');
      const blocked = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(blocked.code).toBe('invalid_output');
      expect(blocked.message).toContain('answer blocked (SAFETY)');
    });

    it('reports 429 and 500 as upstream_error, and a bad key without the key', async () => {
      const { evaluator } = build(geminiModel());
      gemini.script(fail(429), fail(500));
      const quota = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(quota.code).toBe('upstream_error');
      expect(quota.message).toContain(
        'HTTP 429 (RESOURCE_EXHAUSTED) — rate limited or out of quota',
      );
      expect((await failure(evaluator.evaluate(enriched(), ctx()))).message).toContain(
        'HTTP 500 (INTERNAL) — the provider failed',
      );
      const wrong = build(geminiModel({ apiKeyEnv: 'OPENAI_KEY' }));
      const e = await failure(wrong.evaluator.evaluate(enriched(), ctx()));
      expect(e.message).toContain('HTTP 400 (INVALID_ARGUMENT)');
      expect(e.message).toContain('API key not valid');
      expect(e.message).not.toContain(OPENAI_KEY);
    });

    it('times out a hanging server', async () => {
      const { evaluator, id } = build(geminiModel({ timeoutMs: 300 }));
      gemini.script(hang());
      const t0 = Date.now();
      const e = await failure(evaluator.evaluate(enriched(), ctx()));
      expect(e).toMatchObject({ code: 'timeout', message: `${id}: no answer within 300 ms` });
      expect(Date.now() - t0).toBeLessThan(1500);
      await waitFor(() => lastCall(gemini).aborted, 2000, { message: 'the request was not cut' });
    });
  });

  it('never writes an API key or a prompt into a log line', () => {
    // Every test above logged its failures through this logger.
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.text).not.toContain(OPENAI_KEY);
    expect(logs.text).not.toContain(GEMINI_KEY);
    expect(logs.text).not.toContain('Prompt version:');
    expect(logs.text).not.toContain('risk-aware crypto trading analyst');
  });

  describe('GET /api/v1/signals/models', () => {
    let http: HttpServer;
    let evaluators: Evaluator[];
    let llmId: string;
    const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 12));

    beforeAll(async () => {
      const id = `route-${randomBytes(2).toString('hex')}`;
      llmId = `llm.${id}`;
      evaluators = createEvaluators({
        config: {
          ...BASE_CONFIG,
          signalsQuantEvaluators: ['trend_alignment', 'momentum_regime', 'risk_reward'],
          signalsModels: [
            {
              id,
              provider: 'openai',
              model: 'gpt-4o-mini',
              baseUrl: openai.baseUrl,
              apiKeyEnv: 'OPENAI_KEY',
              dailyTokenBudget: 100_000,
              ...PRICED,
            },
          ],
        },
        database,
        clock,
        logger,
        secrets: SECRETS,
      });
      http = await modelsServer(database, evaluators, clock);
      openai.script(answer(GOOD_VERDICT, { usage: USAGE }));
      await evaluators[3]!.evaluate(enriched(), ctx());
    });

    afterAll(async () => {
      await http?.close();
    });

    it('shows operators each model with its breaker, today’s spend and budget', async () => {
      const admin = await adminSession({ http, identity: identityOf(http) } as unknown as App);
      const res = await http.inject({ url: '/api/v1/signals/models', headers: admin.auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([
        { id: 'quant.trend_alignment', kind: 'quant', status: 'available' },
        { id: 'quant.momentum_regime', kind: 'quant', status: 'available' },
        { id: 'quant.risk_reward', kind: 'quant', status: 'available' },
        {
          id: llmId,
          kind: 'llm',
          status: 'available',
          provider: 'openai',
          model: 'gpt-4o-mini',
          promptVersion: 'evaluate_signal.v1',
          timeoutMs: 5000,
          breaker: { state: 'closed', consecutiveFailures: 0, retryAt: null, opened: 0 },
          today: {
            day: '2026-01-05',
            calls: 1,
            failures: 0,
            promptTokens: 1200,
            completionTokens: 80,
            costUsd: '0.000228',
          },
          budget: { dailyTokens: 100_000, dailyCostUsd: null },
        },
      ]);
    });

    it('shows other users which models judge signals and whether they are up', async () => {
      const user = await signUp({ http } as unknown as App);
      const res = await http.inject({ url: '/api/v1/signals/models', headers: user.auth });
      expect(res.statusCode).toBe(200);
      expect(res.json()[3]).toEqual({
        id: llmId,
        kind: 'llm',
        status: 'available',
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptVersion: 'evaluate_signal.v1',
      });
    });

    it('answers 401 problem+json without a session', async () => {
      const res = await http.inject({ url: '/api/v1/signals/models' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });
  });
});

describe('configuration', () => {
  const deps = {
    database: {} as Database,
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
  };

  it('runs the three quant models and nothing on the network by default', () => {
    const evaluators = createEvaluators({
      ...deps,
      config: {
        ...BASE_CONFIG,
        signalsQuantEvaluators: ['trend_alignment', 'momentum_regime', 'risk_reward'],
      },
    });
    expect(evaluators.map((e) => [e.id, e.kind])).toEqual([
      ['quant.trend_alignment', 'quant'],
      ['quant.momentum_regime', 'quant'],
      ['quant.risk_reward', 'quant'],
    ]);
  });

  it('stops start-up when a key variable is empty, naming it', () => {
    const model: ModelConfig = {
      id: 'x',
      provider: 'openai',
      model: 'm',
      apiKeyEnv: 'MISSING_KEY',
    };
    expect(() =>
      createEvaluators({
        ...deps,
        secrets: {},
        config: { ...BASE_CONFIG, signalsModels: [model] },
      }),
    ).toThrow(new ConfigError(['MISSING_KEY is empty, but model "x" reads its API key from it']));
  });

  it('refuses keys written into the model list, and names bad fields', () => {
    expect(() =>
      parseModels(
        '[{"id":"a","provider":"openai","model":"m","apiKey":"sk-live"}]',
        'SIGNALS_MODELS',
      ),
    ).toThrow(
      'SIGNALS_MODELS: model 0: unknown field "apiKey" (put the key in an environment variable and name it in apiKeyEnv)',
    );
    expect(() =>
      parseModels('[{"id":"a","provider":"claude","model":"m","timeoutMs":5}]', 'SIGNALS_MODELS'),
    ).toThrow(/model 0: provider must be one of openai, gemini; model 0: timeoutMs must be >= 100/);
    expect(() =>
      parseModels('[{"id":"a","provider":"openai","model":"m","inputPricePerMTok":"1e-6"}]', 'X'),
    ).toThrow('X: model 0: inputPricePerMTok must be a non-negative decimal string');
  });
});

/** A bare HTTP server with identity and the models route, as the signals module mounts it. */
async function modelsServer(
  database: Database,
  evaluators: Evaluator[],
  clock: SimulatedClock,
): Promise<HttpServer> {
  const logger = createLogger({ level: 'silent' });
  const config = loadConfig({ DATA_DIR: 'memory://', OBSCURA_ENV_FILE: '/nonexistent' });
  const http = await createHttpServer({
    logger,
    metrics: new Metrics({ defaultMetrics: false }),
    bodyLimit: 65536,
    trustProxy: false,
    version: 'test',
  });
  const identity = createIdentityModule({
    database,
    outbox: new Outbox(database.db, systemClock),
    clock: systemClock,
    rateLimiter: createRateLimiter({ prefix: 'test', clock: systemClock }),
    logger,
    config,
    limits: { windowSeconds: 60, general: 100_000, execution: 100_000 },
  });
  await identity.routes!(http);
  identities.set(http, identity);
  await evaluatorRoutes(http, evaluators, { database, clock });
  await http.ready();
  return http;
}

const identities = new WeakMap<HttpServer, ReturnType<typeof createIdentityModule>>();
const identityOf = (http: HttpServer) => identities.get(http)!;
