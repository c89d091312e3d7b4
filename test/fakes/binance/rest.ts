import { randomBytes } from 'node:crypto';
import { Decimal } from '../../../src/core/decimal.js';
import {
  EngineError,
  isOpen,
  type BinanceSide,
  type BinanceTif,
  type BinanceType,
  type Engine,
  type FakeOrder,
} from './engine.js';
import { BinanceError, ERR, verifyRest, type ApiKey } from './signing.js';
import * as W from './wire.js';

export interface RestRequest {
  method: string;
  path: string;
  rawQuery: string;
  rawBody: string;
  apiKey: string | undefined;
}

export interface RestContext {
  engine: Engine;
  keys: ReadonlyMap<string, ApiKey>;
  listenKeys: Map<string, string>;
  now(): number;
}

export interface RestReply {
  status: number;
  body: unknown;
}

type Security = 'none' | 'key' | 'read' | 'trade';
type Handler = (c: RestContext, p: URLSearchParams, key: ApiKey | undefined) => unknown;

const ok = (body: unknown): RestReply => ({ status: 200, body });

const ROUTES: Record<string, [Security, Handler]> = {
  'GET /api/v3/ping': ['none', () => ({})],
  'GET /api/v3/time': ['none', (c) => ({ serverTime: c.now() })],
  'GET /api/v3/exchangeInfo': ['none', (c) => W.exchangeInfo(c.engine.specs.values(), c.now())],
  'GET /api/v3/depth': ['none', depth],
  'GET /api/v3/aggTrades': ['none', aggTrades],
  'GET /api/v3/trades': ['none', recentTrades],
  'GET /api/v3/klines': ['none', klines],
  'GET /api/v3/ticker/24hr': ['none', ticker24h],
  'GET /api/v3/ticker/bookTicker': ['none', bookTicker],
  'POST /api/v3/userDataStream': ['key', newListenKey],
  'PUT /api/v3/userDataStream': ['key', () => ({})],
  'DELETE /api/v3/userDataStream': ['key', () => ({})],
  'GET /api/v3/account': ['read', account],
  'GET /api/v3/order': ['read', getOrder],
  'GET /api/v3/openOrders': ['read', openOrders],
  'GET /api/v3/allOrders': ['read', allOrders],
  'GET /api/v3/myTrades': ['read', myTrades],
  'POST /api/v3/order': ['trade', newOrder],
  'DELETE /api/v3/order': ['trade', cancelOrder],
  'POST /api/v3/order/cancelReplace': ['trade', cancelReplace],
  'GET /sapi/v1/account/apiRestrictions': ['read', (_c, _p, key) => key!.restrictions],
  'GET /sapi/v1/capital/config/getall': ['read', () => []],
};

