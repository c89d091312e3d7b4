/**
 * Leaderboard statistics of a leader account from its equity snapshots
 * (`{ ts, equity, netContributions }`, as the portfolio records them).
 *
 * Exact or float: PnL and the drawdown amount are money and stay exact `Decimal`s; they are
 * what a follower's fees and statements are built from. Return, drawdown percent and Sharpe
 * are ratios of money, shown and sorted but never paid out or booked, so they are floats
 * (IEEE-754 operations are deterministic, so every process ranks the same way). A `Decimal`
 * would only give 18 places of a number that is rounded to 2 on screen.
 *
 * Definitions, over the snapshots from the window's base (the last snapshot at or before its
 * start, or the first one when history is shorter: `partial`) to the last at or before `asOf`:
 * - PnL = (equity − net contributions) at the end − the same at the base. Deposits and
 *   withdrawals are not profit.
 * - Return: time-weighted. Between consecutive snapshots the growth factor is
 *   equity_i / (equity_{i−1} + flow_i), flow_i being the change in net contributions; a
 *   flow counts as made at the start of the interval, so funding an empty account is a 0 %
 *   return, not a division by zero. An interval that starts with nothing at stake (≤ 0) is
 *   skipped. Return = Π factors − 1, in percent.
 * - Max drawdown percent: the largest fall of that return index from its running peak.
 *   Max drawdown amount: the largest fall of cumulative PnL from its running peak (exact).
 * - Sharpe: daily returns of the index sampled every 24 h back from `asOf` (the last
 *   snapshot at or before each sample time), mean / sample standard deviation × √365, risk
 *   free rate 0. Crypto trades every day of the year, hence 365 rather than 252. Absent with
 *   fewer than two daily returns, or when they do not vary (standard deviation < 10^-9).
 */
import { Decimal } from '../../../core/decimal.js';
import { DAY_MS } from './fees.js';

export interface EquityPoint {
  ts: number;
  equity: Decimal;
  netContributions: Decimal;
}

export type StatsWindow = '7d' | '30d' | '90d' | 'all';

export const STATS_WINDOWS: Readonly<Record<StatsWindow, number | undefined>> = {
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  '90d': 90 * DAY_MS,
  all: undefined,
};

export interface WindowStats {
  window: StatsWindow;
  /** Time of the base snapshot and of the last one used. */
  from: number;
  to: number;
  /** History starts after the window's start, so the figures cover less than the window. */
  partial: boolean;
  pnl: Decimal;
  returnPct: number;
  maxDrawdownPct: number;
  maxDrawdownAmount: Decimal;
  sharpe: number | null;
  /** Daily returns behind `sharpe`. */
  dailyReturns: number;
}

const ratio = (a: Decimal, b: Decimal): number => Number(a.units) / Number(b.units);

/** Snapshots up to `asOf`, oldest first (sorted here, so callers need not). */
function upTo(points: readonly EquityPoint[], asOf: number): EquityPoint[] {
  const kept = points.filter((p) => p.ts <= asOf);
  for (let i = 1; i < kept.length; i++) {
    if (kept[i]!.ts < kept[i - 1]!.ts) return kept.sort((a, b) => a.ts - b.ts);
  }
  return kept;
}

/** The time-weighted return index at each point, starting at 1. */
export function returnIndex(points: readonly EquityPoint[]): number[] {
  const index = points.length > 0 ? [1] : [];
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    const atStake = prev.equity.add(cur.netContributions.sub(prev.netContributions));
    const last = index[i - 1]!;
    index.push(atStake.isPositive() ? last * ratio(cur.equity, atStake) : last);
  }
  return index;
}

/**
 * Below this standard deviation of daily returns the returns are taken as equal: a steady
 * account's returns differ only by float noise (~10^-16), and dividing by that noise would
 * rank it first with a Sharpe ratio in the trillions. Real daily returns vary far more.
 */
const MIN_DAILY_STDEV = 1e-9;

