import type { Clock } from '../../core/clock.js';
import type { Db } from '../../platform/db/index.js';
import { rewrapDataKey } from './crypto.js';
import { isVaultError, VaultError, type VaultErrorCode } from './errors.js';
import { primaryOf, type KeySource } from './keyring.js';
import { countByKid, countNotUnderKid, pageNotUnderKid, swapWrappedKey } from './store.js';

/**
 * Counts records per kid and throws when the keyring lacks any of them. The kid is derived
 * from the key, so a stored kid that the keyring lacks means the configured key is not the
 * one the records were written with.
 */
export async function assertKeysCoverRecords(
  db: Db,
  keys: KeySource,
): Promise<Array<{ kid: string; count: number }>> {
  const ring = keys.refresh();
  const byKid = await countByKid(db);
  const missing = byKid.filter((k) => !ring.keys.has(k.kid));
  if (missing.length) {
    const list = missing.map((k) => `${k.kid} (${k.count} records)`).join(', ');
    throw new VaultError(
      'vault_key_mismatch',
      `VAULT master key does not match the stored credentials (kids ${list}); ` +
        `${keys.description} holds ${[...ring.keys.keys()].join(', ')}. ` +
        'Configure the key the records were written with (VAULT_MASTER_KEY, VAULT_OLD_MASTER_KEYS or VAULT_KEY_FILE).',
    );
  }
  return byKid;
}

export interface RewrapOptions {
  onProgress?(done: number, total: number): void;
  /** Records read per page. */
  batchSize?: number;
}

export interface RewrapResult {
  /** The kid every record was re-wrapped to. */
  primaryKid: string;
  /** Records found under another kid at the start. */
  total: number;
  rewrapped: number;
  /** Records deleted or rewritten by someone else between read and update; they win. */
  skipped: number;
  /** Records that could not be re-wrapped: unknown kid, or a tampered wrapped key. */
  failed: Array<{ id: string; code: VaultErrorCode }>;
  /** Records still not under the primary kid when the rotation ended. */
  remaining: number;
}

/** A few passes catch records written under the old primary by a process that had not reloaded yet. */
const MAX_PASSES = 5;

/**
 * Re-wraps every record's data key under the keyring's primary key. Each record is one short
 * UPDATE guarded by the kid and wrapped key that were read, so stores, deletes and reads go on
 * while it runs: readers see either the old wrapping (whose key is still in the keyring) or
 * the new one. The secret's ciphertext is never touched.
 */
export async function rewrapAll(
  db: Db,
  keys: KeySource,
  clock: Clock,
  opts: RewrapOptions = {},
): Promise<RewrapResult> {
  const target = primaryOf(keys.refresh());
  const batch = opts.batchSize ?? 200;
  const total = await countNotUnderKid(db, target.kid);
  const failed = new Map<string, VaultErrorCode>();
  let rewrapped = 0;
  let skipped = 0;
  let done = 0;
  opts.onProgress?.(0, total);

  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let after: string | undefined;
    let attempted = 0;
    for (;;) {
      const page = await pageNotUnderKid(db, target.kid, after, batch);
      if (!page.length) break;
      for (const row of page) {
        after = row.id;
        if (failed.has(row.id)) continue;
        attempted++;
        const from = keys.find(row.master_kid);
        let wrapped: string | undefined;
        if (!from) {
          failed.set(row.id, 'vault_key_unknown');
        } else {
          try {
            wrapped = rewrapDataKey(from, target, row.id, row.wrapped_key);
          } catch (e) {
            if (!isVaultError(e)) throw e;
            failed.set(row.id, e.code);
          }
        }
        if (wrapped !== undefined) {
          const swapped = await swapWrappedKey(db, {
            id: row.id,
            fromKid: row.master_kid,
            fromWrapped: row.wrapped_key,
            toKid: target.kid,
            toWrapped: wrapped,
            at: clock.date(),
          });
          if (swapped) rewrapped++;
          else skipped++;
        }
        done++;
        opts.onProgress?.(done, Math.max(total, done));
      }
    }
    if (attempted === 0) break;
  }
  return {
    primaryKid: target.kid,
    total,
    rewrapped,
    skipped,
    failed: [...failed].map(([id, code]) => ({ id, code })),
    remaining: await countNotUnderKid(db, target.kid),
  };
}
