import type { Clock } from '../../core/clock.js';
import type { Decimal } from '../../core/decimal.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Books } from './books.js';
import * as SA from './store-accounts.js';

/** What the snapshotter needs of the paper venue. */
export interface MarkSource {
  /** Runs `fn` with no venue command in flight, so every book it reads is committed state. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Each base currency at its last trade price. */
  marks(): Map<string, Decimal>;
}

export interface SnapshotterDeps {
  database: Database;
  clock: Clock;
  logger: Logger;
  books: Pick<Books, 'load' | 'seqOf'>;
  venue: MarkSource;
  intervalMs: number;
  /** How often the clock is read to see whether a new interval began; default min(interval, 1 s). */
  pollMs?: number;
}

/** Accounts replayed per exclusive venue task while warming up, so orders wait for one page at most. */
const WARM_PAGE = 200;

/**
 * Stores the equity of every funded account (one with a ledger entry) once per interval of
 * the injected clock: at the first look after each interval boundary, every account is valued
 * at one instant against one set of marks (the venue's last prices), and the points are
 * written in one transaction. It runs where the venue runs, since the books and prices are
 * there; a simulated clock drives it as well as the wall clock does.
 *
 * Accounts this process has not loaded are replayed first, a page per venue task; the round
 * itself then holds the venue only to read books already in memory.
 */
export class EquitySnapshotter {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<number> | undefined;
  private roundBucket = -Infinity;
  private lastBucket = -Infinity;
  private stopped = false;
  /** Whether the opening round is still to be taken. */
  private openingDue = false;

  constructor(private readonly deps: SnapshotterDeps) {}

  /**
   * Begins watching the clock: an opening round as soon as the venue has prices, then one at
   * every interval boundary.
   */
  start(): void {
    if (this.timer) return;
    this.stopped = false;
    this.lastBucket = this.bucket();
    this.openingDue = true;
    const poll = this.deps.pollMs ?? Math.min(this.deps.intervalMs, 1000);
    this.timer = setInterval(() => void this.opening().then(() => this.tick()), poll);
    this.timer.unref();
  }

  /** Stops watching and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    while (this.round) await this.round;
  }

  /**
   * Takes a round if the clock has entered an interval without one; returns how many points
   * were stored (0 when none was due). A call made while the round of the same interval runs
   * shares it; one made during an older round waits for that round first.
   */
  async tick(): Promise<number> {
    for (;;) {
      const bucket = this.bucket();
      if (this.round) {
        if (this.roundBucket === bucket) return this.round;
        await this.round;
        continue;
      }
      if (this.stopped || bucket <= this.lastBucket) return 0;
      this.lastBucket = this.roundBucket = bucket;
      this.openingDue = false;
      this.round = this.takeRound().finally(() => {
        this.round = undefined;
      });
      return this.round;
    }
  }

  /**
   * After a start, funded accounts get a point as soon as the venue has prices, rather than up
   * to an interval later: after a restart their series goes on at once, and a demo's first
   * visitor has a point to see. A point missing the mark of something held would show a loss
   * that never happened, so such accounts wait for the next round. The opening is tried again
   * on each poll until it stores a point or a regular round has run.
   */
  private async opening(): Promise<void> {
    if (!this.openingDue || this.round || this.stopped) return;
    if (this.deps.venue.marks().size === 0) return;
    // Not the round of any interval: a tick waits for it rather than sharing it.
    this.roundBucket = Number.NaN;
    const round = this.takeRound(true);
    this.round = round.finally(() => {
      this.round = undefined;
    });
    if ((await round) > 0) this.openingDue = false;
  }

  private bucket(): number {
    return Math.floor(this.deps.clock.now() / this.deps.intervalMs);
  }

  /**
   * One round; a failure is logged and leaves a gap, the next interval tries again. An
   * opening round stores only the accounts it can value fully.
   */
  private async takeRound(opening = false): Promise<number> {
    const { database, logger } = this.deps;
    const started = performance.now();
    try {
      await this.warm();
      const rows = await this.deps.venue.run(() => this.value(opening));
      const stored = rows.length
        ? await database.db.transaction().execute((tx) => SA.insertEquitySnapshots(tx, rows))
        : 0;
      logger.debug(
        {
          at: 'trading#snapshots',
          accounts: rows.length,
          stored,
          ms: Math.round(performance.now() - started),
          ...(opening ? { opening } : {}),
        },
        'equity snapshots stored',
      );
      return stored;
    } catch (err) {
      logger.error({ at: 'trading#snapshots', err }, 'equity snapshots not stored');
      return 0;
    }
  }

  /** Loads the books this process lacks or holds out of date, one page per venue task. */
  private async warm(): Promise<void> {
    const db = this.deps.database.db;
    let afterId: string | undefined;
    for (;;) {
      const page = await SA.fundedAccounts(db, {
        limit: WARM_PAGE,
        ...(afterId ? { afterId } : {}),
      });
      const stale = page.filter((a) => this.deps.books.seqOf(a.id) !== Number(a.journal_seq));
      if (stale.length) {
        await this.deps.venue.run(async () => {
          for (const a of stale) {
            const fresh = await SA.accountById(db, a.id);
            if (fresh) await this.deps.books.load(db, fresh);
          }
        });
      }
      if (page.length < WARM_PAGE) return;
      afterId = page.at(-1)!.id;
    }
  }

  /** Values every funded account at this instant; runs inside a venue task. */
  private async value(opening: boolean): Promise<SA.EquitySnapshotRow[]> {
    const db = this.deps.database.db;
    const ts = this.deps.clock.date();
    const marks = this.deps.venue.marks();
    const rows: SA.EquitySnapshotRow[] = [];
    for (const account of await SA.fundedAccounts(db, {})) {
      const p = await this.deps.books.load(db, account);
      const v = p.valuation(account.id, marks);
      if (opening && v.missingMarks.length) continue;
      rows.push({
        account_id: account.id,
        ts,
        currency: p.valuationCurrency,
        equity: v.equity.toString(),
        cash: v.cash.toString(),
        positions_value: v.positionsValue.toString(),
        realized_pnl: v.realizedPnl.toString(),
        unrealized_pnl: v.unrealizedPnl.toString(),
        net_contributions: v.netContributions.toString(),
        complete: v.missingMarks.length === 0,
      });
    }
    return rows;
  }
}
