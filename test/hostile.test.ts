/** Regressions found by attacking a running instance: each once answered wrongly. */
import { connect, type Socket } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/apps/config.js';
import { adminSession, signUp, startTestApp, type TestApp } from './helpers/app.js';
import { backends } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';

describe.each(backends)('hostile input on $name', (backend) => {
  let t: TestApp;
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  beforeAll(async () => {
    t = await startTestApp(backend, {
      env: { CORS_ORIGINS: 'https://app.example.com', LOGIN_MAX_FAILURES: '5' },
    });
  });
  afterAll(async () => t?.close());

  it('does not let an API key mint or revoke keys', async () => {
    const s = await signUp(t.app);
    const key = (
      await inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: s.auth,
        payload: { name: 'ro', scopes: ['read'] },
      })
    ).json();
    const victim = (
      await inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: s.auth,
        payload: { name: 'v', scopes: ['read'] },
      })
    ).json();
    const mint = await inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: { 'x-api-key': key.key },
      payload: { name: 'forever', scopes: ['read'] },
    });
    expect(mint.statusCode).toBe(403);
    expect(mint.json().code).toBe('session_required');
    expect(
      (
        await inject({
          method: 'DELETE',
          url: `/api/v1/keys/${victim.id}`,
          headers: { 'x-api-key': key.key },
        })
      ).json().code,
    ).toBe('session_required');
    expect(
      (await inject({ method: 'GET', url: '/api/v1/keys', headers: s.auth })).json(),
    ).toHaveLength(2);
  });

  it.each([
    [
      'a NUL in a body field',
      {
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: 'nul@example.com', password: 'long password!', displayName: 'x\u0000y' },
      },
      '/displayName',
    ],
    [
      'a lone surrogate in a body field',
      {
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: '{"email":"s@example.com","password":"long password!","displayName":"a\\ud800"}',
        headers: { 'content-type': 'application/json' },
      },
      '/displayName',
    ],
    ['a NUL in the query', { method: 'GET', url: '/api/v1/audit?action=a%00b' }, 'query:/action'],
  ] as const)('refuses %s with 400 naming the field, never 500', async (_n, req, field) => {
    const s = await signUp(t.app);
    const res = await inject({
      ...(req as InjectOptions),
      headers: { ...s.auth, ...('headers' in req ? req.headers : {}) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_characters', errors: [{ field }] });
  });

  it('treats an id in upper case as the same id', async () => {
    const admin = await adminSession(t.app);
    const res = await inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${admin.userId.toUpperCase()}`,
      headers: admin.auth,
      payload: { disabled: true },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('cannot_modify_self');
  });

  it('revokes a key once however often it is asked, with one audit record', async () => {
    const s = await signUp(t.app);
    const key = (
      await inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: s.auth,
        payload: { name: 'k', scopes: ['read'] },
      })
    ).json();
    const codes = await Promise.all(
      Array.from({ length: 5 }, () =>
        inject({ method: 'DELETE', url: `/api/v1/keys/${key.id}`, headers: s.auth }).then(
          (r) => r.statusCode,
        ),
      ),
    );
    expect(codes).toEqual([204, 204, 204, 204, 204]);
    const audit = await waitFor(async () => {
      const r = (
        await inject({
          method: 'GET',
          url: '/api/v1/audit?action=api_key.revoked',
          headers: s.auth,
        })
      ).json() as unknown[];
      return r.length > 0 && r;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(
      (
        await inject({
          method: 'GET',
          url: '/api/v1/audit?action=api_key.revoked',
          headers: s.auth,
        })
      ).json(),
    ).toHaveLength(audit.length);
    expect(audit).toHaveLength(1);
  });

  it('caps parallel password guesses at the limit and says how long the lockout lasts', async () => {
    const s = await signUp(t.app);
    const codes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '10.77.0.1',
          payload: { email: s.email, password: `wrong guess ${i}` },
        }).then((r) => r),
      ),
    );
    expect(codes.filter((r) => r.statusCode === 401)).toHaveLength(5);
    const locked = codes.find((r) => r.statusCode === 429)!;
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(60);
  });

  it('answers 401 with WWW-Authenticate, long ids with 400 problem+json, and bad dead-letter ids with 400', async () => {
    const unauth = await inject({ method: 'GET', url: '/api/v1/auth/me' });
    expect(unauth.headers['www-authenticate']).toMatch(/^Bearer/);
    const s = await signUp(t.app);
    const long = await inject({
      method: 'DELETE',
      url: `/api/v1/keys/${'a'.repeat(120)}`,
      headers: s.auth,
    });
    expect(long.statusCode).toBe(400);
    expect(long.headers['content-type']).toMatch(/problem\+json/);
    const admin = await adminSession(t.app);
    const dl = await inject({
      method: 'POST',
      url: '/api/v1/admin/dead-letters/99999999999999999999-0/replay',
      headers: admin.auth,
    });
    expect(dl.statusCode).toBe(400);
  });

  it('rate-limits a percent-encoded path like the plain one', async () => {
    const second = await startTestApp(backend, {
      db: t.db,
      env: { ...t.env, RATE_LIMIT_GENERAL: '3' },
    });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push(
          (
            await second.app.http.inject({
              method: 'GET',
              url: '/api/v1/auth/me',
              remoteAddress: '10.88.0.1',
            })
          ).statusCode,
        );
      const encoded = await second.app.http.inject({
        method: 'POST',
        url: '/%61pi/v1/auth/login',
        remoteAddress: '10.88.0.1',
        payload: { email: 'x@example.com', password: 'whatever' },
      });
      expect(codes).toEqual([401, 401, 401]);
      expect(encoded.statusCode).toBe(429);
    } finally {
      await second.close();
    }
  });

  it('shuts down within its time though clients hold connections without finishing a request', async () => {
    const second = await startTestApp(backend, { env: { SHUTDOWN_TIMEOUT_MS: '2000' } });
    const base = new URL(await second.app.http.listen({ port: 0, host: '127.0.0.1' }));
    const open = (first: string) =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(Number(base.port), base.hostname, () => {
          if (first) s.write(first);
          resolve(s);
        });
        s.on('error', reject);
      });
    // A pre-connection that never sends, and a request stalled in its headers.
    const silent = await open('');
    const stalled = await open('GET /health HTTP/1.1\r\nHost: x\r\n');
    const ended = Promise.all(
      [silent, stalled].map((s) => new Promise<void>((r) => s.on('close', () => r()))),
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await second.close();
    const took = Date.now() - started;
    await ended;
    // Half the shutdown time for HTTP, not the minute of the headers timeout.
    expect(took).toBeLessThan(5000);
  });

  it('lets a configured browser origin use every method the API has', async () => {
    const res = await inject({
      method: 'OPTIONS',
      url: '/api/v1/keys/x',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-methods']).toMatch(/DELETE/);
    expect(res.headers['access-control-allow-methods']).toMatch(/PATCH/);
  });
});

describe('configuration errors', () => {
  it('names every bad variable at once, secrets included', () => {
    expect(() =>
      loadConfig({
        DATA_DIR: 'memory://',
        OBSCURA_ENV_FILE: '/x',
        PORT: 'x',
        JWT_SECRET: 'short',
        VAULT_MASTER_KEY: 'zz',
      }),
    ).toThrow(/PORT[\s\S]*JWT_SECRET[\s\S]*VAULT_MASTER_KEY/);
  });
});
