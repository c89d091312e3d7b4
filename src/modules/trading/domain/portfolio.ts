/**
 * Positions, profit and equity of every account, on top of the double-entry ledger.
 *
 * Accounting method: weighted average cost, spot only (a position is never short; margin
 * and perpetuals are out of scope for now). A position keeps its quantity and its total
 * cost basis; the average cost is cost basis / quantity, computed on read.
 *
 * - Buy: cost basis += price × quantity + fee. Buy fees are capitalised, so the average
 *   cost is the break-even price and the fee shows up in PnL when the position is sold.
 * - Sell: the sold share of the cost basis is removed (pro rata, rounded half-even at
 *   10^-18; a full close removes all of it), and
 *   realized PnL += price × quantity − fee − removed cost.
 *   So once a position is flat, its realized PnL equals exactly the quote it received
 *   minus the quote it paid, fees included: rounding never leaks.
 * - A fee charged in the base asset (venues that take the fee from what you receive) is
 *   taken out of the quantity: a buy adds quantity − fee for the same cost, a sell removes
 *   quantity + fee. Fees in a third currency (a venue token) reduce that balance, hence
 *   equity, but not the position's PnL. `feesPaid` is in quote; base fees count at the
 *   fill price.
 * - Selling more than the position holds (the asset arrived by deposit or through another
 *   pair) realizes the excess with no cost basis.
 *
 * Unrealized PnL = quantity × mark − cost basis, which is (mark − average cost) × quantity
 * without rounding the average.
 *
 * Realized PnL is also summed per account, quote currency and UTC day of the fill's own
 * timestamp (`realizedOn`), so a portfolio replayed from the journal, or driven by a simulated
 * clock, knows each day's result without asking what time it is now.
 */
import { Decimal } from '../../../core/decimal.js';
import type { Fill } from './types.js';
import { Ledger, type SpotLegs } from './ledger.js';
import { ledgerError, type LedgerResult } from './ledger-results.js';
import type { JournalEntry } from './ledger-journal.js';
import { assertExactGrid, mulUnits, proRataUnits } from './accounting.js';
import { EquitySeries, type EquitySnapshot } from './portfolio-snapshots.js';

/** What the portfolio needs of an instrument; the market module's `Instrument` satisfies it. */
export interface SpotInstrument {
  venue: string;
  symbol: string;
  base: string;
  quote: string;
  tickSize?: Decimal;
  lotSize?: Decimal;
}

/** Price of one unit of each currency in the valuation currency, e.g. `BTC → 65000`. */
export type Marks = ReadonlyMap<string, Decimal>;

export interface PositionView {
  accountId: string;
  venue: string;
  symbol: string;
  base: string;
  quote: string;
  quantity: Decimal;
  costBasis: Decimal;
  /** cost basis / quantity, half-even at 18 places; zero when flat. */
  averageCost: Decimal;
  realizedPnl: Decimal;
  feesPaid: Decimal;
  fills: number;
}

export type Valuation = Omit<EquitySnapshot, 'ts' | 'complete'> & {
  feesPaid: Decimal;
  /** Currencies held (or traded in open positions) that had no mark. */
  missingMarks: string[];
};

export interface PortfolioOptions {
  /** Currency equity is measured in; default USDT. */
  valuationCurrency?: string;
  /** Equity snapshots keep at most one point per interval; default one minute. */
  snapshotIntervalMs?: number;
}

/** One account's position in one instrument; also the fill path's cached routing. */
interface Position {
  readonly legs: SpotLegs;
  readonly symbol: string;
  /** The same symbol on another venue (rare), so lookups stay by symbol. */
  next: Position | undefined;
  qty: bigint;
  cost: bigint;
  realized: bigint;
  fees: bigint;
  /** Fills applied; a position whose first fill was refused stays at zero and is not listed. */
  fills: number;
}

export class Portfolio {
  /** Deposits, withdrawals, transfers and holds go straight to it; fills go through `applyFill`. */
  readonly ledger = new Ledger();
  readonly valuationCurrency: string;
  private readonly intervalMs: number;
  private readonly instruments = new Map<string, Map<string, SpotInstrument>>();
  private readonly positions = new Map<string, Map<string, Position>>();
  private readonly series = new Map<string, EquitySeries>();
  /** account → quote currency → UTC day start (ms) → realized units that day. */
  private readonly daily = new Map<string, Map<string, Map<number, bigint>>>();

  constructor(instruments: Iterable<SpotInstrument>, options: PortfolioOptions = {}) {
    this.valuationCurrency = options.valuationCurrency ?? 'USDT';
    this.intervalMs = options.snapshotIntervalMs ?? 60_000;
    for (const i of instruments) this.addInstrument(i);
  }

  /** Rebuilds a portfolio from a journal; the same journal always gives the same state. */
  static replay(
    journal: Iterable<JournalEntry>,
    instruments: Iterable<SpotInstrument>,
    options: PortfolioOptions = {},
  ): Portfolio {
    const p = new Portfolio(instruments, options);
    for (const e of journal) {
      const r = e.fill ? p.applyFill(e.fill) : p.ledger.post(e.toInput());
      if (!r.ok) throw new Error(`journal entry ${e.id} does not replay: ${r.error.message}`);
    }
    return p;
  }

