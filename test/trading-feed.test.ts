import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../src/core/decimal.js';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

const d = (s: string) => Decimal.parse(s);

/**
 * The venue's live account updates: built and published for a user only while something may
 * receive them (a screen through the gateway, any local subscriber), with the same content
 * either way.
 */
describe.each(backends)('live account updates on $name', (backend) => {
  let t: TestApp;
  const published: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend);
    const feed = t.app.feed;
    const publish = feed.publish.bind(feed);
    feed.publish = (channel, data) => {
      published.push(channel);
      publish(channel, data);
    };
    const venue = t.app.trading.venue!;
    const now = Date.now();
    await venue.onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: `t${now}`,
      price: d('50000'),
      quantity: d('0.001'),
      side: 'buy',
      ts: now,
    });
    await venue.onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: d('49999.99'),
      bidSize: d('10'),
      askPrice: d('50000'),
      askSize: d('10'),
      ts: now,
    });
  });
  afterAll(async () => t?.close());

  const buy = (s: { auth: Record<string, string> }) =>
    t.app.http.inject({
      method: 'POST',
      url: '/api/v1/trading/execute',
      headers: s.auth,
      payload: { symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' },
    });

  it('builds no update for a user nobody watches, and all four for one someone does', async () => {
    const s = await signUp(t.app);
    const mine = () => published.filter((c) => c.startsWith(`user.${s.userId}.`));
    await waitFor(async () => {
      const r = await t.app.http.inject({
        method: 'GET',
        url: '/api/v1/trading/balances',
        headers: s.auth,
      });
      return r.json().some((b: { total: string }) => b.total === '10000');
    });

    expect((await buy(s)).json()).toMatchObject({ status: 'filled' });
    // The embedded feed knows every subscriber; through Redis another process may have one.
    expect(mine().length).toBe(t.app.feed.kind === 'memory' ? 0 : 4);

    // Keyed by kind; through Redis the first buy's updates may still be arriving, so each kind
    // is awaited until it shows the second one.
    const got = new Map<string, unknown>();
    const stop = t.app.feed.subscribe(`user.${s.userId}.`, (channel, data) =>
      got.set(channel.slice(`user.${s.userId}.`.length), data),
    );
    try {
      const order = (await buy(s)).json();
      expect(order).toMatchObject({ status: 'filled' });
      const has = (kind: string, text: string) =>
        JSON.stringify(got.get(kind) ?? '').includes(text);
      await waitFor(
        () =>
          has('orders', order.id) &&
          has('fills', order.id) &&
          has('balances', '"8999"') &&
          has('positions', '"0.02"'),
      );
      expect(got.get('orders')).toMatchObject({ id: order.id, status: 'filled', quantity: '0.01' });
      expect(got.get('fills')).toMatchObject({
        orderId: order.id,
        price: '50000',
        quantity: '0.01',
      });
      // Two buys of 0.01 at 50000, 0.5 USDT fee each: 10000 − 1001 = 8999.
      expect(got.get('balances')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ currency: 'USDT', total: '8999', held: '0' }),
          expect.objectContaining({ currency: 'BTC', total: '0.02' }),
        ]),
      );
      expect(got.get('positions')).toEqual([
        expect.objectContaining({ symbol: 'BTC/USDT', quantity: '0.02', markPrice: '50000' }),
      ]);
    } finally {
      stop();
    }
  });
});
