/**
 * Equity over time, kept compact: at most one point per interval (the latest one taken in
 * it, like a candle's close), stored as parallel arrays of units rather than one object per
 * point, so a year of minute snapshots for many accounts stays small. Return, drawdown and
 * Sharpe are computed from these points elsewhere (analytics).
 */
import { Decimal } from '../../../core/decimal.js';

export interface EquitySnapshot {
  ts: number;
  /** cash + positionsValue, in the valuation currency. */
  equity: Decimal;
  /** Balance in the valuation currency. */
  cash: Decimal;
  /** Every other balance at its mark. */
  positionsValue: Decimal;
  /** Cumulative, net of fees. */
  realizedPnl: Decimal;
  unrealizedPnl: Decimal;
  /**
   * Deposits minus withdrawals in the valuation currency up to this point, so that returns
   * can tell money paid in from money made.
   */
  netContributions: Decimal;
  /** False when a balance or position had no mark; its value is then left out. */
  complete: boolean;
}

export class EquitySeries {
  private readonly ts: number[] = [];
  private readonly equity: bigint[] = [];
  private readonly cash: bigint[] = [];
  private readonly positions: bigint[] = [];
  private readonly realized: bigint[] = [];
  private readonly unrealized: bigint[] = [];
  private readonly contributions: bigint[] = [];
  private readonly complete: boolean[] = [];

  /** `intervalMs` ≤ 0 keeps every snapshot. */
  constructor(readonly intervalMs: number) {}

  get length(): number {
    return this.ts.length;
  }

  /**
   * Adds a point, replacing the last one when both fall in the same interval. Time going
   * backwards is a caller's bug (the clock is monotonic per account), so it throws.
   */
  record(s: EquitySnapshot): void {
    const n = this.ts.length;
    const last = n === 0 ? undefined : this.ts[n - 1]!;
    if (last !== undefined && s.ts < last) {
      throw new RangeError(`snapshot at ${s.ts} is older than the last one at ${last}`);
    }
    const sameBucket =
      last !== undefined &&
      this.intervalMs > 0 &&
      Math.floor(s.ts / this.intervalMs) === Math.floor(last / this.intervalMs);
    const at = sameBucket || last === s.ts ? n - 1 : n;
    this.ts[at] = s.ts;
    this.equity[at] = s.equity.units;
    this.cash[at] = s.cash.units;
    this.positions[at] = s.positionsValue.units;
    this.realized[at] = s.realizedPnl.units;
    this.unrealized[at] = s.unrealizedPnl.units;
    this.contributions[at] = s.netContributions.units;
    this.complete[at] = s.complete;
  }

  at(i: number): EquitySnapshot | undefined {
    if (i < 0 || i >= this.ts.length) return undefined;
    return {
      ts: this.ts[i]!,
      equity: Decimal.fromUnits(this.equity[i]!),
      cash: Decimal.fromUnits(this.cash[i]!),
      positionsValue: Decimal.fromUnits(this.positions[i]!),
      realizedPnl: Decimal.fromUnits(this.realized[i]!),
      unrealizedPnl: Decimal.fromUnits(this.unrealized[i]!),
      netContributions: Decimal.fromUnits(this.contributions[i]!),
      complete: this.complete[i]!,
    };
  }

  points(): EquitySnapshot[] {
    return this.ts.map((_, i) => this.at(i)!);
  }
}
