import { Decimal } from '../../../src/core/decimal.js';

/**
 * The fake exchange's market and accounts: one last price per symbol, resting orders that
 * fill when that price crosses them, balances with the funds of working orders locked, and
 * a public tape. It matches against its own price only, never order against order, because
 * tests need to say exactly when and at what price something fills.
 */

export type BinanceSide = 'BUY' | 'SELL';
export type BinanceType = 'MARKET' | 'LIMIT' | 'LIMIT_MAKER' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT';
export type BinanceTif = 'GTC' | 'IOC' | 'FOK';
export type BinanceStatus =
  'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'REPLACED';

export interface SymbolSpec {
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  minNotional: string;
  price: string;
}

export const DEFAULT_SYMBOLS: readonly SymbolSpec[] = [
  {
    symbol: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.00001',
    minQty: '0.00001',
    maxQty: '9000',
    minNotional: '5',
    price: '50000.00',
  },
  {
    symbol: 'ETHUSDT',
    base: 'ETH',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.0001',
    minQty: '0.0001',
    maxQty: '9000',
    minNotional: '5',
    price: '3000.00',
  },
];

/** 0.1 % maker and taker, as a retail Binance spot account pays. */
export const COMMISSION = Decimal.parse('0.001');

export interface FakeOrder {
  account: string;
  symbol: string;
  orderId: number;
  clientOrderId: string;
  side: BinanceSide;
  type: BinanceType;
  timeInForce: BinanceTif;
  price: Decimal;
  stopPrice: Decimal;
  origQty: Decimal;
  executedQty: Decimal;
  cumQuote: Decimal;
  status: BinanceStatus;
  /** False for a stop that has not triggered yet. */
  isWorking: boolean;
  time: number;
  updateTime: number;
  workingTime: number;
  /** Funds held for the working part: quote for buys, base for sells. */
  locked: Decimal;
}

export interface FakeTrade {
  id: number;
  account: string;
  symbol: string;
  orderId: number;
  price: Decimal;
  qty: Decimal;
  quoteQty: Decimal;
  commission: Decimal;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}

export interface PublicTrade {
  /** Aggregate and plain trade ids move together here: one print is one trade. */
  id: number;
  symbol: string;
  price: Decimal;
  qty: Decimal;
  time: number;
  /** Binance's `m`: the buyer was the maker, i.e. the aggressor sold. */
  buyerMaker: boolean;
}

export interface Kline {
  symbol: string;
  openTime: number;
  closeTime: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
  quoteVolume: Decimal;
  trades: number;
  firstId: number;
  lastId: number;
  closed: boolean;
}

export type Level = [Decimal, Decimal];
export interface Book {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

export interface EngineEvents {
  execution(order: FakeOrder, type: ExecutionType, trade?: FakeTrade, cancelId?: string): void;
  balances(account: string, assets: string[]): void;
  publicTrade(t: PublicTrade): void;
  kline(k: Kline): void;
  depth(symbol: string, first: number, last: number, bids: Level[], asks: Level[]): void;
}

export class EngineError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const MINUTE = 60_000;
const BOOK_LEVELS = 5;
const BOOK_SIZE = Decimal.parse('1.5');

interface Balance {
  free: Decimal;
  locked: Decimal;
}

export class Engine {
  readonly specs = new Map<string, SymbolSpec>();
  readonly prices = new Map<string, Decimal>();
  readonly orders: FakeOrder[] = [];
  readonly trades: FakeTrade[] = [];
  readonly tape = new Map<string, PublicTrade[]>();
  readonly klines = new Map<string, Kline[]>();
  readonly books = new Map<string, Book>();
  private readonly balances = new Map<string, Map<string, Balance>>();
  private nextOrderId = 1000;
  private readonly nextTradeId = new Map<string, number>();
  private readonly nextPublicId = new Map<string, number>();

  constructor(
    symbols: readonly SymbolSpec[],
    private readonly events: EngineEvents,
    private readonly now: () => number,
  ) {
    for (const s of symbols) {
      this.specs.set(s.symbol, s);
      this.prices.set(s.symbol, Decimal.parse(s.price));
      this.tape.set(s.symbol, []);
      this.klines.set(s.symbol, []);
      this.nextTradeId.set(s.symbol, 1);
      this.nextPublicId.set(s.symbol, 1);
      this.books.set(s.symbol, { lastUpdateId: 1, ...this.ladder(s.symbol) });
    }
  }

  spec(symbol: string): SymbolSpec {
    const s = this.specs.get(symbol);
    if (!s) throw new EngineError(-1121, 'Invalid symbol.');
    return s;
  }

