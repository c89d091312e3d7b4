import { inspect } from 'node:util';
import type { Clock } from '../../core/clock.js';
import { AppError, conflict, notFound } from '../../core/errors.js';
import { newId, parseId, type CredentialId } from '../../core/ids.js';
import type { NewEvent, Outbox } from '../../platform/bus/index.js';
import type { Db } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import { openCredential, sealCredential, unwrapDataKey, type ExchangeSecret } from './crypto.js';
import { isVaultError, VaultError } from './errors.js';
import { primaryOf, type KeySource } from './keyring.js';
import {
  assertKeysCoverRecords,
  rewrapAll,
  type RewrapOptions,
  type RewrapResult,
} from './rotation.js';
import {
  deleteForUser,
  findSealed,
  findSealedMany,
  insertCredential,
  isUniqueViolation,
  listByUser,
  newestWithKid,
  type SealedRow,
} from './store.js';
import { keyLast4, validateCredentialInput, type CredentialInput } from './validate.js';

/** What listings and responses show of a credential: never the key, secret or passphrase. */
export interface CredentialView {
  id: string;
  exchange: string;
  label: string;
  keyLast4: string;
  createdAt: string;
}

/**
 * The plaintext, for the execution path only. It serialises (JSON, util.inspect, pino) with
 * the secrets redacted, so an accidental log line or response body does not leak them.
 */
export interface ExchangeCredentials {
  readonly exchange: string;
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase?: string;
}

/** One answer of a batched decrypt: a refusal is a value, so one bad record stops no others. */
export type DecryptOutcome =
  { ok: true; credentials: ExchangeCredentials } | { ok: false; error: AppError };

export interface RequestContext {
  ip?: string | null;
  /** Who acted, when not the owner (e.g. an admin). */
  actorId?: string | null;
}

export type AuditFn = (a: {
  action: string;
  userId?: string | null;
  actorId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}) => NewEvent;

export interface VaultStatus {
  source: string;
  primaryKid: string;
  kids: Array<{ kid: string; credentials: number }>;
  /** Records whose trial open failed at start: tampered rows, reported by id. */
  tampered: string[];
}

export interface VaultDeps {
  db: Db;
  outbox: Outbox;
  keys: KeySource;
  clock: Clock;
  audit: AuditFn;
  logger?: Logger;
}

const REDACTED = '[REDACTED]';
const MANY_CHUNK = 500;

/** Redaction lives on the prototype, so each decrypt pays for no per-object property setup. */
class RedactedCredentials implements ExchangeCredentials {
  declare readonly passphrase?: string;

  constructor(
    readonly exchange: string,
    readonly apiKey: string,
    readonly secret: string,
    passphrase: string | undefined,
  ) {
    if (passphrase !== undefined) this.passphrase = passphrase;
    Object.freeze(this);
  }

  toJSON() {
    const safe: Record<string, string> = {
      exchange: this.exchange,
      apiKey: REDACTED,
      secret: REDACTED,
    };
    if (this.passphrase !== undefined) safe.passphrase = REDACTED;
    return safe;
  }

  [inspect.custom]() {
    return `ExchangeCredentials ${inspect(this.toJSON())}`;
  }
}

const forExecution = (exchange: string, s: ExchangeSecret): ExchangeCredentials =>
  new RedactedCredentials(exchange, s.apiKey, s.secret, s.passphrase);

/**
 * Exchange credentials under envelope encryption. Plaintext enters through `store` and leaves
 * only through `decryptForExecution`; every other path sees sealed bytes or a public view.
 */
export class Vault {
  private readonly log: Logger | undefined;

  constructor(private readonly deps: VaultDeps) {
    this.log = deps.logger;
  }

