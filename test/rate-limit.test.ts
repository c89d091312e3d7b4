import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';

const LIMIT = 5;

describe.each(backends)('rate limits on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, {
      env: { RATE_LIMIT_GENERAL: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: '60' },
    });
  });
  afterAll(async () => t?.close());

  const get = (o: { ip: string; headers?: Record<string, string> }, app = t.app) =>
    app.http.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      remoteAddress: o.ip,
      headers: o.headers ?? {},
    });

  it('limits each IP, answering 429 with Retry-After and RateLimit fields', async () => {
    const statuses = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await get({ ip: '10.0.0.1' })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const res = await get({ ip: '10.0.0.1' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-policy']).toBe(`"general";q=${LIMIT};w=60`);
    expect(res.headers['ratelimit']).toMatch(/^"general";r=0;t=\d+$/);
    // Another IP has its own budget.
    expect((await get({ ip: '10.0.0.2' })).statusCode).toBe(401);
  });

  it('limits each user across IPs, and each API key within its user', async () => {
    // Sign-ups come from distinct IPs so they do not spend the test's IP budgets.
    const s = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: '10.1.0.1',
      payload: {
        email: `rl-${Date.now()}@example.com`,
        password: 'rate limit pw',
        displayName: 'R',
      },
    });
    const auth = { authorization: `Bearer ${s.json().accessToken}` };
    const statuses = [];
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push((await get({ ip: `10.2.0.${i}`, headers: auth })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const other = await signUp(t.app);
    const key = (
      await t.app.http.inject({
        method: 'POST',
        url: '/api/v1/keys',
        remoteAddress: '10.3.0.1',
        headers: other.auth,
        payload: { name: 'k', scopes: ['read'] },
      })
    ).json().key;
    const byKey = [];
    for (let i = 0; i < LIMIT; i++)
      byKey.push((await get({ ip: `10.4.0.${i}`, headers: { 'x-api-key': key } })).statusCode);
    // The key creation above spent one of the user's requests.
    expect(byKey).toEqual([200, 200, 200, 200, 429]);
  });

  if (backend.name === 'postgres+redis') {
    it('shares budgets between processes through Redis', async () => {
      const second = await startTestApp(backend, { db: t.db, env: { ...t.env } });
      try {
        const a = [];
        for (let i = 0; i < 3; i++) a.push((await get({ ip: '10.9.9.9' })).statusCode);
        for (let i = 0; i < 3; i++) a.push((await get({ ip: '10.9.9.9' }, second.app)).statusCode);
        expect(a).toEqual([401, 401, 401, 401, 401, 429]);
      } finally {
        await second.close();
      }
    });
  }
});