  price(symbol: string): Decimal {
    return this.prices.get(this.spec(symbol).symbol)!;
  }

  // ── balances ────────────────────────────────────────────────────────────────────────────

  fund(account: string, asset: string, amount: string): void {
    this.balance(account, asset).free = Decimal.parse(amount);
  }

  balanceOf(account: string): Array<{ asset: string; free: Decimal; locked: Decimal }> {
    return [...(this.balances.get(account) ?? new Map<string, Balance>())].map(([asset, b]) => ({
      asset,
      ...b,
    }));
  }

  private balance(account: string, asset: string): Balance {
    let byAsset = this.balances.get(account);
    if (!byAsset) this.balances.set(account, (byAsset = new Map()));
    let b = byAsset.get(asset);
    if (!b) byAsset.set(asset, (b = { free: Decimal.ZERO, locked: Decimal.ZERO }));
    return b;
  }

  // ── orders ──────────────────────────────────────────────────────────────────────────────

  findOrder(account: string, symbol: string, ref: { orderId?: number; clientOrderId?: string }) {
    return this.orders.find(
      (o) =>
        o.account === account &&
        o.symbol === symbol &&
        (ref.orderId !== undefined
          ? o.orderId === ref.orderId
          : o.clientOrderId === ref.clientOrderId),
    );
  }

  openOrders(account: string, symbol?: string): FakeOrder[] {
    return this.orders.filter(
      (o) => o.account === account && isOpen(o) && (symbol === undefined || o.symbol === symbol),
    );
  }

  /**
   * Validates and books an order; a marketable one fills at once at the last price. Returns
   * the order and the trades it made at placement (the FULL response lists them).
   */
  place(input: {
    account: string;
    symbol: string;
    side: BinanceSide;
    type: BinanceType;
    timeInForce?: BinanceTif;
    quantity: Decimal;
    price?: Decimal;
    stopPrice?: Decimal;
    clientOrderId: string;
  }): { order: FakeOrder; fills: FakeTrade[] } {
    const spec = this.spec(input.symbol);
    const dup = this.orders.find(
      (o) => o.account === input.account && o.clientOrderId === input.clientOrderId && isOpen(o),
    );
    if (dup) throw new EngineError(-2010, 'Duplicate order sent.');
    this.checkFilters(spec, input);
    const now = this.now();
    const last = this.price(input.symbol);
    const order: FakeOrder = {
      account: input.account,
      symbol: input.symbol,
      orderId: this.nextOrderId++,
      clientOrderId: input.clientOrderId,
      side: input.side,
      type: input.type,
      timeInForce: input.timeInForce ?? 'GTC',
      price: input.price ?? Decimal.ZERO,
      stopPrice: input.stopPrice ?? Decimal.ZERO,
      origQty: input.quantity,
      executedQty: Decimal.ZERO,
      cumQuote: Decimal.ZERO,
      status: 'NEW',
      isWorking: !isStop(input.type),
      time: now,
      updateTime: now,
      workingTime: isStop(input.type) ? -1 : now,
      locked: Decimal.ZERO,
    };
    const marketable = this.marketable(order, last);
    if (order.type === 'LIMIT_MAKER' && marketable) {
      throw new EngineError(-2010, 'Order would immediately match and take.');
    }
    this.lock(
      order,
      order.type === 'MARKET' ? last : order.type === 'STOP_LOSS' ? order.stopPrice : order.price,
    );
    this.orders.push(order);
    this.events.execution(order, 'NEW');
    const fills: FakeTrade[] = [];
    if (
      order.type === 'MARKET' ||
      (order.type !== 'LIMIT_MAKER' && marketable && order.isWorking)
    ) {
      fills.push(this.fill(order, order.origQty, last, false));
    } else if (order.timeInForce !== 'GTC' && order.isWorking) {
      this.close(order, 'EXPIRED');
    }
    return { order, fills };
  }

  cancel(order: FakeOrder, cancelId?: string): void {
    if (!isOpen(order)) throw new EngineError(-2011, 'Unknown order sent.');
    this.close(order, 'CANCELED', cancelId);
  }

  /** Moves the market: a print at `price`, resting orders it crosses fill, the book follows. */
  setPrice(symbol: string, price: Decimal, qty = Decimal.parse('0.01')): void {
    const old = this.price(symbol);
    this.prices.set(symbol, price);
    this.print(symbol, price, qty, price.lt(old));
    for (const o of this.orders.filter((x) => x.symbol === symbol && isOpen(x))) {
      if (!o.isWorking && this.stopTriggered(o, price)) {
        o.isWorking = true;
        o.workingTime = this.now();
        if (o.type === 'STOP_LOSS') {
          this.fill(o, o.origQty.sub(o.executedQty), price, false);
          continue;
        }
      }
      if (!o.isWorking || o.type === 'MARKET' || o.type === 'STOP_LOSS') continue;
      const crossed = o.side === 'BUY' ? price.lte(o.price) : price.gte(o.price);
      if (crossed) this.fill(o, o.origQty.sub(o.executedQty), o.price, true);
    }
    this.moveBook(symbol);
  }

