import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Decimal } from '../../../src/core/decimal.js';
import { DEFAULT_SYMBOLS, Engine, type FakeOrder, type SymbolSpec } from './engine.js';
import { handleRest, type RestReply } from './rest.js';
import { TRADE_ONLY, type ApiKey, type ApiRestrictions } from './signing.js';
import { StreamHub } from './streams.js';
import * as W from './wire.js';

export interface FakeBinanceOptions {
  symbols?: readonly SymbolSpec[];
  /** The exchange's clock (epoch ms); CCXT signs with the wall clock, so keep it close. */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  status: number;
}

interface Failure {
  remaining: number;
  status: number;
  body: unknown;
  path: RegExp | undefined;
}

type Interception = { mode: 'drop' } | { mode: 'delay'; ms: number };

const DEFAULT_FAILURE_BODY: Record<number, unknown> = {
  429: {
    code: -1003,
    msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.',
  },
  503: {
    code: -1008,
    msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.',
  },
};

/**
 * A local stand-in for Binance spot that CCXT (REST and pro WebSocket) talks to unchanged:
 * real paths, real JSON, real HMAC-SHA256 signing and Binance's error bodies. Tests move its
 * price, break its network and lose its messages through the methods below.
 *
 * @example
 * const fake = await FakeBinance.start();
 * const key = fake.addKey({ balances: { USDT: '100000' } });
 * const ex = new ccxt.pro.binance({ apiKey: key.apiKey, secret: key.secret,
 *   options: fake.ccxtOptions() });
 * ex.urls.api = fake.urls();
 */
export class FakeBinance {
  readonly engine: Engine;
  readonly hub: StreamHub;
  readonly keys = new Map<string, ApiKey>();
  readonly listenKeys = new Map<string, string>();
  readonly requests: RecordedRequest[] = [];
  private readonly failures: Failure[] = [];
  private interception: Interception | undefined;
  private readonly pending = new Set<NodeJS.Timeout>();
  private port = 0;
  private readonly now: () => number;
  /** How far the market's clock is ahead of the wall clock (see `advanceMarketTime`). */
  private offset = 0;

  private constructor(
    private readonly server: Server,
    opts: FakeBinanceOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.hub = new StreamHub({ keys: this.keys, listenKeys: this.listenKeys, now: this.now });
    this.engine = new Engine(
      opts.symbols ?? DEFAULT_SYMBOLS,
      {
        execution: (o, x, t, cancelId) =>
          this.hub.publishUser(o.account, W.executionReport(o, x, this.marketTime(), t, cancelId)),
        balances: (account, assets) =>
          this.hub.publishUser(
            account,
            W.accountPosition(
              this.marketTime(),
              this.engine.balanceOf(account).filter((b) => assets.includes(b.asset)),
            ),
          ),
        publicTrade: (t) => {
          const s = t.symbol.toLowerCase();
          this.hub.publish(`${s}@aggTrade`, W.aggTradeEvent(t, this.marketTime()));
          this.hub.publish(`${s}@trade`, W.tradeEvent(t, this.marketTime()));
        },
        kline: (k) =>
          this.hub.publish(
            `${k.symbol.toLowerCase()}@kline_1m`,
            W.klineEvent(k, this.marketTime()),
          ),
        depth: (symbol, first, last, bids, asks) => {
          const event = {
            e: 'depthUpdate',
            E: this.marketTime(),
            s: symbol,
            U: first,
            u: last,
            b: bids.map(([p, q]) => [W.fmt(p), W.fmt(q)]),
            a: asks.map(([p, q]) => [W.fmt(p), W.fmt(q)]),
          };
          const s = symbol.toLowerCase();
          this.hub.publish(`${s}@depth@100ms`, event);
          this.hub.publish(`${s}@depth`, event);
        },
      },
      () => this.now() + this.offset,
    );
  }