  addInstrument(i: SpotInstrument): void {
    if (i.tickSize && i.lotSize) assertExactGrid(i.symbol, i.tickSize, i.lotSize);
    let byVenue = this.instruments.get(i.venue);
    if (!byVenue) this.instruments.set(i.venue, (byVenue = new Map()));
    byVenue.set(i.symbol, i);
  }

  /**
   * Posts a fill to the ledger and updates the position. A fill the account cannot pay for
   * is refused with nothing changed; a fill id already applied is a no-op.
   */
  applyFill(fill: Fill): LedgerResult {
    const head = this.positions.get(fill.accountId)?.get(fill.symbol);
    const p = head !== undefined && head.legs.venue === fill.venue ? head : this.open(fill, head);
    if (p === undefined) {
      return ledgerError('unknown_instrument', `${fill.symbol} on ${fill.venue} is not known`);
    }
    const qty = fill.quantity.units;
    const fee = fill.fee.units;
    if (qty <= 0n || fill.price.units <= 0n || fee < 0n) {
      return ledgerError('invalid_amount', 'a fill needs positive price and quantity, fee ≥ 0');
    }
    const quoteFee = fill.feeCurrency === p.legs.quote ? fee : 0n;
    const baseFee = quoteFee === 0n && fill.feeCurrency === p.legs.base ? fee : 0n;
    const buy = fill.side === 'buy';
    if (buy && baseFee > qty) {
      return ledgerError('invalid_amount', 'a base-asset fee cannot exceed the quantity bought');
    }
    const notional = mulUnits(fill.price.units, qty);
    const r = this.ledger.postSpotFill(p.legs, fill, qty, notional, fee);
    if (!r.ok || !r.applied) return r;

    // Zero fees are the common case in tests and some venues: skip their additions.
    if (buy) {
      p.qty += baseFee === 0n ? qty : qty - baseFee;
      p.cost += quoteFee === 0n ? notional : notional + quoteFee;
    } else {
      const out = baseFee === 0n ? qty : qty + baseFee;
      const covered = out < p.qty ? out : p.qty;
      const removed = covered === 0n ? 0n : proRataUnits(p.cost, covered, p.qty);
      p.qty -= covered;
      p.cost -= removed;
      const realized = (quoteFee === 0n ? notional : notional - quoteFee) - removed;
      p.realized += realized;
      this.addDaily(fill.accountId, p.legs.quote, fill.ts, realized);
    }
    p.fills++;
    if (quoteFee !== 0n) p.fees += quoteFee;
    else if (baseFee !== 0n) p.fees += mulUnits(baseFee, fill.price.units);
    return r;
  }

  position(accountId: string, venue: string, symbol: string): PositionView | undefined {
    let p = this.positions.get(accountId)?.get(symbol);
    while (p !== undefined && p.legs.venue !== venue) p = p.next;
    return p && p.fills > 0 ? view(p) : undefined;
  }

  /** The position's quantity in base units (zero when never traded): no view is built. */
  quantity(accountId: string, venue: string, symbol: string): Decimal {
    let p = this.positions.get(accountId)?.get(symbol);
    while (p !== undefined && p.legs.venue !== venue) p = p.next;
    return p ? Decimal.fromUnits(p.qty) : Decimal.ZERO;
  }

  /**
   * Realized PnL of the account's fills whose timestamp falls on the UTC day starting at
   * `dayStartMs` (any instant of that day will do), in `currency` (default: the valuation
   * currency), net of sell fees; a buy's fee is part of its cost, so it counts on the day the
   * position is sold.
   */
  realizedOn(accountId: string, dayStartMs: number, currency = this.valuationCurrency): Decimal {
    const units = this.daily.get(accountId)?.get(currency)?.get(utcDayStart(dayStartMs));
    return units === undefined ? Decimal.ZERO : Decimal.fromUnits(units);
  }

  /** Every instrument the account has traded (flat ones too: they carry realized PnL). */
  positionsOf(accountId: string): PositionView[] {
    return this.each(accountId)
      .filter((p) => p.fills > 0)
      .map(view)
      .sort((a, b) => cmpStr(a.symbol, b.symbol) || cmpStr(a.venue, b.venue));
  }

  /** Accounts with a ledger balance or a position. */
  accounts(): string[] {
    return [...new Set([...this.ledger.accountIds(), ...this.positions.keys()])].sort(cmpStr);
  }