/** Answers one REST request as Binance spot would, or with Binance's error body. */
export function handleRest(c: RestContext, r: RestRequest): RestReply {
  const route = ROUTES[`${r.method} ${r.path}`];
  if (!route) return { status: 404, body: '<html><body><h1>404 Not Found</h1></body></html>' };
  const [security, handler] = route;
  try {
    let key: ApiKey | undefined;
    let params = new URLSearchParams(r.rawQuery);
    for (const [k, v] of new URLSearchParams(r.rawBody)) params.set(k, v);
    if (security === 'key') {
      if (!r.apiKey) throw ERR.keyFormat();
      key = c.keys.get(r.apiKey);
      if (!key) throw ERR.keyInvalid();
    } else if (security !== 'none') {
      ({ key, params } = verifyRest(c.keys, r.apiKey, r.rawQuery, r.rawBody, c.now()));
      const allowed =
        security === 'read'
          ? key.restrictions.enableReading
          : key.restrictions.enableSpotAndMarginTrading;
      if (!allowed) throw ERR.keyInvalid();
    }
    return ok(handler(c, params, key));
  } catch (err) {
    if (err instanceof BinanceError) return { status: err.status, body: err.body() };
    if (err instanceof EngineError)
      return { status: 400, body: { code: err.code, msg: err.message } };
    throw err;
  }
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────

function required(p: URLSearchParams, name: string): string {
  const v = p.get(name);
  if (v === null || v === '') throw ERR.mandatory(name);
  return v;
}

function decimal(p: URLSearchParams, name: string): Decimal | undefined {
  const v = p.get(name);
  if (v === null) return undefined;
  const d = Decimal.tryParse(v);
  if (!d) throw new BinanceError(400, -1100, `Illegal characters found in parameter '${name}'.`);
  return d;
}

function symbolOf(c: RestContext, p: URLSearchParams): string {
  return c.engine.spec(required(p, 'symbol')).symbol;
}

function orderRef(c: RestContext, p: URLSearchParams, key: ApiKey, clientParam: string) {
  const symbol = symbolOf(c, p);
  const orderId = p.get('orderId');
  const clientOrderId = p.get(clientParam);
  if (orderId === null && clientOrderId === null) {
    throw new BinanceError(
      400,
      -1102,
      `Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!`,
    );
  }
  return c.engine.findOrder(key.account, symbol, {
    ...(orderId !== null ? { orderId: Number(orderId) } : {}),
    ...(clientOrderId !== null ? { clientOrderId } : {}),
  });
}

const limitOf = (p: URLSearchParams, fallback: number, max: number) =>
  Math.min(Number(p.get('limit') ?? fallback), max);

// ── market data ─────────────────────────────────────────────────────────────────────────

function depth(c: RestContext, p: URLSearchParams) {
  return W.depthJson(c.engine.books.get(symbolOf(c, p))!, limitOf(p, 100, 5000));
}

function aggTrades(c: RestContext, p: URLSearchParams) {
  let list = c.engine.tape.get(symbolOf(c, p))!;
  const fromId = p.get('fromId');
  const start = p.get('startTime');
  const end = p.get('endTime');
  if (fromId !== null) list = list.filter((t) => t.id >= Number(fromId));
  if (start !== null) list = list.filter((t) => t.time >= Number(start));
  if (end !== null) list = list.filter((t) => t.time <= Number(end));
  const limit = limitOf(p, 500, 1000);
  // Without a starting point Binance answers the most recent trades.
  const page = fromId === null && start === null ? list.slice(-limit) : list.slice(0, limit);
  return page.map(W.aggTradeJson);
}

function recentTrades(c: RestContext, p: URLSearchParams) {
  return c.engine.tape
    .get(symbolOf(c, p))!
    .slice(-limitOf(p, 500, 1000))
    .map(W.tradeJson);
}

function klines(c: RestContext, p: URLSearchParams) {
  const symbol = symbolOf(c, p);
  if (required(p, 'interval') !== '1m') return [];
  let list = c.engine.klines.get(symbol)!;
  const start = p.get('startTime');
  const end = p.get('endTime');
  if (start !== null) list = list.filter((k) => k.openTime >= Number(start));
  if (end !== null) list = list.filter((k) => k.openTime <= Number(end));
  const limit = limitOf(p, 500, 1000);
  const page = start === null ? list.slice(-limit) : list.slice(0, limit);
  return page.map(W.klineRow);
}

function ticker24h(c: RestContext, p: URLSearchParams) {
  const symbol = symbolOf(c, p);
  const last = c.engine.price(symbol);
  const book = c.engine.books.get(symbol)!;
  const tape = c.engine.tape.get(symbol)!;
  const now = c.now();
  return {
    symbol,
    priceChange: '0.00000000',
    priceChangePercent: '0.000',
    weightedAvgPrice: W.fmt(last),
    prevClosePrice: W.fmt(last),
    lastPrice: W.fmt(last),
    lastQty: W.fmt(tape.at(-1)?.qty ?? Decimal.ZERO),
    bidPrice: W.fmt(book.bids[0]![0]),
    bidQty: W.fmt(book.bids[0]![1]),
    askPrice: W.fmt(book.asks[0]![0]),
    askQty: W.fmt(book.asks[0]![1]),
    openPrice: W.fmt(last),
    highPrice: W.fmt(last),
    lowPrice: W.fmt(last),
    volume: '0.00000000',
    quoteVolume: '0.00000000',
    openTime: now - 86_400_000,
    closeTime: now,
    firstId: tape[0]?.id ?? -1,
    lastId: tape.at(-1)?.id ?? -1,
    count: tape.length,
  };
}

function bookTicker(c: RestContext, p: URLSearchParams) {
  const symbol = symbolOf(c, p);
  const book = c.engine.books.get(symbol)!;
  return {
    symbol,
    bidPrice: W.fmt(book.bids[0]![0]),
    bidQty: W.fmt(book.bids[0]![1]),
    askPrice: W.fmt(book.asks[0]![0]),
    askQty: W.fmt(book.asks[0]![1]),
  };
}

// ── account ─────────────────────────────────────────────────────────────────────────────

function newListenKey(c: RestContext, _p: URLSearchParams, key: ApiKey | undefined) {
  const listenKey = randomBytes(30).toString('base64url').slice(0, 60);
  c.listenKeys.set(listenKey, key!.account);
  return { listenKey };
}

function account(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  let balances = c.engine.balanceOf(key!.account);
  if (p.get('omitZeroBalances') === 'true') {
    balances = balances.filter((b) => !b.free.isZero() || !b.locked.isZero());
  }
  const r = key!.restrictions;
  return W.accountJson(balances, r.enableSpotAndMarginTrading, r.enableWithdrawals, c.now());
}

function getOrder(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  const o = orderRef(c, p, key!, 'origClientOrderId');
  if (!o) throw new BinanceError(400, -2013, 'Order does not exist.');
  return W.orderJson(o);
}

function openOrders(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  const symbol = p.get('symbol') === null ? undefined : symbolOf(c, p);
  return c.engine.openOrders(key!.account, symbol).map(W.orderJson);
}

function allOrders(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  const symbol = symbolOf(c, p);
  return c.engine.orders
    .filter((o) => o.account === key!.account && o.symbol === symbol)
    .slice(-limitOf(p, 500, 1000))
    .map(W.orderJson);
}

function myTrades(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  const symbol = symbolOf(c, p);
  let list = c.engine.trades.filter((t) => t.account === key!.account && t.symbol === symbol);
  const orderId = p.get('orderId');
  const fromId = p.get('fromId');
  const start = p.get('startTime');
  let end = p.get('endTime');
  // Binance answers at most 24 hours from startTime.
  if (start !== null && end === null) end = String(Number(start) + 86_400_000);
  if (orderId !== null) list = list.filter((t) => t.orderId === Number(orderId));
  if (fromId !== null) list = list.filter((t) => t.id >= Number(fromId));
  if (start !== null) list = list.filter((t) => t.time >= Number(start));
  if (end !== null) list = list.filter((t) => t.time <= Number(end));
  const limit = limitOf(p, 500, 1000);
  const page = fromId === null && start === null ? list.slice(-limit) : list.slice(0, limit);
  return page.map(W.myTradeJson);
}

// ── trading ─────────────────────────────────────────────────────────────────────────────

const TYPES = new Set(['MARKET', 'LIMIT', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT']);

function place(
  c: RestContext,
  p: URLSearchParams,
  key: ApiKey,
): { order: FakeOrder; reply: unknown } {
  const symbol = symbolOf(c, p);
  const side = required(p, 'side');
  const type = required(p, 'type');
  if (side !== 'BUY' && side !== 'SELL') throw ERR.mandatory('side');
  if (!TYPES.has(type)) throw new BinanceError(400, -1116, 'Invalid orderType.');
  const quantity = decimal(p, 'quantity');
  if (!quantity) throw ERR.mandatory('quantity');
  const tif = p.get('timeInForce');
  if ((type === 'LIMIT' || type === 'STOP_LOSS_LIMIT') && !tif) throw ERR.mandatory('timeInForce');
  const price = decimal(p, 'price');
  const stopPrice = decimal(p, 'stopPrice');
  const { order, fills } = c.engine.place({
    account: key.account,
    symbol,
    side: side as BinanceSide,
    type: type as BinanceType,
    ...(tif ? { timeInForce: tif as BinanceTif } : {}),
    quantity,
    ...(price ? { price } : {}),
    ...(stopPrice ? { stopPrice } : {}),
    clientOrderId: p.get('newClientOrderId') ?? `web_${randomBytes(12).toString('hex')}`,
  });
  const respType = p.get('newOrderRespType') ?? 'FULL';
  const now = c.now();
  const reply =
    respType === 'ACK'
      ? {
          symbol,
          orderId: order.orderId,
          orderListId: -1,
          clientOrderId: order.clientOrderId,
          transactTime: now,
        }
      : respType === 'RESULT'
        ? (({ fills: _f, ...rest }) => rest)(W.newOrderJson(order, fills, now))
        : W.newOrderJson(order, fills, now);
  return { order, reply };
}

function newOrder(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  return place(c, p, key!).reply;
}

function cancelOrder(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  const o = orderRef(c, p, key!, 'origClientOrderId');
  if (!o || !isOpen(o)) throw new BinanceError(400, -2011, 'Unknown order sent.');
  const cancelId = p.get('newClientOrderId') ?? randomBytes(11).toString('base64url');
  c.engine.cancel(o, cancelId);
  return W.cancelJson(o, cancelId, c.now());
}

function cancelReplace(c: RestContext, p: URLSearchParams, key: ApiKey | undefined) {
  const symbol = symbolOf(c, p);
  const orderId = p.get('cancelOrderId');
  const clientId = p.get('cancelOrigClientOrderId');
  const o = c.engine.findOrder(key!.account, symbol, {
    ...(orderId !== null ? { orderId: Number(orderId) } : {}),
    ...(clientId !== null ? { clientOrderId: clientId } : {}),
  });
  if (!o || !isOpen(o)) {
    throw new BinanceError(400, -2022, 'Order cancel-replace failed.');
  }
  const cancelId = p.get('cancelNewClientOrderId') ?? randomBytes(11).toString('base64url');
  c.engine.cancel(o, cancelId);
  const cancelResponse = W.cancelJson(o, cancelId, c.now());
  let reply: unknown;
  try {
    ({ reply } = place(c, p, key!));
  } catch (err) {
    if (!(err instanceof EngineError) && !(err instanceof BinanceError)) throw err;
    const failure = err instanceof EngineError ? { code: err.code, msg: err.message } : err.body();
    throw new BinanceError(409, -2021, 'Order cancel-replace partially failed.', {
      cancelResult: 'SUCCESS',
      newOrderResult: 'FAILURE',
      cancelResponse,
      newOrderResponse: failure,
    });
  }
  return {
    cancelResult: 'SUCCESS',
    newOrderResult: 'SUCCESS',
    cancelResponse,
    newOrderResponse: reply,
  };
}
