import type { Decimal } from '../../../core/decimal.js';
import { validationError } from '../../../core/errors.js';
import { defaultSyntheticInstruments, type SyntheticInstrument } from './catalogue.js';
import { assertValidInstrument, instrumentKey } from './instrument.js';
import {
  compileRegimes,
  DEFAULT_REGIMES,
  PriceProcess,
  type RegimeSpec,
  type RegimeTable,
} from './price-process.js';
import { Rng, type Seed } from './rng.js';
import type { AggressorSide, BookTopEvent, MarketEvent, TradeEvent } from './types.js';

export interface SyntheticMarketConfig {
  /** Same seed and config → byte-identical event sequence. */
  readonly seed: Seed;
  /** Epoch milliseconds of the first event. */
  readonly startTime: number;
  /** Defaults to the paper catalogue (BTC, ETH, SOL, BNB, XRP against USDT). */
  readonly instruments?: readonly SyntheticInstrument[];
  /** Mean trades per second per instrument in an average regime (default 2). */
  readonly tradesPerSecond?: number;
  /** Mean book-top updates per second per instrument in an average regime (default 2). */
  readonly bookTopsPerSecond?: number;
  readonly regimes?: readonly RegimeSpec[];
}

/** What the model is doing right now, for dashboards and tests; not market data. */
export interface SyntheticState {
  readonly venue: string;
  readonly symbol: string;
  readonly regime: string;
  /** Model mid price (float, informational only). */
  readonly mid: number;
}

/** Pareto tail index of trade notionals: a finite mean, an infinite variance, like real flow. */
const SIZE_TAIL = 1.4;
/** Largest trade as a multiple of the size scale, so one draw cannot empty the market. */
const SIZE_CAP = 5000;
/** Probability that the aggressor follows the last move of the mid (flow drives price). */
const FOLLOW_MOVE = 0.7;

/** Per-instrument generator state. Prices are integers of ticks until they become Decimals. */
interface Lane {
  readonly venue: string;
  readonly symbol: string;
  readonly tick: Decimal;
  readonly tickF: number;
  readonly lot: Decimal;
  readonly lotF: number;
  readonly minLots: number;
  readonly maxLots: number;
  readonly spreadFrac: number;
  readonly tradeNotional: number;
  /** Events per ms in an activity-1 regime, and the share of them that are trades. */
  readonly ratePerMs: number;
  readonly tradeShare: number;
  readonly rng: Rng;
  readonly process: PriceProcess;
  /** Elapsed ms of this lane's next event; lanes are merged on it. */
  nextAt: number;
  started: boolean;
  lastLogMid: number;
  tradeSeq: number;
}

/**
 * A reproducible synthetic market producing trades and book tops for several instruments.
 * Each instrument has its own random stream derived from (seed, venue, symbol), so adding or
 * removing an instrument leaves the others' paths untouched. Events arrive as a Poisson
 * process whose rate follows the regime; each instrument opens with a book top at `startTime`.
 *
 * The market runs in its own time, as fast as it is read; pacing it against a wall clock (real
 * time, 60× for a demo) is the job of `replay`, like any other recorded stream.
 *
 * Determinism rests on integer PRNG arithmetic and on V8's software Math.log/exp/pow (fdlibm
 * ports), which do not depend on the CPU or the C library. `bench/market.ts` prints a
 * fingerprint of the first 100,000 events for comparing machines and Node.js versions.
 *
 * @example
 * const market = new SyntheticMarket({ seed: 42, startTime: Date.UTC(2026, 0, 1) });
 * const firstMinute = market.advanceTo(Date.UTC(2026, 0, 1, 0, 1) - 1);
 * for await (const e of replay(market, { speed: 60, clock, sleep })) bus.publish(e);
 */
export class SyntheticMarket implements Iterable<MarketEvent> {
  readonly startTime: number;
  private readonly lanes: Lane[];

  constructor(config: SyntheticMarketConfig) {
    if (!Number.isSafeInteger(config.startTime) || config.startTime < 0) {
      throw validationError('startTime', 'must be a non-negative integer of epoch milliseconds');
    }
    this.startTime = config.startTime;
    const table = compileRegimes(config.regimes ?? DEFAULT_REGIMES);
    const instruments = config.instruments ?? defaultSyntheticInstruments();
    if (instruments.length === 0) throw validationError('instruments', 'must not be empty');
    const seen = new Set<string>();
    this.lanes = instruments.map((s, i) => {
      const key = instrumentKey(s.instrument);
      if (seen.has(key)) throw validationError(`instruments/${i}`, `${key} is listed twice`);
      seen.add(key);
      return makeLane(s, `instruments/${i}`, config, table);
    });
  }

  /** Epoch ms of the event `next()` will return. */
  peekTime(): number {
    return this.startTime + Math.floor(this.lanes[this.earliest()]!.nextAt);
  }

  /** The next event; the stream never ends and its `ts` never decreases. */
  next(): MarketEvent {
    const lane = this.lanes[this.earliest()]!;
    const at = lane.nextAt;
    const ts = this.startTime + Math.floor(at);
    let event: MarketEvent;
    if (!lane.started) {
      lane.started = true;
      event = this.bookTop(lane, ts);
    } else {
      lane.process.advanceTo(at);
      event = lane.rng.uniform() < lane.tradeShare ? this.trade(lane, ts) : this.bookTop(lane, ts);
    }
    lane.lastLogMid = lane.process.logMid;
    lane.nextAt = at + lane.rng.exponential(lane.ratePerMs * lane.process.spec.activity);
    return event;
  }

  /** Every event with `ts ≤ until`, in order. */
  advanceTo(until: number): MarketEvent[] {
    const out: MarketEvent[] = [];
    while (this.peekTime() <= until) out.push(this.next());
    return out;
  }

