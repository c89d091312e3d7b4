import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/platform/db/index.js';
import { buildApp } from '../src/apps/app.js';
import { loadConfig } from '../src/apps/config.js';

const dataDir = mkdtempSync(join(tmpdir(), 'obscura-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}, stdin?: string) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn('node', ['bin/obscura.js', ...args], {
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        OBSCURA_ENV_FILE: '/nonexistent',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.end(stdin ?? '');
    // 'close', not 'exit': a process can exit before its output has been read.
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Starts `obscura serve` on a random port and resolves once it says it is listening. */
async function serve(base: number) {
  const port = base + Math.floor(Math.random() * 1000);
  const child = spawn('node', ['bin/obscura.js', 'serve'], {
    env: {
      PATH: process.env.PATH!,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      PORT: String(port),
      OBSCURA_ENV_FILE: '/nonexistent',
      DEMO_SEED: 'false',
      // Building the browser UI at start (a fresh checkout has no web/dist) would load the two
      // cores enough to leave a request in the accept queue when the listener closes.
      WEB_UI: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { out: '' };
  child.stdout.on('data', (d) => (state.out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  for (let i = 0; i < 200 && !state.out.includes('Obscura listening'); i++)
    await new Promise((r) => setTimeout(r, 50));
  return { port, child, exited, state };
}

describe('obscura CLI', () => {
  it('describes every command with --help', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'create-admin', 'keys']) expect(top.out).toContain(cmd);
    const serve = await run(['serve', '--help']);
    expect(serve.out).toMatch(/--role <role>[\s\S]*api[\s\S]*worker[\s\S]*all/);
    const rotate = await run(['keys', 'rotate', '--help']);
    expect(rotate.out).toContain('--retire-old');
    const admin = await run(['create-admin', '--help']);
    expect(admin.out).toContain('--email');
  });

  it('migrates, then reports the database up to date', async () => {
    const first = await run(['migrate']);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Applied \d+ migration/);
    const second = await run(['migrate']);
    expect(second.out).toContain('up to date');
  });

  it('creates an administrator from a password on stdin', async () => {
    const r = await run(
      ['create-admin', '--email', 'root@example.com', '--password-stdin'],
      { DEMO_SEED: 'false' },
      'a long admin password\n',
    );
    expect(r.err).toBe('');
    expect(r.out).toMatch(/Created administrator root@example.com/);
    const again = await run(
      ['create-admin', '--email', 'root@example.com', '--password-stdin'],
      {},
      'another long password\n',
    );
    expect(again.out).toMatch(/Promoted administrator/);
    const weak = await run(
      ['create-admin', '--email', 'x@example.com', '--password-stdin'],
      {},
      'short\n',
    );
    expect(weak.code).not.toBe(0);
    expect(weak.err).toMatch(/12 to 256 characters/);
  });

  it('refuses to start with bad configuration, naming every variable', async () => {
    const r = await run(['serve'], { PORT: 'abc', LOG_LEVEL: 'chatty', RATE_LIMIT_GENERAL: '-1' });
    expect(r.code).toBe(2);
    for (const name of ['PORT', 'LOG_LEVEL', 'RATE_LIMIT_GENERAL']) expect(r.err).toContain(name);
  });

  it('refuses a split role on the embedded bus', async () => {
    const r = await run(['serve', '--role', 'worker']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--role worker needs REDIS_URL/);
  });

  it('shuts down cleanly on SIGINT: requests in flight finish and the outbox is flushed', async () => {
    const { port, child, exited, state } = await serve(19000);
    const requests = Array.from({ length: 8 }, (_, i) =>
      fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `shutdown${i}@example.com`,
          password: 'shutdown password',
          displayName: 'S',
        }),
      }).then((r) => r.status),
    );
    // Long enough for the server to accept every connection on a loaded machine (one still in
    // the kernel's accept queue at shutdown is reset), short of the argon2 work they wait on.
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await Promise.all(requests)).toEqual(Array(8).fill(201));
    expect(await exited).toBe(0);
    expect(state.out).toContain('shutting down');
    const database = await openDatabase({ dataDir });
    try {
      const left = await sql<{
        n: string;
      }>`select count(*) as n from outbox`.execute(database.db);
      expect(Number(left.rows[0]!.n)).toBe(0);
      const audited = await sql<{
        n: string;
      }>`select count(*) as n from audit_log where action = 'user.registered'`.execute(database.db);
      expect(Number(audited.rows[0]!.n)).toBeGreaterThanOrEqual(8);
    } finally {
      await database.close();
    }
  });

  it('refuses a second process on the same embedded database', async () => {
    const { child: first } = await serve(20000);
    try {
      const second = await run(['migrate']);
      expect(second.code).not.toBe(0);
      expect(second.err).toMatch(/in use by process \d+/);
    } finally {
      first.kill('SIGTERM');
      await new Promise((r) => first.on('exit', r));
    }
  });

  it('rotates the vault master key from the command line, keeping every credential readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obscura-rotate-'));
    const config = loadConfig({
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      DEMO_SEED: 'false',
      OBSCURA_ENV_FILE: '/nonexistent',
    });
    let app = await buildApp(config);
    const reg = await app.identity.service.register(
      { email: 'rotate@example.com', password: 'rotation password', displayName: 'R' },
      { ip: '127.0.0.1' },
    );
    const cred = await app.vault.vault.store(
      reg.user.id,
      { exchange: 'kraken', apiKey: 'KRAKENKEY0123456789', secret: 'kraken-secret-value' },
      { ip: '127.0.0.1' },
    );
    const before = (await app.vault.verify()).primaryKid;
    await app.close();

    const r = await run(['keys', 'rotate', '--retire-old'], { DATA_DIR: dir });
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(result).toMatchObject({ mode: 'key_file', retiredKids: [before] });

    app = await buildApp(config);
    try {
      const status = await app.vault.verify();
      expect(status.primaryKid).not.toBe(before);
      expect(status.kids).toEqual([{ kid: status.primaryKid, credentials: 1 }]);
      const plain = await app.vault.vault.decryptForExecution(cred.id, reg.user.id);
      expect(plain.secret).toBe('kraken-secret-value');
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
