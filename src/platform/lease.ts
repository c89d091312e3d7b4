import { sql } from 'kysely';
import type { Database } from './db/index.js';
import type { Logger } from './logging/logger.js';

/** Starts leading; resolves to the function that stops it (and must persist what it holds). */
export type Lead = () => Promise<() => Promise<void>>;

/**
 * Leadership of a singleton duty: exactly one process may run the market source (two would
 * publish two different markets) or the paper venue (two matching engines would each hold
 * half the book). The lease says which one.
 */
export interface Lease {
  /** Starts contending; resolves once the first attempt is over (leading or not). */
  start(lead: Lead): Promise<void>;
  /** Stops leading (calling the stop function) and contending. */
  stop(): Promise<void>;
  readonly leading: boolean;
}

/** The embedded database is private to one process (its data folder is locked), so it leads. */
export class SoleLease implements Lease {
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

/**
 * Leadership on PostgreSQL: a session advisory lock held on one pooled connection for as long
 * as the process leads. A process that dies drops its connection and so its lock; a standby
 * tries again every `retryMs` and takes over, resuming where the last leader's writes end. The held
 * connection is checked every `checkMs`; when it breaks, this process stops leading at once,
 * since the server has already released the lock to someone else.
 */
export class AdvisoryLease implements Lease {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  leading = false;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly opts: {
      /** The advisory lock's int8 key, one per duty. */
      key: string;
      /** What the duty is, for the logs. */
      name: string;
      /** Where log lines say they come from. */
      at: string;
      retryMs?: number;
      checkMs?: number;
    },
  ) {}

  start(lead: Lead): Promise<void> {
    this.stopping = false;
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
          }>`select pg_try_advisory_lock(${this.opts.key}::bigint) as locked`.execute(conn);
          if (!res.rows[0]?.locked) return;
          let stopLeading: (() => Promise<void>) | undefined;
          try {
            stopLeading = await lead();
            this.leading = true;
            firstDone();
            this.logger.info({ at: this.opts.at }, `this process runs the ${this.opts.name}`);
            while (!this.stopping) {
              await this.sleep(this.opts.checkMs ?? 2000);
              if (!this.stopping) await sql`select 1`.execute(conn);
            }
          } finally {
            this.leading = false;
            // Persist before unlocking, so the next leader resumes after everything written.
            await stopLeading?.().catch((err) =>
              this.logger.error({ at: this.opts.at, err }, `stopping the ${this.opts.name} failed`),
            );
            await sql`select pg_advisory_unlock(${this.opts.key}::bigint)`
              .execute(conn)
              .catch(() => {});
          }
        });
      } catch (err) {
        this.logger.warn({ at: this.opts.at, err }, `${this.opts.name} lease lost or unavailable`);
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
