/**
 * The signal pipeline through HTTP, on a live synthetic market (with a day of made-up history,
 * so the indicators have candles): submission with an API key, the stages up to published
 * decisions from the built-in evaluators, the timeline, who may read what, every kind of bad
 * input refused with nothing stored, the rate limit, TradingView webhooks, a failing stage that
 * is retried, dead-lettered and replayed, the stream in order, and the metrics.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/apps/app.js';
import { newId } from '../src/core/ids.js';
import type { EnrichmentMarket } from '../src/modules/signals/index.js';
import { insertSignals, recordEnrichment } from '../src/modules/signals/store.js';
import { backends } from './helpers/backends.js';
import { adminSession, signUp, startTestApp, type Session, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

const QUANT = ['quant.momentum_regime', 'quant.risk_reward', 'quant.trend_alignment'];
const ENV = {
  MARKET_SOURCE: 'synthetic',
  MARKET_BACKFILL: '20h',
  MARKET_SYMBOLS: 'BTC/USDT,ETH/USDT',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe.each(backends)('signal pipeline on $name', (backend) => {
  let t: TestApp;
  let alice: Session;
  let bob: Session;
  let aliceKey: string;
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  const app = (): App => t.app;

  const newKey = async (s: Session, scopes: string[]) => {
    const res = await inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: s.auth,
      payload: { name: `k-${scopes.join('-')}`, scopes },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().key as string;
  };
  const send = (key: string, body: unknown) =>
    inject({
      method: 'POST',
      url: '/api/v1/signals',
      headers: { 'x-api-key': key },
      payload: body as Json,
    });
  const signal = (o: Json = {}): Json => ({
    symbol: 'BTC/USDT',
    direction: 'long',
    source: 'tests',
    sentAt: new Date().toISOString(),
    timeframe: '15m',
    ...o,
  });
  const read = async (eventId: string, who: { [k: string]: string } = alice.auth) => {
    const res = await inject({ method: 'GET', url: `/api/v1/signals/${eventId}`, headers: who });
    return { status: res.statusCode, body: res.json() as Json };
  };
  const published = (eventId: string) =>
    waitFor(
      async () => {
        const r = await read(eventId);
        return r.body.status === 'published' && r.body;
      },
      15_000,
      { message: `signal ${eventId} not published` },
    );
  const listAll = async (q = '') =>
    (
      await inject({ method: 'GET', url: `/api/v1/signals?limit=200${q}`, headers: alice.auth })
    ).json().signals as Json[];

  beforeAll(async () => {
    t = await startTestApp(backend, { env: ENV });
    alice = await signUp(t.app);
    bob = await signUp(t.app);
    aliceKey = await newKey(alice, ['signals', 'read']);
    // A day of 15-minute candles made up by the synthetic market, and live prices.
    await waitFor(
      () =>
        app().signals.service.history.bars('paper', 'BTC/USDT', '15m').length >= 60 &&
        app().market.view.bookTop('paper', 'BTC/USDT'),
      60_000,
      { message: 'no market history' },
    );
  }, 90_000);
  afterAll(async () => t?.close());

  it('takes a signal from an API key, and publishes the decisions of every evaluator', async () => {
    const res = await send(
      aliceKey,
      signal({ entry: '64000.50', stop: '63000', takeProfit: '66000', strategy: 'breakout' }),
    );
    expect(res.statusCode, res.body).toBe(202);
    const accepted = res.json() as Json;
    expect(accepted).toMatchObject({ status: 'pending' });
    expect(accepted.eventId).toMatch(/^[0-9a-f-]{36}$/);

    const s = await published(accepted.eventId);
    expect(s).toMatchObject({
      eventId: accepted.eventId,
      symbol: 'BTC/USDT',
      direction: 'long',
      source: 'tests',
      entry: '64000.5',
      stop: '63000',
      takeProfit: '66000',
      strategy: 'breakout',
      profile: 'trend_follow_v1',
      timeframe: '15m',
      failure: null,
    });
    expect(s.timeline.map((e: Json) => e.stage)).toEqual([
      'received',
      'enriched',
      'evaluated',
      'published',
    ]);
    for (const e of s.timeline) expect(e.durationMs).toBeGreaterThanOrEqual(0);
    // Enriched from the market: a day of candles, the quote, and every trend feature.
    expect(s.enrichment.market.candles).toBeGreaterThanOrEqual(60);
    expect(s.enrichment.market.bid).toMatch(/^\d+(\.\d+)?$/);
    expect(Object.keys(s.enrichment.features).sort()).toEqual(
      ['atr14', 'ema21', 'ema50', 'ema9', 'macd', 'rsi14'].sort(),
    );
    expect(s.enrichment.quality).not.toContain('insufficient_history');
    // One decision per evaluator; the consensus counts them all.
    expect(s.decisions.map((d: Json) => d.modelId).sort()).toEqual(QUANT);
    for (const d of s.decisions) {
      expect(d.status).toBe('ok');
      expect(['long', 'short', 'close', 'hold']).toContain(d.verdict.action);
    }
    expect(s.consensus.answered + s.consensus.failed).toBe(3);
    expect(s.consensus.confidence).toBeGreaterThanOrEqual(0);
  });

  it('shows a signal to its owner only', async () => {
    const { eventId } = (await send(aliceKey, signal())).json() as Json;
    expect((await read(eventId, bob.auth)).status).toBe(404);
    expect((await read(eventId, {})).status).toBe(401);
    expect((await read('not-a-uuid')).status).toBe(404);
    const bobs = await inject({ method: 'GET', url: '/api/v1/signals', headers: bob.auth });
    expect(bobs.json().signals).toEqual([]);
    await published(eventId);
  });

  it('also takes a signal from a logged-in trader, in epoch milliseconds', async () => {
    const res = await inject({
      method: 'POST',
      url: '/api/v1/signals',
      headers: alice.auth,
      payload: signal({ sentAt: Date.now(), direction: 'short', symbol: 'ETH-USDT' }),
    });
    expect(res.statusCode, res.body).toBe(202);
    const s = await published(res.json().eventId);
    expect(s).toMatchObject({ symbol: 'ETH/USDT', direction: 'short', keyId: null });
  });

  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const before = (await listAll()).length;
    const stale = new Date(Date.now() - 61_000).toISOString();
    const future = new Date(Date.now() + 60_000).toISOString();
    const cases: Array<[string, Json | string, string, string]> = [
      ['unknown symbol', signal({ symbol: 'DOGE/USDT' }), '/symbol', 'unknown_instrument'],
      ['missing symbol', signal({ symbol: undefined }), '/symbol', 'validation_failed'],
      ['missing sentAt', signal({ sentAt: undefined }), '/sentAt', 'validation_failed'],
      ['wrong direction', signal({ direction: 'up' }), '/direction', 'validation_failed'],
      ['NaN entry', signal({ entry: 'NaN' }), '/entry', 'invalid_decimal'],
      ['negative entry', signal({ entry: '-5' }), '/entry', 'not_positive'],
      ['exponent entry', signal({ entry: '1e400' }), '/entry', 'invalid_decimal'],
      [
        '1e400 as a number',
        JSON.stringify(signal()).replace('"15m"', '"15m","entry":1e400'),
        '/entry',
        'validation_failed',
      ],
      ['entry as a number', signal({ entry: 64000 }), '/entry', 'validation_failed'],
      [
        'stop above a long entry',
        signal({ entry: '100', stop: '101' }),
        '/stop',
        'stop_wrong_side',
      ],
      [
        'target below a long entry',
        signal({ entry: '100', takeProfit: '99' }),
        '/takeProfit',
        'take_profit_wrong_side',
      ],
      [
        'stop below a short entry',
        signal({ direction: 'short', entry: '100', stop: '99' }),
        '/stop',
        'stop_wrong_side',
      ],
      ['stale sentAt', signal({ sentAt: stale }), '/sentAt', 'stale_signal'],
      ['future sentAt', signal({ sentAt: future }), '/sentAt', 'sent_in_future'],
      ['sentAt without zone', signal({ sentAt: '2025-01-06T12:00:00' }), '/sentAt', 'invalid_time'],
      ['bad source', signal({ source: 'my source!' }), '/source', 'invalid_source'],
      ['bad timeframe', signal({ timeframe: '2m' }), '/timeframe', 'invalid_timeframe'],
      ['bad profile', signal({ profile: 'best' }), '/profile', 'invalid_profile'],
      ['unknown venue', signal({ venue: 'kraken' }), '/venue', 'unknown_venue'],
      [
        'payload too large',
        signal({ payload: { blob: 'x'.repeat(5000) } }),
        '/payload',
        'payload_too_large',
      ],
      ['unknown field', signal({ leverage: 10 }), '/leverage', 'validation_failed'],
    ];
    for (const [what, body, field, code] of cases) {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/signals',
        headers: { 'x-api-key': aliceKey, 'content-type': 'application/json' },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
      expect(res.headers['content-type'], what).toContain('application/problem+json');
      const p = res.json() as Json;
      expect(p.code, what).toBe(code);
      expect(
        p.errors.map((e: Json) => e.field),
        what,
      ).toContain(field);
    }
    // Several problems at once are listed together.
    const many = await send(aliceKey, signal({ symbol: 'DOGE/USDT', entry: '-1' }));
    expect(many.json()).toMatchObject({ status: 400, code: 'invalid_signal' });
    expect(many.json().errors.map((e: Json) => e.field)).toEqual(['/symbol', '/entry']);
    expect(await listAll()).toHaveLength(before);
  });

  it('lets a source allow older signals than the default', async () => {
    const old = new Date(Date.now() - 200_000).toISOString();
    expect((await send(aliceKey, signal({ source: 'slow-bot', sentAt: old }))).statusCode).toBe(
      400,
    );
    const put = await inject({
      method: 'PUT',
      url: '/api/v1/signals/sources/slow-bot',
      headers: alice.auth,
      payload: { maxLagMs: 300_000 },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ name: 'slow-bot', maxLagMs: 300_000, webhookUrl: null });
    expect((await send(aliceKey, signal({ source: 'slow-bot', sentAt: old }))).statusCode).toBe(
      202,
    );
    // Only a logged-in session manages sources.
    const byKey = await inject({
      method: 'PUT',
      url: '/api/v1/signals/sources/slow-bot',
      headers: { 'x-api-key': aliceKey },
      payload: { maxLagMs: 1000 },
    });
    expect(byKey.json()).toMatchObject({ status: 403, code: 'session_required' });
  });

  it('wants the signals scope to submit', async () => {
    const readOnly = await newKey(alice, ['read']);
    const res = await send(readOnly, signal());
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'insufficient_scope' });
    expect((await send('obs_nope_nope', signal())).statusCode).toBe(401);
    const anon = await inject({ method: 'POST', url: '/api/v1/signals', payload: signal() });
    expect(anon.statusCode).toBe(401);
  });

  it('limits each key to its bucket (burst 120): the rest get 429, the accepted are all stored', async () => {
    const key = await newKey(alice, ['signals']);
    const source = `flood-${backend.name.replace(/\W/g, '')}`;
    const results = await Promise.all(
      Array.from({ length: 130 }, () => send(key, signal({ source }))),
    );
    const accepted = results.filter((r) => r.statusCode === 202);
    const limited = results.filter((r) => r.statusCode === 429);
    expect(accepted).toHaveLength(120);
    expect(limited).toHaveLength(10);
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.json()).toMatchObject({ code: 'rate_limited' });
    const stored = await listAll(`&source=${source}`);
    expect(new Set(stored.map((s) => s.eventId))).toEqual(
      new Set(accepted.map((r) => r.json().eventId)),
    );
    // Another key of the same user has a full bucket.
    expect((await send(aliceKey, signal({ source }))).statusCode).toBe(202);
  });

  it('takes TradingView alerts with the source secret, and refuses a wrong one alike for every webhook', async () => {
    const put = await inject({
      method: 'PUT',
      url: '/api/v1/signals/sources/tv-main',
      headers: alice.auth,
      payload: { webhook: true },
    });
    expect(put.statusCode, put.body).toBe(200);
    const { webhookUrl, secret } = put.json() as Json;
    expect(secret).toMatch(/^tvs_/);
    expect(webhookUrl).toMatch(/^\/api\/v1\/signals\/tradingview\/[0-9a-f-]{36}$/);
    // The secret is shown once, and never again.
    const list = await inject({
      method: 'GET',
      url: '/api/v1/signals/sources',
      headers: alice.auth,
    });
    expect(list.body).not.toContain(secret);

    const before = (await listAll()).length;
    const alert = {
      ticker: 'BINANCE:ETHUSDT',
      action: 'sell',
      price: 3000.25,
      interval: '15',
      timenow: new Date().toISOString(),
      strategy: 'tv-strat',
      note: 'from a template',
    };
    const post = (url: string, body: unknown) =>
      inject({ method: 'POST', url, payload: body as Json });
    const wrong = await post(webhookUrl, { ...alert, secret: 'tvs_guess' });
    const none = await post(webhookUrl, alert);
    const elsewhere = await post(
      '/api/v1/signals/tradingview/018f0000-0000-7000-8000-000000000000',
      { ...alert, secret },
    );
    for (const r of [wrong, none, elsewhere]) {
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'invalid_webhook_secret' });
      expect(r.json().detail).toBe(wrong.json().detail);
    }
    expect(await listAll()).toHaveLength(before);
    expect(t.logs.text).not.toContain(secret);

    const ok = await post(webhookUrl, { ...alert, secret });
    expect(ok.statusCode, ok.body).toBe(202);
    const s = await published(ok.json().eventId);
    expect(s).toMatchObject({
      source: 'tv-main',
      symbol: 'ETH/USDT',
      direction: 'short',
      entry: '3000.25',
      timeframe: '15m',
      strategy: 'tv-strat',
      keyId: null,
      payload: { note: 'from a template' },
    });
    expect(JSON.stringify(s)).not.toContain(secret);

    // A rotated secret replaces the old one at once.
    const rotated = await inject({
      method: 'PUT',
      url: '/api/v1/signals/sources/tv-main',
      headers: alice.auth,
      payload: { rotateSecret: true },
    });
    expect((await post(webhookUrl, { ...alert, secret })).statusCode).toBe(401);
    const again = await post(webhookUrl, { ...alert, secret: rotated.json().secret });
    expect(again.statusCode).toBe(202);
    await published(again.json().eventId);
  });

  it('retries a failing stage, dead-letters it visibly, and a replay completes the signal', async () => {
    const pipeline = app().signals.service.pipeline;
    const view = app().market.view;
    let failing = true;
    const flaky: EnrichmentMarket = {
      instrument: (v, s) => {
        if (failing) throw new Error('market data source unreachable');
        return view.instrument(v, s);
      },
      lastTrade: (v, s) => view.lastTrade(v, s),
      bookTop: (v, s) => view.bookTop(v, s),
    };
    pipeline.useMarket(flaky);
    try {
      const { eventId } = (await send(aliceKey, signal({ source: 'flaky' }))).json() as Json;
      const dead = await waitFor(
        async () => {
          const r = await read(eventId);
          return r.body.status === 'dead_lettered' && r.body;
        },
        20_000,
        { message: 'not dead-lettered' },
      );
      const stages = dead.timeline.map((e: Json) => e.stage);
      expect(stages).toEqual(['received', 'failed', 'failed', 'failed', 'failed', 'dead_lettered']);
      expect(dead.timeline[5].detail).toMatchObject({
        stage: 'enrich',
        attempt: 5,
        error: 'Error: market data source unreachable',
      });
      expect(dead.failure).toEqual({
        stage: 'enrich',
        attempts: 5,
        error: 'Error: market data source unreachable',
        deadLettered: true,
      });

      const admin = await adminSession(app());
      const letters = await waitFor(async () => {
        const res = await inject({
          method: 'GET',
          url: '/api/v1/admin/dead-letters',
          headers: admin.auth,
        });
        return (res.json() as Json[]).filter((l) => l.eventId === eventId);
      });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ consumer: 'signals.enrich', topic: 'signals.pending' });

      failing = false;
      const replay = await inject({
        method: 'POST',
        url: `/api/v1/admin/dead-letters/${letters[0]!.id}/replay`,
        headers: admin.auth,
      });
      expect(replay.statusCode, replay.body).toBe(202);
      const done = await published(eventId);
      expect(done.timeline.map((e: Json) => e.stage).slice(-4)).toEqual([
        'dead_lettered',
        'enriched',
        'evaluated',
        'published',
      ]);
      expect(done.failure).toBeNull();
      expect(done.decisions).toHaveLength(3);
    } finally {
      pipeline.useMarket(view);
    }
  });

  it('reads signals in order after a sequence number, with their decisions, for replays', async () => {
    const ids: string[] = [];
    for (const symbol of ['BTC/USDT', 'ETH/USDT', 'BTC/USDT'])
      ids.push(
        ((await send(aliceKey, signal({ symbol, source: 'replay' }))).json() as Json).eventId,
      );
    for (const id of ids) await published(id);
    const page = async (after: number, limit: number) =>
      (
        await inject({
          method: 'GET',
          url: `/api/v1/signals?source=replay&after=${after}&limit=${limit}`,
          headers: alice.auth,
        })
      ).json() as Json;
    const first = await page(0, 2);
    expect(first.signals.map((s: Json) => s.eventId)).toEqual(ids.slice(0, 2));
    expect(first.signals[0].seq).toBeLessThan(first.signals[1].seq);
    expect(first.signals[0].decisions).toHaveLength(3);
    const second = await page(first.next.after, 2);
    expect(second.signals.map((s: Json) => s.eventId)).toEqual(ids.slice(2));
    expect(second.next).toBeNull();

    const stream = await app().signals.service.stream({
      userId: alice.userId,
      source: 'replay',
      afterSeq: 0,
      limit: 10,
    });
    expect(stream.map((s) => s.signal.eventId)).toEqual(ids);
    expect(stream.every((s) => s.decisions.length === 3 && s.consensus)).toBe(true);

    const decisions = await inject({
      method: 'GET',
      url: `/api/v1/signals/decisions?source=replay&symbol=ETH/USDT&model=${QUANT[2]}`,
      headers: alice.auth,
    });
    expect(decisions.statusCode, decisions.body).toBe(200);
    expect(decisions.json().decisions).toEqual([
      expect.objectContaining({ eventId: ids[1], symbol: 'ETH/USDT', modelId: QUANT[2] }),
    ]);
  });

  it('evaluates a signal whose process died after enriching it', async () => {
    // What a crash between the two stages leaves: enriched long ago, never evaluated.
    const eventId = newId();
    const now = Date.now();
    const signalRow = {
      eventId,
      userId: alice.userId,
      keyId: null,
      source: 'crashed',
      venue: 'paper',
      symbol: 'BTC/USDT',
      direction: 'long' as const,
      timeframe: '15m',
      entry: null,
      stop: null,
      takeProfit: null,
      strategy: null,
      profile: 'trend_follow_v1' as const,
      sentAt: now - 300_000,
      receivedAt: now - 300_000,
      payload: null,
    };
    await app()
      .database.db.transaction()
      .execute(async (tx) => {
        await insertSignals(tx, [signalRow]);
        const e = app().signals.service.pipeline.enrichment(signalRow, now - 200_000);
        await recordEnrichment(tx, eventId, e, now - 200_000, 1);
      });
    expect((await read(eventId)).body.status).toBe('enriched');
    // The workers' own periodic pass may get there first; either way it is taken over once.
    await app().signals.service.pipeline.recover();
    const s = await published(eventId);
    expect(s.timeline.map((e: Json) => e.stage)).toEqual([
      'received',
      'enriched',
      'recovered',
      'evaluated',
      'published',
    ]);
    expect(s.decisions).toHaveLength(3);
    // Taken over once: a second pass finds nothing.
    expect(await app().signals.service.pipeline.recover()).toBe(0);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await inject({ method: 'GET', url: '/docs/json' })).json() as Json;
    for (const path of [
      '/api/v1/signals',
      '/api/v1/signals/{eventId}',
      '/api/v1/signals/decisions',
      '/api/v1/signals/tradingview/{id}',
      '/api/v1/signals/sources/{name}',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(
      doc.paths['/api/v1/signals'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['symbol', 'direction', 'source', 'sentAt']);
  });

  it('exports its metrics', async () => {
    const res = await inject({ method: 'GET', url: '/metrics' });
    const text = res.body;
    for (const line of [
      'obscura_signals_received_total{source="tests"}',
      'obscura_signals_enqueued_total{source="tests"}',
      'obscura_signals_rejected_total{reason="rate_limited"}',
      'obscura_signals_rejected_total{reason="stale_signal"}',
      'obscura_signals_stage_duration_seconds_bucket{le="0.1",stage="gateway"}',
      'obscura_signals_stage_duration_seconds_count{stage="enrich"}',
      'obscura_signals_stage_duration_seconds_count{stage="evaluate"}',
      'obscura_signals_model_latency_seconds_count{model="quant.trend_alignment"}',
      'obscura_signals_decisions_published_total{model="quant.risk_reward"}',
      'obscura_signals_end_to_end_seconds_count',
      'obscura_signals_queue_depth',
      'obscura_signals_dead_lettered 0',
    ])
      expect(text).toContain(line);
  });
});
