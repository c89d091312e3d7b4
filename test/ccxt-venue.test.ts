import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/core/clock.js';
import { Decimal } from '../src/core/decimal.js';
import { newId } from '../src/core/ids.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { createOrder } from '../src/modules/trading/domain/order-machine.js';
import type { Order, OrderIntent } from '../src/modules/trading/domain/types.js';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CcxtVenueConnector,
  checkCredentialPermissions,
  permissionPolicy,
  type CcxtVenueOptions,
  type VenueError,
  type VenueUpdate,
} from '../src/modules/trading/live/index.js';
import { FakeBinance, READ_ONLY, type ApiKey } from './fakes/binance/index.js';
import { FakeKeyPermissions } from './fakes/key-permissions/index.js';
import { waitFor } from './helpers/wait.js';

class Lines extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString('utf8');
    cb();
  }
}

const d = (s: string) => Decimal.parse(s);
const ACCOUNT = '0190a0d4-0000-7000-8000-000000000001';

function order(o: Partial<OrderIntent> & Pick<OrderIntent, 'side' | 'type' | 'quantity'>): Order {
  return createOrder(
    {
      accountId: ACCOUNT,
      venue: 'binance',
      symbol: 'BTC/USDT',
      timeInForce: 'GTC',
      postOnly: false,
      reduceOnly: false,
      clientOrderId: newId(),
      ...o,
    },
    newId(),
    Date.now(),
  );
}

interface Harness {
  venue: CcxtVenueConnector;
  key: ApiKey;
  updates: VenueUpdate[];
  logs: Lines;
  of(o: Order): VenueUpdate[];
}

