import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { AppError } from '../src/core/errors.js';
import { newId } from '../src/core/ids.js';
import {
  createVaultModule,
  rotateMasterKey,
  type VaultKeyConfig,
  type VaultModule,
} from '../src/modules/vault/index.js';
import { Outbox } from '../src/platform/bus/index.js';
import type { Database } from '../src/platform/db/index.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { backends, freshDatabase, type FreshDatabase } from './helpers/backends.js';

const logger = createLogger({ level: 'silent' });
const b64key = () => randomBytes(32).toString('base64');

async function addUser(database: Database): Promise<string> {
  const id = newId();
  await database.db
    .insertInto('users')
    .values({
      id,
      email: `${id}@test.local`,
      display_name: 'T',
      password_hash: 'x',
      role: 'trader',
    })
    .execute();
  return id;
}

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected an error');
}

const kidsOf = async (database: Database): Promise<string[]> =>
  (await database.db.selectFrom('credentials').select('master_kid').distinct().execute()).map(
    (r: { master_kid: string }) => r.master_kid,
  );

const secretOf = (i: number) => ({
  exchange: 'okx',
  label: `acct-${i}`,
  apiKey: `api-key-${i}-${randomBytes(8).toString('hex')}`,
  secret: `secret-${i}-${randomBytes(16).toString('hex')}`,
  passphrase: `pass-${i}`,
});

