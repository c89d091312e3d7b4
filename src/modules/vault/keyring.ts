import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateMasterKey, KEY_BYTES, masterKeyFrom, type MasterKey } from './crypto.js';
import { VaultError } from './errors.js';

/** The master keys a process can use: new records are wrapped under the primary, any opens. */
export interface Keyring {
  primaryKid: string;
  keys: ReadonlyMap<string, MasterKey>;
}

export function primaryOf(ring: Keyring): MasterKey {
  const k = ring.keys.get(ring.primaryKid);
  if (!k)
    throw new VaultError(
      'vault_key_invalid',
      `the primary key ${ring.primaryKid} is not in the keyring`,
    );
  return k;
}

export function keyringOf(primary: MasterKey, others: MasterKey[] = []): Keyring {
  const keys = new Map<string, MasterKey>();
  for (const k of [primary, ...others]) keys.set(k.kid, k);
  return { primaryKid: primary.kid, keys };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a base64 master key; `source` names the variable or file in the error, never the value. */
export function decodeKey(b64: string, source: string): MasterKey {
  const text = b64.trim();
  if (!text || !BASE64.test(text)) {
    throw new VaultError(
      'vault_key_invalid',
      `${source} must be base64 of ${KEY_BYTES} random bytes`,
    );
  }
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== KEY_BYTES) {
    raw.fill(0);
    throw new VaultError(
      'vault_key_invalid',
      `${source} must decode to exactly ${KEY_BYTES} bytes (got ${raw.length}); generate one with \`openssl rand -base64 32\``,
    );
  }
  return masterKeyFrom(raw);
}

/** Keys given in the environment: VAULT_MASTER_KEY is primary, VAULT_OLD_MASTER_KEYS still open. */
export function keyringFromEnv(masterKey: string, oldMasterKeys?: string): Keyring {
  const primary = decodeKey(masterKey, 'VAULT_MASTER_KEY');
  const old = (oldMasterKeys ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i) => decodeKey(s, `VAULT_OLD_MASTER_KEYS (entry ${i + 1})`));
  return keyringOf(primary, old);
}

// ---- key file: { "primary": kid, "keys": { kid: base64 } } ----

export function parseKeyFile(text: string, path: string): Keyring {
  const where = `vault key file ${path}`;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new VaultError('vault_key_invalid', `${where} is not valid JSON`);
  }
  const d = doc as { primary?: unknown; keys?: unknown };
  if (
    typeof d.primary !== 'string' ||
    typeof d.keys !== 'object' ||
    d.keys === null ||
    Array.isArray(d.keys)
  ) {
    throw new VaultError(
      'vault_key_invalid',
      `${where} must look like {"primary": kid, "keys": {kid: base64}}`,
    );
  }
  const keys = new Map<string, MasterKey>();
  for (const [kid, b64] of Object.entries(d.keys as Record<string, unknown>)) {
    if (typeof b64 !== 'string')
      throw new VaultError('vault_key_invalid', `${where}: key ${kid} is not a string`);
    const k = decodeKey(b64, `${where}: key ${kid}`);
    // A kid that does not derive from its key means a hand-edited file: refuse it rather than
    // wrap records under a name that another process would resolve to different bytes.
    if (k.kid !== kid) {
      throw new VaultError(
        'vault_key_invalid',
        `${where}: key ${kid} does not match its kid (its kid is ${k.kid})`,
      );
    }
    keys.set(kid, k);
  }
  if (!keys.has(d.primary)) {
    throw new VaultError(
      'vault_key_invalid',
      `${where}: primary ${d.primary} is not among its keys`,
    );
  }
  return { primaryKid: d.primary, keys };
}

export function serializeKeyFile(ring: Keyring): string {
  const keys: Record<string, string> = {};
  for (const [kid, k] of ring.keys) keys[kid] = k.key.export().toString('base64');
  return `${JSON.stringify({ primary: ring.primaryKid, keys }, null, 2)}\n`;
}

/** Group- or world-accessible key files deserve a warning, as ssh gives for private keys. */
export const isTooOpen = (st: Stats): boolean =>
  process.platform !== 'win32' && (st.mode & 0o077) !== 0;

