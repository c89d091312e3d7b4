import type { Clock } from '../../core/clock.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Role, Scope } from './model.js';
import * as S from './store.js';

interface SessionEntry {
  userId: string;
  role: Role;
  revoked: boolean;
  disabled: boolean;
}
export interface KeyEntry {
  id: string;
  userId: string;
  hash: string;
  scopes: Scope[];
  expiresAt: number | null;
  revoked: boolean;
  disabled: boolean;
  role: Role;
  lastUsedAt: number;
  /** The full key text last verified against `hash` in this process. */
  verifiedKey?: string;
}

const MAX_ENTRIES = 50_000;
/** last_used_at is a hint, not a log: write it at most once a minute per key. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Authenticating every request against the database would cap throughput at the database's
 * pace, so each process caches what it read for a few seconds. Changes made through this
 * process drop their entries at once; changes made elsewhere show within the TTL.
 */
export class AuthCache {
  private sessions = new Map<string, { at: number; v: SessionEntry | undefined }>();
  private keys = new Map<string, { at: number; v: KeyEntry | undefined }>();

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  private fresh(at: number) {
    return this.clock.now() - at < this.ttlMs;
  }

  async session(id: string): Promise<SessionEntry | undefined> {
    const hit = this.sessions.get(id);
    if (hit && this.fresh(hit.at)) return hit.v;
    const r = await S.sessionStatus(this.database.db, id);
    const v = r && {
      userId: r.user_id,
      role: r.role,
      revoked: r.revoked_at !== null,
      disabled: r.disabled_at !== null,
    };
    if (this.sessions.size >= MAX_ENTRIES) this.sessions.clear();
    this.sessions.set(id, { at: this.clock.now(), v });
    return v;
  }

  /** Reads in flight, so that the requests of one key arriving meanwhile share one read. */
  private readonly keyLoads = new Map<string, Promise<KeyEntry | undefined>>();
  /** Bumped by every `forget…`: a read begun before one must not be cached after it. */
  private generation = 0;

  async apiKey(prefix: string): Promise<KeyEntry | undefined> {
    const hit = this.keys.get(prefix);
    if (hit && this.fresh(hit.at)) return hit.v;
    const loading = this.keyLoads.get(prefix);
    if (loading) return loading;
    const load: Promise<KeyEntry | undefined> = this.loadApiKey(prefix).finally(() => {
      if (this.keyLoads.get(prefix) === load) this.keyLoads.delete(prefix);
    });
    this.keyLoads.set(prefix, load);
    return load;
  }

  private async loadApiKey(prefix: string): Promise<KeyEntry | undefined> {
    const generation = this.generation;
    const r = await S.apiKeyByPrefix(this.database.db, prefix);
    const v: KeyEntry | undefined = r && {
      id: r.id,
      userId: r.user_id,
      hash: r.key_hash,
      scopes: r.scopes,
      expiresAt: r.expires_at ? r.expires_at.getTime() : null,
      revoked: r.revoked_at !== null,
      disabled: r.disabled_at !== null,
      role: r.role,
      lastUsedAt: r.last_used_at ? r.last_used_at.getTime() : 0,
    };
    if (generation !== this.generation) return v;
    if (this.keys.size >= MAX_ENTRIES) this.keys.clear();
    this.keys.set(prefix, { at: this.clock.now(), v });
    return v;
  }

  touch(k: KeyEntry, now: number): void {
    if (now - k.lastUsedAt < TOUCH_EVERY_MS) return;
    k.lastUsedAt = now;
    S.touchApiKey(this.database.db, k.id, new Date(now)).catch((err) =>
      this.logger.warn(
        { at: 'identity#touchApiKey', err, keyId: k.id },
        'could not record key use',
      ),
    );
  }

  forgetSession(id: string) {
    this.sessions.delete(id);
  }
  forgetApiKey(prefix: string) {
    this.generation += 1;
    this.keyLoads.delete(prefix);
    this.keys.delete(prefix);
  }
  forgetUser(userId: string) {
    this.generation += 1;
    this.keyLoads.clear();
    for (const [k, e] of this.sessions) if (e.v?.userId === userId) this.sessions.delete(k);
    for (const [k, e] of this.keys) if (e.v?.userId === userId) this.keys.delete(k);
  }
}