describe.each(backends)('vault on $name', (backend) => {
  let fresh: FreshDatabase;
  let database: Database;
  let keyFile: string;
  let alice: string;
  let bob: string;

  const open = (config: VaultKeyConfig = { keyFile }): Promise<VaultModule> =>
    createVaultModule({
      database,
      outbox: new Outbox(database.db, systemClock),
      logger,
      clock: systemClock,
      config,
    });

  beforeEach(async () => {
    fresh = await freshDatabase(backend);
    database = fresh.database;
    keyFile = join(mkdtempSync(join(tmpdir(), 'obscura-vault-')), 'vault-keys.json');
    alice = await addUser(database);
    bob = await addUser(database);
  });
  afterEach(async () => {
    await fresh.drop();
  });

  it('stores, lists and deletes credentials, auditing both without secrets', async () => {
    const { vault } = await open();
    const input = {
      exchange: 'binance',
      apiKey: 'AbCdEfGhIjKlMnOp9876',
      secret: 'very-secret-binance-value',
    };
    const view = await vault.store(alice, input, { ip: '10.0.0.1' });
    expect(view).toMatchObject({ exchange: 'binance', label: 'binance', keyLast4: '9876' });
    expect(Object.keys(view).sort()).toEqual(['createdAt', 'exchange', 'id', 'keyLast4', 'label']);

    expect((await errorOf(vault.store(alice, input))).code).toBe('credential_exists');
    await vault.store(alice, { ...input, label: 'second' });
    expect((await vault.list(alice)).map((c) => c.label)).toEqual(['binance', 'second']);
    expect(await vault.list(bob)).toEqual([]);

    // Someone else's id looks exactly like a missing one.
    expect((await errorOf(vault.delete(bob, view.id))).kind).toBe('not_found');
    expect((await errorOf(vault.decryptForExecution(view.id, bob))).kind).toBe('not_found');
    await vault.delete(alice, view.id, { ip: '10.0.0.2' });
    expect((await errorOf(vault.delete(alice, view.id))).kind).toBe('not_found');
    expect((await errorOf(vault.delete(alice, 'not-a-uuid'))).kind).toBe('not_found');
    expect((await vault.list(alice)).map((c) => c.label)).toEqual(['second']);

    const events = await database.db
      .selectFrom('outbox')
      .select(['topic', 'payload'])
      .orderBy('id')
      .execute();
    const audit = events.map(
      (e: { payload: { action: string; ip: string; details: { credentialId: string } } }) =>
        e.payload,
    );
    expect(audit.map((a) => a.action)).toEqual([
      'credential.stored',
      'credential.stored',
      'credential.deleted',
    ]);
    expect(audit[2]).toMatchObject({
      ip: '10.0.0.2',
      userId: alice,
      details: { credentialId: view.id, exchange: 'binance' },
    });
    const text = JSON.stringify(events);
    expect(text).not.toContain(input.secret);
    expect(text).not.toContain(input.apiKey);
  });

  it('keeps no plaintext in the row and opens it only for execution, redacted when serialised', async () => {
    const { vault } = await open();
    const input = secretOf(1);
    const view = await vault.store(alice, input);
    const row = await database.db
      .selectFrom('credentials')
      .selectAll()
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    const raw = JSON.stringify(row);
    for (const s of [input.apiKey, input.secret, input.passphrase]) expect(raw).not.toContain(s);
    expect(raw).not.toContain(Buffer.from(input.secret).toString('base64').slice(0, 12));

    const creds = await vault.decryptForExecution(view.id, alice);
    expect({ ...creds }).toEqual({
      exchange: 'okx',
      apiKey: input.apiKey,
      secret: input.secret,
      passphrase: input.passphrase,
    });
    for (const shown of [
      JSON.stringify(creds),
      inspect(creds),
      JSON.stringify({ nested: creds }),
    ]) {
      expect(shown).not.toContain(input.secret);
      expect(shown).not.toContain(input.apiKey);
      expect(shown).not.toContain(input.passphrase);
    }
  });

  it("decrypts many credentials in one read, refusing others' and missing ones as values", async () => {
    const { vault } = await open();
    const a = secretOf(1);
    const b = secretOf(2);
    const va = await vault.store(alice, a);
    const vb = await vault.store(bob, b);
    const out = await vault.decryptManyForExecution([
      { credentialId: va.id, userId: alice },
      { credentialId: vb.id, userId: alice },
      { credentialId: vb.id, userId: bob },
      { credentialId: newId(), userId: alice },
      { credentialId: 'junk', userId: alice },
    ]);
    expect(out.map((o) => (o.ok ? o.credentials.secret : o.error.code))).toEqual([
      a.secret,
      'not_found',
      b.secret,
      'not_found',
      'not_found',
    ]);
  });

  it('refuses a tampered row with credential_tampered and reports it at start', async () => {
    const mod = await open();
    const view = await mod.vault.store(alice, secretOf(1));
    const row = await database.db
      .selectFrom('credentials')
      .select('sealed')
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.sealed as string, 'base64');
    bytes[20] = (bytes[20] ?? 0) ^ 0xff;
    await database.db
      .updateTable('credentials')
      .set({ sealed: bytes.toString('base64') })
      .where('id', '=', view.id)
      .execute();
    const err = await errorOf(mod.vault.decryptForExecution(view.id, alice));
    expect(err.code).toBe('credential_tampered');
    expect(err.message).toContain(view.id);

    // Swapping a wrapped key between two rows is caught as well, and verify() names the row.
    const other = await mod.vault.store(alice, secretOf(2));
    const w = await database.db
      .selectFrom('credentials')
      .select('wrapped_key')
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    await database.db
      .updateTable('credentials')
      .set({ wrapped_key: w.wrapped_key })
      .where('id', '=', other.id)
      .execute();
    expect((await errorOf(mod.vault.decryptForExecution(other.id, alice))).code).toBe(
      'credential_tampered',
    );
    expect((await mod.verify()).tampered).toEqual([other.id]);
  });

  it('refuses to start with a master key that does not match the stored credentials', async () => {
    const { vault } = await open();
    await vault.store(alice, secretOf(1));
    const wrong = await open({ masterKey: b64key() });
    const err = await errorOf(wrong.verify());
    expect(err.code).toBe('vault_key_mismatch');
    expect(err.message).toMatch(
      /VAULT master key does not match the stored credentials \(kids [0-9a-f]{16} \(1 records\)\)/,
    );

    const missingFile = join(mkdtempSync(join(tmpdir(), 'obscura-vault-')), 'gone.json');
    expect((await errorOf(open({ keyFile: missingFile }))).message).toMatch(
      /does not exist but the database holds 1 credentials/,
    );
    await expect((await open()).verify()).resolves.toMatchObject({ tampered: [] });
    expect((await errorOf(open({ oldMasterKeys: b64key() }))).message).toMatch(
      /VAULT_MASTER_KEY is not/,
    );
  });

  it('lets one rotation of a key file run at a time, and none on an ephemeral key', async () => {
    await (await open()).vault.store(alice, secretOf(1));
    writeFileSync(`${keyFile}.lock`, 'pid 1 since then\n');
    const err = await errorOf(rotateMasterKey({ database, keyFile }));
    expect(err.code).toBe('vault_rotation_running');
    expect(err.kind).toBe('conflict');
    unlinkSync(`${keyFile}.lock`);
    await expect(rotateMasterKey({ database, keyFile })).resolves.toMatchObject({ rewrapped: 1 });
    expect((await errorOf((await open({})).rotate())).code).toBe('vault_not_rotatable');
  });

  it('rotates the key file while a running vault keeps decrypting, and the running vault follows', async () => {
    const server = await open();
    const stored: Array<{ input: ReturnType<typeof secretOf>; view: { id: string } }> = [];
    for (let i = 0; i < 30; i++) {
      const input = secretOf(i);
      stored.push({ input, view: await server.vault.store(alice, input) });
    }
    const [oldKid] = await kidsOf(database);

    let stop = false;
    let reads = 0;
    const readsAt: number[] = [];
    const readers = Array.from({ length: 3 }, async () => {
      while (!stop) {
        for (const { input, view } of stored) {
          const c = await server.vault.decryptForExecution(view.id, alice);
          expect(c.secret).toBe(input.secret);
          expect(c.apiKey).toBe(input.apiKey);
          reads++;
        }
        // The embedded database answers through microtasks alone; yielding to the event loop
        // lets timers run, as requests arriving from the network would.
        await new Promise((r) => setImmediate(r));
      }
    });
    const result = await rotateMasterKey({
      database,
      keyFile,
      retireOld: true,
      graceMs: 0,
      onProgress: (done, total) => {
        if (done === 0 || done === total) readsAt.push(reads);
      },
    }).finally(() => (stop = true));
    await Promise.all(readers);

    expect(result).toMatchObject({
      mode: 'key_file',
      total: 30,
      rewrapped: 30,
      skipped: 0,
      failed: [],
      remaining: 0,
    });
    expect(result.retiredKids).toEqual([oldKid]);
    expect(readsAt.at(-1)!).toBeGreaterThan(readsAt[0]!);
    expect(await kidsOf(database)).toEqual([result.primaryKid]);
    const file = JSON.parse(readFileSync(keyFile, 'utf8')) as {
      primary: string;
      keys: Record<string, string>;
    };
    expect(file.primary).toBe(result.primaryKid);
    expect(Object.keys(file.keys)).toEqual([result.primaryKid]);

    // The running vault, never restarted, opens the re-wrapped rows and stores under the new key.
    const first = stored[0]!;
    expect((await server.vault.decryptForExecution(first.view.id, alice)).secret).toBe(
      first.input.secret,
    );
    await server.vault.store(bob, secretOf(99));
    expect(await kidsOf(database)).toEqual([result.primaryKid]);
    await expect(server.verify()).resolves.toMatchObject({ primaryKid: result.primaryKid });
  });

  it('rotates environment keys: VAULT_MASTER_KEY new, VAULT_OLD_MASTER_KEYS old', async () => {
    const oldKey = b64key();
    const newKey = b64key();
    const before = await open({ masterKey: oldKey });
    const input = secretOf(7);
    const view = await before.vault.store(alice, input);

    const during = await open({ masterKey: newKey, oldMasterKeys: oldKey });
    await during.verify();
    const progress: Array<[number, number]> = [];
    const result = await during.vault.rotate({ onProgress: (d, t) => progress.push([d, t]) });
    expect(result).toMatchObject({ total: 1, rewrapped: 1, remaining: 0 });
    expect(progress).toEqual([
      [0, 1],
      [1, 1],
    ]);

    const after = await open({ masterKey: newKey });
    await after.verify();
    expect((await after.vault.decryptForExecution(view.id, alice)).secret).toBe(input.secret);
    expect((await errorOf(before.verify())).code).toBe('vault_key_mismatch');
    const again = await rotateMasterKey({ database, masterKey: newKey });
    expect(again).toMatchObject({ mode: 'env', total: 0, remaining: 0 });
  });

  it('runs stores and deletes concurrently with a rotation without losing either', async () => {
    const server = await open();
    for (let i = 0; i < 20; i++) await server.vault.store(alice, secretOf(i));
    const rotation = rotateMasterKey({ database, keyFile, retireOld: true, graceMs: 50 });
    const added: Array<{ id: string }> = [];
    for (let i = 20; i < 30; i++) added.push(await server.vault.store(alice, secretOf(i)));
    const doomed = (await server.vault.list(alice))[0]!;
    await server.vault.delete(alice, doomed.id);
    const result = await rotation;
    expect(result.remaining).toBe(0);
    expect(result.retiredKids).toHaveLength(1);
    expect(await kidsOf(database)).toEqual([result.primaryKid]);
    const count = await sql<{ n: string }>`select count(*) as n from credentials`.execute(
      database.db,
    );
    expect(Number(count.rows[0]!.n)).toBe(29);
    for (const v of added) await server.vault.decryptForExecution(v.id, alice);
  });
});
