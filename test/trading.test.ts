import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../src/core/decimal.js';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

// Market data is driven through the paper venue's own inlet (the entry point the market
// service's listeners call), so every price below is deterministic. BTC/USDT on the paper
// venue: tick 0.01, lot 0.00001, minimum notional 5, maker and taker fee 0.1 %.

type Trader = Awaited<ReturnType<typeof signUp>>;
const d = (s: string) => Decimal.parse(s);

describe.each(backends)('trading on $name', (backend) => {
  let t: TestApp;
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  const venue = () => t.app.trading.venue!;
  const ts = () => Date.now();

  /** A print and a fresh top around `price`: ask at `price`, bid one tick under, size 1 each. */
  async function market(price: string, size = '1') {
    const p = d(price);
    await venue().onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: `t${ts()}`,
      price: p,
      quantity: d('0.001'),
      side: 'buy',
      ts: ts(),
    });
    await venue().onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: p.sub(d('0.01')),
      bidSize: d(size),
      askPrice: p,
      askSize: d(size),
      ts: ts(),
    });
  }
  const trade = (price: string, side: 'buy' | 'sell', quantity = '1') =>
    venue().onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: `t${ts()}`,
      price: d(price),
      quantity: d(quantity),
      side,
      ts: ts(),
    });

  const execute = (s: Trader, payload: Record<string, unknown>) =>
    inject({ method: 'POST', url: '/api/v1/trading/execute', headers: s.auth, payload });
  const get = async (s: Trader, url: string) => {
    const r = await inject({ method: 'GET', url, headers: s.auth });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const usdt = async (s: Trader) =>
    (await get(s, '/api/v1/trading/balances')).find(
      (b: { currency: string }) => b.currency === 'USDT',
    );
  const btc = async (s: Trader) =>
    (await get(s, '/api/v1/trading/balances')).find(
      (b: { currency: string }) => b.currency === 'BTC',
    );
  const count = async (table: string) =>
    Number(
      (
        await t.app.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const trader = async () => {
    const s = await signUp(t.app);
    await waitFor(async () => (await usdt(s))?.total === '10000');
    return s;
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
    await market('50000.00');
  });
  afterAll(async () => t?.close());

  it('funds a new paper account with the demo balance exactly once', async () => {
    const s = await signUp(t.app);
    const accounts = await waitFor(async () => {
      const a = await get(s, '/api/v1/trading/accounts');
      return a.length === 1 && a[0].equity === '10000' && a;
    });
    expect(accounts[0]).toMatchObject({ venue: 'paper', tradingState: 'active', cash: '10000' });
    // The consumer and the lazy path both ran; the journal still holds one deposit.
    await t.app.trading.service.ensureAccount(s.userId);
    const deposits = await t.app.database.db
      .selectFrom('ledger_entries')
      .select('id')
      .where('account_id', '=', accounts[0].id)
      .execute();
    expect(deposits).toHaveLength(1);
    expect(await usdt(s)).toMatchObject({ total: '10000', held: '0', available: '10000' });
  });

  it('fills a market buy and moves balances exactly, publishing live updates', async () => {
    const s = await trader();
    const seen: string[] = [];
    const off = t.app.feed.subscribe(`user.${s.userId}.`, (channel) => seen.push(channel));
    const r = await execute(s, {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.1',
    });
    expect(r.statusCode, r.body).toBe(201);
    // 0.1 @ 50000.00 (the ask) as taker: cost 5000, fee 5000 × 0.001 = 5.
    expect(r.json()).toMatchObject({
      status: 'filled',
      filledQuantity: '0.1',
      averagePrice: '50000',
      fees: '5',
    });
    expect(await usdt(s)).toMatchObject({ total: '4995', held: '0', available: '4995' }); // 10000 − 5000 − 5
    expect(await btc(s)).toMatchObject({ total: '0.1', available: '0.1' });
    const fills = await get(s, '/api/v1/trading/fills');
    expect(fills).toEqual([
      expect.objectContaining({ price: '50000', quantity: '0.1', fee: '5', liquidity: 'taker' }),
    ]);
    await waitFor(() =>
      ['orders', 'fills', 'balances', 'positions'].every((k) =>
        seen.includes(`user.${s.userId}.${k}`),
      ),
    );
    off();
  });

  it('rests a limit, holds its funds, fills it on a through-trade and releases the hold', async () => {
    const s = await trader();
    const r = await execute(s, {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.1',
      price: '49000.00',
    });
    expect(r.json()).toMatchObject({ status: 'accepted', leavesQuantity: '0.1' });
    // Held: 0.1 × 49000 = 4900 plus the worst-case fee 4900 × 0.001 = 4.9.
    expect(await usdt(s)).toMatchObject({ total: '10000', held: '4904.9', available: '5095.1' });
    await trade('48999.99', 'sell');
    const o = await get(s, `/api/v1/trading/orders/${r.json().id}`);
    expect(o).toMatchObject({ status: 'filled', averagePrice: '49000', fees: '4.9' });
    // Maker at its own price: 10000 − 4900 − 4.9 fee; the unused hold is gone.
    expect(await usdt(s)).toMatchObject({ total: '5095.1', held: '0', available: '5095.1' });
    await market('50000.00');
  });

  it('cancels a resting order and releases its hold; amends price and re-holds', async () => {
    const s = await trader();
    const a = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.1',
        price: '49000.00',
      })
    ).json();
    const amended = await inject({
      method: 'PATCH',
      url: `/api/v1/trading/orders/${a.id}`,
      headers: s.auth,
      payload: { price: '48000.00' },
    });
    expect(amended.statusCode, amended.body).toBe(200);
    expect(amended.json()).toMatchObject({ price: '48000', status: 'accepted', version: 2 });
    expect(await usdt(s)).toMatchObject({ held: '4804.8' }); // 0.1 × 48000 + 4.8 fee
    const badAmend = await inject({
      method: 'PATCH',
      url: `/api/v1/trading/orders/${a.id}`,
      headers: s.auth,
      payload: { price: '48000.001' },
    });
    expect(badAmend.statusCode).toBe(400);
    expect(badAmend.json().errors[0].field).toBe('/price');
    const c = await inject({
      method: 'DELETE',
      url: `/api/v1/trading/orders/${a.id}`,
      headers: s.auth,
    });
    expect(c.json()).toMatchObject({ status: 'cancelled', reason: 'user_canceled' });
    expect(await usdt(s)).toMatchObject({ total: '10000', held: '0', available: '10000' });
    const again = await inject({
      method: 'DELETE',
      url: `/api/v1/trading/orders/${a.id}`,
      headers: s.auth,
    });
    expect(again.statusCode).toBe(409);
    expect(await get(s, '/api/v1/trading/orders?status=open')).toEqual([]);
  });

  it('applies IOC, FOK, post-only and reduce-only rules', async () => {
    const s = await trader();
    const ioc = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.01',
        price: '49000.00',
        timeInForce: 'IOC',
      })
    ).json();
    expect(ioc).toMatchObject({ status: 'cancelled', reason: 'ioc_remainder' });
    // Only 1 BTC is offered at or below 50000.00, so 1.5 cannot fill in full.
    const rich = await signUp(t.app);
    await waitFor(async () => (await usdt(rich))?.total === '10000');
    const fok = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.15',
        price: '50000.00',
        timeInForce: 'FOK',
      })
    ).json();
    expect(fok).toMatchObject({ status: 'filled' });
    await market('50000.00', '0.1');
    const fok2 = (
      await execute(rich, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.11',
        price: '50000.00',
        timeInForce: 'FOK',
      })
    ).json();
    expect(fok2).toMatchObject({
      status: 'rejected',
      reason: 'fok_not_fillable',
      filledQuantity: '0',
    });
    await market('50000.00');
    const post = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.01',
        price: '50000.00',
        postOnly: true,
      })
    ).json();
    expect(post).toMatchObject({ status: 'rejected', reason: 'post_only_would_take' });
    const reduceNone = (
      await execute(rich, {
        symbol: 'BTC/USDT',
        side: 'sell',
        type: 'market',
        quantity: '0.01',
        reduceOnly: true,
      })
    ).json();
    expect(reduceNone).toMatchObject({ status: 'rejected', reason: 'reduce_only_would_increase' });
    const reduce = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'sell',
        type: 'market',
        quantity: '0.05',
        reduceOnly: true,
      })
    ).json();
    expect(reduce).toMatchObject({
      status: 'filled',
      filledQuantity: '0.05',
      averagePrice: '49999.99',
    });
  });

  it('triggers a stop-market on the last trade price', async () => {
    const s = await trader();
    const stop = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'stop_market',
        quantity: '0.01',
        stopPrice: '50500.00',
      })
    ).json();
    expect(stop).toMatchObject({ status: 'pending_trigger' });
    await venue().onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: d('50499.99'),
      bidSize: d('1'),
      askPrice: d('50500.00'),
      askSize: d('1'),
      ts: ts(),
    });
    expect((await get(s, `/api/v1/trading/orders/${stop.id}`)).status).toBe('pending_trigger');
    await trade('50500.00', 'buy', '0.001');
    const o = await get(s, `/api/v1/trading/orders/${stop.id}`);
    expect(o).toMatchObject({ status: 'filled', averagePrice: '50500' });
    expect(o.triggeredAt).toBeTruthy();
    await market('50000.00');
  });

  it('makes placement idempotent by clientOrderId and refuses a reused id with another body', async () => {
    const s = await trader();
    const body = {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '40000.00',
      clientOrderId: 'my-1',
    };
    const first = await execute(s, body);
    const second = await execute(s, body);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    const before = await count('orders');
    const reused = await execute(s, { ...body, price: '40000.01' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'client_order_id_reused' });
    expect(await count('orders')).toBe(before);
    await inject({
      method: 'DELETE',
      url: `/api/v1/trading/orders/${first.json().id}`,
      headers: s.auth,
    });
  });

  it('answers every bad input with a precise 400 naming the field, and writes nothing', async () => {
    const s = await trader();
    const base = {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '40000.00',
    };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ quantity: '0' }, '/quantity'],
      [{ quantity: '-1' }, '/quantity'],
      [{ quantity: '0.000001' }, '/quantity'],
      [{ quantity: 'NaN' }, '/quantity'],
      [{ quantity: 'Infinity' }, '/quantity'],
      [{ quantity: '1e400' }, '/quantity'],
      [{ quantity: 0.01 }, '/quantity'],
      [{ price: '40000.001' }, '/price'],
      [{ price: '40000.005' }, '/price'],
      [{ symbol: 'FOO/BAR' }, '/symbol'],
      [{ side: 'hold' }, '/side'],
      [{ type: 'limit', price: undefined }, '/price'],
      [{ clientOrderId: 'has spaces' }, '/clientOrderId'],
    ];
    const before = [await count('orders'), await t.settled()];
    for (const [patch, field] of cases) {
      const r = await execute(s, { ...base, ...patch });
      expect(r.statusCode, JSON.stringify(patch)).toBe(400);
      expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
      const fields = (r.json().errors ?? []).map((e: { field: string }) => e.field);
      expect(
        fields.some((f: string) => f.startsWith(field)),
        `${JSON.stringify(patch)} → ${r.body}`,
      ).toBe(true);
    }
    expect([await count('orders'), await t.settled()]).toEqual(before);
    expect(await usdt(s)).toMatchObject({ total: '10000', held: '0' });
  });

  it("answers 404 to another user's order, and to an account that is not yours", async () => {
    const owner = await trader();
    const other = await trader();
    const o = (
      await execute(owner, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.01',
        price: '40000.00',
      })
    ).json();
    for (const method of ['GET', 'DELETE'] as const) {
      const r = await inject({
        method,
        url: `/api/v1/trading/orders/${o.id}`,
        headers: other.auth,
      });
      expect(r.statusCode).toBe(404);
    }
    const amend = await inject({
      method: 'PATCH',
      url: `/api/v1/trading/orders/${o.id}`,
      headers: other.auth,
      payload: { price: '41000.00' },
    });
    expect(amend.statusCode).toBe(404);
    const acct = (await get(owner, '/api/v1/trading/accounts'))[0].id;
    const r = await execute(other, {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '40000.00',
      accountId: acct,
    });
    expect(r.statusCode).toBe(404);
    expect((await get(owner, `/api/v1/trading/orders/${o.id}`)).status).toBe('accepted');
    await inject({ method: 'DELETE', url: `/api/v1/trading/orders/${o.id}`, headers: owner.auth });
  });

  it('records a risk denial as a rejected order with a reason code and an OrderDenied event', async () => {
    const s = await trader();
    const r = await execute(s, {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '1',
      price: '50000.00',
    });
    expect(r.statusCode).toBe(201);
    // 1 × 50000 + 50 fee = 50050 needed; 10000 available.
    expect(r.json()).toMatchObject({ status: 'rejected', reason: 'insufficient_balance' });
    expect(r.json().reasonMessage).toContain('50050');
    await t.settled();
    const events = t.published({ type: 'OrderDenied' });
    expect(events.some((e) => JSON.stringify(e.payload).includes(r.json().id))).toBe(true);
    expect(await usdt(s)).toMatchObject({ total: '10000', held: '0' });
  });

  it('reports average cost, realized and unrealized PnL and equity through a round trip', async () => {
    const s = await trader();
    await execute(s, { symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.1' });
    await trade('50000.00', 'buy', '0.001');
    // Cost basis 5000 + 5 fee = 5005 → average 50050; marked at 50000: 0.1 × 50000 − 5005 = −5.
    const [open] = await get(s, '/api/v1/trading/positions');
    expect(open).toMatchObject({
      quantity: '0.1',
      averageCost: '50050',
      costBasis: '5005',
      realizedPnl: '0',
      unrealizedPnl: '-5',
    });
    expect((await get(s, '/api/v1/trading/accounts'))[0]).toMatchObject({
      equity: '9995',
      cash: '4995',
      positionsValue: '5000',
      unrealizedPnl: '-5',
    });
    const sell = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'sell',
        type: 'limit',
        quantity: '0.1',
        price: '51000.00',
      })
    ).json();
    expect(await btc(s)).toMatchObject({ total: '0.1', held: '0.1', available: '0' });
    await trade('51000.01', 'buy');
    expect((await get(s, `/api/v1/trading/orders/${sell.id}`)).status).toBe('filled');
    // Sold 0.1 @ 51000 as maker: 5100 − 5.1 fee − 5005 cost = 89.9 realized.
    const [closed] = await get(s, '/api/v1/trading/positions');
    expect(closed).toMatchObject({
      quantity: '0',
      realizedPnl: '89.9',
      feesPaid: '10.1',
      unrealizedPnl: '0',
    });
    // 4995 + 5100 − 5.1 = 10089.9 = 10000 + 89.9
    expect((await get(s, '/api/v1/trading/accounts'))[0]).toMatchObject({
      equity: '10089.9',
      cash: '10089.9',
      realizedPnl: '89.9',
    });
    await market('50000.00');
  });

  it('restores open orders and their holds after a restart', async () => {
    const s = await trader();
    const o = (
      await execute(s, {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.1',
        price: '45000.00',
      })
    ).json();
    const before = t.app.trading.venue!;
    await t.app.trading.stop();
    expect(t.app.trading.venue).toBeUndefined();
    await t.app.trading.start();
    // A new engine, rebuilt from the database alone.
    expect(t.app.trading.venue).not.toBe(before);
    expect(t.app.trading.venue!.engine.order(o.id)).toBeDefined();
    expect(await usdt(s)).toMatchObject({ held: '4504.5' }); // 4500 + 4.5
    await inject({ method: 'DELETE', url: `/api/v1/trading/orders/${o.id}`, headers: s.auth });
    await market('50000.00');
  });
});
