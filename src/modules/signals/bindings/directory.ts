import type { Database } from '../../../platform/db/index.js';
import type { Logger } from '../../../platform/logging/logger.js';
import { activeKeys } from './store.js';

const key = (userId: string, source: string) => `${userId}\u0000${source}`;

/**
 * Which (user, source) pairs have an active binding, in memory, so the consumer turns away
 * every other decided signal without a transaction. Reread when this process changes a
 * binding (before the change is acknowledged) and on a timer, which is how the other processes
 * learn of it: a binding made elsewhere acts from the next reread on.
 */
export class BindingDirectory {
  private keys = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: { database: Database; logger: Logger; refreshMs: number }) {}

  has(userId: string, source: string): boolean {
    return this.keys.has(key(userId, source));
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.deps.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Rereads the set; calls made while a read runs share one more read after it. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          const rows = await activeKeys(this.deps.database.db);
          this.keys = new Set(rows.map((r) => key(r.user_id, r.source)));
        } catch (err) {
          this.deps.logger.warn({ at: 'signals#bindings', err }, 'active bindings not reread');
        }
      } while (this.again);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
