import { sql } from 'kysely';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';

/** Starts leading; resolves to the function that stops it (and must persist what it holds). */
export type Lead = () => Promise<() => Promise<void>>;

/**
 * Exactly one process may run the market source, or two would write and publish two
 * different markets. The lease says which one.
 */
export interface SourceLease {
  /** Starts contending; resolves once the first attempt is over (leading or not). */
  start(lead: Lead): Promise<void>;
  /** Stops leading (calling the stop function) and contending. */
  stop(): Promise<void>;
  readonly leading: boolean;
}

/** The embedded database is private to one process (its data folder is locked), so it leads. */
export class SoleLease implements SourceLease {
  private stopLeading: (() => Promise<void>) | undefined;
  leading = false;

  async start(lead: Lead): Promise<void> {
    this.stopLeading = await lead();
    this.leading = true;
  }

  async stop(): Promise<void> {
    const stop = this.stopLeading;
    this.stopLeading = undefined;
    this.leading = false;
    await stop?.();
  }
}

/** Advisory lock key of the market source: 'obscuMKT' as an int8 (the migrator uses another). */
const LOCK_KEY = '8026104356934601556';

/**
 * Leadership on PostgreSQL: a session advisory lock held on one pooled connection for as long
 * as the process leads. A process that dies drops its connection and so its lock; a standby
 * tries again every `retryMs` and takes over, resuming after the last stored candle. The held
 * connection is checked every `checkMs`; when it breaks, this process stops leading at once,
 * since the server has already released the lock to someone else.
 */
export class AdvisoryLease implements SourceLease {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  leading = false;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly opts: { retryMs?: number; checkMs?: number } = {},
  ) {}

  start(lead: Lead): Promise<void> {
    let firstDone!: () => void;
    const first = new Promise<void>((r) => (firstDone = r));
    this.loop = this.contend(lead, firstDone);
    return first;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async contend(lead: Lead, firstDone: () => void): Promise<void> {
    while (!this.stopping) {
      try {
        await this.database.db.connection().execute(async (conn) => {
          const res = await sql<{
            locked: boolean;
          }>`select pg_try_advisory_lock(${LOCK_KEY}::bigint) as locked`.execute(conn);
          if (!res.rows[0]?.locked) return;
          let stopLeading: (() => Promise<void>) | undefined;
          try {
            stopLeading = await lead();
            this.leading = true;
            firstDone();
            this.logger.info({ at: 'market#lease' }, 'this process runs the market source');
            while (!this.stopping) {
              await this.sleep(this.opts.checkMs ?? 2000);
              if (!this.stopping) await sql`select 1`.execute(conn);
            }
          } finally {
            this.leading = false;
            // Persist before unlocking, so the next leader resumes after everything written.
            await stopLeading?.().catch((err) =>
              this.logger.error({ at: 'market#lease', err }, 'stopping the source failed'),
            );
            await sql`select pg_advisory_unlock(${LOCK_KEY}::bigint)`.execute(conn).catch(() => {});
          }
        });
      } catch (err) {
        this.logger.warn({ at: 'market#lease', err }, 'market source lease lost or unavailable');
      }
      firstDone();
      if (!this.stopping) await this.sleep(this.opts.retryMs ?? 5000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