describe('CcxtVenueConnector against the fake Binance, through CCXT', () => {
  let fake: FakeBinance;
  const open: CcxtVenueConnector[] = [];

  beforeAll(async () => {
    fake = await FakeBinance.start();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((v) => v.close()));
  });
  afterAll(async () => {
    await fake.close();
  });

  async function connect(
    opts: Partial<CcxtVenueOptions> & { secret?: string; balances?: Record<string, string> } = {},
  ): Promise<Harness> {
    const key = fake.addKey({ balances: opts.balances ?? { USDT: '100000', BTC: '1' } });
    const logs = new Lines();
    const venue = await CcxtVenueConnector.create(
      'binance',
      { exchange: 'binance', apiKey: key.apiKey, secret: opts.secret ?? key.secret },
      {
        logger: createLogger({ level: 'debug', destination: logs }),
        urls: fake.urls(),
        exchangeOptions: {
          timeout: 1_000,
          rateLimit: 5,
          options: { ws: { backoff: { base: 10 } } },
        },
        reconnect: { baseMs: 20, maxMs: 200, jitter: 0.5 },
        sync: { lookupDelayMs: 50, fillGraceMs: 50 },
        reconcileEveryMs: 0,
        ...opts,
      },
    );
    open.push(venue);
    const updates: VenueUpdate[] = [];
    venue.onUpdate((u) => updates.push(u));
    if (opts.secret === undefined) await venue.start();
    return {
      venue,
      key,
      updates,
      logs,
      of: (o) => updates.filter((u) => u.orderId === o.id),
    };
  }

  const describeUpdate = (u: VenueUpdate) =>
    u.kind === 'fill'
      ? `fill ${u.fill.quantity}@${u.fill.price} (${u.source})`
      : `${u.status} ${u.filledQuantity}${u.reason ? ` ${u.reason}` : ''}`;
  const streamReady = (h: Harness) =>
    waitFor(
      () => h.venue.status().stream === 'connected' && fake.hub.userSubscribed(h.key.account),
    );

  it('loads instruments with the exact rules of the exchange', async () => {
    const h = await connect({ stream: false });
    const list = await h.venue.instruments();
    const btc = list.find((i) => i.symbol === 'BTC/USDT')!;
    expect({
      tick: btc.tickSize.toString(),
      lot: btc.lotSize.toString(),
      min: btc.minQuantity.toString(),
      max: btc.maxQuantity.toString(),
      notional: btc.minNotional.toString(),
      maker: btc.makerFee.toString(),
      taker: btc.takerFee.toString(),
      places: [btc.pricePrecision, btc.quantityPrecision],
      venue: btc.venue,
      base: btc.base,
      quote: btc.quote,
    }).toEqual({
      tick: '0.01',
      lot: '0.00001',
      min: '0.00001',
      max: '9000',
      notional: '5',
      maker: '0.001',
      taker: '0.001',
      places: [2, 5],
      venue: 'binance',
      base: 'BTC',
      quote: 'USDT',
    });
    expect(list.map((i) => i.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
  });

  it('places a market order: our client id on the wire, one fill, exact amounts', async () => {
    const h = await connect();
    await streamReady(h);
    const o = order({ side: 'buy', type: 'market', quantity: d('0.00123') });
    const ack = await h.venue.place(o);
    expect(ack).toMatchObject({
      status: 'filled',
      recovered: false,
      exchangeClientOrderId: o.clientOrderId,
    });
    expect(ack.filledQuantity.toString()).toBe('0.00123');
    const sent = fake.newOrderRequests().at(-1)!.params;
    expect(sent).toMatchObject({
      newClientOrderId: o.clientOrderId,
      quantity: '0.00123',
      type: 'MARKET',
    });

    // 0.00123 × 50000.00 = 61.5 USDT; fee 0.1 % of the BTC received = 0.00000123 BTC.
    const fills = h.of(o).filter((u) => u.kind === 'fill');
    expect(fills).toHaveLength(1);
    const fill = fills[0]!.kind === 'fill' ? fills[0]!.fill : undefined;
    expect(fill).toMatchObject({
      orderId: o.id,
      side: 'buy',
      feeCurrency: 'BTC',
      liquidity: 'taker',
    });
    expect([fill!.price.toString(), fill!.quantity.toString(), fill!.fee.toString()]).toEqual([
      '50000',
      '0.00123',
      '0.00000123',
    ]);
    expect(fill!.id).toMatch(/^binance:BTCUSDT:\d+$/);
    // The stream's report may beat the REST answer (as on Binance): either way, once.
    expect(h.of(o).map((u) => describeUpdate(u).replace(/ \((rest|stream)\)$/, ''))).toEqual([
      'accepted 0',
      'fill 0.00123@50000',
      'filled 0.00123',
    ]);

    const balances = await h.venue.balances();
    const usdt = balances.find((b) => b.currency === 'USDT')!;
    const btc = balances.find((b) => b.currency === 'BTC')!;
    expect(usdt.total.toString()).toBe('99938.5');
    // 1 + 0.00123 − 0.00000123
    expect(btc.total.toString()).toBe('1.00122877');
  });

  it('a resting limit fills when the price crosses; the fill comes once, from the stream', async () => {
    const h = await connect();
    await streamReady(h);
    fake.setPrice('BTCUSDT', '50000.00');
    const o = order({ side: 'buy', type: 'limit', quantity: d('0.002'), price: d('49500.10') });
    const ack = await h.venue.place(o);
    expect(ack.status).toBe('accepted');
    expect(fake.newOrderRequests().at(-1)!.params).toMatchObject({
      price: '49500.1',
      quantity: '0.002',
    });

    fake.setPrice('BTCUSDT', '49500.00');
    await waitFor(() => h.of(o).some((u) => u.kind === 'status' && u.status === 'filled'));
    const fills = h.of(o).filter((u) => u.kind === 'fill');
    expect(fills).toHaveLength(1);
    expect(fills[0]!.source).toBe('stream');
    const fill = fills[0]!.kind === 'fill' ? fills[0]!.fill : undefined;
    expect([fill!.price.toString(), fill!.liquidity]).toEqual(['49500.1', 'maker']);
    // The stream also repeats the order's acceptance and fill: nothing is delivered twice.
    await h.venue.reconcile();
    expect(h.of(o).map(describeUpdate)).toEqual([
      'accepted 0',
      'fill 0.002@49500.1 (stream)',
      'filled 0.002',
    ]);
  });

  it('cancels, after delivering a partial fill first', async () => {
    const h = await connect();
    await streamReady(h);
    fake.setPrice('BTCUSDT', '50000.00');
    const o = order({ side: 'sell', type: 'limit', quantity: d('0.01'), price: d('51000') });
    await h.venue.place(o);
    fake.fillOrder({ clientOrderId: o.clientOrderId }, '0.004');
    const ack = await h.venue.cancel(o);
    expect(ack.status).toBe('cancelled');
    await waitFor(() => h.of(o).some((u) => u.kind === 'status' && u.status === 'cancelled'));
    expect(
      h
        .of(o)
        .map(describeUpdate)
        .filter((s) => !s.startsWith('fill')),
    ).toEqual(['accepted 0', 'partially_filled 0.004', 'cancelled 0.004 user_canceled']);
    expect(h.of(o).filter((u) => u.kind === 'fill')).toHaveLength(1);
    expect(fake.order({ clientOrderId: o.clientOrderId }).status).toBe('CANCELED');
  });

  it('amends a resting order (Binance replaces it) without reporting a cancellation', async () => {
    const h = await connect();
    await streamReady(h);
    fake.setPrice('BTCUSDT', '50000.00');
    const o = order({ side: 'buy', type: 'limit', quantity: d('0.002'), price: d('49000') });
    const first = await h.venue.place(o);
    const ack = await h.venue.amend({ ...o, status: 'accepted' }, { price: d('49800.5') });
    expect(ack.venueOrderId).not.toBe(first.venueOrderId);
    expect(ack.status).toBe('accepted');
    const onFake = fake.orders(h.key.account).filter((x) => x.clientOrderId === o.clientOrderId);
    expect(onFake.map((x) => [x.status, x.price.toString()])).toEqual([
      ['CANCELED', '49000'],
      ['NEW', '49800.5'],
    ]);
    fake.setPrice('BTCUSDT', '49800.00');
    await waitFor(() => h.of(o).some((u) => u.kind === 'status' && u.status === 'filled'));
    expect(h.of(o).map(describeUpdate)).toEqual([
      'accepted 0',
      'fill 0.002@49800.5 (stream)',
      'filled 0.002',
    ]);
  });

  it('an amendment whose replacement the exchange refuses leaves the order cancelled, and says so', async () => {
    const h = await connect({ balances: { USDT: '1000' } });
    await streamReady(h);
    fake.setPrice('BTCUSDT', '50000.00');
    const o = order({ side: 'buy', type: 'limit', quantity: d('0.001'), price: d('49000') });
    await h.venue.place(o);
    // 1 BTC at 49000 needs far more than the 1000 USDT the account has.
    const err = (await h.venue
      .amend({ ...o, status: 'accepted' }, { quantity: d('1') })
      .catch((e: unknown) => e)) as VenueError;
    expect(err.code).toMatch(/^venue_|insufficient_funds/);
    expect(err.message).toContain('-2021');
    await waitFor(() => h.of(o).some((u) => u.kind === 'status' && u.status === 'cancelled'));
    expect(h.of(o).map(describeUpdate)).toEqual(['accepted 0', 'cancelled 0 venue_cancelled']);
  });

  describe('idempotent placement', () => {
    it('a timed-out placement is found by its client id, not placed again', async () => {
      const h = await connect({ stream: false, exchangeOptions: { timeout: 300, rateLimit: 5 } });
      const o = order({ side: 'buy', type: 'limit', quantity: d('0.001'), price: d('40000') });
      fake.interceptNextOrder({ mode: 'delay', ms: 3_000 });
      const before = fake.newOrderRequests().length;
      const ack = await h.venue.place(o);
      expect(ack).toMatchObject({ recovered: true, status: 'accepted' });
      expect(
        fake.orders(h.key.account).filter((x) => x.clientOrderId === o.clientOrderId),
      ).toHaveLength(1);
      expect(fake.newOrderRequests().length - before).toBe(1);
      // Placing it again (a retry upstream) sends nothing: the exchange has it.
      await h.venue.place(o);
      expect(fake.newOrderRequests().length - before).toBe(1);
    });

    it('a dropped connection after the order was booked is recovered the same way', async () => {
      const h = await connect({ stream: false });
      const o = order({ side: 'sell', type: 'market', quantity: d('0.001') });
      fake.interceptNextOrder({ mode: 'drop' });
      const ack = await h.venue.place(o);
      expect(ack).toMatchObject({ recovered: true, status: 'filled' });
      expect(
        fake.orders(h.key.account).filter((x) => x.clientOrderId === o.clientOrderId),
      ).toHaveLength(1);
      expect(h.of(o).filter((u) => u.kind === 'fill')).toHaveLength(1);
    });

    it('a 5xx before the order was booked is reported as not placed; the retry places it once', async () => {
      const h = await connect({ stream: false });
      const o = order({ side: 'buy', type: 'limit', quantity: d('0.001'), price: d('40000') });
      fake.failNext(1, { status: 503, path: /^\/api\/v3\/order$/ });
      const err = (await h.venue.place(o).catch((e: unknown) => e)) as VenueError;
      expect(err).toMatchObject({ code: 'venue_unavailable', outcome: 'not_placed' });
      expect(fake.orders(h.key.account)).toHaveLength(0);
      const ack = await h.venue.place(o);
      expect(ack.status).toBe('accepted');
      expect(fake.orders(h.key.account)).toHaveLength(1);
    });
    it('a 429 is a refusal before processing: not placed, and not looked up', async () => {
      const h = await connect({ stream: false });
      const o = order({ side: 'buy', type: 'limit', quantity: d('0.001'), price: d('40000') });
      fake.failNext(1, { status: 429, path: /^\/api\/v3\/order$/ });
      const sent = fake.requests.length;
      const err = (await h.venue.place(o).catch((e: unknown) => e)) as VenueError;
      expect(err).toMatchObject({
        code: 'venue_rate_limited',
        kind: 'rate_limited',
        outcome: 'not_placed',
      });
      expect(fake.requests.slice(sent).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'POST /api/v3/order 429',
      ]);
    });
  });

  describe('missed events', () => {
    it('the stream drops while an order fills: after reconnecting, reconciliation delivers the fill once', async () => {
      const h = await connect();
      await streamReady(h);
      fake.setPrice('BTCUSDT', '50000.00');
      const o = order({ side: 'buy', type: 'limit', quantity: d('0.003'), price: d('49000') });
      await h.venue.place(o);
      const reconnects = h.venue.status().reconnects;

      expect(fake.dropStreams('user')).toBeGreaterThan(0);
      fake.fillOrder({ clientOrderId: o.clientOrderId });
      expect(fake.hub.userSubscribed(h.key.account)).toBe(false);

      await waitFor(() => h.of(o).some((u) => u.kind === 'status' && u.status === 'filled'));
      expect(h.venue.status().reconnects).toBeGreaterThan(reconnects);
      await streamReady(h);
      await h.venue.reconcile();
      const fills = h.of(o).filter((u) => u.kind === 'fill');
      expect(fills).toHaveLength(1);
      expect(fills[0]!.source).toBe('reconcile');
      expect(h.of(o).map(describeUpdate)).toEqual([
        'accepted 0',
        'fill 0.003@49000 (reconcile)',
        'filled 0.003',
      ]);
    });

    it('user data messages lost on a live connection are recovered by reconciliation', async () => {
      const h = await connect();
      await streamReady(h);
      fake.setPrice('BTCUSDT', '50000.00');
      const o = order({ side: 'sell', type: 'limit', quantity: d('0.001'), price: d('50500') });
      await h.venue.place(o);
      fake.loseUserEvents(2);
      fake.fillOrder({ clientOrderId: o.clientOrderId });
      expect(fake.hub.suppressed).toHaveLength(2);
      expect(h.of(o).some((u) => u.kind === 'fill')).toBe(false);
      await h.venue.reconcile();
      expect(h.of(o).map(describeUpdate)).toEqual([
        'accepted 0',
        'fill 0.001@50500 (reconcile)',
        'filled 0.001',
      ]);
    });
  });

  it('a 5xx storm opens the breaker; calls fail fast; after the cooldown one probe closes it', async () => {
    const clock = new SimulatedClock(Date.now());
    const h = await connect({
      stream: false,
      clock,
      breaker: { failureThreshold: 3, cooldownMs: 10_000, backoffFactor: 2 },
    });
    fake.failNext(4, { status: 503 });
    for (let i = 0; i < 3; i++) {
      await expect(h.venue.balances()).rejects.toMatchObject({
        code: 'venue_unavailable',
        kind: 'unavailable',
      });
    }
    const sent = fake.requests.length;
    const t0 = Date.now();
    const fast = (await h.venue.balances().catch((e: unknown) => e)) as {
      code: string;
      retryAt: number;
      retryAfter: number;
    };
    expect(Date.now() - t0).toBeLessThan(50);
    expect(fast).toMatchObject({
      code: 'venue_circuit_open',
      retryAt: clock.now() + 10_000,
      retryAfter: 10,
    });
    expect(fake.requests.length).toBe(sent);
    expect(h.venue.status().breaker).toMatchObject({ state: 'open', rejected: 1, opened: 1 });

    clock.advance(10_000);
    // The probe meets the last failure: open again, for twice as long.
    await expect(h.venue.balances()).rejects.toMatchObject({ code: 'venue_unavailable' });
    expect(h.venue.status().breaker).toMatchObject({ state: 'open', cooldownMs: 20_000 });
    expect(fake.requests.length).toBe(sent + 1);

    clock.advance(20_000);
    const balances = await h.venue.balances();
    expect(balances.find((b) => b.currency === 'USDT')?.total.toString()).toBe('100000');
    expect(h.venue.status().breaker).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('a wrong secret is a clear authentication error with no secret in it or in the logs', async () => {
    const secret = 'S3CRET-never-to-be-seen-9f8e7d6c5b4a';
    const h = await connect({ stream: false, secret });
    const err = (await h.venue.balances().catch((e: unknown) => e)) as VenueError;
    expect(err).toMatchObject({ kind: 'forbidden', code: 'venue_auth_failed' });
    expect(err.message).toContain('API secret is wrong');
    expect(err.message).toContain('-1022');
    expect(err.message).not.toContain(secret);
    expect(err.message).not.toContain(h.key.apiKey);
    expect(JSON.stringify(err)).not.toContain(secret);
    expect(h.logs.text).not.toContain(secret);
    const o = order({ side: 'buy', type: 'market', quantity: d('0.001') });
    await expect(h.venue.place(o)).rejects.toMatchObject({
      code: 'venue_auth_failed',
      outcome: 'rejected',
    });
    expect(h.logs.text).not.toContain(secret);
  });

  describe('key permissions', () => {
    const creds = (k: ApiKey, secret = k.secret) => ({
      exchange: 'binance',
      apiKey: k.apiKey,
      secret,
    });

    it('refuses a Binance key that can withdraw, saying which permission and how to fix it', async () => {
      const k = fake.addKey({ restrictions: { enableWithdrawals: true } });
      const perms = await checkCredentialPermissions('binance', creds(k), { urls: fake.urls() });
      expect(perms).toMatchObject({
        canRead: true,
        canTrade: true,
        canWithdraw: true,
        reported: true,
      });
      const verdict = permissionPolicy(perms);
      expect(verdict).toMatchObject({ accepted: false, code: 'key_can_withdraw' });
      const reason = verdict.accepted ? '' : verdict.reason;
      expect(reason).toContain('can withdraw');
      expect(reason).toContain('enableWithdrawals=true');
      expect(reason).toContain('untick "Enable Withdrawals"');
      expect(reason).not.toContain(k.secret);
      expect(fake.requests.at(-1)).toMatchObject({
        path: '/sapi/v1/account/apiRestrictions',
        status: 200,
      });
    });

    it('accepts a trade-only Binance key, noting what else it allows', async () => {
      const k = fake.addKey({ restrictions: { enableInternalTransfer: true } });
      const verdict = permissionPolicy(
        await checkCredentialPermissions('binance', creds(k), { urls: fake.urls() }),
      );
      expect(verdict.accepted).toBe(true);
      expect(verdict.accepted && verdict.warnings.join(' ')).toMatch(/sub-accounts.*IP addresses/);
    });

    it('refuses a read-only Binance key: it cannot trade', async () => {
      const k = fake.addKey({ restrictions: READ_ONLY });
      const verdict = permissionPolicy(
        await checkCredentialPermissions('binance', creds(k), { urls: fake.urls() }),
      );
      expect(verdict).toMatchObject({ accepted: false, code: 'key_cannot_trade' });
    });

    it('a wrong Binance secret is an authentication error naming the cause, not the secret', async () => {
      const k = fake.addKey();
      const wrong = `wrong-${randomBytes(16).toString('hex')}`;
      const err = (await checkCredentialPermissions('binance', creds(k, wrong), {
        urls: fake.urls(),
      }).catch((e: unknown) => e)) as VenueError;
      expect(err).toMatchObject({ code: 'venue_auth_failed', kind: 'forbidden' });
      expect(err.message).toMatch(/API secret is wrong/);
      expect(err.message).not.toContain(wrong);
      const unknown = (await checkCredentialPermissions(
        'binance',
        { exchange: 'binance', apiKey: 'no-such-key', secret: wrong },
        { urls: fake.urls() },
      ).catch((e: unknown) => e)) as VenueError;
      expect(unknown).toMatchObject({ code: 'venue_auth_failed' });
      expect(unknown.message).toContain('-2015');
    });

    describe('Bybit, OKX and Coinbase, through their own signing schemes', () => {
      let perms: FakeKeyPermissions;
      beforeAll(async () => {
        perms = await FakeKeyPermissions.start();
      });
      afterAll(async () => perms.close());

      it('Bybit: Wallet "Withdraw" is refused; Spot trade without it is accepted', async () => {
        const urls = { public: perms.url, private: perms.url };
        const withdraw = perms.addBybit({
          apiKey: 'bybit-key-1',
          secret: 'bybit-secret-1',
          readOnly: 0,
          permissions: {
            Spot: ['SpotTrade'],
            Wallet: ['AccountTransfer', 'SubMemberTransfer', 'Withdraw'],
          },
        });
        const tradeOnly = perms.addBybit({
          apiKey: 'bybit-key-2',
          secret: 'bybit-secret-2',
          readOnly: 0,
          permissions: { Spot: ['SpotTrade'] },
          ips: ['203.0.113.7'],
        });
        const a = await checkCredentialPermissions(
          'bybit',
          { exchange: 'bybit', ...withdraw },
          { urls },
        );
        expect(a).toMatchObject({ canTrade: true, canWithdraw: true, reported: true });
        expect(permissionPolicy(a)).toMatchObject({ accepted: false, code: 'key_can_withdraw' });
        const b = await checkCredentialPermissions(
          'bybit',
          { exchange: 'bybit', ...tradeOnly },
          { urls },
        );
        expect(permissionPolicy(b)).toEqual({ accepted: true, warnings: [] });
        await expect(
          checkCredentialPermissions(
            'bybit',
            { exchange: 'bybit', apiKey: 'bybit-key-2', secret: 'nope' },
            { urls },
          ),
        ).rejects.toMatchObject({ code: 'venue_auth_failed' });
      });

      it('OKX: perm with "withdraw" is refused; "read_only,trade" is accepted; a wrong passphrase says so', async () => {
        const urls = { rest: perms.url };
        perms.addOkx({
          apiKey: 'okx-1',
          secret: 'okx-s1',
          passphrase: 'pass-1',
          perm: 'read_only,withdraw,trade',
          ip: '203.0.113.7',
        });
        perms.addOkx({
          apiKey: 'okx-2',
          secret: 'okx-s2',
          passphrase: 'pass-2',
          perm: 'read_only,trade',
          ip: '203.0.113.7',
        });
        const c = (apiKey: string, secret: string, passphrase: string) => ({
          exchange: 'okx',
          apiKey,
          secret,
          passphrase,
        });
        const a = await checkCredentialPermissions('okx', c('okx-1', 'okx-s1', 'pass-1'), { urls });
        expect(permissionPolicy(a)).toMatchObject({ accepted: false, code: 'key_can_withdraw' });
        const b = await checkCredentialPermissions('okx', c('okx-2', 'okx-s2', 'pass-2'), { urls });
        expect(b).toMatchObject({ canRead: true, canTrade: true, canWithdraw: false });
        expect(permissionPolicy(b).accepted).toBe(true);
        const err = (await checkCredentialPermissions('okx', c('okx-2', 'okx-s2', 'wrong-pass'), {
          urls,
        }).catch((e: unknown) => e)) as VenueError;
        expect(err).toMatchObject({ code: 'venue_auth_failed' });
        expect(err.message).toContain('passphrase is wrong');
        expect(err.message).not.toContain('wrong-pass');
      });

      it('Coinbase (CDP key, ES256 JWT): can_transfer is refused, view and trade accepted', async () => {
        const urls = { rest: perms.url };
        const key = (name: string, can_transfer: boolean) => {
          const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
          perms.addCoinbase({
            name,
            publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
            can_view: true,
            can_trade: true,
            can_transfer,
          });
          return {
            exchange: 'coinbase',
            apiKey: name,
            secret: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
          };
        };
        const transfer = key('organizations/org-1/apiKeys/key-1', true);
        const tradeOnly = key('organizations/org-1/apiKeys/key-2', false);
        const a = await checkCredentialPermissions('coinbase', transfer, { urls });
        expect(a).toMatchObject({ canWithdraw: true, reported: true });
        expect(permissionPolicy(a)).toMatchObject({ accepted: false, code: 'key_can_withdraw' });
        const b = await checkCredentialPermissions('coinbase', tradeOnly, { urls });
        expect(permissionPolicy(b)).toEqual({ accepted: true, warnings: [] });
        const forged = { ...tradeOnly, secret: transfer.secret };
        await expect(
          checkCredentialPermissions('coinbase', forged, { urls }),
        ).rejects.toMatchObject({
          code: 'venue_auth_failed',
        });
      });
    });
  });
});
