import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

describe.each(backends)('observability on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, { env: { LOG_LEVEL: 'debug' } });
  });
  afterAll(async () => t?.close());

  it('answers liveness and readiness', async () => {
    const health = await t.app.http.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ status: 'ok', role: 'all' });
    const ready = await t.app.http.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual([
      { name: 'database', ok: true },
      { name: 'bus', ok: true },
      { name: 'feed', ok: true },
    ]);
  });

  it('exposes Prometheus metrics: latency by route, outbox lag, consumer lag, dead letters, process', async () => {
    await signUp(t.app);
    await t.app.http.inject({ method: 'GET', url: '/api/v1/auth/me' });
    // Consumers run asynchronously; wait until the audit consumer has handled the sign-up.
    const text = await waitFor(async () => {
      const res = await t.app.http.inject({ method: 'GET', url: '/metrics' });
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      return (
        /obscura_events_handled_total\{[^}]*consumer="identity\.audit-log"/.test(res.body) &&
        res.body
      );
    });
    expect(text).toMatch(
      /obscura_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/auth\/register"/,
    );
    expect(text).toMatch(
      /obscura_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/auth\/me"[^}]*status="401"/,
    );
    expect(text).toMatch(/^obscura_outbox_lag_seconds \d/m);
    expect(text).toMatch(/^obscura_outbox_pending \d/m);
    expect(text).toMatch(/^obscura_dead_letters \d/m);
    expect(text).toMatch(/obscura_consumer_lag\{consumer="identity\.audit-log"/);
    expect(text).toMatch(/^obscura_process_resident_memory_bytes \d/m);
    expect(text).toMatch(/obscura_events_handled_total\{[^}]*consumer="identity\.audit-log"/);
  });

  it('serves an OpenAPI 3.1 document with every API route and an interactive page', async () => {
    const doc = (await t.app.http.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/keys',
      '/api/v1/keys/{key_id}',
      '/api/v1/credentials',
      '/api/v1/admin/users',
      '/api/v1/admin/dead-letters',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const page = await t.app.http.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(page.statusCode);
  });

  it('sets security headers, request ids and no CORS grant by default', async () => {
    const res = await t.app.http.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://evil.example', 'x-request-id': 'trace-123' },
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeTruthy();
    expect(res.headers['content-security-policy']).toBeTruthy();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['x-request-id']).toBe('trace-123');
    const spoofed = await t.app.http.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'bad id\nwith newline' },
    });
    expect(spoofed.headers['x-request-id']).not.toContain('\n');
  });

  it('never writes passwords, tokens, API keys or credential secrets to the logs', async () => {
    const password = 'Planted-Password-93e1f0';
    const s = await signUp(t.app, { password });
    const inject = t.app.http.inject.bind(t.app.http);
    await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: s.email, password: 'Planted-Wrong-Password-7c2' },
    });
    const login = (
      await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password },
      })
    ).json();
    const refreshed = (
      await inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: login.refreshToken },
      })
    ).json();
    const key = (
      await inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: s.auth,
        payload: { name: 'k', scopes: ['read', 'trade'] },
      })
    ).json().key as string;
    await inject({
      method: 'GET',
      url: '/api/v1/auth/me?token=' + login.accessToken,
      headers: { 'x-api-key': key },
    });
    await inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${login.accessToken}x` },
    });
    const cred = {
      exchange: 'binance',
      apiKey: 'PLANTEDAPIKEY0123456789abcd',
      secret: 'PLANTED-SECRET-5b1d9e',
      passphrase: 'PLANTED-PASSPHRASE-77',
    };
    const stored = await inject({
      method: 'POST',
      url: '/api/v1/credentials',
      headers: { 'x-api-key': key },
      payload: cred,
    });
    expect(stored.statusCode).toBe(201);
    expect(stored.body).not.toContain(cred.secret);
    await inject({
      method: 'POST',
      url: '/api/v1/credentials',
      headers: s.auth,
      payload: { ...cred, bogus: cred.secret },
    });
    await t.app.vault.vault.decryptForExecution(stored.json().id, s.userId);
    await waitFor(() => t.logs.lines.length > 10);
    const logs = t.logs.text;
    for (const secret of [
      password,
      'Planted-Wrong-Password-7c2',
      login.accessToken,
      login.refreshToken,
      refreshed.refreshToken,
      refreshed.accessToken,
      key,
      key.slice(21),
      cred.apiKey,
      cred.secret,
      cred.passphrase,
    ]) {
      expect(logs.includes(secret), `log contains ${secret.slice(0, 12)}…`).toBe(false);
    }
    expect(logs).toContain('"msg":"request"');
  });
});
