import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Database } from '../../platform/db/index.js';
import { generateMasterKey, masterKeyFrom } from './crypto.js';
import { VaultError } from './errors.js';
import {
  keyringFromEnv,
  keyringOf,
  readKeyFile,
  StaticKeySource,
  writeKeyFile,
} from './keyring.js';
import {
  assertKeysCoverRecords,
  rewrapAll,
  type RewrapOptions,
  type RewrapResult,
} from './rotation.js';
import { countByKid } from './store.js';

export interface RotateMasterKeyOptions {
  database: Database;
  /** Key-file mode: the keyring file shared with the running server. */
  keyFile?: string | undefined;
  /** Env mode: the new primary (VAULT_MASTER_KEY); the old ones go in `oldMasterKeys`. */
  masterKey?: string | undefined;
  oldMasterKeys?: string | undefined;
  /** Key-file mode: the new key's 32 bytes; generated when absent. */
  newKey?: Buffer;
  /** Key-file mode: drop the old keys from the file once no record uses them. */
  retireOld?: boolean;
  /**
   * Wait before retiring, so that every running server has looked at the key file since the
   * new primary was written (they look at least once a second) and stores nothing new under
   * an old key. Default 2000 ms.
   */
  graceMs?: number;
  onProgress?(done: number, total: number): void;
  /** Records read per page while re-wrapping. */
  batchSize?: number;
  clock?: Clock;
}

/** A rotation the running server performs with its own key configuration. */
export interface InProcessRotation {
  retireOld?: boolean;
  graceMs?: number;
  onProgress?(done: number, total: number): void;
  /** Who asked, for the audit log. */
  actorId?: string | null;
  ip?: string | null;
}

export interface RotateMasterKeyResult extends RewrapResult {
  mode: 'key_file' | 'env';
  /** Kids that were in the keyring before, other than the new primary. */
  previousKids: string[];
  /** Kids removed from the key file (retireOld). */
  retiredKids: string[];
}

/**
 * `obscura keys rotate`. Key-file mode: writes the file atomically with a new primary (old keys
 * kept, so running servers still open everything), re-wraps every record, and with `retireOld`
 * rewrites the file without the old keys once nothing uses them. Env mode: re-wraps every
 * record to VAULT_MASTER_KEY; the operator then removes VAULT_OLD_MASTER_KEYS.
 */
export async function rotateMasterKey(
  opts: RotateMasterKeyOptions,
): Promise<RotateMasterKeyResult> {
  const db = opts.database.db;
  const clock = opts.clock ?? systemClock;
  const progress = {
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  };

  if (opts.masterKey) {
    if (opts.newKey) {
      throw new VaultError(
        'vault_key_invalid',
        'with VAULT_MASTER_KEY the new key is VAULT_MASTER_KEY itself; put the former key in VAULT_OLD_MASTER_KEYS',
      );
    }
    const ring = keyringFromEnv(opts.masterKey, opts.oldMasterKeys);
    const keys = new StaticKeySource(ring);
    await assertKeysCoverRecords(db, keys);
    const result = await rewrapAll(db, keys, clock, progress);
    return {
      ...result,
      mode: 'env',
      previousKids: [...ring.keys.keys()].filter((k) => k !== ring.primaryKid),
      retiredKids: [],
    };
  }

  const path = opts.keyFile;
  if (!path)
    throw new VaultError(
      'vault_key_invalid',
      'set VAULT_KEY_FILE (or VAULT_MASTER_KEY) to rotate the vault key',
    );
  const unlock = lockKeyFile(path, clock);
  try {
    return await rotateKeyFile(path, opts, clock, progress);
  } finally {
    unlock();
  }
}

/**
 * Two rotations of one key file must not overlap: each would write a keyring lacking the
 * other's new key, and the records it wrapped would be orphaned.
 */
function lockKeyFile(path: string, clock: Clock): () => void {
  const lock = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let holder = 'unknown';
    try {
      holder = readFileSync(lock, 'utf8').trim();
    } catch {
      // Released meanwhile; still report it rather than race.
    }
    throw new VaultError(
      'vault_rotation_running',
      `another rotation holds ${lock} (${holder}); if none is running, delete that file`,
    );
  }
  writeSync(fd, `pid ${process.pid} since ${clock.date().toISOString()}\n`);
  closeSync(fd);
  return () => {
    try {
      unlinkSync(lock);
    } catch {
      // Already gone.
    }
  };
}

async function rotateKeyFile(
  path: string,
  opts: RotateMasterKeyOptions,
  clock: Clock,
  progress: RewrapOptions,
): Promise<RotateMasterKeyResult> {
  const db = opts.database.db;
  const before = existsSync(path) ? readKeyFile(path).ring : undefined;
  if (before) {
    await assertKeysCoverRecords(db, new StaticKeySource(before, `key file ${path}`));
  } else {
    const stored = (await countByKid(db)).reduce((n, k) => n + k.count, 0);
    if (stored > 0) {
      throw new VaultError(
        'vault_key_mismatch',
        `vault key file ${path} does not exist but the database holds ${stored} credentials; restore it first`,
      );
    }
  }

  const next = opts.newKey ? masterKeyFrom(Buffer.from(opts.newKey)) : generateMasterKey();
  const old = before ? [...before.keys.values()].filter((k) => k.kid !== next.kid) : [];
  const ring = keyringOf(next, old);
  writeKeyFile(path, ring);
  const keys = new StaticKeySource(ring, `key file ${path}`);
  let result = await rewrapAll(db, keys, clock, progress);

  const retiredKids: string[] = [];
  if (opts.retireOld && old.length) {
    const grace = opts.graceMs ?? 2000;
    if (grace > 0) await sleep(grace);
    const late = await rewrapAll(db, keys, clock);
    result = {
      ...late,
      total: result.total + late.total,
      rewrapped: result.rewrapped + late.rewrapped,
      skipped: result.skipped + late.skipped,
      failed: [
        ...result.failed,
        ...late.failed.filter((f) => !result.failed.some((g) => g.id === f.id)),
      ],
    };
    if (late.remaining === 0) {
      writeKeyFile(path, keyringOf(next));
      retiredKids.push(...old.map((k) => k.kid));
    }
  }
  return { ...result, mode: 'key_file', previousKids: old.map((k) => k.kid), retiredKids };
}