  /** The next `n` events. */
  take(n: number): MarketEvent[] {
    const out: MarketEvent[] = new Array<MarketEvent>(n);
    for (let i = 0; i < n; i++) out[i] = this.next();
    return out;
  }

  *[Symbol.iterator](): Iterator<MarketEvent> {
    for (;;) yield this.next();
  }

  state(): SyntheticState[] {
    return this.lanes.map((l) => ({
      venue: l.venue,
      symbol: l.symbol,
      regime: l.process.regimeName,
      mid: Math.exp(l.process.logMid),
    }));
  }

  /** Lowest `nextAt`; ties go to the earlier instrument so the merge is deterministic. */
  private earliest(): number {
    let best = 0;
    for (let i = 1; i < this.lanes.length; i++) {
      if (this.lanes[i]!.nextAt < this.lanes[best]!.nextAt) best = i;
    }
    return best;
  }

  /** Bid and ask in ticks around the model mid; the spread widens with the regime. */
  private quote(lane: Lane): [bidTicks: number, askTicks: number] {
    const mid = Math.exp(lane.process.logMid) / lane.tickF;
    const noise = 0.5 + lane.rng.exponential();
    const spread = Math.max(
      1,
      Math.round(mid * lane.spreadFrac * lane.process.spec.spread * noise),
    );
    const bid = Math.max(1, Math.floor(mid - spread / 2));
    return [bid, bid + spread];
  }

  private trade(lane: Lane, ts: number): TradeEvent {
    const [bid, ask] = this.quote(lane);
    const move = lane.process.logMid - lane.lastLogMid;
    const pBuy = move > 0 ? FOLLOW_MOVE : move < 0 ? 1 - FOLLOW_MOVE : 0.5;
    const side: AggressorSide = lane.rng.uniform() < pBuy ? 'buy' : 'sell';
    const ticks = side === 'buy' ? ask : bid;
    const notional = Math.min(
      lane.rng.pareto(lane.tradeNotional, SIZE_TAIL),
      lane.tradeNotional * SIZE_CAP,
    );
    return {
      kind: 'trade',
      venue: lane.venue,
      symbol: lane.symbol,
      id: String(++lane.tradeSeq),
      price: lane.tick.mulInt(ticks),
      quantity: lane.lot.mulInt(lots(lane, notional / (ticks * lane.tickF))),
      side,
      ts,
    };
  }

  private bookTop(lane: Lane, ts: number): BookTopEvent {
    const [bid, ask] = this.quote(lane);
    // Resting depth thins out when the regime is wild, as makers pull back.
    const depth = Math.log((lane.tradeNotional * 20) / lane.process.spec.spread);
    const bidSize = lane.rng.logNormal(depth, 0.8) / (bid * lane.tickF);
    const askSize = lane.rng.logNormal(depth, 0.8) / (ask * lane.tickF);
    return {
      kind: 'book',
      venue: lane.venue,
      symbol: lane.symbol,
      bidPrice: lane.tick.mulInt(bid),
      bidSize: lane.lot.mulInt(lots(lane, bidSize)),
      askPrice: lane.tick.mulInt(ask),
      askSize: lane.lot.mulInt(lots(lane, askSize)),
      ts,
    };
  }
}

function makeLane(
  s: SyntheticInstrument,
  at: string,
  config: SyntheticMarketConfig,
  table: RegimeTable,
): Lane {
  const inst = assertValidInstrument(s.instrument);
  const trades = check(
    s.tradesPerSecond ?? config.tradesPerSecond ?? 2,
    `${at}/tradesPerSecond`,
    true,
  );
  const books = check(
    s.bookTopsPerSecond ?? config.bookTopsPerSecond ?? 2,
    `${at}/bookTopsPerSecond`,
    true,
  );
  if (trades + books === 0) throw validationError(at, 'needs trades or book tops per second');
  if (!s.startPrice.isPositive()) throw validationError(`${at}/startPrice`, 'must be positive');
  check(s.dailyVolatility, `${at}/dailyVolatility`, true);
  check(s.spreadBps, `${at}/spreadBps`, true);
  check(s.tradeNotional, `${at}/tradeNotional`, false);
  const rng = Rng.from(config.seed, inst.venue, inst.symbol);
  const process = new PriceProcess(rng, table, s.dailyVolatility, s.startPrice.toNumber());
  return {
    venue: inst.venue,
    symbol: inst.symbol,
    tick: inst.tickSize,
    tickF: inst.tickSize.toNumber(),
    lot: inst.lotSize,
    lotF: inst.lotSize.toNumber(),
    minLots: Number(inst.minQuantity.units / inst.lotSize.units),
    maxLots: Number(inst.maxQuantity.units / inst.lotSize.units),
    spreadFrac: s.spreadBps / 10_000,
    tradeNotional: s.tradeNotional,
    ratePerMs: (trades + books) / 1000,
    tradeShare: trades / (trades + books),
    rng,
    process,
    nextAt: 0,
    started: false,
    lastLogMid: process.logMid,
    tradeSeq: 0,
  };
}

/** A model quantity as a whole number of lots within the instrument's limits. */
const lots = (lane: Lane, quantity: number): number =>
  Math.min(lane.maxLots, Math.max(lane.minLots, Math.floor(quantity / lane.lotF)));

/** A finite model parameter, ≥ 0 (or > 0 when zero would make no sense). */
function check(v: number, field: string, zeroAllowed: boolean): number {
  if (!Number.isFinite(v) || v < 0 || (!zeroAllowed && v === 0)) {
    throw validationError(field, `must be a finite number ${zeroAllowed ? '≥' : '>'} 0`);
  }
  return v;
}
