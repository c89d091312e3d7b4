/**
 * Signal sources a user configures: a staleness limit of their own, and the secret of a
 * TradingView webhook (only its SHA-256 is stored; the secret is shown once). Lookups are
 * cached for AUTH_CACHE_MS, like API keys, so the gateway does not read the database per
 * signal; changes made through this process apply at once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../platform/db/index.js';
import { sourceNotFound } from './errors.js';

export interface SourceView {
  name: string;
  /** The source's own staleness limit; null: SIGNALS_MAX_LAG_MS. */
  maxLagMs: number | null;
  /** Where TradingView posts this source's alerts; null until a secret is made. */
  webhookUrl: string | null;
  secretSetAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What the webhook route knows of a source it was called for. */
export interface WebhookSource {
  id: string;
  userId: string;
  name: string;
  secretHash: string | null;
  maxLagMs: number | null;
  userDisabled: boolean;
}

interface SourceRow {
  id: string;
  user_id: string;
  name: string;
  max_lag_ms: number | null;
  secret_hash: string | null;
  secret_set_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const MAX_ENTRIES = 50_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest();
// Compared against when a source is unknown, so that a miss costs what a hit costs.
const DUMMY = sha256('obscura: no such source');

export const webhookPath = (id: string) => `/api/v1/signals/tradingview/${id}`;

export class SourceRegistry {
  private readonly limits = new Map<string, { at: number; v: Map<string, number> }>();
  private readonly hooks = new Map<string, { at: number; v: WebhookSource | undefined }>();
  private readonly loading = new Map<string, Promise<Map<string, number>>>();
  /** Bumped by every change made here: a read begun before it must not be cached after it. */
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /** The staleness limits a user set, by source name (sources without one are absent). */
  async limitsOf(userId: string): Promise<Map<string, number>> {
    const hit = this.limits.get(userId);
    if (hit && this.fresh(hit.at)) return hit.v;
    // A sender's requests in flight when the entry expires wait for one read, not one each.
    let loading = this.loading.get(userId);
    if (!loading) {
      const read: Promise<Map<string, number>> = this.readLimits(userId).finally(() => {
        if (this.loading.get(userId) === read) this.loading.delete(userId);
      });
      this.loading.set(userId, read);
      loading = read;
    }
    return loading;
  }

  private async readLimits(userId: string): Promise<Map<string, number>> {
    const generation = this.generation;
    const rows = (await this.db
      .selectFrom('signal_sources')
      .select(['name', 'max_lag_ms'])
      .where('user_id', '=', userId)
      .where('max_lag_ms', 'is not', null)
      .execute()) as Array<{ name: string; max_lag_ms: number }>;
    const v = new Map(rows.map((r) => [r.name, Number(r.max_lag_ms)]));
    if (generation !== this.generation) return v;
    if (this.limits.size >= MAX_ENTRIES) this.limits.clear();
    this.limits.set(userId, { at: this.clock.now(), v });
    return v;
  }

  /** The source behind a webhook id, with its owner's state; undefined when there is none. */
  async webhook(id: string): Promise<WebhookSource | undefined> {
    const hit = this.hooks.get(id);
    if (hit && this.fresh(hit.at)) return hit.v;
    const r = (
      await sql<SourceRow & { disabled_at: Date | null }>`
      select s.*, u.disabled_at from signal_sources s join users u on u.id = s.user_id
      where s.id = ${id}`.execute(this.db)
    ).rows[0];
    const v: WebhookSource | undefined = r && {
      id: r.id,
      userId: r.user_id,
      name: r.name,
      secretHash: r.secret_hash,
      maxLagMs: r.max_lag_ms === null ? null : Number(r.max_lag_ms),
      userDisabled: r.disabled_at !== null,
    };
    if (this.hooks.size >= MAX_ENTRIES) this.hooks.clear();
    this.hooks.set(id, { at: this.clock.now(), v });
    return v;
  }

  /**
   * Whether `secret` is the source's webhook secret, compared in constant time; a source
   * without a secret, or no source at all, takes the same path and says no.
   */
  static secretMatches(source: WebhookSource | undefined, secret: string | undefined): boolean {
    const given = sha256(secret ?? '');
    const stored = source?.secretHash ? Buffer.from(source.secretHash, 'hex') : DUMMY;
    const same = stored.length === given.length && timingSafeEqual(stored, given);
    return same && Boolean(source?.secretHash) && secret !== undefined;
  }

  /**
   * Creates or changes a source. `webhook: true` makes a secret if it has none, and
   * `rotateSecret` replaces it; the secret is returned this once.
   */
  async put(
    userId: string,
    name: string,
    input: { maxLagMs?: number | null; webhook?: boolean; rotateSecret?: boolean },
  ): Promise<SourceView & { secret?: string }> {
    const now = this.clock.date();
    const existing = (await this.db
      .selectFrom('signal_sources')
      .selectAll()
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .executeTakeFirst()) as SourceRow | undefined;
    const wantSecret =
      input.rotateSecret === true || (input.webhook === true && !existing?.secret_hash);
    const secret = wantSecret ? `tvs_${randomBytes(32).toString('base64url')}` : undefined;
    const secretFields = secret
      ? { secret_hash: sha256(secret).toString('hex'), secret_set_at: now }
      : input.webhook === false
        ? { secret_hash: null, secret_set_at: null }
        : {};
    const lag = input.maxLagMs === undefined ? {} : { max_lag_ms: input.maxLagMs };
    const row = (
      existing
        ? await this.db
            .updateTable('signal_sources')
            .set({ ...lag, ...secretFields, updated_at: now })
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await this.db
            .insertInto('signal_sources')
            .values({
              id: newId(),
              user_id: userId,
              name,
              max_lag_ms: input.maxLagMs ?? null,
              secret_hash: null,
              secret_set_at: null,
              ...secretFields,
              created_at: now,
              updated_at: now,
            })
            .returningAll()
            .executeTakeFirstOrThrow()
    ) as SourceRow;
    this.forget(userId, row.id);
    return { ...viewOf(row), ...(secret ? { secret } : {}) };
  }

  async list(userId: string): Promise<SourceView[]> {
    const rows = (await this.db
      .selectFrom('signal_sources')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('name')
      .execute()) as SourceRow[];
    return rows.map(viewOf);
  }

  /** Forgets a source's settings and webhook; its signals keep its name. */
  async remove(userId: string, name: string): Promise<void> {
    const row = (await this.db
      .deleteFrom('signal_sources')
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .returning('id')
      .executeTakeFirst()) as { id: string } | undefined;
    if (!row) throw sourceNotFound(name);
    this.forget(userId, row.id);
  }

  private forget(userId: string, id: string): void {
    this.generation += 1;
    this.loading.delete(userId);
    this.limits.delete(userId);
    this.hooks.delete(id);
  }

  private fresh(at: number): boolean {
    return this.clock.now() - at < this.ttlMs;
  }
}

const viewOf = (r: SourceRow): SourceView => ({
  name: r.name,
  maxLagMs: r.max_lag_ms === null ? null : Number(r.max_lag_ms),
  webhookUrl: r.secret_hash ? webhookPath(r.id) : null,
  secretSetAt: r.secret_set_at ? new Date(r.secret_set_at).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});