/** Sample mean / sample standard deviation × √365, or null when it is not defined. */
export function annualisedSharpe(daily: readonly number[]): number | null {
  const n = daily.length;
  if (n < 2) return null;
  const mean = daily.reduce((s, r) => s + r, 0) / n;
  const variance = daily.reduce((s, r) => s + (r - mean) ** 2, 0) / (n - 1);
  const stdev = Math.sqrt(variance);
  if (!(stdev >= MIN_DAILY_STDEV)) return null;
  return (mean / stdev) * Math.sqrt(365);
}

/** Daily returns of the index, sampled at asOf − k days for every k that reaches the data. */
function dailyReturns(
  points: readonly EquityPoint[],
  index: readonly number[],
  asOf: number,
  maxDays: number | undefined,
): number[] {
  const first = points[0]!.ts;
  let days = Math.floor((asOf - first) / DAY_MS);
  if (maxDays !== undefined) days = Math.min(days, maxDays);
  const out: number[] = [];
  let j = 0;
  let prev: number | undefined;
  for (let k = days; k >= 0; k--) {
    const t = asOf - k * DAY_MS;
    while (j + 1 < points.length && points[j + 1]!.ts <= t) j++;
    const value = index[j]!;
    if (prev !== undefined && prev > 0) out.push(value / prev - 1);
    prev = value;
  }
  return out;
}

/** Statistics of one window, or undefined when there is no snapshot at or before `asOf`. */
export function windowStats(
  points: readonly EquityPoint[],
  asOf: number,
  window: StatsWindow,
): WindowStats | undefined {
  const all = upTo(points, asOf);
  if (all.length === 0) return undefined;
  const length = STATS_WINDOWS[window];
  let base = 0;
  let partial = false;
  if (length !== undefined) {
    const start = asOf - length;
    let i = all.length - 1;
    while (i >= 0 && all[i]!.ts > start) i--;
    partial = i < 0;
    base = Math.max(i, 0);
  }
  const pts = all.slice(base);
  const index = returnIndex(pts);

  let peak = index[0]!;
  let worst = 0;
  for (const v of index) {
    if (v > peak) peak = v;
    else if (peak > 0) worst = Math.max(worst, 1 - v / peak);
  }
  const profit = (p: EquityPoint) => p.equity.sub(p.netContributions);
  let pnlPeak = profit(pts[0]!);
  let worstAmount = Decimal.ZERO;
  for (const p of pts) {
    const v = profit(p);
    if (v.gt(pnlPeak)) pnlPeak = v;
    else worstAmount = Decimal.max(worstAmount, pnlPeak.sub(v));
  }
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  const daily = dailyReturns(pts, index, asOf, length === undefined ? undefined : length / DAY_MS);
  return {
    window,
    from: first.ts,
    to: last.ts,
    partial,
    pnl: profit(last).sub(profit(first)),
    returnPct: (index[index.length - 1]! - 1) * 100,
    maxDrawdownPct: worst * 100,
    maxDrawdownAmount: worstAmount,
    sharpe: annualisedSharpe(daily),
    dailyReturns: daily.length,
  };
}

export interface LeaderboardInput {
  leaderId: string;
  /** Followers and the amount they allocate, as the service counts them. */
  followers: number;
  amountCopying: Decimal;
  points: readonly EquityPoint[];
  asOf: number;
}

export interface LeaderboardEntry {
  leaderId: string;
  followers: number;
  amountCopying: Decimal;
  asOf: number;
  windows: Record<StatsWindow, WindowStats | null>;
}

export function leaderboardEntry(i: LeaderboardInput): LeaderboardEntry {
  const stats = (w: StatsWindow) => windowStats(i.points, i.asOf, w) ?? null;
  return {
    leaderId: i.leaderId,
    followers: i.followers,
    amountCopying: i.amountCopying,
    asOf: i.asOf,
    windows: { '7d': stats('7d'), '30d': stats('30d'), '90d': stats('90d'), all: stats('all') },
  };
}
