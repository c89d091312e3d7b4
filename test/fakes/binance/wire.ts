import { Decimal } from '../../../src/core/decimal.js';
import {
  COMMISSION,
  type Book,
  type ExecutionType,
  type FakeOrder,
  type FakeTrade,
  type Kline,
  type PublicTrade,
  type SymbolSpec,
} from './engine.js';

/**
 * Binance spot's JSON shapes, field for field as its documentation shows them (amounts as
 * strings with eight decimals), so that CCXT parses the fake exactly as it parses Binance.
 */

export const fmt = (d: Decimal) => d.toFixed(8);

const pad = (text: string) => fmt(Decimal.parse(text));

export function exchangeInfo(specs: Iterable<SymbolSpec>, serverTime: number) {
  return {
    timezone: 'UTC',
    serverTime,
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: [...specs].map((s) => ({
      symbol: s.symbol,
      status: 'TRADING',
      baseAsset: s.base,
      baseAssetPrecision: 8,
      quoteAsset: s.quote,
      quotePrecision: 8,
      quoteAssetPrecision: 8,
      baseCommissionPrecision: 8,
      quoteCommissionPrecision: 8,
      orderTypes: [
        'LIMIT',
        'LIMIT_MAKER',
        'MARKET',
        'STOP_LOSS',
        'STOP_LOSS_LIMIT',
        'TAKE_PROFIT',
        'TAKE_PROFIT_LIMIT',
      ],
      icebergAllowed: true,
      ocoAllowed: true,
      otoAllowed: true,
      quoteOrderQtyMarketAllowed: true,
      allowTrailingStop: true,
      cancelReplaceAllowed: true,
      amendAllowed: true,
      isSpotTradingAllowed: true,
      isMarginTradingAllowed: false,
      filters: [
        {
          filterType: 'PRICE_FILTER',
          minPrice: pad(s.tickSize),
          maxPrice: '1000000.00000000',
          tickSize: pad(s.tickSize),
        },
        {
          filterType: 'LOT_SIZE',
          minQty: pad(s.minQty),
          maxQty: pad(s.maxQty),
          stepSize: pad(s.stepSize),
        },
        { filterType: 'ICEBERG_PARTS', limit: 10 },
        {
          filterType: 'MARKET_LOT_SIZE',
          minQty: '0.00000000',
          maxQty: pad(s.maxQty),
          stepSize: '0.00000000',
        },
        { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000 },
        {
          filterType: 'PERCENT_PRICE_BY_SIDE',
          bidMultiplierUp: '5',
          bidMultiplierDown: '0.2',
          askMultiplierUp: '5',
          askMultiplierDown: '0.2',
          avgPriceMins: 5,
        },
        {
          filterType: 'NOTIONAL',
          minNotional: pad(s.minNotional),
          applyMinToMarket: true,
          maxNotional: '9000000.00000000',
          applyMaxToMarket: false,
          avgPriceMins: 5,
        },
        { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
        { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
      ],
      permissions: [],
      permissionSets: [['SPOT']],
      defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
      allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', 'DECREMENT'],
    })),
  };
}

/** GET /api/v3/order, /openOrders, /allOrders. */
export function orderJson(o: FakeOrder) {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: fmt(o.stopPrice),
    icebergQty: '0.00000000',
    time: o.time,
    updateTime: o.updateTime,
    isWorking: o.isWorking,
    workingTime: o.workingTime,
    origQuoteOrderQty: '0.00000000',
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

/** POST /api/v3/order with newOrderRespType FULL (CCXT's default for spot). */
export function newOrderJson(o: FakeOrder, fills: readonly FakeTrade[], transactTime: number) {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    transactTime,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: '0.00000000',
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    ...(o.stopPrice.isPositive() ? { stopPrice: fmt(o.stopPrice) } : {}),
    workingTime: o.workingTime,
    selfTradePreventionMode: 'EXPIRE_MAKER',
    fills: fills.map((t) => ({
      price: fmt(t.price),
      qty: fmt(t.qty),
      commission: fmt(t.commission),
      commissionAsset: t.commissionAsset,
      tradeId: t.id,
    })),
  };
}

/** DELETE /api/v3/order: `clientOrderId` is the cancel request's own id. */
export function cancelJson(o: FakeOrder, cancelId: string, transactTime: number) {
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: cancelId,
    transactTime,
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: '0.00000000',
    cummulativeQuoteQty: fmt(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

/** GET /api/v3/myTrades. */
export function myTradeJson(t: FakeTrade) {
  return {
    symbol: t.symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: -1,
    price: fmt(t.price),
    qty: fmt(t.qty),
    quoteQty: fmt(t.quoteQty),
    commission: fmt(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.isBuyer,
    isMaker: t.isMaker,
    isBestMatch: true,
  };
}

/** The user data stream's order event. */
export function executionReport(
  o: FakeOrder,
  x: ExecutionType,
  eventTime: number,
  t?: FakeTrade,
  cancelId?: string,
) {
  const cancelled = x === 'CANCELED';
  return {
    e: 'executionReport',
    E: eventTime,
    s: o.symbol,
    c: cancelled && cancelId ? cancelId : o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: fmt(o.origQty),
    p: fmt(o.price),
    P: fmt(o.stopPrice),
    F: '0.00000000',
    g: -1,
    C: cancelled && cancelId ? o.clientOrderId : '',
    x,
    X: o.status,
    r: 'NONE',
    i: o.orderId,
    l: t ? fmt(t.qty) : '0.00000000',
    z: fmt(o.executedQty),
    L: t ? fmt(t.price) : '0.00000000',
    n: t ? fmt(t.commission) : '0',
    N: t ? t.commissionAsset : null,
    T: t ? t.time : o.updateTime,
    t: t ? t.id : -1,
    v: 3,
    I: o.orderId * 10 + (t ? t.id : 0),
    w: o.isWorking && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'),
    m: t ? t.isMaker : false,
    M: false,
    O: o.time,
    Z: fmt(o.cumQuote),
    Y: t ? fmt(t.quoteQty) : '0.00000000',
    Q: '0.00000000',
    W: o.workingTime,
    V: 'EXPIRE_MAKER',
  };
}

export function accountPosition(
  eventTime: number,
  balances: Array<{ asset: string; free: Decimal; locked: Decimal }>,
) {
  return {
    e: 'outboundAccountPosition',
    E: eventTime,
    u: eventTime,
    B: balances.map((b) => ({ a: b.asset, f: fmt(b.free), l: fmt(b.locked) })),
  };
}

export function accountJson(
  balances: Array<{ asset: string; free: Decimal; locked: Decimal }>,
  canTrade: boolean,
  canWithdraw: boolean,
  updateTime: number,
) {
  const rate = COMMISSION.toFixed(8);
  return {
    makerCommission: 10,
    takerCommission: 10,
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: rate, taker: rate, buyer: '0.00000000', seller: '0.00000000' },
    canTrade,
    canWithdraw,
    canDeposit: true,
    brokered: false,
    requireSelfTradePrevention: false,
    preventSor: false,
    updateTime,
    accountType: 'SPOT',
    balances: balances.map((b) => ({ asset: b.asset, free: fmt(b.free), locked: fmt(b.locked) })),
    permissions: ['SPOT'],
    uid: 354937868,
  };
}

export const aggTradeJson = (t: PublicTrade) => ({
  a: t.id,
  p: fmt(t.price),
  q: fmt(t.qty),
  f: t.id,
  l: t.id,
  T: t.time,
  m: t.buyerMaker,
  M: true,
});

export const tradeJson = (t: PublicTrade) => ({
  id: t.id,
  price: fmt(t.price),
  qty: fmt(t.qty),
  quoteQty: fmt(t.price.mul(t.qty)),
  time: t.time,
  isBuyerMaker: t.buyerMaker,
  isBestMatch: true,
});

export const aggTradeEvent = (t: PublicTrade, eventTime: number) => ({
  e: 'aggTrade',
  E: eventTime,
  s: t.symbol,
  ...aggTradeJson(t),
});

export const tradeEvent = (t: PublicTrade, eventTime: number) => ({
  e: 'trade',
  E: eventTime,
  s: t.symbol,
  t: t.id,
  p: fmt(t.price),
  q: fmt(t.qty),
  T: t.time,
  m: t.buyerMaker,
  M: true,
});

export const klineRow = (k: Kline) => [
  k.openTime,
  fmt(k.open),
  fmt(k.high),
  fmt(k.low),
  fmt(k.close),
  fmt(k.volume),
  k.closeTime,
  fmt(k.quoteVolume),
  k.trades,
  '0.00000000',
  '0.00000000',
  '0',
];

export const klineEvent = (k: Kline, eventTime: number) => ({
  e: 'kline',
  E: eventTime,
  s: k.symbol,
  k: {
    t: k.openTime,
    T: k.closeTime,
    s: k.symbol,
    i: '1m',
    f: k.firstId,
    L: k.lastId,
    o: fmt(k.open),
    c: fmt(k.close),
    h: fmt(k.high),
    l: fmt(k.low),
    v: fmt(k.volume),
    n: k.trades,
    x: k.closed,
    q: fmt(k.quoteVolume),
    V: '0.00000000',
    Q: '0.00000000',
    B: '0',
  },
});

export const depthJson = (book: Book, limit: number) => ({
  lastUpdateId: book.lastUpdateId,
  bids: book.bids.slice(0, limit).map(([p, q]) => [fmt(p), fmt(q)]),
  asks: book.asks.slice(0, limit).map(([p, q]) => [fmt(p), fmt(q)]),
});