export function readKeyFile(path: string): { ring: Keyring; stat: Stats } {
  // Stat and read the same descriptor, so the signature always describes the content read.
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    return { ring: parseKeyFile(readFileSync(fd, 'utf8'), path), stat };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the key file with mode 0600 through a temporary file in the same folder, then renames
 * it over the old one: a reader sees the old file or the new one, never half of either. With
 * `exclusive`, the file is only created if absent (link fails with EEXIST) and false is returned
 * when another process created it first.
 */
export function writeKeyFile(
  path: string,
  ring: Keyring,
  opts: { exclusive?: boolean } = {},
): boolean {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, serializeKeyFile(ring));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (opts.exclusive) {
      try {
        linkSync(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    } else {
      renameSync(tmp, path);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed away.
    }
  }
  syncDir(dir);
  return true;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}

/** Creates a key file with one fresh key unless one exists; returns the file's keyring. */
export function createKeyFile(path: string): { ring: Keyring; created: boolean } {
  const created = writeKeyFile(path, keyringOf(generateMasterKey()), { exclusive: true });
  return { ring: readKeyFile(path).ring, created };
}

// ---- key sources ----

/** Where the vault gets its keys from; a file source follows rotations made by other processes. */
export interface KeySource {
  /** Names the source in messages: the variable or the file path, never a key. */
  readonly description: string;
  /** The keyring now; a file source looks at its file at most once per interval. */
  current(): Keyring;
  /** A key by kid; a miss makes a file source look at its file at once. */
  find(kid: string): MasterKey | undefined;
  /** Looks at the file now (file source) and returns the keyring. */
  refresh(): Keyring;
}

export class StaticKeySource implements KeySource {
  constructor(
    private readonly ring: Keyring,
    readonly description = 'VAULT_MASTER_KEY / VAULT_OLD_MASTER_KEYS',
  ) {}
  current(): Keyring {
    return this.ring;
  }
  find(kid: string): MasterKey | undefined {
    return this.ring.keys.get(kid);
  }
  refresh(): Keyring {
    return this.ring;
  }
}

export interface FileKeySourceOptions {
  /** Shortest time between two looks at the file on the hot path. */
  intervalMs?: number;
  /** Monotonic milliseconds; injected by tests. */
  now?: () => number;
  onReload?: (ring: Keyring) => void;
  /** A changed file that cannot be read; the previous keyring stays in use. */
  onError?: (err: Error) => void;
}

const signature = (st: Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;

/**
 * A keyring read from a file and reloaded when the file changes. Reloading is lazy: a key
 * lookup stats the file at most once per interval (a stat costs microseconds), and at once when
 * a record names an unknown kid. The atomic rename gives every version a new inode, so the
 * signature changes even within one mtime tick. fs.watch was not chosen: inotify follows the
 * replaced inode rather than the path, and it is unreliable on network and bind-mounted volumes.
 */
export class FileKeySource implements KeySource {
  readonly description: string;
  private ring: Keyring;
  private sig: string;
  private lastCheck: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    readonly path: string,
    private readonly opts: FileKeySourceOptions = {},
  ) {
    this.description = `key file ${path}`;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.now = opts.now ?? (() => performance.now());
    const { ring, stat } = readKeyFile(path);
    this.ring = ring;
    this.sig = signature(stat);
    this.lastCheck = this.now();
  }

  current(): Keyring {
    if (this.now() - this.lastCheck >= this.intervalMs) this.refresh();
    return this.ring;
  }

  find(kid: string): MasterKey | undefined {
    return this.current().keys.get(kid) ?? this.refresh().keys.get(kid);
  }

  refresh(): Keyring {
    this.lastCheck = this.now();
    let sig: string;
    try {
      sig = signature(statSync(this.path));
    } catch (e) {
      sig = `error:${(e as NodeJS.ErrnoException).code ?? 'unknown'}`;
      if (sig !== this.sig) this.opts.onError?.(e as Error);
      this.sig = sig;
      return this.ring;
    }
    if (sig === this.sig) return this.ring;
    try {
      const { ring, stat } = readKeyFile(this.path);
      this.ring = ring;
      this.sig = signature(stat);
      this.opts.onReload?.(ring);
    } catch (e) {
      this.sig = sig;
      this.opts.onError?.(e as Error);
    }
    return this.ring;
  }
}