  /** Fills `qty` (default: all that is left) of a working order at its own price, as maker. */
  forceFill(order: FakeOrder, qty?: Decimal): FakeTrade {
    if (!isOpen(order)) throw new Error(`order ${order.orderId} is ${order.status}`);
    const left = order.origQty.sub(order.executedQty);
    const price = order.type === 'MARKET' ? this.price(order.symbol) : order.price;
    const q = qty ?? left;
    if (q.gt(left) || !q.isPositive()) throw new Error(`cannot fill ${q} of ${left}`);
    order.isWorking = true;
    return this.fill(order, q, price, true);
  }

  /**
   * A print on the public tape that touches no order (prices move only through setPrice). A
   * `silent` print is recorded (REST serves it) but never streamed: a message lost on the way.
   */
  print(symbol: string, price: Decimal, qty: Decimal, buyerMaker: boolean, silent = false): void {
    const id = this.nextPublicId.get(symbol)!;
    this.nextPublicId.set(symbol, id + 1);
    const t: PublicTrade = { id, symbol, price, qty, time: this.now(), buyerMaker };
    this.tape.get(symbol)!.push(t);
    if (!silent) this.events.publicTrade(t);
    this.updateKline(t, silent);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  private checkFilters(
    spec: SymbolSpec,
    i: { type: BinanceType; quantity: Decimal; price?: Decimal; stopPrice?: Decimal },
  ): void {
    const step = Decimal.parse(spec.stepSize);
    const tick = Decimal.parse(spec.tickSize);
    if (
      !i.quantity.isMultipleOf(step) ||
      i.quantity.lt(Decimal.parse(spec.minQty)) ||
      i.quantity.gt(Decimal.parse(spec.maxQty))
    ) {
      throw new EngineError(-1013, 'Filter failure: LOT_SIZE');
    }
    const needsPrice = i.type !== 'MARKET' && i.type !== 'STOP_LOSS';
    if (needsPrice && (!i.price || !i.price.isPositive() || !i.price.isMultipleOf(tick))) {
      throw new EngineError(-1013, 'Filter failure: PRICE_FILTER');
    }
    if (isStop(i.type) && (!i.stopPrice || !i.stopPrice.isMultipleOf(tick))) {
      throw new EngineError(-1013, 'Filter failure: PRICE_FILTER');
    }
    const ref = i.price ?? i.stopPrice ?? this.price(spec.symbol);
    if (i.quantity.mul(ref).lt(Decimal.parse(spec.minNotional))) {
      throw new EngineError(-1013, 'Filter failure: NOTIONAL');
    }
  }

  private marketable(o: FakeOrder, last: Decimal): boolean {
    if (o.type === 'MARKET') return true;
    if (!o.isWorking) return false;
    return o.side === 'BUY' ? o.price.gte(last) : o.price.lte(last);
  }

  private stopTriggered(o: FakeOrder, price: Decimal): boolean {
    return o.side === 'BUY' ? price.gte(o.stopPrice) : price.lte(o.stopPrice);
  }

  private lock(o: FakeOrder, price: Decimal): void {
    const spec = this.spec(o.symbol);
    const asset = o.side === 'BUY' ? spec.quote : spec.base;
    const amount = o.side === 'BUY' ? o.origQty.mul(price) : o.origQty;
    const b = this.balance(o.account, asset);
    if (b.free.lt(amount)) {
      throw new EngineError(-2010, 'Account has insufficient balance for requested action.');
    }
    b.free = b.free.sub(amount);
    b.locked = b.locked.add(amount);
    o.locked = amount;
    this.events.balances(o.account, [asset]);
  }

  private fill(o: FakeOrder, qty: Decimal, price: Decimal, maker: boolean): FakeTrade {
    const spec = this.spec(o.symbol);
    const quote = qty.mul(price);
    const buy = o.side === 'BUY';
    const received = buy ? qty : quote;
    const commission = received.mul(COMMISSION).round(8, 'up');
    const held = this.balance(o.account, buy ? spec.quote : spec.base);
    const whole = o.type === 'MARKET' || o.type === 'STOP_LOSS';
    const release = whole ? o.locked : buy ? qty.mul(o.price) : qty;
    const fromLock = Decimal.min(release, o.locked);
    held.locked = held.locked.sub(fromLock);
    o.locked = o.locked.sub(fromLock);
    // Whatever the held amount exceeds the fill by (a better price) goes back to free.
    held.free = held.free.add(fromLock).sub(buy ? quote : qty);
    const gets = this.balance(o.account, buy ? spec.base : spec.quote);
    gets.free = gets.free.add(received).sub(commission);
    const id = this.nextTradeId.get(o.symbol)!;
    this.nextTradeId.set(o.symbol, id + 1);
    const now = this.now();
    const trade: FakeTrade = {
      id,
      account: o.account,
      symbol: o.symbol,
      orderId: o.orderId,
      price,
      qty,
      quoteQty: quote,
      commission,
      commissionAsset: buy ? spec.base : spec.quote,
      time: now,
      isBuyer: buy,
      isMaker: maker,
    };
    this.trades.push(trade);
    o.executedQty = o.executedQty.add(qty);
    o.cumQuote = o.cumQuote.add(quote);
    o.status = o.executedQty.eq(o.origQty) ? 'FILLED' : 'PARTIALLY_FILLED';
    o.updateTime = now;
    if (o.status === 'FILLED' && o.locked.isPositive()) {
      held.free = held.free.add(o.locked);
      held.locked = held.locked.sub(o.locked);
      o.locked = Decimal.ZERO;
    }
    this.events.execution(o, 'TRADE', trade);
    this.events.balances(o.account, [spec.base, spec.quote]);
    if (maker) this.print(o.symbol, price, qty, buy);
    return trade;
  }

  private close(o: FakeOrder, status: 'CANCELED' | 'EXPIRED', cancelId?: string): void {
    const spec = this.spec(o.symbol);
    const asset = o.side === 'BUY' ? spec.quote : spec.base;
    const b = this.balance(o.account, asset);
    b.locked = b.locked.sub(o.locked);
    b.free = b.free.add(o.locked);
    o.locked = Decimal.ZERO;
    o.status = status;
    o.updateTime = this.now();
    this.events.execution(o, status, undefined, cancelId);
    this.events.balances(o.account, [asset]);
  }

  private updateKline(t: PublicTrade, silent: boolean): void {
    const list = this.klines.get(t.symbol)!;
    const openTime = Math.floor(t.time / MINUTE) * MINUTE;
    let k = list.at(-1);
    if (k && k.openTime < openTime && !k.closed) {
      k.closed = true;
      this.events.kline(k);
    }
    if (!k || k.openTime < openTime) {
      k = {
        symbol: t.symbol,
        openTime,
        closeTime: openTime + MINUTE - 1,
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        volume: Decimal.ZERO,
        quoteVolume: Decimal.ZERO,
        trades: 0,
        firstId: t.id,
        lastId: t.id,
        closed: false,
      };
      list.push(k);
    }
    k.high = Decimal.max(k.high, t.price);
    k.low = Decimal.min(k.low, t.price);
    k.close = t.price;
    k.volume = k.volume.add(t.qty);
    k.quoteVolume = k.quoteVolume.add(t.qty.mul(t.price));
    k.trades++;
    k.lastId = t.id;
    if (!silent) this.events.kline(k);
  }

  private ladder(symbol: string): { bids: Level[]; asks: Level[] } {
    const tick = Decimal.parse(this.spec(symbol).tickSize);
    const p = this.price(symbol);
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let k = 1; k <= BOOK_LEVELS; k++) {
      bids.push([p.sub(tick.mulInt(k)), BOOK_SIZE]);
      asks.push([p.add(tick.mulInt(k)), BOOK_SIZE]);
    }
    return { bids, asks };
  }

  /** Replaces the book around the new price and publishes the difference as one update. */
  private moveBook(symbol: string): void {
    const book = this.books.get(symbol)!;
    const next = this.ladder(symbol);
    const diff = (old: Level[], now: Level[]): Level[] => {
      const out: Level[] = now.filter(([p, q]) => !old.some(([op, oq]) => op.eq(p) && oq.eq(q)));
      for (const [p] of old) if (!now.some(([np]) => np.eq(p))) out.push([p, Decimal.ZERO]);
      return out;
    };
    const bids = diff(book.bids, next.bids);
    const asks = diff(book.asks, next.asks);
    book.bids = next.bids;
    book.asks = next.asks;
    book.lastUpdateId++;
    this.events.depth(symbol, book.lastUpdateId, book.lastUpdateId, bids, asks);
  }
}

export const isOpen = (o: FakeOrder) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
const isStop = (t: BinanceType) => t === 'STOP_LOSS' || t === 'STOP_LOSS_LIMIT';
