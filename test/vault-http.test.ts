import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSession, signUp, startTestApp, type Session, type TestApp } from './helpers/app.js';
import { backends } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';

const problem = (res: {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): unknown;
}) => {
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return res.json() as {
    status: number;
    code: string;
    detail: string;
    errors?: Array<{ field: string; message: string }>;
  };
};

const credential = (label?: string) => ({
  exchange: 'kraken',
  ...(label ? { label } : {}),
  apiKey: `kraken-api-key-${randomBytes(12).toString('hex')}`,
  secret: `kraken-secret-${randomBytes(24).toString('base64url')}`,
});

describe.each(backends)('credentials over HTTP on $name', (backend) => {
  let t: TestApp;
  let alice: Session;
  let bob: Session;
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  const secrets: string[] = [];

  beforeAll(async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'obscura-vault-http-')), 'vault-keys.json');
    // An empty VAULT_MASTER_KEY leaves the key file in charge on every backend.
    t = await startTestApp(backend, { env: { VAULT_MASTER_KEY: '', VAULT_KEY_FILE: keyFile } });
    alice = await signUp(t.app);
    bob = await signUp(t.app);
  });
  afterAll(async () => {
    // Whatever happened, no secret may have reached a log line.
    for (const s of secrets) expect(t.logs.text).not.toContain(s);
    await t?.close();
  });

  const store = async (s: Session, body: Record<string, unknown>) => {
    for (const k of ['apiKey', 'secret', 'passphrase'])
      if (typeof body[k] === 'string') secrets.push(body[k] as string);
    return inject({ method: 'POST', url: '/api/v1/credentials', headers: s.auth, payload: body });
  };

  it('stores a credential and answers with its public view only', async () => {
    const c = credential('main');
    const res = await store(alice, c);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'exchange', 'id', 'keyLast4', 'label']);
    expect(body).toMatchObject({ exchange: 'kraken', label: 'main', keyLast4: c.apiKey.slice(-4) });
    expect(res.body).not.toContain(c.secret);
    expect(res.body).not.toContain(c.apiKey);

    const list = await inject({ method: 'GET', url: '/api/v1/credentials', headers: alice.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([body]);
    expect(list.body).not.toContain(c.secret);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/credentials', headers: bob.auth })).json(),
    ).toEqual([]);

    const plain = await t.app.vault.vault.decryptForExecution(body.id, alice.userId);
    expect(plain.secret).toBe(c.secret);
  });

  it.each([
    ['an unsupported exchange', { ...credential(), exchange: 'mtgox' }, '/exchange'],
    ['an unknown field', { ...credential(), apiSecret: 'x' }, '/apiSecret'],
    ['a missing secret', { exchange: 'kraken', apiKey: 'some-api-key-value' }, '/secret'],
    ['a number as key', { ...credential(), apiKey: 12345 }, '/apiKey'],
    ['a secret with a line break', { ...credential(), secret: 'line\nbreak-secret' }, '/secret'],
    ['okx without its passphrase', { ...credential(), exchange: 'okx' }, '/passphrase'],
    ['an empty label', { ...credential(), label: '' }, '/label'],
  ])('refuses %s with 400 naming the field', async (_name, body, field) => {
    const before = (await t.app.vault.vault.list(alice.userId)).length;
    const res = await store(alice, body);
    expect(res.statusCode).toBe(400);
    const p = problem(res);
    expect(p.errors?.map((e) => e.field)).toContain(field);
    const sent = body as Record<string, unknown>;
    for (const v of [sent.secret, sent.apiKey])
      if (typeof v === 'string') expect(res.body).not.toContain(v);
    expect((await t.app.vault.vault.list(alice.userId)).length).toBe(before);
  });

  it('refuses a duplicate exchange and label with 409', async () => {
    expect((await store(alice, credential('dup'))).statusCode).toBe(201);
    const res = await store(alice, credential('dup'));
    expect(res.statusCode).toBe(409);
    expect(problem(res).code).toBe('credential_exists');
  });

  it("deletes one's own credential, and treats another user's as missing", async () => {
    const id = (await store(alice, credential('to-delete'))).json().id as string;
    const url = `/api/v1/credentials/${id}`;
    const foreign = await inject({ method: 'DELETE', url, headers: bob.auth });
    expect(foreign.statusCode).toBe(404);
    expect(problem(foreign).code).toBe('not_found');
    expect((await inject({ method: 'DELETE', url, headers: alice.auth })).statusCode).toBe(204);
    expect((await inject({ method: 'DELETE', url, headers: alice.auth })).statusCode).toBe(404);
    expect(
      (await inject({ method: 'DELETE', url: '/api/v1/credentials/nope', headers: alice.auth }))
        .statusCode,
    ).toBe(400);

    const audit = await waitFor(async () => {
      const r = (
        await inject({ method: 'GET', url: '/api/v1/audit', headers: alice.auth })
      ).json() as Array<{ action: string; details: Record<string, unknown> }>;
      return r.some((a) => a.action === 'credential.deleted' && a.details.credentialId === id) && r;
    });
    expect(
      audit.some((a) => a.action === 'credential.stored' && a.details.credentialId === id),
    ).toBe(true);
    for (const s of secrets) expect(JSON.stringify(audit)).not.toContain(s);
  });

  it('needs authentication, the trade scope to store and the read scope to list', async () => {
    expect((await inject({ method: 'GET', url: '/api/v1/credentials' })).statusCode).toBe(401);
    expect(
      (await inject({ method: 'POST', url: '/api/v1/credentials', payload: credential() }))
        .statusCode,
    ).toBe(401);
    const made = await inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: alice.auth,
      payload: { name: 'ro', scopes: ['read'] },
    });
    expect(made.statusCode).toBe(201);
    const readOnly = { 'x-api-key': made.json().key as string };
    expect(
      (await inject({ method: 'GET', url: '/api/v1/credentials', headers: readOnly })).statusCode,
    ).toBe(200);
    const denied = await inject({
      method: 'POST',
      url: '/api/v1/credentials',
      headers: readOnly,
      payload: credential('ro'),
    });
    expect(denied.statusCode).toBe(403);
  });

  it('documents responses without secret fields', async () => {
    const doc = (await inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const post = doc.paths['/api/v1/credentials']?.post;
    expect(post).toBeDefined();
    const responses = JSON.stringify(post!.responses);
    expect(responses).toContain('keyLast4');
    for (const f of ['apiKey', 'secret', 'passphrase']) expect(responses).not.toContain(`"${f}"`);
  });

  it('rotates the master key while serving, for administrators only', async () => {
    const c = credential('rotated');
    const id = (await store(alice, c)).json().id as string;
    const denied = await inject({
      method: 'POST',
      url: '/api/v1/admin/vault/rotate',
      headers: alice.auth,
      payload: {},
    });
    expect(denied.statusCode).toBe(403);
    const admin = await adminSession(t.app);
    const res = await inject({
      method: 'POST',
      url: '/api/v1/admin/vault/rotate',
      headers: admin.auth,
      payload: {},
    });
    expect(res.statusCode).toBe(200);
    const result = res.json();
    expect(result).toMatchObject({ mode: 'key_file', failed: [], remaining: 0, retiredKids: [] });
    expect(result.rewrapped).toBeGreaterThanOrEqual(1);
    expect((await t.app.vault.vault.decryptForExecution(id, alice.userId)).secret).toBe(c.secret);
    await expect(t.app.vault.verify()).resolves.toMatchObject({ primaryKid: result.primaryKid });
  });
});
