import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../src/core/decimal.js';
import { backends, freshDatabase } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

// A scaled-out deployment: API processes that hold no matching engine forward order commands
// to the one process leading the paper venue, over Redis. Users talk only to the API process.

const distributed = backends.find((b) => b.name === 'postgres+redis');
const d = (s: string) => Decimal.parse(s);

describe.runIf(distributed)('order commands across processes', () => {
  it('forwards orders from an API process to the venue leader, and a standby takes over', async () => {
    const backend = distributed!;
    const db = await freshDatabase(backend);
    const env = {
      REDIS_PREFIX: `obscura_t_${randomBytes(4).toString('hex')}`,
      TRADING_COMMAND_TIMEOUT_MS: '3000',
    };
    const apps: TestApp[] = [];
    const start = async (role: 'api' | 'worker') => {
      const a = await startTestApp(backend, { db, env, role });
      apps.push(a);
      return a;
    };
    let ts = Date.now();
    const price = async (t: TestApp, p: string) => {
      const v = t.app.trading.venue!;
      ts += 1;
      await v.onTrade({
        venue: 'paper',
        symbol: 'BTC/USDT',
        id: `split-${ts}`,
        price: d(p),
        quantity: d('0.001'),
        side: 'buy',
        ts,
      });
      await v.onBookTop({
        venue: 'paper',
        symbol: 'BTC/USDT',
        bidPrice: d(p).sub(d('0.01')),
        bidSize: d('5'),
        askPrice: d(p),
        askSize: d('5'),
        ts,
      });
    };
    try {
      const leader = await start('worker');
      const api = await start('api');
      const standby = await start('worker');
      expect(leader.app.trading.venue).toBeDefined();
      expect(api.app.trading.venue).toBeUndefined();
      expect(standby.app.trading.venue).toBeUndefined();
      await price(leader, '50000.00');

      const s = await signUp(api.app);
      const inject = (o: InjectOptions) =>
        api.app.http.inject({ ...o, headers: { ...s.auth, ...(o.headers ?? {}) } });
      const execute = (payload: Record<string, unknown>) =>
        inject({ method: 'POST', url: '/api/v1/trading/execute', payload });
      const usdt = async () =>
        (
          (await inject({ method: 'GET', url: '/api/v1/trading/balances' })).json() as Array<{
            currency: string;
            total: string;
          }>
        ).find((b) => b.currency === 'USDT');
      await waitFor(async () => (await usdt())?.total === '10000', 10_000);
      // The API process must have heard the leader's heartbeat before it forwards.
      await waitFor(async () => {
        const r = await execute({
          symbol: 'BTC/USDT',
          side: 'buy',
          type: 'market',
          quantity: '0.01',
        });
        return r.statusCode === 201 && r;
      }, 5000).then((r) =>
        expect(r.json()).toMatchObject({ status: 'filled', filledQuantity: '0.01' }),
      );
      expect((await usdt())!.total).toBe('9499.5'); // 500 + 0.5 taker fee

      // A resting limit, under a client order id; the same id and body again is the same order.
      const body = {
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.01',
        price: '49000.00',
        clientOrderId: 'split-1',
      };
      const rest = await execute(body);
      expect(rest.statusCode, rest.body).toBe(201);
      expect(rest.json()).toMatchObject({ status: 'accepted', clientOrderId: 'split-1' });
      const again = await execute(body);
      expect(again.statusCode).toBe(200);
      expect(again.json().id).toBe(rest.json().id);
      // Errors raised in the leader come back as the same precise answers.
      const reused = await execute({ ...body, price: '48000.00' });
      expect(reused.statusCode).toBe(409);
      const bad = await execute({
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.000001',
        price: '49000.00',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toMatch(/problem\+json/);
      expect(JSON.stringify(bad.json())).toContain('/quantity');

      // The leader goes away: commands are refused with 503 (never a 500, never a half write)
      // until the standby leads, restores the resting order and serves commands.
      await leader.close();
      const during = await execute({
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        quantity: '0.01',
      });
      expect([503]).toContain(during.statusCode);
      await waitFor(() => standby.app.trading.venue, 20_000, { message: 'the standby leads' });
      await price(standby, '50000.00');
      const cancel = await waitFor(async () => {
        const r = await inject({
          method: 'DELETE',
          url: `/api/v1/trading/orders/${rest.json().id}`,
        });
        return r.statusCode === 200 && r;
      }, 10_000);
      expect(cancel.json()).toMatchObject({ status: 'cancelled' });
      const after = await execute({
        symbol: 'BTC/USDT',
        side: 'sell',
        type: 'market',
        quantity: '0.01',
      });
      expect(after.statusCode, after.body).toBe(201);
      expect(after.json()).toMatchObject({ status: 'filled' });
      // Everything acknowledged is in the database exactly once.
      const orders = await api.app.database.db
        .selectFrom('orders')
        .select(['client_order_id', 'status'])
        .execute();
      expect(orders.filter((o) => o.client_order_id === 'split-1')).toEqual([
        { client_order_id: 'split-1', status: 'cancelled' },
      ]);
    } finally {
      for (const a of apps.reverse()) await a.close().catch(() => {});
      await db.drop();
    }
  });
});
