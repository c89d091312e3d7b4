import { channels } from '../../core/topics.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import { copiedAccounts } from './store.js';

/**
 * Which accounts are copied, in memory, so the fan-out consumer can turn away every other
 * order event without a database round trip. Reread when this process changes a leader (before
 * the change is acknowledged), when another process says it did (over the live feed), and on a
 * timer as a backstop for a lost message.
 */
export class LeaderDirectory {
  private accounts = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly deps: {
      database: Database;
      feed?: Feed | undefined;
      logger: Logger;
      refreshMs: number;
    },
  ) {}

  has(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.unsubscribe = this.deps.feed?.subscribe(channels.copyDirectory, () => {
      void this.refresh();
    });
    this.timer = setInterval(() => void this.refresh(), this.deps.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  /** Rereads the set now, and tells the other processes to. */
  async changed(): Promise<void> {
    await this.refresh();
    this.deps.feed?.publish(channels.copyDirectory, {});
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
          this.accounts = new Set(await copiedAccounts(this.deps.database.db));
        } catch (err) {
          this.deps.logger.warn({ at: 'copy#directory', err }, 'copied accounts not reread');
        }
      } while (this.again);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
