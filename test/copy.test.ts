/**
 * Copy trading through the API, on a simulated clock: profiles, follows in each allocation
 * mode, the fan-out of leader fills (sizes, closes by fraction, skips with reasons), pausing
 * and unfollowing, bad input, the drawdown stop, fees with a high-water mark and the
 * leaderboard. Prices are fed through the paper venue's own inlet, so every fill is known.
 *
 * BTC/USDT on the paper venue: tick 0.01, lot 0.00001, minimum notional 5, taker fee 0.1 %.
 * The clock starts on the next Monday at 00:10 UTC; fees settle every 30 minutes
 * (COPY_FEE_PERIOD_MS) from Monday 00:00, and no equity snapshot is taken unless a test
 * crosses a day, so the snapshots a test writes itself are the only ones.
 */
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/core/clock.js';
import { Decimal } from '../src/core/decimal.js';
import { topics } from '../src/core/topics.js';
import {
  copyClientOrderId,
  planCopyOrders,
  type FollowerContext,
} from '../src/modules/copy/domain/index.js';
import { followOf, findFollow, findLeader } from '../src/modules/copy/store.js';
import { recordFanouts } from '../src/modules/copy/store-fanout.js';
import { Books } from '../src/modules/trading/books.js';
import { findAccount } from '../src/modules/trading/store.js';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

type User = Awaited<ReturnType<typeof signUp>>;
const d = (s: string) => Decimal.parse(s);
const MINUTE = 60_000;
const WEEK = 7 * 86_400_000;
const MONDAY = Date.UTC(1970, 0, 5);
// The next Monday 00:10 UTC: tokens are signed on this clock and checked against the wall
// clock too, so the simulated clock must not be behind the wall clock.
const T0 = MONDAY + Math.ceil((Date.now() - MONDAY) / WEEK) * WEEK + 10 * MINUTE;