  /**
   * Values the account at `marks`: equity = cash (the valuation-currency balance) + every
   * other balance × its mark. Spot positions are balances, so this is cash + Σ qty × mark.
   * Each product rounds half-even at 18 places (exact for marks on a tick and quantities on
   * a lot). A currency without a mark is listed in `missingMarks` and left out.
   */
  valuation(accountId: string, marks: Marks): Valuation {
    const val = this.valuationCurrency;
    const missing = new Set<string>();
    const markOf = (c: string): bigint | undefined => (c === val ? ONE_UNITS : marks.get(c)?.units);
    let cash = 0n;
    let positionsValue = 0n;
    this.ledger.eachTotal(accountId, (currency, units) => {
      if (currency === val) cash += units;
      else if (units !== 0n) {
        const m = markOf(currency);
        if (m === undefined) missing.add(currency);
        else positionsValue += mulUnits(units, m);
      }
    });
    let realized = 0n;
    let unrealized = 0n;
    let fees = 0n;
    for (const p of this.each(accountId)) {
      const mq = markOf(p.legs.quote);
      if (mq === undefined) {
        if (p.qty !== 0n || p.realized !== 0n || p.fees !== 0n) missing.add(p.legs.quote);
        continue;
      }
      realized += mulUnits(p.realized, mq);
      fees += mulUnits(p.fees, mq);
      if (p.qty === 0n) continue;
      const mb = markOf(p.legs.base);
      if (mb === undefined) missing.add(p.legs.base);
      else unrealized += mulUnits(p.qty, mb) - mulUnits(p.cost, mq);
    }
    return {
      equity: Decimal.fromUnits(cash + positionsValue),
      cash: Decimal.fromUnits(cash),
      positionsValue: Decimal.fromUnits(positionsValue),
      realizedPnl: Decimal.fromUnits(realized),
      unrealizedPnl: Decimal.fromUnits(unrealized),
      netContributions: this.ledger.netContributions(accountId, val),
      feesPaid: Decimal.fromUnits(fees),
      missingMarks: [...missing].sort(cmpStr),
    };
  }

  /** Values the account at `ts` and records the point in its equity series. */
  snapshot(accountId: string, ts: number, marks: Marks): EquitySnapshot {
    const v = this.valuation(accountId, marks);
    const s: EquitySnapshot = {
      ts,
      equity: v.equity,
      cash: v.cash,
      positionsValue: v.positionsValue,
      realizedPnl: v.realizedPnl,
      unrealizedPnl: v.unrealizedPnl,
      netContributions: v.netContributions,
      complete: v.missingMarks.length === 0,
    };
    let series = this.series.get(accountId);
    if (!series) this.series.set(accountId, (series = new EquitySeries(this.intervalMs)));
    series.record(s);
    return s;
  }

  /** Snapshots every account at one instant (a backtest bar, a leaderboard tick). */
  snapshotAll(ts: number, marks: Marks): Map<string, EquitySnapshot> {
    return new Map(this.accounts().map((a) => [a, this.snapshot(a, ts, marks)]));
  }

  /** The account's equity points, oldest first, one per snapshot interval. */
  snapshots(accountId: string): EquitySnapshot[] {
    return this.series.get(accountId)?.points() ?? [];
  }

  private open(fill: Fill, head: Position | undefined): Position | undefined {
    for (let p = head; p !== undefined; p = p.next) if (p.legs.venue === fill.venue) return p;
    const inst = this.instruments.get(fill.venue)?.get(fill.symbol);
    if (!inst) return undefined;
    const legs = this.ledger.spotLegs(
      fill.accountId,
      fill.venue,
      fill.symbol,
      inst.base,
      inst.quote,
    );
    const p: Position = {
      legs,
      symbol: fill.symbol,
      next: head,
      qty: 0n,
      cost: 0n,
      realized: 0n,
      fees: 0n,
      fills: 0,
    };
    let mine = this.positions.get(fill.accountId);
    if (!mine) this.positions.set(fill.accountId, (mine = new Map()));
    mine.set(fill.symbol, p);
    return p;
  }

  private addDaily(accountId: string, currency: string, ts: number, units: bigint): void {
    if (units === 0n) return;
    let byCurrency = this.daily.get(accountId);
    if (!byCurrency) this.daily.set(accountId, (byCurrency = new Map()));
    let byDay = byCurrency.get(currency);
    if (!byDay) byCurrency.set(currency, (byDay = new Map()));
    const day = utcDayStart(ts);
    byDay.set(day, (byDay.get(day) ?? 0n) + units);
  }

  private each(accountId: string): Position[] {
    const out: Position[] = [];
    for (const head of this.positions.get(accountId)?.values() ?? []) {
      for (let p: Position | undefined = head; p !== undefined; p = p.next) out.push(p);
    }
    return out;
  }
}

const ONE_UNITS = Decimal.ONE.units;
const DAY_MS = 86_400_000;

/** Start (ms) of the UTC day holding `ms`; days have no leap seconds in Unix time. */
export const utcDayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function view(p: Position): PositionView {
  return {
    accountId: p.legs.accountId,
    venue: p.legs.venue,
    symbol: p.symbol,
    base: p.legs.base,
    quote: p.legs.quote,
    quantity: Decimal.fromUnits(p.qty),
    costBasis: Decimal.fromUnits(p.cost),
    averageCost:
      p.qty === 0n ? Decimal.ZERO : Decimal.fromUnits(p.cost).div(Decimal.fromUnits(p.qty)),
    realizedPnl: Decimal.fromUnits(p.realized),
    feesPaid: Decimal.fromUnits(p.fees),
    fills: p.fills,
  };
}