  async store(
    userId: string,
    input: CredentialInput,
    ctx: RequestContext = {},
  ): Promise<CredentialView> {
    const v = validateCredentialInput(input);
    const id = newId<CredentialId>();
    // Look at the key file now rather than within the reload interval: a record must not be
    // wrapped under a primary that a rotation in another process has just replaced.
    const master = primaryOf(this.deps.keys.refresh());
    const sealed = sealCredential(master, { credentialId: id, userId, exchange: v.exchange }, v);
    const at = this.deps.clock.date();
    const last4 = keyLast4(v.apiKey);
    try {
      await this.deps.outbox.transaction(async (tx, emit) => {
        await insertCredential(tx, {
          id,
          user_id: userId,
          exchange: v.exchange,
          label: v.label,
          key_last4: last4,
          master_kid: sealed.kid,
          wrapped_key: sealed.wrappedKey,
          sealed: sealed.sealed,
          created_at: at,
          updated_at: at,
        });
        await emit(
          this.deps.audit({
            action: 'credential.stored',
            userId,
            actorId: ctx.actorId ?? userId,
            ip: ctx.ip ?? null,
            details: { credentialId: id, exchange: v.exchange, label: v.label },
          }),
        );
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw conflict(
          'credential_exists',
          `a ${v.exchange} credential labelled "${v.label}" already exists`,
        );
      }
      throw e;
    }
    this.log?.info(
      { at: 'vault#store', userId, credentialId: id, exchange: v.exchange, kid: sealed.kid },
      'credential stored',
    );
    return {
      id,
      exchange: v.exchange,
      label: v.label,
      keyLast4: last4,
      createdAt: at.toISOString(),
    };
  }

  async list(userId: string): Promise<CredentialView[]> {
    if (!parseId(userId)) return [];
    const rows = await listByUser(this.deps.db, userId);
    return rows.map((r) => ({
      id: r.id,
      exchange: r.exchange,
      label: r.label,
      keyLast4: r.key_last4,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** Another user's credential is reported as missing, so ids reveal nothing about other users. */
  async delete(userId: string, credentialId: string, ctx: RequestContext = {}): Promise<void> {
    const id = parseId<CredentialId>(credentialId);
    if (!id || !parseId(userId)) throw notFound('credential');
    await this.deps.outbox.transaction(async (tx, emit) => {
      const gone = await deleteForUser(tx, id, userId);
      if (!gone) throw notFound('credential');
      await emit(
        this.deps.audit({
          action: 'credential.deleted',
          userId,
          actorId: ctx.actorId ?? userId,
          ip: ctx.ip ?? null,
          details: { credentialId: id, exchange: gone.exchange, label: gone.label },
        }),
      );
    });
    this.log?.info({ at: 'vault#delete', userId, credentialId: id }, 'credential deleted');
  }

  /**
   * The only way plaintext leaves the vault: for the execution path, never for HTTP. A record
   * read just before a rotation retired its old key is read once more, now re-wrapped.
   */
  async decryptForExecution(credentialId: string, userId: string): Promise<ExchangeCredentials> {
    const id = parseId<CredentialId>(credentialId);
    if (!id || !parseId(userId)) throw notFound('credential');
    const row = await findSealed(this.deps.db, id, userId);
    if (!row) throw notFound('credential');
    try {
      return this.openRow(row);
    } catch (e) {
      if (!isVaultError(e, 'vault_key_unknown')) throw e;
      const again = await findSealed(this.deps.db, id, userId);
      if (!again) throw notFound('credential');
      if (again.master_kid === row.master_kid) throw e;
      return this.openRow(again);
    }
  }

  /**
   * Many credentials in one database read, for fan-out (a leader's fill copied to every
   * follower). Outcomes come back in the order asked; another user's id is `not_found`.
   */
  async decryptManyForExecution(
    refs: ReadonlyArray<{ credentialId: string; userId: string }>,
  ): Promise<DecryptOutcome[]> {
    const ids = [
      ...new Set(
        refs.map((r) => parseId<CredentialId>(r.credentialId)).filter((id) => id !== undefined),
      ),
    ];
    const rows = new Map<string, SealedRow>();
    for (let i = 0; i < ids.length; i += MANY_CHUNK) {
      for (const row of await findSealedMany(this.deps.db, ids.slice(i, i + MANY_CHUNK)))
        rows.set(row.id, row);
    }
    return refs.map((r) => {
      const row = rows.get(r.credentialId.toLowerCase());
      if (!row || row.user_id !== r.userId.toLowerCase())
        return { ok: false, error: notFound('credential') };
      try {
        return { ok: true, credentials: this.openRow(row) };
      } catch (e) {
        if (e instanceof AppError) return { ok: false, error: e };
        throw e;
      }
    });
  }

  /** Re-wraps every record under the primary key; safe while the server serves requests. */
  rotate(opts: RewrapOptions = {}): Promise<RewrapResult> {
    return rewrapAll(this.deps.db, this.deps.keys, this.deps.clock, opts);
  }

  /**
   * The start-up check: every stored kid must be in the keyring. One record per kid is also
   * trial-opened; since the kid already proves the key, a failure there is a tampered record,
   * which is reported but does not stop the platform, as every other record is still good.
   */
  async verify(): Promise<VaultStatus> {
    const byKid = await assertKeysCoverRecords(this.deps.db, this.deps.keys);
    const ring = this.deps.keys.current();
    const tampered: string[] = [];
    for (const { kid } of byKid) {
      const row = await newestWithKid(this.deps.db, kid);
      const master = ring.keys.get(kid);
      if (!row || !master) continue;
      try {
        unwrapDataKey(master, row.id, row.wrapped_key).fill(0);
      } catch (e) {
        if (!isVaultError(e)) throw e;
        tampered.push(row.id);
        this.log?.error(
          { at: 'vault#verify', credentialId: row.id, kid },
          'a stored credential failed its integrity check',
        );
      }
    }
    return {
      source: this.deps.keys.description,
      primaryKid: ring.primaryKid,
      kids: byKid.map((k) => ({ kid: k.kid, credentials: k.count })),
      tampered,
    };
  }

  private openRow(row: SealedRow): ExchangeCredentials {
    const master = this.deps.keys.find(row.master_kid);
    if (!master) {
      throw new VaultError(
        'vault_key_unknown',
        `credential ${row.id} is wrapped under master key ${row.master_kid}, which ${this.deps.keys.description} does not hold`,
      );
    }
    try {
      const secret = openCredential(
        master,
        { credentialId: row.id, userId: row.user_id, exchange: row.exchange },
        {
          wrappedKey: row.wrapped_key,
          sealed: row.sealed,
        },
      );
      return forExecution(row.exchange, secret);
    } catch (e) {
      if (!isVaultError(e)) throw e;
      this.log?.error(
        { at: 'vault#decrypt', credentialId: row.id, code: e.code },
        'credential refused',
      );
      throw new VaultError(e.code, `credential ${row.id}: ${e.message}`, { cause: e.cause });
    }
  }
}