describe.each(backends)('copy trading on $name', (backend) => {
  let t: TestApp;
  const clock = new SimulatedClock(T0);
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  const venue = () => t.app.trading.venue!;
  const copy = () => t.app.copy.service;
  let tradeSeq = 0;

  /** A print at `price` and a top around it (ask at `price`, bid a tick under), deep enough. */
  async function market(price: string, size = '1000') {
    const p = d(price);
    const ts = clock.now();
    await venue().onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: `c${++tradeSeq}`,
      price: p,
      quantity: d('0.001'),
      side: 'buy',
      ts,
    });
    await venue().onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: p.sub(d('0.01')),
      bidSize: d(size),
      askPrice: p,
      askSize: d(size),
      ts,
    });
  }

  const call = async (
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
  const ok = async (
    u: User | undefined,
    method: InjectOptions['method'],
    url: string,
    payload?: unknown,
  ) => {
    const r = await call(u, method, url, payload);
    expect(r.statusCode, r.body).toBeLessThan(300);
    return r.json();
  };
  const usdt = async (u: User, accountId?: string) =>
    (
      await ok(u, 'GET', `/api/v1/trading/balances${accountId ? `?accountId=${accountId}` : ''}`)
    ).find((b: { currency: string }) => b.currency === 'USDT');
  const user = async (role?: 'trader' | 'follower') => {
    const u = await signUp(t.app, role ? { role } : {});
    await waitFor(async () => (await usdt(u))?.total === '10000');
    return u;
  };
  const relogin = async (u: User) => {
    const r = await ok(undefined, 'POST', '/api/v1/auth/login', {
      email: u.email,
      password: u.password,
    });
    u.auth = { authorization: `Bearer ${r.accessToken}` };
  };
  const accountOf = async (u: User): Promise<string> =>
    (await ok(u, 'GET', '/api/v1/trading/accounts'))[0].id;
  const leader = async (body: Record<string, unknown> = {}) => {
    const u = await user();
    const profile = await ok(u, 'POST', '/api/v1/copy/leaders', { displayName: 'L', ...body });
    return { u, profile, accountId: profile.accountIds[0] as string };
  };
  const follow = async (leaderId: string, body: Record<string, unknown>, u?: User) => {
    const f = u ?? (await user('follower'));
    const view = await ok(f, 'POST', '/api/v1/copy/follow', {
      leaderId,
      allocatedAmount: '6000',
      ...body,
    });
    return { u: f, follow: view, accountId: view.accountId as string };
  };
  const buy = (u: User, quantity: string) =>
    ok(u, 'POST', '/api/v1/trading/execute', {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      quantity,
    });
  const sell = (u: User, quantity: string) =>
    ok(u, 'POST', '/api/v1/trading/execute', {
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'market',
      quantity,
    });
  /** The copy rows of a follow, oldest first, once `n` of them exist. */
  const trades = async (f: { u: User; follow: { id: string } }, n: number) =>
    (
      await waitFor(async () => {
        const list = await ok(f.u, 'GET', `/api/v1/copy/follows/${f.follow.id}/trades`);
        return list.length >= n && list;
      })
    ).reverse();
  const settle = async () => {
    await waitFor(async () => {
      await copy().idle();
      const open = await sql<{
        n: string;
      }>`select count(*) as n from copy_fanouts where completed_at is null`.execute(
        t.app.database.db,
      );
      return Number(open.rows[0]!.n) === 0;
    });
  };

  beforeAll(async () => {
    t = await startTestApp(backend, {
      clock,
      env: {
        COPY_FEE_PERIOD_MS: String(30 * MINUTE),
        COPY_LEADERBOARD_CACHE_MS: '0',
        COPY_DRAWDOWN_CHECK_MS: '3600000',
        COPY_RECOVERY_MS: '3600000',
        TRADING_SNAPSHOT_INTERVAL_MS: '86400000',
      },
    });
    await market('50000.00');
  });
  afterAll(async () => t?.close());

  it('publishes a leader profile, lists it publicly, pauses, resumes and stops it', async () => {
    const u = await user();
    const account = await accountOf(u);
    const created = await call(u, 'POST', '/api/v1/copy/leaders', {
      displayName: 'Steady swings',
      description: 'BTC only',
      performanceFeePct: '20',
      subscription: { amount: '10', periodDays: 30 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const p = created.json();
    expect(p).toMatchObject({
      displayName: 'Steady swings',
      status: 'active',
      accountIds: [account],
      payoutAccountId: account,
      fees: { performanceFeePct: '20', subscription: { amount: '10', periodDays: 30 } },
      followers: 0,
    });
    const listed = await ok(undefined, 'GET', '/api/v1/copy/leaders?limit=200');
    const mine = listed.find((l: { id: string }) => l.id === p.id);
    expect(mine).toMatchObject({ displayName: 'Steady swings', accountIds: [account] });
    expect(mine.payoutAccountId).toBeUndefined();
    expect((await ok(undefined, 'GET', `/api/v1/copy/leaders/${p.id}`)).description).toBe(
      'BTC only',
    );

    const again = await call(u, 'POST', '/api/v1/copy/leaders', { displayName: 'Twice' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('already_leader');

    expect((await ok(u, 'POST', '/api/v1/copy/leaders/me/pause')).status).toBe('paused');
    const twice = await call(u, 'POST', '/api/v1/copy/leaders/me/pause');
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('invalid_transition');
    expect((await ok(u, 'POST', '/api/v1/copy/leaders/me/resume')).status).toBe('active');
    const renamed = await ok(u, 'PATCH', '/api/v1/copy/leaders/me', { displayName: 'Swings' });
    expect(renamed.displayName).toBe('Swings');
    expect((await ok(u, 'POST', '/api/v1/copy/leaders/me/stop')).status).toBe('stopped');
    expect((await call(u, 'GET', '/api/v1/copy/leaders/me')).statusCode).toBe(404);

    const follower = await user('follower');
    const refused = await call(follower, 'POST', '/api/v1/copy/leaders', { displayName: 'F' });
    expect(refused.statusCode).toBe(403);
    const bad = await call(u, 'POST', '/api/v1/copy/leaders', {
      displayName: '',
      performanceFeePct: '0.9e1',
      accountIds: ['not-an-id'],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['/accountIds/0', '/displayName', '/performanceFeePct']);
  });

  it('sizes a copy of a leader buy for each allocation mode as the domain plans it, and closes the same fraction', async () => {
    await market('50000.00');
    const l = await leader();
    const ratio = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '0.5' });
    const prop = await follow(l.profile.id, { mode: 'equity_proportional' });
    const amount = await follow(l.profile.id, { mode: 'fixed_amount', amount: '1000' });
    const cap = await follow(l.profile.id, { mode: 'equity_cap', equityCapPct: '20' });
    const all = [ratio, prop, amount, cap];

    // The domain's plan from the state the API shows just before the fill.
    const contexts: FollowerContext[] = [];
    for (const f of all) {
      const row = (await findFollow(t.app.database.db, f.follow.id))!;
      contexts.push({
        follow: followOf(row),
        instrument: t.app.market.view.instrument('paper', 'BTC/USDT'),
        equity: d('10000'),
        available: d('10000'),
        copiedQuantity: Decimal.ZERO,
        exposure: {
          openCost: Decimal.ZERO,
          realizedPnl: Decimal.ZERO,
          unrealizedPnl: Decimal.ZERO,
          openPositions: 0,
        },
      });
    }

    const fill = await buy(l.u, '0.1');
    expect(fill).toMatchObject({ status: 'filled', averagePrice: '50000', fees: '5' });
    const rows = await Promise.all(all.map((f) => trades(f, 1)));
    const [fillRow] = (await t.app.database.db
      .selectFrom('fills')
      .select(['id'])
      .where('order_id', '=', fill.id)
      .execute()) as Array<{ id: string }>;
    // The leader's equity at the fill: 10000 − 5000 − 5 cash + 0.1 × 50000 = 9995.
    const plan = planCopyOrders(
      {
        fill: {
          id: fillRow!.id,
          accountId: l.accountId,
          venue: 'paper',
          symbol: 'BTC/USDT',
          side: 'buy',
          price: d('50000'),
          quantity: d('0.1'),
        },
        positionBefore: Decimal.ZERO,
        equity: d('9995'),
        fromCopyOrder: false,
      },
      { id: l.profile.id, status: 'active' },
      contexts,
    );
    // fixed_ratio: 0.1 × 0.5 = 0.05. proportional: 0.1 × 10000 / 9995 = 0.10005002… → 0.10005.
    // fixed_amount: 1000 / 50250 (the limit, 50000 + 0.5 %) = 0.01990049… → 0.0199.
    // equity_cap: 0.10005 wanted, 20 % of 10000 = 2000 / 50250 = 0.03980099… → 0.0398.
    const expected = ['0.05', '0.10005', '0.0199', '0.0398'];
    rows.forEach((list, i) => {
      const r = list[0];
      const p = plan[i]!;
      expect(p.kind).toBe('order');
      if (p.kind !== 'order') return;
      expect(r).toMatchObject({
        kind: 'copy',
        status: 'copied',
        action: 'open',
        side: 'buy',
        leaderFill: { id: fillRow!.id, price: '50000', quantity: '0.1' },
        order: {
          clientOrderId: copyClientOrderId(fillRow!.id, all[i]!.follow.id),
          quantity: expected[i],
          limitPrice: '50250',
          filledQuantity: expected[i],
          averagePrice: '50000',
        },
        slippagePct: '0',
        latencyMs: 0,
      });
      expect(r.order.quantity).toBe(p.intent.quantity.toString());
      expect(r.order.limitPrice).toBe(p.intent.price.toString());
      expect(r.order.clientOrderId).toBe(p.intent.clientOrderId);
    });
    expect(rows[3]![0].cappedBy).toBe('equity_cap');

    // The leader sells 0.04 of 0.1: every follow sells 40 % of its copy, at the bid.
    await sell(l.u, '0.04');
    const closes = await Promise.all(all.map((f) => trades(f, 2)));
    // 0.05 × 0.4 = 0.02; 0.10005 × 0.4 = 0.04002; 0.0199 × 0.4 = 0.00796; 0.0398 × 0.4 = 0.01592.
    ['0.02', '0.04002', '0.00796', '0.01592'].forEach((q, i) => {
      expect(closes[i]![1]).toMatchObject({
        status: 'copied',
        action: 'close',
        side: 'sell',
        order: { quantity: q, limitPrice: '49750', filledQuantity: q, averagePrice: '49999.99' },
        // (50000 − 49999.99) / 50000 = 0.00002 %, rounded to 4 places.
        slippagePct: '0',
      });
    });
    const view = await ok(ratio.u, 'GET', `/api/v1/copy/follows/${ratio.follow.id}`);
    expect(view.copied.positions).toEqual([
      expect.objectContaining({ symbol: 'BTC/USDT', quantity: '0.03' }),
    ]);
  });

  it("takes the leader's position before each fill from the fill's event, as the journal sums it", async () => {
    await market('50000.00');
    const l = await leader();
    const f = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '0.5' });
    await buy(l.u, '0.1');
    await trades(f, 1);
    await buy(l.u, '0.05');
    await trades(f, 2);
    await sell(l.u, '0.12');
    await trades(f, 3);
    await settle();
    const db = t.app.database.db;
    const fanouts = (
      await sql<{ leader_fill_id: string; position_before: string; side: string }>`
        select leader_fill_id, position_before::text, side from copy_fanouts
        where leader_id = ${l.profile.id} order by created_at`.execute(db)
    ).rows;
    expect(fanouts.map((r) => [r.side, d(r.position_before).toString()])).toEqual([
      ['buy', '0'],
      ['buy', '0.1'],
      ['sell', '0.15'],
    ]);
    await t.settled();
    const carried = t
      .published({ topic: topics.tradingOrders, type: 'OrderFilled', key: l.accountId })
      .map((e) => (e.payload as { positionBefore?: string }).positionBefore);
    expect(carried).toEqual(['0', '0.1', '0.15']);

    // An event without the position (the journal is then summed) records the same figure.
    const last = fanouts[2]!;
    const [fill] = (await db
      .selectFrom('fills')
      .select(['id', 'account_id', 'venue', 'symbol', 'side', 'price', 'quantity', 'ts'])
      .where('id', '=', last.leader_fill_id)
      .execute()) as Array<Record<string, string | Date>>;
    const summed = await db
      .transaction()
      .execute(async (tx) => {
        await sql`delete from copy_fanouts where leader_fill_id = ${last.leader_fill_id}`.execute(
          tx,
        );
        const again = await recordFanouts(tx, {
          id: String(fill!.id),
          accountId: String(fill!.account_id),
          venue: String(fill!.venue),
          symbol: String(fill!.symbol),
          side: 'sell',
          price: d(String(fill!.price)),
          quantity: d(String(fill!.quantity)),
          ts: new Date(fill!.ts!).getTime(),
        });
        throw Object.assign(new Error('roll back'), { again });
      })
      .catch((err: { again?: Array<{ positionBefore: Decimal }> }) => err.again);
    expect(summed?.map((r) => r.positionBefore.toString())).toEqual(['0.15']);
  });

  it('records a skip with its reason instead of an order', async () => {
    await market('50000.00');
    const l = await leader();
    const tiny = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '0.0001' });
    const denied = await follow(l.profile.id, {
      mode: 'fixed_ratio',
      ratio: '1',
      deny: ['btc-usdt'],
    });
    const closesOnly = await follow(l.profile.id, {
      mode: 'fixed_ratio',
      ratio: '1',
      copyMode: 'closes_only',
    });
    const small = await follow(l.profile.id, { mode: 'fixed_amount', amountPerTrade: '4' });
    await buy(l.u, '0.05');
    const got = await Promise.all([tiny, denied, closesOnly, small].map((f) => trades(f, 1)));
    // 0.05 × 0.0001 = 0.000005, under one lot; 4 USDT / 50250 = 0.00007 (7 lots) is worth
    // 0.00007 × 50250 = 3.5175, under the minimum notional of 5.
    expect(got.map((r) => [r[0].status, r[0].reason])).toEqual([
      ['skipped', 'below_lot_size'],
      ['skipped', 'instrument_not_allowed'],
      ['skipped', 'copy_mode_excludes_opens'],
      ['skipped', 'below_min_notional'],
    ]);
    expect(got[1]![0].message).toContain('deny list');
    expect(got[0]![0].order).toBeNull();

    // A fill on an instrument the follower's venue does not list (the leader's could).
    const fake = {
      accountId: l.accountId,
      clientOrderId: 'manual-1',
      fill: {
        id: 'foreign-fill-1',
        accountId: l.accountId,
        venue: 'paper',
        symbol: 'DOGE/USDT',
        side: 'buy',
        price: '0.1',
        quantity: '1000',
        ts: clock.now(),
      },
    };
    await t.app.outbox.transaction((_tx, emit) =>
      emit({ topic: topics.tradingOrders, type: 'OrderFilled', key: l.accountId, payload: fake }),
    );
    const foreign = await trades(tiny, 2);
    expect(foreign[1]).toMatchObject({
      status: 'skipped',
      reason: 'instrument_not_listed',
      leaderFill: { id: 'foreign-fill-1' },
    });

    // Paused leader: opens are skipped, the leader's exits still copied.
    await ok(l.u, 'POST', '/api/v1/copy/leaders/me/pause');
    const late = await call(await user('follower'), 'POST', '/api/v1/copy/follow', {
      leaderId: l.profile.id,
      mode: 'fixed_ratio',
      ratio: '1',
      allocatedAmount: '100',
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('leader_paused');
    await buy(l.u, '0.01');
    const paused = await trades(tiny, 3);
    expect(paused[2]).toMatchObject({ status: 'skipped', reason: 'leader_paused' });
  });

  it('stops copying when the follow is paused or ended, and closes the copies on unfollow', async () => {
    await market('50000.00');
    const l = await leader();
    const a = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '0.5' });
    const b = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '0.5' });
    await buy(l.u, '0.1');
    await trades(a, 1);
    await trades(b, 1);
    expect((await ok(a.u, 'POST', `/api/v1/copy/follows/${a.follow.id}/pause`)).status).toBe(
      'paused',
    );
    await buy(l.u, '0.02');
    expect((await trades(a, 2))[1]).toMatchObject({ status: 'skipped', reason: 'follow_paused' });
    expect((await trades(b, 2))[1]).toMatchObject({
      status: 'copied',
      order: { quantity: '0.01' },
    });
    expect((await ok(a.u, 'POST', `/api/v1/copy/follows/${a.follow.id}/resume`)).status).toBe(
      'active',
    );

    // Unfollow without closing: the position stays, nothing more is copied.
    const endedA = await ok(a.u, 'POST', `/api/v1/copy/follows/${a.follow.id}/unfollow`);
    expect(endedA.status).toBe('ended');
    // Unfollow with closePositions: the 0.06 copied is sold at once, reduce-only.
    const endedB = await ok(b.u, 'POST', `/api/v1/copy/follows/${b.follow.id}/unfollow`, {
      closePositions: true,
    });
    expect(endedB.copied.positions[0]).toMatchObject({ quantity: '0' });
    const rowsB = await trades(b, 3);
    expect(rowsB[2]).toMatchObject({
      kind: 'unfollow_close',
      status: 'copied',
      side: 'sell',
      leaderFill: null,
      order: { quantity: '0.06', filledQuantity: '0.06' },
    });
    await buy(l.u, '0.02');
    await settle();
    expect(await ok(a.u, 'GET', `/api/v1/copy/follows/${a.follow.id}/trades`)).toHaveLength(2);
    expect(await ok(b.u, 'GET', `/api/v1/copy/follows/${b.follow.id}/trades`)).toHaveLength(3);
    const again = await call(b.u, 'POST', `/api/v1/copy/follows/${b.follow.id}/unfollow`, {});
    expect(again.statusCode).toBe(409);
  });

  it('answers bad input with a problem naming the field and a fitting status', async () => {
    const l = await leader();
    const f = await user('follower');
    const other = await user();
    const post = (body: Record<string, unknown>, u: User = f) =>
      call(u, 'POST', '/api/v1/copy/follow', {
        leaderId: l.profile.id,
        allocatedAmount: '1000',
        mode: 'fixed_ratio',
        ratio: '0.5',
        ...body,
      });
    const expectProblem = async (
      r: Awaited<ReturnType<typeof call>>,
      status: number,
      field: string,
      code?: string,
    ) => {
      expect(r.statusCode, r.body).toBe(status);
      expect(r.headers['content-type']).toContain('application/problem+json');
      const p = r.json();
      expect(p.errors.map((e: { field: string }) => e.field)).toContain(field);
      if (code)
        expect(p.errors.find((e: { field: string }) => e.field === field).message).toContain(code);
    };
    await expectProblem(await post({}, l.u), 400, '/leaderId', 'cannot_follow_self');
    await expectProblem(
      await post({ accountId: await accountOf(other) }),
      403,
      '/accountId',
      'account_not_owned',
    );
    await expectProblem(
      await post({ leaderId: '018f0000-0000-7000-8000-000000000000' }),
      404,
      '/leaderId',
      'unknown_leader',
    );
    await expectProblem(await post({ ratio: '0' }), 400, '/ratio', 'not_positive');
    await expectProblem(await post({ ratio: '-1' }), 400, '/ratio', 'not_positive');
    await expectProblem(await post({ ratio: '1000' }), 400, '/ratio', 'too_large');
    await expectProblem(await post({ ratio: 0.5 }), 400, '/ratio');
    await expectProblem(
      await post({ allocatedAmount: '-5' }),
      400,
      '/allocatedAmount',
      'not_positive',
    );
    await expectProblem(
      await post({ allocatedAmount: '1e9' }),
      400,
      '/allocatedAmount',
      'not_a_number',
    );
    await expectProblem(
      await post({ allocatedAmount: '50000' }),
      400,
      '/allocatedAmount',
      'allocation_exceeds_equity',
    );
    // Limits in the wrong unit: a fraction for a percent, or a percent far out of range.
    await expectProblem(
      await post({ maxSlippagePct: '50' }),
      400,
      '/maxSlippagePct',
      'percent_out_of_range',
    );
    await expectProblem(
      await post({ drawdownStopPct: '0.2' }),
      400,
      '/drawdownStopPct',
      'percent_out_of_range',
    );
    await expectProblem(await post({ mode: 'fixed_amount' }), 400, '/amountPerTrade', 'required');
    await expectProblem(
      await post({ mode: 'fixed_amount', ratio: undefined, amount: '0' }),
      400,
      '/amount',
      'not_positive',
    );
    await expectProblem(await post({ mode: 'bogus' }), 400, '/mode', 'invalid_allocation_mode');
    await expectProblem(
      await post({ allow: ['BTC/USDT'], deny: ['BTC/USDT'] }),
      400,
      '/deny',
      'instrument_in_both_lists',
    );
    await expectProblem(await post({ unknownField: 1 }), 400, '/unknownField');

    const created = await post({});
    expect(created.statusCode, created.body).toBe(201);
    await expectProblem(await post({}), 409, '/leaderId', 'already_following');
    await ok(l.u, 'POST', '/api/v1/copy/leaders/me/pause');
    await expectProblem(await post({}, other), 409, '/leaderId', 'leader_paused');
    expect((await call(other, 'GET', `/api/v1/copy/follows/${created.json().id}`)).statusCode).toBe(
      404,
    );
    const patch = await call(f, 'PATCH', `/api/v1/copy/follows/${created.json().id}`, {
      ratio: '0',
    });
    await expectProblem(patch, 400, '/ratio', 'not_positive');
    const changed = await ok(f, 'PATCH', `/api/v1/copy/follows/${created.json().id}`, {
      ratio: '0.25',
    });
    expect(changed.settings).toMatchObject({
      mode: 'fixed_ratio',
      ratio: '0.25',
      allocatedAmount: '1000',
    });
    // Nothing was written by the refused requests.
    expect(await ok(f, 'GET', '/api/v1/copy/follows')).toHaveLength(1);
  });

  it('fires the drawdown stop and closes the copied position', async () => {
    await market('50000.00');
    const l = await leader();
    const f = await follow(l.profile.id, {
      mode: 'fixed_ratio',
      ratio: '0.1',
      allocatedAmount: '1000',
      drawdownStopPct: '10',
      closeOnDrawdownStop: true,
    });
    await buy(l.u, '0.1');
    expect((await trades(f, 1))[0]).toMatchObject({
      status: 'copied',
      order: { filledQuantity: '0.01' },
    });
    // Copied: 0.01 for 500 + 0.5 fee. At 45000: 450 − 500.5 = −50.5, 5.05 % of 1000: not yet.
    await market('45000.00');
    expect(await copy().checkDrawdowns()).toBe(0);
    // At 40000: 400 − 500.5 = −100.5, 10.05 % ≥ 10 %: the stop fires and the copy is sold.
    await market('40000.00');
    expect(await copy().checkDrawdowns()).toBe(1);
    await copy().idle();
    const view = await ok(f.u, 'GET', `/api/v1/copy/follows/${f.follow.id}`);
    expect(view.status).toBe('drawdown_stopped');
    expect(view.copied.positions[0].quantity).toBe('0');
    expect((await trades(f, 2))[1]).toMatchObject({
      kind: 'drawdown_close',
      status: 'copied',
      order: { quantity: '0.01', averagePrice: '39999.99' },
    });
    const resume = await call(f.u, 'POST', `/api/v1/copy/follows/${f.follow.id}/resume`);
    expect(resume.statusCode).toBe(409);
    await buy(l.u, '0.01');
    expect((await trades(f, 3))[2]).toMatchObject({
      status: 'skipped',
      reason: 'drawdown_stopped',
    });
    await market('50000.00');
  });

  it('settles the performance fee above the high-water mark, and once more on unfollow', async () => {
    await market('50000.00');
    const l = await leader({
      performanceFeePct: '20',
      subscription: { amount: '30', periodDays: 30 },
    });
    const f = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '1' });
    const fees = () => ok(f.u, 'GET', `/api/v1/copy/follows/${f.follow.id}/fees`);
    const roundTrip = async (from: string, to: string, n: number) => {
      await market(from);
      await buy(l.u, '0.1');
      await trades(f, n + 1);
      await market(to);
      await sell(l.u, '0.1');
      await trades(f, n + 2);
    };
    const nextSettlement = async () => {
      clock.advance(30 * MINUTE);
      await copy().fees.tick();
      // Access tokens live an hour of this clock: sign in again.
      for (const u of [l.u, f.u]) await relogin(u);
    };

    // Bought 0.1 at 50000 for 5000 + 5 fee; sold at the bid 54999.99 for 5499.999 − 5.499999.
    // Realized: 5499.999 − 5.499999 − 5005 = 489.499001; fee 20 % = 97.8998002.
    await roundTrip('50000.00', '55000.00', 0);
    await nextSettlement();
    let list = await fees();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      kind: 'performance',
      amount: '97.8998002',
      cumulativeRealizedPnl: '489.499001',
      highWaterMark: '489.499001',
      final: false,
    });

    // A loss: bought at 55000 (5500 + 5.5), sold at 49999.99 (4999.999 − 4.999999): −510.500999.
    // Cumulative −21.001998, below the mark: nothing is charged and the mark stays.
    await roundTrip('55000.00', '50000.00', 2);
    await nextSettlement();
    expect(await fees()).toHaveLength(1);

    // A gain of 1000 − 11.000998 = … bought at 50000 (5005), sold at 61000 − 0.01:
    // 6099.999 − 6.099999 − 5005 = 1088.899001; cumulative 1067.897003; above the mark by
    // 578.398002; fee 20 % = 115.6796004.
    await roundTrip('50000.00', '61000.00', 4);
    await nextSettlement();
    list = await fees();
    expect(list[0]).toMatchObject({
      kind: 'performance',
      amount: '115.6796004',
      cumulativeRealizedPnl: '1067.897003',
      highWaterMark: '1067.897003',
    });
    expect(list[0].amount).not.toBe(list[1].amount);

    // Unfollow: no new profit, so no performance fee; the subscription is charged pro rata
    // for the time followed, 90 minutes of a 30-day period: 30 × 5,400,000 / 2,592,000,000.
    const ended = await ok(f.u, 'POST', `/api/v1/copy/follows/${f.follow.id}/unfollow`, {});
    expect(ended.fees).toMatchObject({
      performanceCharged: '213.5794006',
      subscriptionCharged: '0.0625',
    });
    list = await fees();
    expect(list[0]).toMatchObject({ kind: 'subscription', amount: '0.0625', final: true });

    // The ledger: the leader received exactly what the follower paid, and both books rebuild
    // from the journal to the balances the API shows.
    // With both flat: USDT = 10000 + realized PnL of their own trades ± the fees.
    const paid = d('97.8998002').add(d('115.6796004')).add(d('0.0625'));
    const realized = async (u: User) =>
      d((await ok(u, 'GET', '/api/v1/trading/positions'))[0].realizedPnl);
    expect(await realized(f.u)).toEqual(d('1067.897003'));
    expect((await usdt(l.u)).total).toBe(
      d('10000')
        .add(await realized(l.u))
        .add(paid)
        .toString(),
    );
    expect((await usdt(f.u)).total).toBe(d('10000').add(d('1067.897003')).sub(paid).toString());
    const db = t.app.database.db;
    for (const [u, accountId] of [
      [f.u, f.accountId],
      [l.u, l.accountId],
    ] as const) {
      const books = new Books(t.app.market.view.instruments());
      const p = await books.load(db, (await findAccount(db, accountId))!);
      expect(p.ledger.balance(accountId, 'USDT').total.toString()).toBe((await usdt(u)).total);
    }
    const sums = await sql<{ currency: string; total: string }>`
      select p->>'currency' as currency, sum((p->>'amount')::numeric) as total
      from ledger_entries, jsonb_array_elements(postings) p group by 1`.execute(db);
    for (const s of sums.rows) expect(Decimal.parse(s.total).isZero(), s.currency).toBe(true);
    const leaderRow = await findLeader(db, l.profile.id);
    expect(leaderRow?.payout_account_id).toBe(l.accountId);
  });

  it('charges an ended follow its subscription up to its end, however late the payment', async () => {
    await market('50000.00');
    const l = await leader({ subscription: { amount: '1000000', periodDays: 30 } });
    const f = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '1' });
    // The follower spends nearly all its cash, so the final fee cannot be paid at unfollow.
    await buy(f.u, '0.19');
    clock.advance(60 * MINUTE);
    await relogin(f.u);
    const ended = await ok(f.u, 'POST', `/api/v1/copy/follows/${f.follow.id}/unfollow`, {});
    expect(ended.status).toBe('ended');
    expect(await ok(f.u, 'GET', `/api/v1/copy/follows/${f.follow.id}/fees`)).toHaveLength(0);

    // An hour later, with its cash back, the fee is for the hour followed, not the two since.
    await sell(f.u, '0.19');
    clock.advance(60 * MINUTE);
    await relogin(f.u);
    await copy().fees.tick();
    const list = await ok(f.u, 'GET', `/api/v1/copy/follows/${f.follow.id}/fees`);
    // 1,000,000 × 3,600,000 / 2,592,000,000 = 1388.888…, to 8 places down.
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'subscription', amount: '1388.88888888', final: true });
  });

  it('ranks leaders from their equity snapshots', async () => {
    const db = t.app.database.db;
    const a = await leader();
    const b = await leader();
    await follow(a.profile.id, { mode: 'fixed_ratio', ratio: '0.1', allocatedAmount: '500' });
    const now = clock.now();
    const DAY = 86_400_000;
    const point = (accountId: string, daysAgo: number, equity: string, net = '10000') => ({
      account_id: accountId,
      ts: new Date(now - daysAgo * DAY),
      currency: 'USDT',
      equity,
      cash: equity,
      positions_value: '0',
      realized_pnl: d(equity).sub(d(net)).toString(),
      unrealized_pnl: '0',
      net_contributions: net,
      complete: true,
    });
    // A: 10000 → 11000 → 9900 → 12100 (a deposit of 1000 on the last day is not return).
    // B: 10000 → 10500 → 10500.
    await db
      .insertInto('equity_snapshots')
      .values([
        point(a.accountId, 40, '10000'),
        point(a.accountId, 20, '11000'),
        point(a.accountId, 10, '9900'),
        point(a.accountId, 0, '13100', '11000'),
        point(b.accountId, 40, '10000'),
        point(b.accountId, 20, '10500'),
        point(b.accountId, 0, '10500'),
      ])
      .execute();
    const board = async (q: string) => {
      const rows = await ok(undefined, 'GET', `/api/v1/copy/leaderboard?${q}`);
      return rows.filter((r: { leader: { id: string } }) =>
        [a.profile.id, b.profile.id].includes(r.leader.id),
      );
    };
    const all = await board('window=all&sort=return');
    // A: 11000/10000 × 9900/11000 × 13100/(9900 + 1000) − 1 = 1.1 × 0.9 × 1.2018… − 1 = 18.98… %
    //    PnL: (13100 − 11000) − (10000 − 10000) = 2100. Drawdown: 11000 → 9900 = 10 %, 1100.
    // B: 5 %, PnL 500, no drawdown.
    expect(all.map((r: { leader: { id: string } }) => r.leader.id)).toEqual([
      a.profile.id,
      b.profile.id,
    ]);
    expect(all[0]).toMatchObject({
      pnl: '2100',
      maxDrawdownAmount: '1100',
      followers: 1,
      amountCopying: '500',
    });
    expect(all[0].returnPct).toBeCloseTo((1.1 * 0.9 * (13100 / 10900) - 1) * 100, 9);
    expect(all[0].maxDrawdownPct).toBeCloseTo(10, 9);
    expect(all[1]).toMatchObject({
      pnl: '500',
      maxDrawdownAmount: '0',
      maxDrawdownPct: 0,
      followers: 0,
    });
    expect(all[1].returnPct).toBeCloseTo(5, 9);
    const byDrawdown = await board('window=all&sort=drawdown');
    expect(byDrawdown.map((r: { leader: { id: string } }) => r.leader.id)).toEqual([
      b.profile.id,
      a.profile.id,
    ]);
    const byFollowers = await board('window=all&sort=followers');
    expect(byFollowers[0].leader.id).toBe(a.profile.id);
    // The last 7 days: A from 9900 (its base, 10 days ago) to 13100 with 1000 paid in: 21.0…%.
    const week = await board('window=7d&sort=pnl');
    expect(week[0]).toMatchObject({ leader: { id: a.profile.id }, pnl: '2200', partial: false });
    expect(week[1]).toMatchObject({ pnl: '0' });
    const alias = await call(
      undefined,
      'GET',
      '/api/v1/analytics/leaderboard?window=90d&sort=sharpe',
    );
    expect(alias.statusCode).toBe(200);
    const wrong = await call(undefined, 'GET', '/api/v1/copy/leaderboard?window=1y');
    expect(wrong.statusCode).toBe(400);
  });

  it('never places a copy twice when a fill is delivered again or a fan-out is resumed', async () => {
    await market('50000.00');
    const l = await leader();
    const f = await follow(l.profile.id, { mode: 'fixed_ratio', ratio: '0.5' });
    const fill = await buy(l.u, '0.1');
    await trades(f, 1);
    await settle();
    const db = t.app.database.db;
    await t.settled();
    const event = t
      .published({ type: 'OrderFilled' })
      .find((e) => (e.payload as { orderId: string }).orderId === fill.id)!;
    expect(event).toBeDefined();
    // The same fill as a new event (a producer that retried), then the fan-out run again.
    await t.app.outbox.transaction((_tx, emit) =>
      emit({
        topic: topics.tradingOrders,
        type: event.type,
        key: event.key,
        payload: event.payload,
      }),
    );
    const [fanout] = (
      await sql<{ leader_fill_id: string }>`
      select leader_fill_id from copy_fanouts where leader_id = ${l.profile.id}`.execute(db)
    ).rows;
    await sql`update copy_fanouts set completed_at = null, progress_at = now() - interval '30 minutes'
      where leader_id = ${l.profile.id}`.execute(db);
    expect(await copy().fanout.recover(0)).toBe(1);
    await settle();
    const orders = await db
      .selectFrom('orders')
      .select('id')
      .where('client_order_id', '=', copyClientOrderId(fanout!.leader_fill_id, f.follow.id))
      .execute();
    expect(orders).toHaveLength(1);
    expect(await ok(f.u, 'GET', `/api/v1/copy/follows/${f.follow.id}/trades`)).toHaveLength(1);
  });
});
