/**
 * The leaderboard: each leader's statistics over 7, 30, 90 days and all time, computed by the
 * domain's `leaderboardEntry` from the equity snapshots the trading module stores (a leader
 * with several copied accounts counts their sum at each snapshot time). One computation serves
 * every window and sort order until it is `cacheMs` old.
 */
import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { Decimal } from '../../core/decimal.js';
import type { Database } from '../../platform/db/index.js';
import {
  leaderboardEntry,
  type EquityPoint,
  type LeaderboardEntry,
  type StatsWindow,
  type WindowStats,
} from './domain/index.js';
import { followerCounts, listLeaders, type LeaderRecord } from './store.js';

export const SORT_KEYS = ['return', 'pnl', 'drawdown', 'sharpe', 'followers'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Higher is better except for drawdown. */
const DEFAULT_ORDER: Record<SortKey, 'asc' | 'desc'> = {
  return: 'desc',
  pnl: 'desc',
  drawdown: 'asc',
  sharpe: 'desc',
  followers: 'desc',
};

interface Computed {
  at: number;
  rows: Array<{ leader: LeaderRecord; entry: LeaderboardEntry }>;
}

/** The figure a leader is ranked by; PnL stays exact, the ratios are floats. */
function key(
  sort: SortKey,
  stats: WindowStats | null,
  entry: LeaderboardEntry,
): number | Decimal | null {
  if (sort === 'followers') return entry.followers;
  if (!stats) return null;
  switch (sort) {
    case 'return':
      return stats.returnPct;
    case 'pnl':
      return stats.pnl;
    case 'drawdown':
      return stats.maxDrawdownPct;
    case 'sharpe':
      return stats.sharpe;
  }
}

const compare = (a: number | Decimal, b: number | Decimal): number =>
  a instanceof Decimal && b instanceof Decimal ? a.cmp(b) : Number(a) - Number(b);

export class Leaderboard {
  private cached: Computed | undefined;

  constructor(private readonly deps: { database: Database; clock: Clock; cacheMs: number }) {}

  async entries(q: { window: StatsWindow; sort: SortKey; order?: 'asc' | 'desc'; limit: number }) {
    const { rows } = await this.compute();
    const order = q.order ?? DEFAULT_ORDER[q.sort];
    const sign = order === 'asc' ? 1 : -1;
    const ranked = rows
      .map((r) => ({ ...r, stats: r.entry.windows[q.window] }))
      .map((r) => ({ ...r, k: key(q.sort, r.stats, r.entry) }))
      .sort((a, b) => {
        // Leaders without figures for the window go last whatever the order.
        if (a.k === null || b.k === null) return a.k === null ? (b.k === null ? 0 : 1) : -1;
        return compare(a.k, b.k) * sign || (a.leader.id < b.leader.id ? -1 : 1);
      });
    return ranked.slice(0, q.limit).map((r, i) => ({
      rank: i + 1,
      leader: { id: r.leader.id, displayName: r.leader.display_name, status: r.leader.status },
      window: q.window,
      followers: r.entry.followers,
      amountCopying: r.entry.amountCopying.toString(),
      returnPct: r.stats?.returnPct ?? null,
      pnl: r.stats?.pnl.toString() ?? null,
      maxDrawdownPct: r.stats?.maxDrawdownPct ?? null,
      maxDrawdownAmount: r.stats?.maxDrawdownAmount.toString() ?? null,
      sharpe: r.stats?.sharpe ?? null,
      partial: r.stats?.partial ?? null,
      from: r.stats ? new Date(r.stats.from).toISOString() : null,
      to: r.stats ? new Date(r.stats.to).toISOString() : null,
      asOf: new Date(r.entry.asOf).toISOString(),
    }));
  }

  private async compute(): Promise<Computed> {
    const now = this.deps.clock.now();
    if (this.cached && now - this.cached.at < this.deps.cacheMs) return this.cached;
    const db = this.deps.database.db;
    const leaders: LeaderRecord[] = [];
    for (let after: string | undefined; ;) {
      const page = await listLeaders(db, {
        statuses: ['active', 'paused'],
        limit: 500,
        ...(after ? { afterId: after } : {}),
      });
      leaders.push(...page);
      if (page.length < 500) break;
      after = page.at(-1)!.id;
    }
    const [counts, points] = await Promise.all([followerCounts(db), this.points()]);
    const rows = leaders.map((leader) => {
      const c = counts.get(leader.id);
      return {
        leader,
        entry: leaderboardEntry({
          leaderId: leader.id,
          followers: c?.followers ?? 0,
          amountCopying: c?.amount ?? Decimal.ZERO,
          points: points.get(leader.id) ?? [],
          asOf: now,
        }),
      };
    });
    this.cached = { at: now, rows };
    return this.cached;
  }

  /** Each live leader's equity series: the sum over its copied accounts at each snapshot time. */
  private async points(): Promise<Map<string, EquityPoint[]>> {
    const r = await sql<{ leader_id: string; ts: Date; equity: string; net: string }>`
      select la.leader_id, s.ts, sum(s.equity) as equity, sum(s.net_contributions) as net
      from equity_snapshots s
      join leader_accounts la on la.account_id = s.account_id
      join leaders l on l.id = la.leader_id and l.status in ('active', 'paused')
      group by la.leader_id, s.ts
      order by la.leader_id, s.ts`.execute(this.deps.database.db);
    const out = new Map<string, EquityPoint[]>();
    for (const row of r.rows) {
      let list = out.get(row.leader_id);
      if (!list) out.set(row.leader_id, (list = []));
      list.push({
        ts: new Date(row.ts).getTime(),
        equity: Decimal.parse(row.equity),
        netContributions: Decimal.parse(row.net),
      });
    }
    return out;
  }
}
