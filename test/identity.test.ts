import type { InjectOptions } from 'fastify';
import { createSigner } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.js';
import { adminSession, signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

const problem = (res: { headers: Record<string, unknown>; json(): unknown }) => {
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return res.json() as {
    status: number;
    code: string;
    detail: string;
    errors?: Array<{ field: string; message: string }>;
  };
};

describe.each(backends)('identity on $name', (backend) => {
  let t: TestApp;
  const inject = (o: InjectOptions) => t.app.http.inject(o);
  const userCount = async () =>
    Number(
      (
        await t.app.database.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await startTestApp(backend, { env: { LOGIN_MAX_FAILURES: '3' } });
  });
  afterAll(async () => t?.close());

  it('signs up, logs in and answers /me with the user', async () => {
    const s = await signUp(t.app, {
      email: 'Alice@Example.com',
      password: 'correct horse battery',
    });
    const login = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'alice@example.com', password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 3600,
      user: { email: 'alice@example.com', role: 'trader' },
    });
    const me = await inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${login.json().accessToken}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: s.userId, displayName: 'Test User' });
    expect(me.json()).not.toHaveProperty('passwordHash');
    expect(me.headers['x-request-id']).toBeTruthy();
  });

  it('counts each login exactly once through the event consumer', async () => {
    const s = await signUp(t.app);
    for (let i = 0; i < 3; i++) {
      await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password: s.password },
      });
    }
    const me = await waitFor(async () => {
      const r = (await inject({ method: 'GET', url: '/api/v1/auth/me', headers: s.auth })).json();
      return r.loginCount === 4 && r; // sign-up starts a session too
    });
    expect(me.lastLoginAt).toBeTruthy();
  });

  it('refuses a second account with the same email, whatever its case', async () => {
    await signUp(t.app, { email: 'bob@example.com' });
    const before = await userCount();
    const res = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'BOB@example.com', password: 'another password', displayName: 'Bob' },
    });
    expect(res.statusCode).toBe(409);
    expect(problem(res)).toMatchObject({ code: 'email_taken', errors: [{ field: '/email' }] });
    expect(await userCount()).toBe(before);
  });

  describe('bad input gets a precise 4xx and writes nothing', () => {
    const cases: Array<
      [
        string,
        { payload?: unknown; body?: string; headers?: Record<string, string> },
        number,
        string,
        string?,
      ]
    > = [
      [
        'malformed JSON',
        { body: '{"email": "x@y.z", ', headers: { 'content-type': 'application/json' } },
        400,
        'malformed_json',
      ],
      [
        'a number where text belongs',
        { payload: { email: 'n@example.com', password: 12345678, displayName: 'N' } },
        400,
        'validation_failed',
        '/password',
      ],
      [
        'an unknown field',
        {
          payload: {
            email: 'u@example.com',
            password: 'long enough pw',
            displayName: 'U',
            isAdmin: true,
          },
        },
        400,
        'validation_failed',
        '/isAdmin',
      ],
      [
        'a missing field',
        { payload: { email: 'm@example.com', password: 'long enough pw' } },
        400,
        'validation_failed',
        '/displayName',
      ],
      [
        'a self-granted admin role',
        {
          payload: {
            email: 'r@example.com',
            password: 'long enough pw',
            displayName: 'R',
            role: 'admin',
          },
        },
        400,
        'validation_failed',
        '/role',
      ],
      [
        'an invalid email',
        { payload: { email: 'not-an-email', password: 'long enough pw', displayName: 'E' } },
        400,
        'validation_failed',
        '/email',
      ],
      [
        'a short password',
        { payload: { email: 's@example.com', password: 'short', displayName: 'S' } },
        400,
        'validation_failed',
        '/password',
      ],
      [
        'an oversized body',
        {
          payload: {
            email: 'big@example.com',
            password: 'long enough pw',
            displayName: 'x'.repeat(70_000),
          },
        },
        413,
        'body_too_large',
      ],
      [
        'a non-JSON content type',
        { body: 'email=a', headers: { 'content-type': 'text/plain' } },
        415,
        'unsupported_media_type',
      ],
    ];
    it.each(cases)('%s', async (_name, req, status, code, field) => {
      const before = await userCount();
      const res = await inject({ method: 'POST', url: '/api/v1/auth/register', ...req } as never);
      expect(res.statusCode).toBe(status);
      const p = problem(res);
      expect(p.code).toBe(code);
      if (field) expect(p.errors?.map((e) => e.field)).toContain(field);
      expect(await userCount()).toBe(before);
    });
  });

  it('throttles repeated failed logins and says when to retry', async () => {
    const s = await signUp(t.app);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password: 'wrong password!' },
      });
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    const locked = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: s.email, password: s.password },
    });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(problem(locked).code).toBe('too_many_failed_logins');
    const audit = await waitFor(async () => {
      const r = (
        await inject({ method: 'GET', url: '/api/v1/audit', headers: s.auth })
      ).json() as Array<{ action: string }>;
      return r.filter((a) => a.action === 'login.failed').length === 3 && r;
    });
    expect(audit.map((a) => a.action)).toContain('user.registered');
  });

  it('rejects missing, malformed, tampered, alg:none, expired and foreign tokens', async () => {
    const s = await signUp(t.app);
    const get = (authorization?: string) =>
      inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: authorization ? { authorization } : {},
      });
    expect(problem(await get()).code).toBe('authentication_required');
    expect(problem(await get('Token abc')).code).toBe('invalid_token');
    const [h, p, sig] = s.accessToken.split('.');
    const tampered = `${h}.${p}.${sig!.slice(0, -2)}${sig!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(problem(await get(`Bearer ${tampered}`))).toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.`;
    expect(problem(await get(`Bearer ${none}`))).toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
    const forged = createSigner({
      key: 'some-other-secret-that-is-long-enough!!',
      algorithm: 'HS256',
    })({ ...claims });
    expect(problem(await get(`Bearer ${forged}`)).code).toBe('invalid_token');
    const secret = t.app.config.jwtSecret;
    const expired = createSigner({ key: secret, algorithm: 'HS256' })({
      ...claims,
      iat: claims.iat - 7200,
      exp: claims.exp - 7200,
    });
    expect(problem(await get(`Bearer ${expired}`))).toMatchObject({
      status: 401,
      code: 'token_expired',
    });
  });

  it('rotates refresh tokens and ends the session when a spent one is replayed', async () => {
    const s = await signUp(t.app);
    const r1 = await inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: s.refreshToken },
    });
    expect(r1.statusCode).toBe(200);
    const next = r1.json();
    expect(next.refreshToken).not.toBe(s.refreshToken);
    const replay = await inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: s.refreshToken },
    });
    expect(problem(replay)).toMatchObject({ status: 401, code: 'refresh_token_reused' });
    // The whole family is gone: the successor token and the session's access tokens too.
    const successor = await inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: next.refreshToken },
    });
    expect(problem(successor).code).toBe('refresh_token_revoked');
    const me = await inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${next.accessToken}` },
    });
    expect(problem(me).code).toBe('session_revoked');
    const unknown = await inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: 'ort_nope' },
    });
    expect(problem(unknown).code).toBe('invalid_refresh_token');
  });

  it('logs out: the refresh token and the access token stop working', async () => {
    const s = await signUp(t.app);
    const out = await inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      payload: { refreshToken: s.refreshToken },
      headers: s.auth,
    });
    expect(out.statusCode).toBe(204);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: s.refreshToken },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/auth/me', headers: s.auth })).statusCode,
    ).toBe(401);
  });

  it('issues API keys once, stores them hashed, and honours scope, revocation and expiry', async () => {
    const s = await signUp(t.app);
    const created = await inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: s.auth,
      payload: { name: 'bot', scopes: ['read', 'trade'] },
    });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json();
    expect(key).toMatch(/^obs_[0-9a-f]{16}_/);
    const stored = await t.app.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(key.slice(21));
    const list = await inject({ method: 'GET', url: '/api/v1/keys', headers: s.auth });
    expect(list.json()).toHaveLength(1);
    expect(JSON.stringify(list.json())).not.toContain(key);

    const me = await inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { 'x-api-key': key },
    });
    expect(me.statusCode).toBe(200);
    await waitFor(
      async () =>
        (await inject({ method: 'GET', url: '/api/v1/keys', headers: s.auth })).json()[0]
          .lastUsedAt,
    );

    const signalsOnly = (
      await inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: s.auth,
        payload: { name: 'tv', scopes: ['signals'] },
      })
    ).json();
    expect(
      problem(
        await inject({
          method: 'GET',
          url: '/api/v1/auth/me',
          headers: { 'x-api-key': signalsOnly.key },
        }),
      ),
    ).toMatchObject({ status: 403, code: 'insufficient_scope' });
    expect(
      problem(
        await inject({
          method: 'POST',
          url: '/api/v1/keys',
          headers: s.auth,
          payload: { name: 'x', scopes: ['admin'] },
        }),
      ),
    ).toMatchObject({ status: 403, code: 'scope_not_allowed' });
    expect(
      problem(
        await inject({
          method: 'POST',
          url: '/api/v1/keys',
          headers: s.auth,
          payload: { name: 'x', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' },
        }),
      ),
    ).toMatchObject({ status: 400, errors: [{ field: '/expiresAt' }] });
    expect(
      problem(
        await inject({
          method: 'POST',
          url: '/api/v1/keys',
          headers: s.auth,
          payload: { name: 'x', scopes: ['root'] },
        }),
      ).errors?.[0]?.field,
    ).toMatch(/^\/scopes/);

    const other = await signUp(t.app);
    expect(
      (await inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: other.auth }))
        .statusCode,
    ).toBe(404);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-api-key': key } }))
        .statusCode,
    ).toBe(200);

    expect(
      (await inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: s.auth })).statusCode,
    ).toBe(204);
    expect(
      problem(
        await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-api-key': key } }),
      ),
    ).toMatchObject({ status: 401, code: 'api_key_revoked' });
    expect(
      problem(
        await inject({
          method: 'GET',
          url: '/api/v1/auth/me',
          headers: { 'x-api-key': key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') },
        }),
      ).code,
    ).toBe('invalid_api_key');
    expect(
      problem(
        await inject({
          method: 'GET',
          url: '/api/v1/auth/me',
          headers: { 'x-api-key': 'garbage' },
        }),
      ).code,
    ).toBe('invalid_api_key');

    const soon = (
      await inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: s.auth,
        payload: {
          name: 'short',
          scopes: ['read'],
          expiresAt: new Date(Date.now() + 1500).toISOString(),
        },
      })
    ).json();
    await t.app.database.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', soon.id)
      .execute();
    expect(
      problem(
        await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-api-key': soon.key } }),
      ),
    ).toMatchObject({ status: 401, code: 'api_key_expired' });
    expect(
      problem(await inject({ method: 'DELETE', url: '/api/v1/keys/not-a-uuid', headers: s.auth }))
        .status,
    ).toBe(400);
  });

  it('lets an admin list users, change roles and disable accounts, and nobody else', async () => {
    const admin = await adminSession(t.app);
    const user = await signUp(t.app);
    expect(
      problem(await inject({ method: 'GET', url: '/api/v1/admin/users', headers: user.auth })),
    ).toMatchObject({ status: 403, code: 'insufficient_role' });
    const list = await inject({
      method: 'GET',
      url: `/api/v1/admin/users?email=${encodeURIComponent(user.email)}`,
      headers: admin.auth,
    });
    expect(list.json()).toEqual([expect.objectContaining({ id: user.userId, role: 'trader' })]);

    const promoted = await inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${user.userId}`,
      headers: admin.auth,
      payload: { role: 'follower' },
    });
    expect(promoted.json()).toMatchObject({ role: 'follower' });
    expect(
      problem(
        await inject({
          method: 'PATCH',
          url: `/api/v1/admin/users/${user.userId}`,
          headers: admin.auth,
          payload: { role: 'god' },
        }),
      ).errors?.[0]?.field,
    ).toBe('/role');
    expect(
      problem(
        await inject({
          method: 'PATCH',
          url: `/api/v1/admin/users/${admin.userId}`,
          headers: admin.auth,
          payload: { disabled: true },
        }),
      ).code,
    ).toBe('cannot_modify_self');

    const disabled = await inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${user.userId}`,
      headers: admin.auth,
      payload: { disabled: true },
    });
    expect(disabled.json()).toMatchObject({ disabled: true });
    expect(
      (await inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode,
    ).toBe(401);
    expect(
      problem(
        await inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: user.email, password: user.password },
        }),
      ).code,
    ).toBe('account_disabled');

    const audit = await waitFor(async () => {
      const r = (
        await inject({
          method: 'GET',
          url: `/api/v1/admin/audit?userId=${user.userId}`,
          headers: admin.auth,
        })
      ).json() as Array<{ action: string; actorId: string }>;
      return r.some((a) => a.action === 'user.disabled') && r;
    });
    expect(audit.find((a) => a.action === 'user.role_changed')?.actorId).toBe(admin.userId);
  });
});
