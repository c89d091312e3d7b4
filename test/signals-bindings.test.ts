/**
 * Signal bindings through the API, on a simulated clock: a decided signal trades the bound
 * account within the rules, exactly once (redelivery, a crash before or after the placement),
 * skips are recorded with their reasons, bad input is refused naming the field, nobody's
 * binding trades someone else's account, and a leader's signal order is copied to followers.
 *
 * Market: BTC/USDT on the paper venue (tick 0.01, lot 0.00001, minimum notional 5, taker fee
 * 0.1 %), last trade 50,600, ask 50,600, bid 50,599.99. The evaluators judge 60 closed 1m
 * candles of a gentle uptrend (+60 −40 +60 −40 +50 −30 …, RSI ≈ 59) ending at the minute
 * before the clock, published on the live feed as a market source does: a long with its entry
 * at 50,600 is backed by all three built-in models (consensus long ≈ 0.69, the risk model
 * suggesting 25 % of equity), a short gets hold, a close is backed (≈ 0.54).
 */
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/core/clock.js';
import { Decimal } from '../src/core/decimal.js';
import { newId } from '../src/core/ids.js';
import { channels } from '../src/core/topics.js';
import type { CandleWire } from '../src/modules/market/index.js';
import type { BusEvent } from '../src/platform/bus/index.js';
import { jsonInsert } from '../src/platform/db/index.js';
import { signalClientOrderId } from '../src/modules/signals/bindings/index.js';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

type User = Awaited<ReturnType<typeof signUp>>;
const d = (s: string) => Decimal.parse(s);
const MINUTE = 60_000;
// 10 s into the next minute: tokens are checked against the wall clock too, so the simulated
// clock must not be behind it; the candles end at the minute before.
const T0 = Math.ceil(Date.now() / MINUTE) * MINUTE + 10_000;
const PRICE = '50600';

/** 60 closed 1m candles ending at the minute before T0, closing at 50,600. */
function trendCandles(): CandleWire[] {
  const start = Math.floor(T0 / MINUTE) * MINUTE - 60 * MINUTE;
  const steps = [60, -40, 60, -40, 50, -30];
  let p = 50000;
  return Array.from({ length: 60 }, (_, i) => {
    const open = p;
    p += steps[i % steps.length]!;
    return {
      venue: 'paper',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      openTime: start + i * MINUTE,
      closeTime: start + (i + 1) * MINUTE - 1,
      open: String(open),
      high: String(Math.max(open, p) + 10),
      low: String(Math.min(open, p) - 10),
      close: String(p),
      volume: '1',
      quoteVolume: String(p),
      trades: 1,
      closed: true,
    };
  });
}

