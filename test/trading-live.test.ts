import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/apps/app.js';
import { Decimal } from '../src/core/decimal.js';
import { FakeBinance, type ApiKey } from './fakes/binance/index.js';
import { backends, freshDatabase } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

// Live (exchange) accounts end to end: credentials stored through the vault, linked, and
// traded through the same routes as paper accounts, against the fake Binance with CCXT as the
// client. BTC/USDT there: tick 0.01, lot 0.00001, minimum notional 5; the fake fills market
// orders at its last price and charges 0.1 % of the asset received.

type Trader = Awaited<ReturnType<typeof signUp>>;
const STREAM_MS = 15_000;

describe.each(backends)('live trading accounts on $name', (backend) => {
  let fake: FakeBinance;
  let t: TestApp;
  const keys: ApiKey[] = [];
  const env = () => ({
    EXCHANGE_URLS: JSON.stringify({ binance: fake.urls() }),
    TRADING_LIVE_SYNC_MS: '0',
  });

  const call = (app: App, o: InjectOptions) => app.http.inject(o);
  const get = async (s: Trader, url: string, app = t.app) => {
    const r = await call(app, { method: 'GET', url, headers: s.auth });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const execute = (s: Trader, payload: Record<string, unknown>, app = t.app) =>
    call(app, { method: 'POST', url: '/api/v1/trading/execute', headers: s.auth, payload });
  /** An order on BTC/USDT for the trader's exchange account. */
  const onExchange = (
    s: Trader & { accountId: string },
    order: Record<string, unknown>,
    app = t.app,
  ) => execute(s, { accountId: s.accountId, symbol: 'BTC/USDT', ...order }, app);
  const storeCredential = async (s: Trader, key: ApiKey, secret = key.secret, app = t.app) => {
    const r = await call(app, {
      method: 'POST',
      url: '/api/v1/credentials',
      headers: s.auth,
      payload: {
        exchange: 'binance',
        label: `k-${randomBytes(3).toString('hex')}`,
        apiKey: key.apiKey,
        secret,
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };
  const link = (s: Trader, credentialId: string, app = t.app) =>
    call(app, {
      method: 'POST',
      url: '/api/v1/trading/accounts',
      headers: s.auth,
      payload: { credentialId },
    });
  const balances = async (s: Trader, accountId: string, app = t.app) =>
    Object.fromEntries(
      (await get(s, `/api/v1/trading/balances?accountId=${accountId}`, app)).map(
        (b: { currency: string; total: string; held: string }) => [b.currency, b.total],
      ),
    );
  const order = (s: Trader, id: string, app = t.app) => get(s, `/api/v1/trading/orders/${id}`, app);
  const fillsOf = (s: Trader, accountId: string, orderId: string, app = t.app) =>
    get(s, `/api/v1/trading/fills?accountId=${accountId}&orderId=${orderId}`, app);

  /** A trader with a linked Binance account holding 100000 USDT and 1 BTC. */
  async function linked(app = t.app) {
    const s = await signUp(app);
    const key = fake.addKey({ balances: { USDT: '100000', BTC: '1' } });
    keys.push(key);
    const credentialId = await storeCredential(s, key, key.secret, app);
    const r = await link(s, credentialId, app);
    expect(r.statusCode, r.body).toBe(201);
    return { ...s, key, credentialId, accountId: r.json().id as string, linkedBody: r.json() };
  }
  const streaming = (key: ApiKey) =>
    waitFor(() => fake.hub.userSubscribed(key.account), STREAM_MS, {
      message: 'user data stream subscribed',
    });

  beforeAll(async () => {
    fake = await FakeBinance.start();
    t = await startTestApp(backend, { env: env() });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('links an exchange account whose ledger opens with the exchange balances', async () => {
    const s = await linked();
    expect(s.linkedBody).toMatchObject({
      venue: 'binance',
      name: 'Binance',
      isDefault: false,
      credentialId: s.credentialId,
      balances: [
        { currency: 'BTC', total: '1' },
        { currency: 'USDT', total: '100000' },
      ],
      permissions: { canTrade: true, canWithdraw: false, reported: true },
    });
    expect(s.linkedBody.warnings.join(' ')).toContain('not restricted to IP addresses');
    expect(await balances(s, s.accountId)).toEqual({ BTC: '1', USDT: '100000' });

    const accounts = await get(s, '/api/v1/trading/accounts');
    const live = accounts.find((a: { id: string }) => a.id === s.accountId);
    expect(live).toMatchObject({
      venue: 'binance',
      credentialId: s.credentialId,
      // Opening balances are money paid in, not profit.
      netContributions: '100000',
      connection: { state: 'idle' },
    });
    const entries = await t.app.database.db
      .selectFrom('ledger_entries')
      .select(['id', 'kind', 'reference'])
      .where('account_id', '=', s.accountId)
      .execute();
    expect(entries).toEqual([
      { id: `exchange_sync:${s.accountId}:opening`, kind: 'exchange_sync', reference: 'opening' },
    ]);
    await t.settled();
    expect(
      t.published({ key: s.accountId }).map((e) => ({ type: e.type, topic: e.topic })),
    ).toContainEqual({
      type: 'ExchangeAccountLinked',
      topic: 'trading.accounts',
    });
    await waitFor(async () => {
      const rows = await t.app.database.db
        .selectFrom('audit_log')
        .select('action')
        .where('user_id', '=', s.userId)
        .execute();
      return rows.some((r: { action: string }) => r.action === 'trading.exchange_linked');
    });

    // The same credential twice would count one exchange balance twice.
    const again = await link(s, s.credentialId);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('credential_already_linked');
  });

  it('refuses a key that can withdraw, explaining why, and creates nothing', async () => {
    const s = await signUp(t.app);
    const key = fake.addKey({
      restrictions: { enableWithdrawals: true },
      balances: { USDT: '10' },
    });
    const r = await link(s, await storeCredential(s, key));
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    const body = r.json();
    expect(body.code).toBe('key_can_withdraw');
    expect(body.errors).toEqual([{ field: '/credentialId', message: 'key_can_withdraw' }]);
    expect(body.detail).toContain('can withdraw');
    expect(body.detail).toContain('untick "Enable Withdrawals"');
    const accounts = await get(s, '/api/v1/trading/accounts');
    expect(accounts.map((a: { venue: string }) => a.venue)).toEqual(['paper']);
  });

  it('a wrong secret is a clear 400 with no secret in the answer or the logs', async () => {
    const s = await signUp(t.app);
    const key = fake.addKey({ balances: { USDT: '10' } });
    const wrong = `wrong-${randomBytes(16).toString('hex')}`;
    const r = await link(s, await storeCredential(s, key, wrong));
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'venue_auth_failed' });
    expect(r.json().detail).toContain('API secret is wrong');
    expect(r.body).not.toContain(wrong);
    expect(t.logs.text).not.toContain(wrong);
    expect(t.logs.text).not.toContain(key.secret);
    // Another user's credential, or none at all, is a 404 naming the field.
    const other = await signUp(t.app);
    const mine = await storeCredential(s, fake.addKey());
    const theirs = await link(other, mine);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toMatchObject({
      code: 'credential_not_found',
      errors: [{ field: '/credentialId' }],
    });
  });

  it('a market order fills on the exchange and shows in the same fills, balances and positions', async () => {
    const s = await linked();
    fake.setPrice('BTCUSDT', '50000.00');
    const r = await onExchange(s, {
      side: 'buy',
      type: 'market',
      quantity: '0.001',
    });
    expect(r.statusCode, r.body).toBe(201);
    const o = r.json();
    expect(o).toMatchObject({
      venue: 'binance',
      accountId: s.accountId,
      status: 'filled',
      filledQuantity: '0.001',
      averagePrice: '50000',
    });
    expect(fake.orders(s.key.account)).toHaveLength(1);
    expect(fake.order({ clientOrderId: o.clientOrderId }).status).toBe('FILLED');

    const fills = await fillsOf(s, s.accountId, o.id);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({
      venue: 'binance',
      price: '50000',
      quantity: '0.001',
      fee: '0.000001',
      feeCurrency: 'BTC',
      liquidity: 'taker',
    });
    expect(fills[0].id).toMatch(/^binance:BTCUSDT:\d+$/);
    // 100000 − 0.001 × 50000 = 99950 USDT; 1 + 0.001 − 0.000001 (fee) = 1.000999 BTC: the exchange's own.
    expect(await balances(s, s.accountId)).toEqual({ BTC: '1.000999', USDT: '99950' });
    expect(fake.balance(s.key.account, 'BTC').free).toBe('1.000999');
    expect(fake.balance(s.key.account, 'USDT').free).toBe('99950');
    const positions = await get(s, `/api/v1/trading/positions?accountId=${s.accountId}`);
    expect(positions).toHaveLength(1);
    expect(positions[0]).toMatchObject({
      venue: 'binance',
      symbol: 'BTC/USDT',
      quantity: '0.000999',
      costBasis: '50',
    });
    // The order's transitions went out like a paper order's.
    await t.settled();
    const types = t.published({ topic: 'trading.orders', key: s.accountId }).map((e) => e.type);
    expect(types).toEqual(['OrderAccepted', 'OrderFilled']);
    // Nothing to correct: the ledger followed the exchange exactly.
    expect(await t.app.trading.live!.syncBalances(s.accountId)).toBe('in_sync');
  });

  it('a resting limit fills when the exchange price crosses it, through the stream', async () => {
    const s = await linked();
    fake.setPrice('BTCUSDT', '50000.00');
    const r = await onExchange(s, {
      side: 'buy',
      type: 'limit',
      quantity: '0.002',
      price: '49500.10',
    });
    expect(r.statusCode, r.body).toBe(201);
    const o = r.json();
    expect(o.status).toBe('accepted');
    // 0.002 × 49500.10 = 99.0002, plus the 0.1 % fee rounded up at 8 places: 0.0990002.
    const held = (await get(s, `/api/v1/trading/balances?accountId=${s.accountId}`)).find(
      (b: { currency: string }) => b.currency === 'USDT',
    );
    expect(held).toMatchObject({ total: '100000', held: '99.0992002' });
    await streaming(s.key);

    fake.setPrice('BTCUSDT', '49500.00');
    await waitFor(async () => (await order(s, o.id)).status === 'filled', STREAM_MS);
    const fills = await fillsOf(s, s.accountId, o.id);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ price: '49500.1', quantity: '0.002', liquidity: 'maker' });
    // 100000 − 99.0002; the hold is gone with the order.
    const after = (await get(s, `/api/v1/trading/balances?accountId=${s.accountId}`)).find(
      (b: { currency: string }) => b.currency === 'USDT',
    );
    expect(after).toMatchObject({ total: '99900.9998', held: '0' });

    const one = await get(s, `/api/v1/trading/accounts/${s.accountId}`);
    expect(one).toMatchObject({
      id: s.accountId,
      venue: 'binance',
      connection: { state: 'connected', stream: 'connected', breaker: { state: 'closed' } },
    });
  });

  it("copies a paper leader's fill into a follower's exchange account", async () => {
    fake.setPrice('BTCUSDT', '50000.00');
    // The platform's own market at the same price, so the copy's slippage limit is met.
    const venue = t.app.trading.venue!;
    const px = Decimal.parse('50000');
    const ts = Date.now();
    await venue.onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: `copy-live-${ts}`,
      price: px,
      quantity: Decimal.parse('0.001'),
      side: 'buy',
      ts,
    });
    await venue.onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: Decimal.parse('49999.99'),
      bidSize: Decimal.parse('100'),
      askPrice: px,
      askSize: Decimal.parse('100'),
      ts,
    });
    const leader = await signUp(t.app, { role: 'trader' });
    await waitFor(async () => {
      const b = await get(leader, '/api/v1/trading/balances');
      return b.some(
        (x: { currency: string; total: string }) => x.currency === 'USDT' && x.total !== '0',
      );
    });
    const profile = await call(t.app, {
      method: 'POST',
      url: '/api/v1/copy/leaders',
      headers: leader.auth,
      payload: { displayName: 'Paper leader' },
    });
    expect(profile.statusCode, profile.body).toBe(201);
    const f = await linked();
    const follow = await call(t.app, {
      method: 'POST',
      url: '/api/v1/copy/follow',
      headers: f.auth,
      payload: {
        leaderId: profile.json().id,
        accountId: f.accountId,
        mode: 'fixed_ratio',
        ratio: '0.5',
        allocatedAmount: '6000',
      },
    });
    expect(follow.statusCode, follow.body).toBe(201);

    const lead = await execute(leader, {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.004',
    });
    expect(lead.statusCode, lead.body).toBe(201);
    expect(lead.json().status).toBe('filled');
    const trades = await waitFor(async () => {
      const list = await get(f, `/api/v1/copy/follows/${follow.json().id}/trades`);
      return list.length > 0 && list;
    }, STREAM_MS);
    expect(trades[0], JSON.stringify(trades[0])).toMatchObject({
      status: 'copied',
      order: { quantity: '0.002', filledQuantity: '0.002', averagePrice: '50000' },
    });
    // The copy went to the exchange, once, under the copy's idempotency key.
    const sent = fake.orders(f.key.account);
    expect(sent).toHaveLength(1);
    expect(fake.order({ clientOrderId: sent[0]!.clientOrderId }).status).toBe('FILLED');
    expect(await balances(f, f.accountId)).toMatchObject({ BTC: '1.001998' });
  });

  it('cancels a working order on the exchange', async () => {
    const s = await linked();
    fake.setPrice('BTCUSDT', '50000.00');
    const o = (
      await onExchange(s, {
        side: 'sell',
        type: 'limit',
        quantity: '0.01',
        price: '51000',
      })
    ).json();
    expect(o.status).toBe('accepted');
    const r = await call(t.app, {
      method: 'DELETE',
      url: `/api/v1/trading/orders/${o.id}`,
      headers: s.auth,
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'cancelled', reason: 'user_canceled' });
    expect(fake.order({ clientOrderId: o.clientOrderId }).status).toBe('CANCELED');
    const btc = (await get(s, `/api/v1/trading/balances?accountId=${s.accountId}`)).find(
      (b: { currency: string }) => b.currency === 'BTC',
    );
    expect(btc).toMatchObject({ total: '1', held: '0', available: '1' });
    const twice = await call(t.app, {
      method: 'DELETE',
      url: `/api/v1/trading/orders/${o.id}`,
      headers: s.auth,
    });
    expect(twice.statusCode).toBe(409);
  });

  it('amends a working order (Binance replaces it) and holds what the new price needs', async () => {
    const s = await linked();
    fake.setPrice('BTCUSDT', '50000.00');
    const o = (
      await onExchange(s, {
        side: 'buy',
        type: 'limit',
        quantity: '0.002',
        price: '49000',
      })
    ).json();
    expect(o.status).toBe('accepted');
    await streaming(s.key);
    const r = await call(t.app, {
      method: 'PATCH',
      url: `/api/v1/trading/orders/${o.id}`,
      headers: s.auth,
      payload: { price: '49800.50' },
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'accepted', price: '49800.5', version: 2 });
    const onFake = fake.orders(s.key.account).filter((x) => x.clientOrderId === o.clientOrderId);
    expect(onFake.map((x) => [x.status, x.price.toString()])).toEqual([
      ['CANCELED', '49000'],
      ['NEW', '49800.5'],
    ]);
    // 0.002 × 49800.5 = 99.601, plus the 0.1 % fee: 0.099601.
    const usdt = async () =>
      (await get(s, `/api/v1/trading/balances?accountId=${s.accountId}`)).find(
        (b: { currency: string }) => b.currency === 'USDT',
      );
    expect(await usdt()).toMatchObject({ total: '100000', held: '99.700601' });

    fake.setPrice('BTCUSDT', '49800.00');
    await waitFor(async () => (await order(s, o.id)).status === 'filled', STREAM_MS);
    const fills = await fillsOf(s, s.accountId, o.id);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ price: '49800.5', quantity: '0.002' });
    expect(await usdt()).toMatchObject({ total: '99900.399', held: '0' });
  });

  it('a fill made while the stream is down appears once after reconnecting', async () => {
    const s = await linked();
    fake.setPrice('BTCUSDT', '50000.00');
    const clientOrderId = `drop-${randomBytes(4).toString('hex')}`;
    const o = (
      await onExchange(s, {
        clientOrderId,
        side: 'buy',
        type: 'limit',
        quantity: '0.003',
        price: '49000',
      })
    ).json();
    await streaming(s.key);
    expect(fake.dropStreams('user')).toBeGreaterThan(0);
    fake.fillOrder({ clientOrderId });
    await waitFor(async () => (await order(s, o.id)).status === 'filled', STREAM_MS);
    await t.app.trading.live!.connection(s.accountId).then((c) => c.connector.reconcile());
    await (await t.app.trading.live!.connection(s.accountId)).settled();
    const fills = await fillsOf(s, s.accountId, o.id);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ price: '49000', quantity: '0.003' });
    // 100000 − 0.003 × 49000 = 99853; 1 + 0.003 − 0.000003 = 1.002997.
    expect(await balances(s, s.accountId)).toEqual({ BTC: '1.002997', USDT: '99853' });
  });

  it('a client order id reused with another body is a 409, as on paper; the same body is the same order', async () => {
    const s = await linked();
    const body = {
      accountId: s.accountId,
      clientOrderId: `same-${randomBytes(4).toString('hex')}`,
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.001',
      price: '40000',
    };
    const first = await execute(s, body);
    expect(first.statusCode, first.body).toBe(201);
    const repeat = await execute(s, body);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json().id).toBe(first.json().id);
    const other = await execute(s, { ...body, price: '41000' });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('client_order_id_reused');
    expect(fake.orders(s.key.account)).toHaveLength(1);
  });

  it('risk checks the ledger: an order beyond the available balance is rejected, nothing is sent', async () => {
    const s = await linked();
    const r = await onExchange(s, {
      side: 'sell',
      type: 'limit',
      quantity: '2',
      price: '60000',
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ status: 'rejected', reason: 'insufficient_balance' });
    expect(fake.orders(s.key.account)).toHaveLength(0);
    // The exchange's own refusal is a rejection with its reason too.
    const bad = await onExchange(s, {
      side: 'buy',
      type: 'limit',
      quantity: '0.001',
      price: '100000000',
    });
    expect(bad.statusCode).toBe(201);
    expect(bad.json().status).toBe('rejected');
  });

  it('records deposits made on the exchange at the next balance sync', async () => {
    const s = await linked();
    // An order rests meanwhile: 0.001 × 40000 = 40 USDT locked on the exchange.
    const resting = await onExchange(s, {
      side: 'buy',
      type: 'limit',
      quantity: '0.001',
      price: '40000',
    });
    expect(resting.json().status).toBe('accepted');
    expect(fake.balance(s.key.account, 'USDT')).toEqual({ free: '99960', locked: '40' });
    // 250.5 USDT deposited, 0.25 BTC withdrawn, on the exchange.
    fake.engine.fund(s.key.account, 'USDT', '100210.5');
    fake.engine.fund(s.key.account, 'BTC', '0.75');
    expect(await t.app.trading.live!.syncBalances(s.accountId)).toBe('synced');
    expect(await balances(s, s.accountId)).toEqual({ BTC: '0.75', USDT: '100250.5' });
    const [account] = (await get(s, '/api/v1/trading/accounts')).filter(
      (a: { id: string }) => a.id === s.accountId,
    );
    expect(account.netContributions).toBe('100250.5');
    expect(await t.app.trading.live!.syncBalances(s.accountId)).toBe('in_sync');
    const kinds = await t.app.database.db
      .selectFrom('ledger_entries')
      .select(['kind', 'reference'])
      .where('account_id', '=', s.accountId)
      .orderBy('seq')
      .execute();
    expect(kinds).toEqual([
      { kind: 'exchange_sync', reference: 'opening' },
      { kind: 'exchange_sync', reference: 'balance_sync' },
    ]);
  });

  it('an exchange in trouble is an answer about that account; readiness does not depend on it', async () => {
    const s = await linked();
    fake.failNext(1, { status: 503, path: /^\/api\/v3\/account$/ });
    await expect(t.app.trading.live!.syncBalances(s.accountId)).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'venue_unavailable',
    });
    const r = await call(t.app, { method: 'GET', url: '/ready' });
    expect(r.statusCode).toBe(200);
  });

  it('deleting the credential refuses the next order and closes the exchange connection', async () => {
    const s = await linked();
    await t.app.trading.live!.connection(s.accountId);
    await streaming(s.key);
    const del = await call(t.app, {
      method: 'DELETE',
      url: `/api/v1/credentials/${s.credentialId}`,
      headers: s.auth,
    });
    expect(del.statusCode, del.body).toBe(204);
    const r = await onExchange(s, {
      side: 'buy',
      type: 'market',
      quantity: '0.001',
    });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'exchange_disconnected' });
    // Nothing listens to the exchange with the deleted key any more.
    await waitFor(() => !fake.hub.userSubscribed(s.key.account), STREAM_MS, {
      message: 'user data stream closed',
    });
    const [account] = (await get(s, '/api/v1/trading/accounts')).filter(
      (a: { id: string }) => a.id === s.accountId,
    );
    expect(JSON.stringify(account)).toContain('deleted');
  });

  it('no key or secret of a linked account reached the logs', () => {
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(t.logs.text).not.toContain(k.secret);
      expect(t.logs.text).not.toContain(k.apiKey);
    }
  });

  if (backend.name === 'postgres+redis') {
    it('an API process links, forwards live orders to the leader and shows the stored connection', async () => {
      const db = await freshDatabase(backend);
      // Every process of a deployment shares the vault key.
      const e = {
        ...env(),
        REDIS_PREFIX: `obscura_t_${randomBytes(4).toString('hex')}`,
        VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      };
      const apps: TestApp[] = [];
      try {
        const leader = await startTestApp(backend, { db, env: e, role: 'worker' });
        apps.push(leader);
        const api = await startTestApp(backend, { db, env: e, role: 'api' });
        apps.push(api);
        expect(api.app.trading.live).toBeUndefined();
        const s = await linked(api.app);
        fake.setPrice('BTCUSDT', '50000.00');
        // The API process must have heard the leader's heartbeat before it forwards.
        const r = await waitFor(async () => {
          const res = await onExchange(
            s,
            {
              clientOrderId: 'split-1',
              side: 'buy',
              type: 'market',
              quantity: '0.001',
            },
            api.app,
          );
          return res.statusCode === 201 || res.statusCode === 200 ? res : undefined;
        }, 10_000);
        expect(r.json()).toMatchObject({ status: 'filled', venue: 'binance' });
        expect(await balances(s, s.accountId, api.app)).toEqual({
          BTC: '1.000999',
          USDT: '99950',
        });
        await waitFor(
          async () => {
            const one = await get(s, `/api/v1/trading/accounts/${s.accountId}`, api.app);
            return one.connection?.breaker?.state === 'closed';
          },
          STREAM_MS,
          { message: 'connection stored by the leader' },
        );
      } finally {
        for (const a of apps.reverse()) await a.close();
        await db.drop();
      }
    });
  }

  it('after a restart, working orders are tracked again and each fill is applied once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'obscura-live-'));
    const db = backend.databaseUrl ? await freshDatabase(backend) : undefined;
    const opts = (e: Record<string, string>) => ({ env: e, ...(db ? { db } : {}) });
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    try {
      first = await startTestApp(backend, opts({ ...env(), ...(db ? {} : { DATA_DIR: dataDir }) }));
      const s = await linked(first.app);
      fake.setPrice('BTCUSDT', '50000.00');
      const clientOrderId = `restart-${randomBytes(4).toString('hex')}`;
      const placed = await onExchange(
        s,
        {
          clientOrderId,
          side: 'sell',
          type: 'limit',
          quantity: '0.003',
          price: '52000',
        },
        first.app,
      );
      expect(placed.statusCode, placed.body).toBe(201);
      const id = placed.json().id as string;
      await streaming(s.key);
      fake.fillOrder({ clientOrderId }, '0.001');
      await waitFor(
        async () => (await order(s, id, first!.app)).filledQuantity === '0.001',
        STREAM_MS,
      );
      await first.close();
      const env1 = first.env;
      first = undefined;

      // While nothing runs, the exchange fills some more.
      fake.fillOrder({ clientOrderId }, '0.001');
      second = await startTestApp(backend, opts(env1));
      const app2 = second.app;
      await waitFor(async () => (await order(s, id, app2)).filledQuantity === '0.002', STREAM_MS);
      await streaming(s.key);
      fake.fillOrder({ clientOrderId });
      await waitFor(async () => (await order(s, id, app2)).status === 'filled', STREAM_MS);
      const live = app2.trading.live!;
      await (await live.connection(s.accountId)).connector.reconcile();
      await (await live.connection(s.accountId)).settled();
      const fills = await fillsOf(s, s.accountId, id, app2);
      expect(fills.map((f: { quantity: string }) => f.quantity)).toEqual([
        '0.001',
        '0.001',
        '0.001',
      ]);
      expect(new Set(fills.map((f: { id: string }) => f.id)).size).toBe(3);
      // 1 − 0.003 BTC; 100000 + 0.003 × 52000 − 0.1 % fee (0.156) = 100155.844 USDT.
      expect(await balances(s, s.accountId, app2)).toEqual({ BTC: '0.997', USDT: '100155.844' });
      expect(fake.balance(s.key.account, 'USDT').free).toBe('100155.844');
    } finally {
      await first?.close();
      await second?.close();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Two embedded starts on disk, each migrating a fresh data folder.
  }, 90_000);
});
