import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/core/clock.js';
import { Decimal } from '../src/core/decimal.js';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

// Account settings and equity snapshots, through the API. Prices are fed through the paper
// venue's own inlet; BTC/USDT has tick 0.01, lot 0.00001, maker and taker fee 0.1 %. The clock
// is simulated (starting at the wall time, so access tokens stay valid) and only moves when a
// test advances it, which is what drives the snapshots.

type Trader = Awaited<ReturnType<typeof signUp>>;
const d = (s: string) => Decimal.parse(s);
const INTERVAL = 60_000; // TRADING_SNAPSHOT_INTERVAL_MS default

describe.each(backends)('trading accounts on $name', (backend) => {
  let t: TestApp;
  const clock = new SimulatedClock(Date.now());
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  const venue = () => t.app.trading.venue!;
  let printSeq = 0;

  /** A print at `price` and a top around it: ask at `price`, bid one tick under, size 1 each. */
  async function market(price: string) {
    const p = d(price);
    const ts = clock.now();
    await venue().onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: `acct-${++printSeq}`,
      price: p,
      quantity: d('0.001'),
      side: 'buy',
      ts,
    });
    await venue().onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: p.sub(d('0.01')),
      bidSize: d('1'),
      askPrice: p,
      askSize: d('1'),
      ts,
    });
  }

  const execute = (s: Trader, payload: Record<string, unknown>) =>
    inject({ method: 'POST', url: '/api/v1/trading/execute', headers: s.auth, payload });
  const get = async (s: Trader, url: string) => {
    const r = await inject({ method: 'GET', url, headers: s.auth });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const send = (s: Trader, method: 'PUT' | 'PATCH', url: string, payload: unknown) =>
    inject({ method, url, headers: s.auth, payload: payload as Record<string, unknown> });
  const limitsUrl = (id: string) => `/api/v1/trading/accounts/${id}/risk-limits`;
  const usdt = async (s: Trader) =>
    (await get(s, '/api/v1/trading/balances')).find(
      (b: { currency: string }) => b.currency === 'USDT',
    );
  const trader = async () => {
    const s = await signUp(t.app);
    await waitFor(async () => (await usdt(s))?.total === '10000');
    const [account] = await get(s, '/api/v1/trading/accounts');
    return { ...s, account: account.id as string };
  };
  const limitBuy = (s: Trader, quantity: string, price = '50000.00') =>
    execute(s, { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity, price });
  /** What was announced about an account, once everything written so far is out. */
  const events = async (type: string, accountId: string) => {
    await t.settled();
    return t.published({ type, key: accountId });
  };

  beforeAll(async () => {
    t = await startTestApp(backend, { clock });
    await market('50000.00');
  });
  afterAll(async () => t?.close());

  it('sets, reads and clears risk limits, and the next order is checked against them', async () => {
    const s = await trader();
    const initial = await get(s, limitsUrl(s.account));
    expect(initial).toEqual({
      accountId: s.account,
      maxOrderNotional: null,
      maxPosition: null,
      maxOpenOrders: null,
      maxDailyLoss: null,
      priceBandPct: null,
      updatedAt: null,
      defaults: { maxOpenOrders: 200 },
    });
    const set = await send(s, 'PUT', limitsUrl(s.account), {
      maxOrderNotional: '1000.50',
      maxOpenOrders: 5,
      maxDailyLoss: '250',
      priceBandPct: '10',
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({
      maxOrderNotional: '1000.5',
      maxPosition: null,
      maxOpenOrders: 5,
      maxDailyLoss: '250',
      priceBandPct: '10',
      updatedAt: new Date(clock.now()).toISOString(),
    });
    expect(await get(s, limitsUrl(s.account))).toEqual(set.json());
    // The order path reads the new column too.
    const row = await t.app.database.db
      .selectFrom('risk_limits')
      .selectAll()
      .where('account_id', '=', s.account)
      .executeTakeFirstOrThrow();
    expect(Decimal.parse(row.max_daily_loss as string).toString()).toBe('250');

    // 0.1 × 50000 = 5000 > 1000.5
    const big = await limitBuy(s, '0.1');
    expect(big.statusCode).toBe(201);
    expect(big.json()).toMatchObject({ status: 'rejected', reason: 'max_order_notional' });
    expect(big.json().reasonMessage).toContain('exceeds the limit of 1000.5 USDT');
    // 0.02 × 50000 = 1000 passes.
    const small = (await limitBuy(s, '0.02', '49000.00')).json();
    expect(small).toMatchObject({ status: 'accepted' });
    await inject({
      method: 'DELETE',
      url: `/api/v1/trading/orders/${small.id}`,
      headers: s.auth,
    });

    // Leaving a field out keeps it; null clears it.
    const cleared = await send(s, 'PUT', limitsUrl(s.account), { maxOrderNotional: null });
    expect(cleared.json()).toMatchObject({
      maxOrderNotional: null,
      maxOpenOrders: 5,
      maxDailyLoss: '250',
    });
    const again = (await limitBuy(s, '0.1', '49000.00')).json();
    expect(again).toMatchObject({ status: 'accepted' });
    await inject({
      method: 'DELETE',
      url: `/api/v1/trading/orders/${again.id}`,
      headers: s.auth,
    });

    const changes = await events('RiskLimitsChanged', s.account);
    expect(changes).toHaveLength(2);
    expect(changes.map((e) => e.topic)).toEqual(['trading.accounts', 'trading.accounts']);
    expect(changes[1]!.payload).toMatchObject({
      accountId: s.account,
      userId: s.userId,
      changedBy: s.userId,
      previous: { maxOrderNotional: '1000.5' },
      limits: { maxOrderNotional: null, maxOpenOrders: 5 },
    });
    // Setting what is already set changes nothing and records nothing.
    const same = await send(s, 'PUT', limitsUrl(s.account), { maxOpenOrders: 5 });
    expect(same.statusCode).toBe(200);
    expect(await events('RiskLimitsChanged', s.account)).toHaveLength(2);
    await waitFor(async () => {
      const audit = await t.app.database.db
        .selectFrom('audit_log')
        .select('action')
        .where('user_id', '=', s.userId)
        .where('action', '=', 'trading.risk_limits_changed')
        .execute();
      return audit.length === 2;
    });
  });

  it('halts an account from the next order, and in reducing lets only reducing orders through', async () => {
    const s = await trader();
    const bought = await execute(s, {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.1',
    });
    expect(bought.json()).toMatchObject({ status: 'filled' });
    const url = `/api/v1/trading/accounts/${s.account}`;

    const halted = await send(s, 'PATCH', url, { tradingState: 'halted' });
    expect(halted.statusCode, halted.body).toBe(200);
    expect(halted.json()).toMatchObject({ id: s.account, tradingState: 'halted', name: 'Paper' });
    expect((await limitBuy(s, '0.01')).json()).toMatchObject({
      status: 'rejected',
      reason: 'account_halted',
    });
    const sellHalted = await execute(s, {
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'market',
      quantity: '0.05',
    });
    expect(sellHalted.json()).toMatchObject({ status: 'rejected', reason: 'account_halted' });

    await send(s, 'PATCH', url, { tradingState: 'reducing' });
    expect((await limitBuy(s, '0.01')).json()).toMatchObject({
      status: 'rejected',
      reason: 'account_reducing_only',
    });
    const sell = await execute(s, {
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'market',
      quantity: '0.05',
    });
    expect(sell.json()).toMatchObject({ status: 'filled', filledQuantity: '0.05' });

    await send(s, 'PATCH', url, { tradingState: 'active' });
    const open = (await limitBuy(s, '0.01', '49000.00')).json();
    expect(open).toMatchObject({ status: 'accepted' });
    await inject({ method: 'DELETE', url: `/api/v1/trading/orders/${open.id}`, headers: s.auth });

    expect((await get(s, '/api/v1/trading/accounts'))[0].tradingState).toBe('active');
    const changes = await events('TradingStateChanged', s.account);
    expect(changes.map((e) => e.payload)).toEqual([
      expect.objectContaining({ from: 'active', to: 'halted' }),
      expect.objectContaining({ from: 'halted', to: 'reducing' }),
      expect.objectContaining({ from: 'reducing', to: 'active' }),
    ]);
  });

  it('stops opening orders once today’s realized loss reaches the daily limit, but lets reducing ones through', async () => {
    const s = await trader();
    const put = await send(s, 'PUT', limitsUrl(s.account), { maxDailyLoss: '50' });
    expect(put.statusCode, put.body).toBe(200);
    const buy = (q: string) =>
      execute(s, { symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: q });
    const sell = (q: string) =>
      execute(s, { symbol: 'BTC/USDT', side: 'sell', type: 'market', quantity: q });
    expect((await buy('0.15')).json()).toMatchObject({ status: 'filled' });
    // Sell 0.1 of it 1 % lower: a realized loss of 50 plus about 10 of fees, over the limit.
    await market('49500.00');
    expect((await sell('0.1')).json()).toMatchObject({ status: 'filled' });
    const denied = (await buy('0.01')).json();
    expect(denied).toMatchObject({ status: 'rejected', reason: 'max_daily_loss' });
    expect(denied.reasonMessage).toMatch(/daily limit of 50 USDT/);
    expect((await sell('0.05')).json()).toMatchObject({ status: 'filled' });
    await market('50000.00');
  });

  it('renames an account, trimming the name', async () => {
    const s = await trader();
    const url = `/api/v1/trading/accounts/${s.account}`;
    const r = await send(s, 'PATCH', url, { name: '  Swing  ' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ name: 'Swing', tradingState: 'active' });
    expect((await get(s, '/api/v1/trading/accounts'))[0].name).toBe('Swing');
    expect(await events('AccountRenamed', s.account)).toHaveLength(1);
  });

  it('refuses bad values with a 400 naming the field, and changes nothing', async () => {
    const s = await trader();
    await send(s, 'PUT', limitsUrl(s.account), { maxOrderNotional: '5000' });
    const before = await get(s, limitsUrl(s.account));
    const announced = await t.settled();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ maxOrderNotional: '-5' }, '/maxOrderNotional'],
      [{ maxOrderNotional: '0' }, '/maxOrderNotional'],
      [{ maxOrderNotional: 'abc' }, '/maxOrderNotional'],
      [{ maxOrderNotional: '1e400' }, '/maxOrderNotional'],
      [{ maxOrderNotional: 1000 }, '/maxOrderNotional'],
      [{ maxOrderNotional: '1.0000000000000000001' }, '/maxOrderNotional'], // 19 places
      [{ maxOrderNotional: '1'.repeat(30) }, '/maxOrderNotional'],
      [{ maxPosition: ' 1' }, '/maxPosition'],
      [{ maxDailyLoss: 'NaN' }, '/maxDailyLoss'],
      [{ priceBandPct: '150' }, '/priceBandPct'],
      [{ maxOpenOrders: 0 }, '/maxOpenOrders'],
      [{ maxOpenOrders: '5' }, '/maxOpenOrders'],
      [{ maxOpenOrders: 2.5 }, '/maxOpenOrders'],
      [{ maxLoss: '100' }, '/maxLoss'],
      // A good field beside a bad one is not applied either.
      [{ maxPosition: '1', maxDailyLoss: '-1' }, '/maxDailyLoss'],
    ];
    for (const [body, field] of cases) {
      const r = await send(s, 'PUT', limitsUrl(s.account), body);
      expect(r.statusCode, `${JSON.stringify(body)} → ${r.body}`).toBe(400);
      expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
      const fields = (r.json().errors ?? []).map((e: { field: string }) => e.field);
      expect(fields, `${JSON.stringify(body)} → ${r.body}`).toContain(field);
    }
    // JSON.stringify would turn 1e400 into null, so this body is sent as text.
    const raw = await inject({
      method: 'PUT',
      url: limitsUrl(s.account),
      headers: { ...s.auth, 'content-type': 'application/json' },
      payload: '{"maxOrderNotional": 1e400}',
    });
    expect(raw.statusCode).toBe(400);
    expect(raw.json().errors[0].field).toBe('/maxOrderNotional');
    const url = `/api/v1/trading/accounts/${s.account}`;
    for (const [body, field] of [
      [{ tradingState: 'paused' }, '/tradingState'],
      [{ name: '' }, '/name'],
      [{ name: '   ' }, '/name'],
      [{ name: 'tab\there' }, '/name'],
      [{ name: 'x'.repeat(65) }, '/name'],
      [{ paused: true }, '/paused'],
      [{}, '/'],
    ] as Array<[Record<string, unknown>, string]>) {
      const r = await send(s, 'PATCH', url, body);
      expect(r.statusCode, `${JSON.stringify(body)} → ${r.body}`).toBe(400);
      const fields = (r.json().errors ?? []).map((e: { field: string }) => e.field);
      expect(fields, `${JSON.stringify(body)} → ${r.body}`).toContain(field);
    }
    expect(await get(s, limitsUrl(s.account))).toEqual(before);
    expect((await get(s, '/api/v1/trading/accounts'))[0]).toMatchObject({
      name: 'Paper',
      tradingState: 'active',
    });
    expect(await t.settled()).toBe(announced);
  });

  it('answers 404 for an account that is not yours, on every route, and changes nothing', async () => {
    const owner = await trader();
    const other = await trader();
    const announced = await t.settled();
    const base = `/api/v1/trading/accounts/${owner.account}`;
    const attempts: InjectOptions[] = [
      { method: 'GET', url: `${base}/risk-limits` },
      { method: 'PUT', url: `${base}/risk-limits`, payload: { maxOrderNotional: '1' } },
      { method: 'PATCH', url: base, payload: { tradingState: 'halted' } },
      { method: 'GET', url: `${base}/equity` },
      { method: 'GET', url: '/api/v1/trading/accounts/not-an-id/risk-limits' },
      {
        method: 'GET',
        url: '/api/v1/trading/accounts/00000000-0000-7000-8000-000000000000/equity',
      },
    ];
    for (const a of attempts) {
      const r = await inject({ ...a, headers: other.auth });
      expect(r.statusCode, `${a.method} ${a.url}`).toBe(404);
      expect(r.json().code).toBe('account_not_found');
    }
    expect((await get(owner, limitsUrl(owner.account))).maxOrderNotional).toBeNull();
    expect((await get(owner, '/api/v1/trading/accounts'))[0].tradingState).toBe('active');
    expect(await t.settled()).toBe(announced);
    const anonymous = await inject({ method: 'GET', url: `${base}/risk-limits` });
    expect(anonymous.statusCode).toBe(401);
  });

  it('stores equity once per interval of the clock: cash + positions at the last price, exactly', async () => {
    const s = await trader();
    // 0.1 @ 50000.00 as taker: cost 5000 + fee 5, so cash 4995 and cost basis 5005.
    const bought = await execute(s, {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.1',
    });
    expect(bought.json()).toMatchObject({ status: 'filled', fees: '5' });
    await market('51234.56');
    const equityUrl = `/api/v1/trading/accounts/${s.account}/equity`;
    // The opening round after start (as soon as the venue has prices) may have stored a point
    // already, depending on when its poll ran; the interval's own point is the one checked.
    expect((await get(s, equityUrl)).points.length).toBeLessThanOrEqual(1);

    // The running snapshotter notices the new interval on its own.
    clock.advance(INTERVAL);
    const first = clock.now();
    const at = new Date(first).toISOString();
    const series = await waitFor(async () => {
      const e = await get(s, equityUrl);
      const points = e.points.filter((p: { ts: string }) => p.ts === at);
      return points.length === 1 && { ...e, points };
    });
    // positions 0.1 × 51234.56 = 5123.456; equity 4995 + 5123.456 = 10118.456;
    // unrealized 5123.456 − 5005 = 118.456 = equity − contributions (10118.456 − 10000)
    expect(series).toEqual({
      accountId: s.account,
      currency: 'USDT',
      intervalMs: INTERVAL,
      points: [
        {
          ts: new Date(first).toISOString(),
          equity: '10118.456',
          cash: '4995',
          positionsValue: '5123.456',
          realizedPnl: '0',
          unrealizedPnl: '118.456',
          netContributions: '10000',
          complete: true,
        },
      ],
    });
    // Every funded account got its point at the same instant, equity = cash + positions.
    const rows = await t.app.database.db
      .selectFrom('equity_snapshots')
      .selectAll()
      .where('ts', '=', new Date(first))
      .execute();
    const funded = await t.app.database.db
      .selectFrom('trading_accounts')
      .select('id')
      .where('journal_seq', '>', 0)
      .execute();
    expect(rows.map((r) => r.account_id).sort()).toEqual(funded.map((a) => a.id).sort());
    for (const r of rows) {
      const [equity, cash, positions] = [r.equity, r.cash, r.positions_value].map((v) =>
        Decimal.parse(String(v)),
      );
      expect(equity!.eq(cash!.add(positions!)), r.account_id).toBe(true);
    }

    // Nothing more within the same interval.
    const snapshots = t.app.trading.snapshots!;
    expect(await snapshots.tick()).toBe(0);

    // Sell half at 52000.00 as maker: realized 0.05 × 52000 − 2.6 fee − 2502.5 cost = 94.9.
    const sell = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'sell',
        type: 'limit',
        quantity: '0.05',
        price: '52000.00',
      })
    ).json();
    await venue().onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: `acct-${++printSeq}`,
      price: d('52000.01'),
      quantity: d('1'),
      side: 'buy',
      ts: clock.now(),
    });
    expect((await get(s, `/api/v1/trading/orders/${sell.id}`)).status).toBe('filled');
    clock.advance(INTERVAL);
    const second = clock.now();
    expect(await snapshots.tick()).toBeGreaterThanOrEqual(funded.length);
    // The opening round's point, if it stored one (see above), comes before these two.
    const all = (await get(s, equityUrl)).points as Array<{ ts: string }>;
    const both = all.filter((p) => p.ts >= at);
    expect(all.length - both.length).toBeLessThanOrEqual(1);
    // cash 4995 + 2600 − 2.6 = 7592.4; 0.05 × 52000.01 = 2600.0005; equity 10192.4005
    expect(both.map((p) => p.ts)).toEqual([
      new Date(first).toISOString(),
      new Date(second).toISOString(),
    ]);
    expect(both[1]).toMatchObject({
      equity: '10192.4005',
      cash: '7592.4',
      positionsValue: '2600.0005',
      realizedPnl: '94.9',
      unrealizedPnl: '97.5005', // 2600.0005 − 2502.5; with 94.9 = 10192.4005 − 10000
      netContributions: '10000',
    });

    // Windows and limits: with `from` the first points, without it the latest.
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    const after = await get(s, `${equityUrl}?from=${iso(first + 1)}`);
    expect(after.points.map((p: { equity: string }) => p.equity)).toEqual(['10192.4005']);
    const latest = await get(s, `${equityUrl}?limit=1`);
    expect(latest.points.map((p: { equity: string }) => p.equity)).toEqual(['10192.4005']);
    const oldest = await get(s, `${equityUrl}?limit=1&from=${iso(first)}`);
    expect(oldest.points.map((p: { equity: string }) => p.equity)).toEqual(['10118.456']);
    const upTo = await get(s, `${equityUrl}?from=${iso(first)}&to=${iso(second - 1)}`);
    expect(upTo.points).toHaveLength(1);
    const backwards = await inject({
      method: 'GET',
      url: `${equityUrl}?from=${iso(second)}&to=${iso(first)}`,
      headers: s.auth,
    });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().errors[0].field).toBe('querystring:/to');
    const notATime = await inject({
      method: 'GET',
      url: `${equityUrl}?from=yesterday`,
      headers: s.auth,
    });
    expect(notATime.statusCode).toBe(400);
    await market('50000.00');
  });

  it('documents the account routes in the OpenAPI document', async () => {
    const r = await inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const paths = r.json().paths as Record<string, Record<string, { tags?: string[] }>>;
    expect(Object.keys(paths['/api/v1/trading/accounts/{id}/risk-limits']!).sort()).toEqual([
      'get',
      'put',
    ]);
    expect(paths['/api/v1/trading/accounts/{id}']!.patch!.tags).toEqual(['trading']);
    expect(paths['/api/v1/trading/accounts/{id}/equity']!.get!.tags).toEqual(['trading']);
  });
});