  static async start(opts: FakeBinanceOptions = {}): Promise<FakeBinance> {
    const server = createServer();
    const fake = new FakeBinance(server, opts);
    server.on('request', (req, res) => fake.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => fake.hub.upgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** `exchange.urls.api` for CCXT's binance pointed at this fake. */
  urls(): Record<string, unknown> {
    const h = this.httpUrl;
    const ws = this.wsUrl;
    return {
      public: `${h}/api/v3`,
      private: `${h}/api/v3`,
      v1: `${h}/api/v1`,
      sapi: `${h}/sapi/v1`,
      sapiV2: `${h}/sapi/v2`,
      sapiV3: `${h}/sapi/v3`,
      sapiV4: `${h}/sapi/v4`,
      ws: {
        spot: `${ws}/ws`,
        margin: `${ws}/ws`,
        'ws-api': { spot: `${ws}/ws-api/v3` },
      },
    };
  }

  /** CCXT options that keep binance on spot endpoints this fake serves. */
  static ccxtOptions(): Record<string, unknown> {
    return {
      defaultType: 'spot',
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
    };
  }

  /** A key with the given permissions (trade-only by default) on a funded account. */
  addKey(
    o: {
      apiKey?: string;
      secret?: string;
      account?: string;
      restrictions?: Partial<ApiRestrictions>;
      balances?: Record<string, string>;
    } = {},
  ): ApiKey {
    const key: ApiKey = {
      apiKey: o.apiKey ?? randomBytes(32).toString('hex'),
      secret: o.secret ?? randomBytes(32).toString('hex'),
      account: o.account ?? `acct-${this.keys.size + 1}`,
      restrictions: { ...TRADE_ONLY, ...o.restrictions },
    };
    this.keys.set(key.apiKey, key);
    for (const [asset, amount] of Object.entries(o.balances ?? {})) {
      this.engine.fund(key.account, asset, amount);
    }
    return key;
  }

  // ── market controls ────────────────────────────────────────────────────────────────────

  /**
   * Moves the market's clock (trade and candle times) ahead; request signatures are still
   * checked against the wall clock, as CCXT signs with it.
   */
  advanceMarketTime(ms: number): void {
    this.offset += ms;
  }

  marketTime(): number {
    return this.now() + this.offset;
  }

  setPrice(symbol: string, price: string, qty = '0.01'): void {
    this.engine.setPrice(symbol, Decimal.parse(price), Decimal.parse(qty));
  }

  /** A print on the tape; `skipIds` leaves a hole in the trade ids (prints never sent). */
  print(
    symbol: string,
    price: string,
    qty: string,
    aggressor: 'buy' | 'sell',
    opts: { skipIds?: number } = {},
  ): void {
    const p = Decimal.parse(price);
    const q = Decimal.parse(qty);
    for (let i = 0; i < (opts.skipIds ?? 0); i++)
      this.engine.print(symbol, p, q, aggressor === 'sell', true);
    this.engine.print(symbol, p, q, aggressor === 'sell');
  }

  // ── order controls ─────────────────────────────────────────────────────────────────────

  orders(account?: string): FakeOrder[] {
    return this.engine.orders.filter((o) => account === undefined || o.account === account);
  }

  order(ref: { clientOrderId: string } | { orderId: number }): FakeOrder {
    const o = this.engine.orders.find((x) =>
      'orderId' in ref ? x.orderId === ref.orderId : x.clientOrderId === ref.clientOrderId,
    );
    if (!o) throw new Error(`no order ${JSON.stringify(ref)}`);
    return o;
  }

  /** Fills a working order (all that is left, or `qty`) at its price, as maker. */
  fillOrder(ref: { clientOrderId: string } | { orderId: number }, qty?: string): void {
    this.engine.forceFill(this.order(ref), qty === undefined ? undefined : Decimal.parse(qty));
  }

  balance(account: string, asset: string): { free: string; locked: string } {
    const b = this.engine.balanceOf(account).find((x) => x.asset === asset);
    return {
      free: (b?.free ?? Decimal.ZERO).toString(),
      locked: (b?.locked ?? Decimal.ZERO).toString(),
    };
  }

  // ── network controls ───────────────────────────────────────────────────────────────────

  /** The next `n` REST requests (matching `path`, if given) fail with `status`. */
  failNext(n: number, o: { status?: number; body?: unknown; path?: RegExp } = {}): void {
    const status = o.status ?? 503;
    this.failures.push({
      remaining: n,
      status,
      body: o.body ?? DEFAULT_FAILURE_BODY[status] ?? '',
      path: o.path,
    });
  }

  /**
   * The next new order is accepted, but its response is held for `ms` (longer than the
   * client's timeout) or never sent: the connection is cut once the order is booked.
   */
  interceptNextOrder(i: Interception): void {
    this.interception = i;
  }

  /** Cuts WebSocket connections without a close frame. */
  dropStreams(kind: 'market' | 'user' | 'all' = 'all'): number {
    return this.hub.drop(kind);
  }

  /** The next `n` user data events are lost (the connection stays up). */
  loseUserEvents(n: number): void {
    this.hub.suppressUserEvents += n;
  }

  newOrderRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order');
  }

  async close(): Promise<void> {
    for (const t of this.pending) clearTimeout(t);
    await this.hub.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── HTTP ───────────────────────────────────────────────────────────────────────────────

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const rawQuery = q < 0 ? '' : url.slice(q + 1);
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const params = Object.fromEntries([
        ...new URLSearchParams(rawQuery),
        ...new URLSearchParams(rawBody),
      ]);
      const record: RecordedRequest = { method, path, params, status: 0 };
      this.requests.push(record);
      const failure = this.failures.find((f) => f.remaining > 0 && (!f.path || f.path.test(path)));
      if (failure) {
        failure.remaining--;
        return this.send(res, record, { status: failure.status, body: failure.body });
      }
      const apiKeyHeader = req.headers['x-mbx-apikey'];
      const reply = handleRest(
        { engine: this.engine, keys: this.keys, listenKeys: this.listenKeys, now: this.now },
        {
          method,
          path,
          rawQuery,
          rawBody,
          apiKey: typeof apiKeyHeader === 'string' ? apiKeyHeader : undefined,
        },
      );
      const held = method === 'POST' && path === '/api/v3/order' ? this.interception : undefined;
      if (held && reply.status === 200) {
        this.interception = undefined;
        record.status = reply.status;
        if (held.mode === 'drop') {
          req.socket.destroy();
          return;
        }
        const t = setTimeout(() => {
          this.pending.delete(t);
          this.send(res, record, reply);
        }, held.ms);
        this.pending.add(t);
        return;
      }
      this.send(res, record, reply);
    });
  }

  private send(res: ServerResponse, record: RecordedRequest, reply: RestReply): void {
    record.status = reply.status;
    if (res.destroyed) return;
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const headers: Record<string, string> = {
      'content-type':
        typeof reply.body === 'string' ? 'text/html' : 'application/json;charset=UTF-8',
    };
    if (reply.status === 429) headers['retry-after'] = '1';
    res.writeHead(reply.status, headers).end(text);
  }
}