describe.each(backends)('signal bindings on $name', (backend) => {
  let t: TestApp;
  const clock = new SimulatedClock(T0);
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  const bindings = () => t.app.signals.bindings!;

  const call = (
    u: User | undefined,
    method: InjectOptions['method'],
    url: string,
    payload?: unknown,
  ) =>
    inject({
      method,
      url,
      ...(u ? { headers: u.auth } : {}),
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  const ok = async (u: User, method: InjectOptions['method'], url: string, payload?: unknown) => {
    const r = await call(u, method, url, payload);
    expect(r.statusCode, r.body).toBeLessThan(300);
    return r.statusCode === 204 ? undefined : r.json();
  };
  const balance = async (u: User, ccy: string): Promise<string> =>
    (await ok(u, 'GET', '/api/v1/trading/balances')).find(
      (b: { currency: string }) => b.currency === ccy,
    )?.total ?? '0';
  const user = async (role?: 'trader' | 'follower') => {
    const u = await signUp(t.app, role ? { role } : {});
    await waitFor(async () => (await balance(u, 'USDT')) === '10000');
    // Followers may not hold the signals scope.
    const key =
      role === 'follower'
        ? { key: '' }
        : await ok(u, 'POST', '/api/v1/keys', { name: 'signals', scopes: ['signals'] });
    const accountId: string = (await ok(u, 'GET', '/api/v1/trading/accounts'))[0].id;
    return Object.assign(u, { key: key.key as string, accountId });
  };
  type Trader = Awaited<ReturnType<typeof user>>;

  const rules = (over: Record<string, unknown> = {}) => ({
    minConfidence: 0.5,
    maxOrderNotional: '1000',
    sizing: { mode: 'fixed_notional', notional: '500' },
    ...over,
  });
  const bind = async (u: Trader, source: string, r: Record<string, unknown> = rules()) => {
    const res = await call(u, 'POST', '/api/v1/signals/bindings', {
      source,
      accountId: u.accountId,
      rules: r,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; status: string; rules: Record<string, unknown> };
  };
  const signal = async (u: Trader, source: string, direction: string, extra = {}) => {
    const r = await inject({
      method: 'POST',
      url: '/api/v1/signals',
      headers: { 'x-api-key': u.key },
      payload: {
        symbol: 'BTC/USDT',
        direction,
        timeframe: '1m',
        source,
        sentAt: clock.now(),
        // A long names its entry (the risk model measures from it); exits and shorts do not.
        ...(direction === 'long' ? { entry: PRICE } : {}),
        ...extra,
      },
    });
    expect(r.statusCode, r.body).toBe(202);
    return r.json().eventId as string;
  };
  const published = (eventId: string) =>
    waitFor(
      async () => {
        const r = await sql<{
          progress: string;
        }>`select progress from signals where event_id = ${eventId}::uuid`.execute(
          t.app.database.db,
        );
        return r.rows[0]?.progress === 'published';
      },
      10_000,
      { message: `signal ${eventId} published` },
    );
  /** The binding's action for a signal, once it is no longer pending. */
  const action = (u: User, bindingId: string, eventId: string) =>
    waitFor(
      async () => {
        const list = await ok(u, 'GET', `/api/v1/signals/bindings/${bindingId}/actions`);
        const a = list.find((x: { signalEventId: string }) => x.signalEventId === eventId);
        return a && a.status !== 'pending' && a;
      },
      10_000,
      { message: `action of ${eventId}` },
    );
  const orders = async (u: User) => ok(u, 'GET', '/api/v1/trading/orders?status=all');
  const decidedEvent = async (eventId: string): Promise<BusEvent> => {
    await t.settled();
    const e = t
      .published({ type: 'SignalDecided' })
      .find((x) => (x.payload as { signal: { eventId: string } }).signal.eventId === eventId);
    if (!e) throw new Error(`no SignalDecided for ${eventId}`);
    return e;
  };
  /** Until the bindings consumer has nothing left to take. */
  const consumed = () =>
    waitFor(async () => {
      const lag = await t.app.bus.consumerLag();
      return lag
        .filter((l) => l.consumer === 'signals.bindings')
        .every((l) => l.lag === 0 && l.pending === 0);
    });

  beforeAll(async () => {
    t = await startTestApp(backend, {
      clock,
      env: {
        SIGNALS_RATE_PER_MINUTE: '100000',
        SIGNALS_RATE_BURST: '100000',
        COPY_RECOVERY_MS: '3600000',
        SIGNAL_BINDINGS_RECOVERY_MS: '3600000',
        TRADING_SNAPSHOT_INTERVAL_MS: '86400000',
      },
    });
    // Closed candles reach the enrichment's history over the live feed, as the market
    // source publishes them.
    for (const c of trendCandles())
      t.app.feed.publish(channels.candles('paper', 'BTC/USDT', '1m'), c);
    await waitFor(() => t.app.signals.service.history.bars('paper', 'BTC/USDT', '1m').length >= 60);
    const venue = t.app.trading.venue!;
    await venue.onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: 'seed',
      price: d(PRICE),
      quantity: d('0.001'),
      side: 'buy',
      ts: clock.now(),
    });
    await venue.onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: d(PRICE).sub(d('0.01')),
      bidSize: d('1000'),
      askPrice: d(PRICE),
      askSize: d('1000'),
      ts: clock.now(),
    });
  });
  afterAll(async () => t?.close());

  it('a decided long buys on the bound account, sized and limited by the rules', async () => {
    const u = await user();
    const b = await bind(u, 'tv');
    expect(b).toMatchObject({
      status: 'active',
      rules: {
        minConfidence: 0.5,
        minAgreeing: null,
        maxOrderNotional: '1000',
        maxPositionNotional: null,
        sizing: { mode: 'fixed_notional', notional: '500' },
        allowedSymbols: [],
        directions: ['long', 'short', 'close'],
        entryOrder: 'limit',
      },
    });
    expect(
      (await ok(u, 'GET', '/api/v1/signals/bindings')).map((x: { id: string }) => x.id),
    ).toEqual([b.id]);

    const eventId = await signal(u, 'tv', 'long');
    const a = await action(u, b.id, eventId);
    // 500 / 50,600 = 0.0098814… → 0.00988 BTC (lot 0.00001); 0.00988 × 50,600 = 499.928.
    expect(a).toMatchObject({
      status: 'placed',
      direction: 'long',
      consensus: { action: 'long', agreeing: 3 },
      order: {
        clientOrderId: signalClientOrderId(eventId, b.id),
        side: 'buy',
        type: 'limit',
        price: '50600',
        quantity: '0.00988',
        referencePrice: '50600',
        notional: '499.928',
        status: 'filled',
        filledQuantity: '0.00988',
        averagePrice: '50600',
      },
    });
    expect(a.consensus.confidence).toBeGreaterThanOrEqual(0.5);
    const mine = await orders(u);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ id: a.order.id, accountId: u.accountId, status: 'filled' });
    expect(await balance(u, 'BTC')).toBe('0.00988');

    // The same decision delivered again changes nothing.
    await t.app.bus.publish([await decidedEvent(eventId)]);
    await consumed();
    expect(await orders(u)).toHaveLength(1);

    // A short is not backed by the models (an uptrend): skipped, with the reason.
    const short = await signal(u, 'tv', 'short');
    expect(await action(u, b.id, short)).toMatchObject({
      status: 'skipped',
      reason: 'consensus_hold',
      order: null,
    });

    // A close sells the whole holding (spot): 0.00988 BTC, reduce-only, at the bid.
    const close = await signal(u, 'tv', 'close');
    expect(await action(u, b.id, close)).toMatchObject({
      status: 'placed',
      order: { side: 'sell', type: 'market', quantity: '0.00988', status: 'filled' },
    });
    expect(await balance(u, 'BTC')).toBe('0');
    // And with nothing held, the next close has nothing to sell.
    const again = await signal(u, 'tv', 'close');
    expect(await action(u, b.id, again)).toMatchObject({
      status: 'skipped',
      reason: 'no_position_to_close',
    });
    expect(await orders(u)).toHaveLength(2);

    const list = await ok(u, 'GET', `/api/v1/signals/bindings/${b.id}/actions`);
    expect(list.map((x: { signalEventId: string }) => x.signalEventId)).toEqual([
      again,
      close,
      short,
      eventId,
    ]);
    const page = await ok(
      u,
      'GET',
      `/api/v1/signals/bindings/${b.id}/actions?limit=2&before=${close}`,
    );
    expect(page.map((x: { signalEventId: string }) => x.signalEventId)).toEqual([short, eventId]);
  });

  it('sizes by the models’ suggestion, capped, and records every kind of skip', async () => {
    const u = await user();
    // The risk model suggests 25 % of equity; capped at 2 %: 200 / 50,600 = 0.0039525… → 0.00395.
    const suggested = await bind(
      u,
      'models',
      rules({ sizing: { mode: 'model_suggested', capPct: '2' }, entryOrder: 'market' }),
    );
    const strict = await bind(u, 'strict', rules({ minConfidence: 0.9 }));
    const eth = await bind(u, 'eth-only', rules({ allowedSymbols: ['ETH/USDT'] }));
    const three = await bind(u, 'three', rules({ minAgreeing: 3, directions: ['close'] }));
    const tiny = await bind(
      u,
      'tiny',
      rules({ sizing: { mode: 'fixed_notional', notional: '4' } }),
    );

    const e1 = await signal(u, 'models', 'long');
    expect(await action(u, suggested.id, e1)).toMatchObject({
      status: 'placed',
      order: { quantity: '0.00395', status: 'filled' },
    });
    const cases: Array<[{ id: string }, string, string]> = [
      [strict, 'strict', 'below_min_confidence'],
      [eth, 'eth-only', 'symbol_not_allowed'],
      [three, 'three', 'direction_not_allowed'],
      // 4 / 50,600 → 0.00007 BTC = 3.542 USDT, under the minimum notional of 5.
      [tiny, 'tiny', 'below_min_notional'],
    ];
    for (const [b, source, reason] of cases) {
      const e = await signal(u, source, 'long');
      const a = await action(u, b.id, e);
      expect(a, reason).toMatchObject({ status: 'skipped', reason, order: null });
      expect(a.message.length).toBeGreaterThan(10);
    }
    expect(await orders(u)).toHaveLength(1);
  });

  it('a paused binding does nothing until resumed; a deleted one is gone', async () => {
    const u = await user();
    const b = await bind(u, 'pausing');
    expect(
      await ok(u, 'PATCH', `/api/v1/signals/bindings/${b.id}`, { status: 'paused' }),
    ).toMatchObject({ status: 'paused' });
    const e1 = await signal(u, 'pausing', 'long');
    await published(e1);
    await consumed();
    expect(await ok(u, 'GET', `/api/v1/signals/bindings/${b.id}/actions`)).toEqual([]);

    const resumed = await ok(u, 'PATCH', `/api/v1/signals/bindings/${b.id}`, {
      status: 'active',
      rules: { maxOrderNotional: '300', maxPositionNotional: null },
    });
    expect(resumed).toMatchObject({
      status: 'active',
      rules: { maxOrderNotional: '300', minConfidence: 0.5 },
    });
    const e2 = await signal(u, 'pausing', 'long');
    // 500 wanted, 300 allowed: 300 / 50,600 = 0.0059288… → 0.00592.
    expect(await action(u, b.id, e2)).toMatchObject({
      status: 'placed',
      order: { quantity: '0.00592', cappedBy: 'max_order_notional' },
    });

    expect((await call(u, 'DELETE', `/api/v1/signals/bindings/${b.id}`)).statusCode).toBe(204);
    expect(await ok(u, 'GET', '/api/v1/signals/bindings')).toEqual([]);
    expect((await call(u, 'GET', `/api/v1/signals/bindings/${b.id}/actions`)).statusCode).toBe(404);
    const e3 = await signal(u, 'pausing', 'long');
    await published(e3);
    await consumed();
    expect(await orders(u)).toHaveLength(1);
    // The source is free to bind again.
    await bind(u, 'pausing');
  });

  it('places an action exactly once across a crash before and after the placement', async () => {
    const u = await user();
    const b = await bind(u, 'crashy');
    const exec = bindings().executor;
    // The process "dies" between the commit and the placement: the action stays pending.
    const submit = exec.submit.bind(exec);
    exec.submit = () => Promise.resolve();
    let eventId: string;
    try {
      eventId = await signal(u, 'crashy', 'long');
      await published(eventId);
      await consumed();
    } finally {
      exec.submit = submit;
    }
    const pending = await ok(u, 'GET', `/api/v1/signals/bindings/${b.id}/actions`);
    expect(pending).toMatchObject([{ signalEventId: eventId, status: 'pending', order: null }]);
    expect(await orders(u)).toHaveLength(0);

    // Recovery places it.
    expect(await bindings().recover(0)).toBe(1);
    const placed = await action(u, b.id, eventId);
    expect(placed).toMatchObject({ status: 'placed', order: { quantity: '0.00988' } });
    expect(await bindings().recover(0)).toBe(0);

    // The process "dies" after placing, before writing the outcome: recovery finds the order
    // by its client order id and records it; nothing is placed twice.
    await sql`update signal_binding_actions set status = 'pending', order_id = null
      where signal_event_id = ${eventId}::uuid`.execute(t.app.database.db);
    expect(await bindings().recover(0)).toBe(1);
    expect(await action(u, b.id, eventId)).toMatchObject({
      status: 'placed',
      order: { id: placed.order.id },
    });
    await t.app.bus.publish([await decidedEvent(eventId)]);
    await consumed();
    expect(await orders(u)).toHaveLength(1);
    expect(await balance(u, 'BTC')).toBe('0.00988');
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const u = await user();
    const post = (body: unknown) => call(u, 'POST', '/api/v1/signals/bindings', body);
    const fields = async (body: unknown, status = 400) => {
      const r = await post(body);
      expect(r.statusCode, r.body).toBe(status);
      expect(r.headers['content-type']).toContain('application/problem+json');
      return r.json().errors.map((e: { field: string }) => e.field);
    };
    const base = { source: 'bad', accountId: u.accountId };
    expect(
      await fields({
        ...base,
        rules: rules({
          minConfidence: 1.5,
          maxOrderNotional: '-5',
          maxPositionNotional: '2000000000000',
          sizing: { mode: 'fixed_notional', notional: '0' },
          allowedSymbols: ['BTC/USDT', 'NOPE/USDT'],
          minAgreeing: 0,
        }),
      }),
    ).toEqual([
      '/rules/minConfidence',
      '/rules/minAgreeing',
      '/rules/maxOrderNotional',
      '/rules/maxPositionNotional',
      '/rules/sizing/notional',
      '/rules/allowedSymbols/1',
    ]);
    expect(await fields({ ...base, rules: {} })).toEqual([
      '/rules/minConfidence',
      '/rules/maxOrderNotional',
      '/rules/sizing',
    ]);
    expect(
      await fields({ ...base, rules: rules({ sizing: { mode: 'equity_pct', pct: '101' } }) }),
    ).toEqual(['/rules/sizing/pct']);
    expect(await fields({ ...base, rules: rules({ maxOrderNotional: 1000 }) })).toEqual([
      '/rules/maxOrderNotional',
    ]);
    expect(await fields({ ...base, rules: rules(), leverage: 10 })).toEqual(['/leverage']);
    expect(await fields({ ...base, source: 'no spaces', rules: rules() })).toEqual(['/source']);
    const b = await bind(u, 'fine');
    const patch = await call(u, 'PATCH', `/api/v1/signals/bindings/${b.id}`, {
      rules: { minConfidence: -0.1 },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().errors.map((e: { field: string }) => e.field)).toEqual([
      '/rules/minConfidence',
    ]);
    const dup = await post({ source: 'fine', accountId: u.accountId, rules: rules() });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('binding_exists');
    const listed = await ok(u, 'GET', '/api/v1/signals/bindings');
    expect(listed).toEqual([expect.objectContaining({ id: b.id, rules: b.rules })]);
  });

  it("never binds or trades someone else's account", async () => {
    const alice = await user();
    const mallory = await user();
    const other = await call(mallory, 'POST', '/api/v1/signals/bindings', {
      source: 'evil',
      accountId: alice.accountId,
      rules: rules(),
    });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({
      code: 'account_not_owned',
      errors: [{ field: '/accountId' }],
    });
    const none = await call(mallory, 'POST', '/api/v1/signals/bindings', {
      source: 'evil',
      accountId: newId(),
      rules: rules(),
    });
    expect(none.statusCode).toBe(404);
    expect(none.json().errors[0].field).toBe('/accountId');
    const hers = await bind(alice, 'hers');
    for (const [method, url] of [
      ['GET', `/api/v1/signals/bindings/${hers.id}`],
      ['PATCH', `/api/v1/signals/bindings/${hers.id}`],
      ['DELETE', `/api/v1/signals/bindings/${hers.id}`],
      ['GET', `/api/v1/signals/bindings/${hers.id}/actions`],
    ] as const) {
      const r = await call(
        mallory,
        method,
        url,
        method === 'PATCH' ? { status: 'paused' } : undefined,
      );
      expect(r.statusCode, `${method} ${url}`).toBe(404);
    }

    // A binding row forged into the database, naming Alice's account for Mallory's source,
    // beside Mallory's own binding of that source.
    const forged = newId();
    const now = clock.date().toISOString();
    await jsonInsert(
      'signal_bindings',
      ['id', 'user_id', 'source', 'account_id', 'status', 'rules', 'created_at', 'updated_at'],
      [
        {
          id: forged,
          user_id: mallory.userId,
          source: 'forged',
          account_id: alice.accountId,
          status: 'active',
          rules: hers.rules,
          created_at: now,
          updated_at: now,
        },
      ],
    ).execute(t.app.database.db);
    const own = await bind(mallory, 'forged');
    const e = await signal(mallory, 'forged', 'long');
    expect(await action(mallory, own.id, e)).toMatchObject({ status: 'placed' });
    const rows = await sql<{ status: string; reason: string | null; order_id: string | null }>`
      select status, reason, order_id from signal_binding_actions
      where binding_id = ${forged}::uuid`.execute(t.app.database.db);
    expect(rows.rows).toEqual([{ status: 'skipped', reason: 'account_not_owned', order_id: null }]);
    expect(await orders(alice)).toHaveLength(0);
    expect(await balance(alice, 'BTC')).toBe('0');
    expect(await balance(mallory, 'BTC')).toBe('0.00988');
  });

  it("a leader's signal order is copied to the followers", async () => {
    const leader = await user('trader');
    const profile = await ok(leader, 'POST', '/api/v1/copy/leaders', { displayName: 'Signals' });
    expect(profile.accountIds).toEqual([leader.accountId]);
    const follower = await user('follower');
    const f = await ok(follower, 'POST', '/api/v1/copy/follow', {
      leaderId: profile.id,
      mode: 'fixed_ratio',
      ratio: '1',
      allocatedAmount: '5000',
    });
    const b = await bind(leader, 'lead');
    const e = await signal(leader, 'lead', 'long');
    const a = await action(leader, b.id, e);
    expect(a).toMatchObject({ status: 'placed', order: { quantity: '0.00988', status: 'filled' } });
    const copies = await waitFor(async () => {
      const list = await ok(follower, 'GET', `/api/v1/copy/follows/${f.id}/trades`);
      return list.length >= 1 && list;
    });
    // Ratio 1: the follower copies the leader's fill of 0.00988 BTC.
    expect(copies[0]).toMatchObject({
      status: 'copied',
      side: 'buy',
      leaderFill: { quantity: '0.00988', price: '50600' },
      order: { quantity: '0.00988', filledQuantity: '0.00988' },
    });
    expect(await balance(follower, 'BTC')).toBe('0.00988');
    // The copy is the follower's own order, not a binding's.
    const theirs = await orders(follower);
    expect(theirs).toHaveLength(1);
    expect(theirs[0].clientOrderId).not.toBe(a.order.clientOrderId);
  });
});
