import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseFragment } from '../../platform/config/index.js';
import { vaultConfig } from './config.js';
import { generateMasterKey } from './crypto.js';
import {
  createKeyFile,
  decodeKey,
  FileKeySource,
  keyringFromEnv,
  keyringOf,
  parseKeyFile,
  readKeyFile,
  serializeKeyFile,
  writeKeyFile,
} from './keyring.js';

const b64 = (n = 32) => randomBytes(n).toString('base64');
const tempFile = () => join(mkdtempSync(join(tmpdir(), 'obscura-vault-')), 'keys.json');

describe('master keys from the environment', () => {
  it('takes VAULT_MASTER_KEY as primary and keeps old keys for opening', () => {
    const [a, b, c] = [b64(), b64(), b64()];
    const ring = keyringFromEnv(a, ` ${b}, ${c} ,`);
    expect(ring.keys.size).toBe(3);
    expect(ring.primaryKid).toBe(decodeKey(a, 'x').kid);
  });

  it('names the variable and the length of a short key, never the key', () => {
    const short = b64(16);
    expect(() => keyringFromEnv(short)).toThrow(
      /VAULT_MASTER_KEY must decode to exactly 32 bytes \(got 16\)/,
    );
    try {
      keyringFromEnv(short);
    } catch (e) {
      expect((e as Error).message).not.toContain(short);
    }
    expect(() => keyringFromEnv(b64(), `${b64()},not*base64`)).toThrow(
      /VAULT_OLD_MASTER_KEYS \(entry 2\)/,
    );
  });

  it('stops configuration parsing with the variable named', () => {
    expect(() => parseFragment(vaultConfig, { VAULT_MASTER_KEY: b64(31) })).toThrow(ConfigError);
    expect(() => parseFragment(vaultConfig, { VAULT_MASTER_KEY: b64(31) })).toThrow(
      /VAULT_MASTER_KEY/,
    );
    const ok = parseFragment(vaultConfig, {
      VAULT_MASTER_KEY: b64(),
      VAULT_OLD_MASTER_KEYS: `${b64()} , ${b64()}`,
    });
    expect(ok.vaultOldMasterKeys?.split(',')).toHaveLength(2);
    expect(parseFragment(vaultConfig, {})).toEqual({
      vaultMasterKey: undefined,
      vaultOldMasterKeys: undefined,
      vaultKeyFile: undefined,
    });
  });
});

describe('key file', () => {
  it('round-trips and refuses files that do not hold together', () => {
    const ring = keyringOf(generateMasterKey(), [generateMasterKey()]);
    const parsed = parseKeyFile(serializeKeyFile(ring), 'f');
    expect(parsed.primaryKid).toBe(ring.primaryKid);
    expect([...parsed.keys.keys()].sort()).toEqual([...ring.keys.keys()].sort());

    expect(() => parseKeyFile('{', 'f')).toThrow(/vault key file f is not valid JSON/);
    expect(() => parseKeyFile(JSON.stringify({ primary: 'x', keys: {} }), 'f')).toThrow(
      /primary x is not among its keys/,
    );
    expect(() =>
      parseKeyFile(JSON.stringify({ primary: 'abc', keys: { abc: b64() } }), 'f'),
    ).toThrow(/does not match its kid/);
    expect(() =>
      parseKeyFile(JSON.stringify({ primary: 'abc', keys: { abc: b64(24) } }), 'f'),
    ).toThrow(/exactly 32 bytes \(got 24\)/);
  });

  it('is written with mode 0600, atomically, leaving no temporary file', () => {
    const path = tempFile();
    writeKeyFile(path, keyringOf(generateMasterKey()));
    writeKeyFile(path, keyringOf(generateMasterKey()));
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(path, '..'))).toEqual(['keys.json']);
  });

  it("is created once: a second creator reads the first one's key", () => {
    const path = tempFile();
    const first = createKeyFile(path);
    const second = createKeyFile(path);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.ring.primaryKid).toBe(first.ring.primaryKid);
  });
});

describe('FileKeySource', () => {
  it('reloads a file changed in place once the interval has passed', () => {
    const path = tempFile();
    const first = keyringOf(generateMasterKey());
    writeKeyFile(path, first);
    let now = 0;
    const reloads: string[] = [];
    const source = new FileKeySource(path, {
      intervalMs: 1000,
      now: () => now,
      onReload: (r) => reloads.push(r.primaryKid),
    });

    // Written in place (same inode), so only size and mtime tell that it changed.
    const next = keyringOf(generateMasterKey(), [...first.keys.values()]);
    writeFileSync(path, serializeKeyFile(next));
    const later = new Date(statSync(path).mtimeMs + 5000);
    utimesSync(path, later, later);

    now = 999;
    expect(source.current().primaryKid).toBe(first.primaryKid);
    now = 1000;
    expect(source.current().primaryKid).toBe(next.primaryKid);
    expect(reloads).toEqual([next.primaryKid]);
  });

  it('looks at the file at once when a record names an unknown kid', () => {
    const path = tempFile();
    writeKeyFile(path, keyringOf(generateMasterKey()));
    const source = new FileKeySource(path, { intervalMs: 60_000, now: () => 0 });
    const added = generateMasterKey();
    writeKeyFile(path, keyringOf(added, [...readKeyFile(path).ring.keys.values()]));
    expect(source.find(added.kid)?.kid).toBe(added.kid);
    expect(source.find('0000000000000000')).toBeUndefined();
  });

  it('keeps the previous keys when the changed file cannot be read', () => {
    const path = tempFile();
    const ring = keyringOf(generateMasterKey());
    writeKeyFile(path, ring);
    const errors: string[] = [];
    const source = new FileKeySource(path, {
      intervalMs: 0,
      onError: (e) => errors.push(e.message),
    });
    writeFileSync(path, '{ broken');
    expect(source.current().primaryKid).toBe(ring.primaryKid);
    expect(source.current().primaryKid).toBe(ring.primaryKid);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/not valid JSON/);
  });

  it('fails at construction with the file named', () => {
    const path = tempFile();
    writeFileSync(path, JSON.stringify({ primary: 'a', keys: { a: b64(8) } }));
    expect(() => new FileKeySource(path)).toThrow(
      new RegExp(`vault key file ${path}: key a must decode to exactly 32 bytes`),
    );
  });
});
