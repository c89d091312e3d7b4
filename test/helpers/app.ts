import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Clock } from '../../src/core/clock.js';
import { buildApp, type App } from '../../src/apps/app.js';
import { loadConfig } from '../../src/apps/config.js';
import type { BusEvent } from '../../src/platform/bus/index.js';
import type { Role } from '../../src/platform/module.js';
import { waitFor } from './wait.js';
import { freshDatabase, uniqueRedisPrefix, type Backend, type FreshDatabase } from './backends.js';

/** Collects every log line an app writes, so tests can search them for secrets. */
export class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text() {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: App;
  logs: LogCapture;
  db: FreshDatabase;
  env: Record<string, string>;
  /**
   * Every event this app's relay published, in order: the outbox keeps a row only until its
   * event is out, so this is where a test looks for what was announced.
   */
  events: BusEvent[];
  /** The events published so far that match every given field. */
  published(match: { topic?: string; type?: string; key?: string }): BusEvent[];
  /**
   * Waits until the outbox is empty, so every event written so far has been published, and
   * returns how many were: compared before and after a request, it tells whether the request
   * announced anything.
   */
  settled(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A whole platform on a fresh database (and a private Redis prefix), configured through the
 * same environment variables an operator sets.
 */
export async function startTestApp(
  backend: Backend,
  opts: { env?: Record<string, string>; clock?: Clock; role?: Role; db?: FreshDatabase } = {},
): Promise<TestApp> {
  const db = opts.db ?? (await freshDatabase(backend));
  const env: Record<string, string> = {
    LOG_LEVEL: 'info',
    DATA_DIR: 'memory://',
    DEMO_SEED: 'false',
    BUS_RETRY_BASE_MS: '5',
    OUTBOX_POLL_MS: '20',
    RATE_LIMIT_GENERAL: '100000',
    RATE_LIMIT_EXECUTION: '100000',
    AUTH_CACHE_MS: '0',
    // Suites drive prices themselves; a suite about the live market sets its own source.
    MARKET_SOURCE: 'none',
    // A suite running the synthetic market asks for history when it is about history.
    MARKET_BACKFILL: '0',
    // Suites serve whatever web/dist holds and never build it; test/ui.test.ts builds it once.
    WEB_UI: 'prebuilt',
    ...(db.url
      ? {
          DATABASE_URL: db.url,
          REDIS_URL: backend.redisUrl!,
          REDIS_PREFIX: uniqueRedisPrefix(),
          JWT_SECRET: randomBytes(32).toString('hex'),
          VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
        }
      : {}),
    ...opts.env,
  };
  const logs = new LogCapture();
  const config = loadConfig({ ...env, OBSCURA_ENV_FILE: '/nonexistent' });
  const app = await buildApp(config, {
    role: opts.role ?? 'all',
    logDestination: logs,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const events: BusEvent[] = [];
  const publish = app.bus.publish.bind(app.bus);
  app.bus.publish = (batch) => {
    events.push(...batch);
    return publish(batch);
  };
  await app.start();
  return {
    app,
    logs,
    db,
    env,
    events,
    published: (m) =>
      events.filter(
        (e) =>
          (m.topic === undefined || e.topic === m.topic) &&
          (m.type === undefined || e.type === m.type) &&
          (m.key === undefined || e.key === m.key),
      ),
    async settled() {
      await waitFor(
        async () =>
          (await app.database.db.selectFrom('outbox').select('id').limit(1).execute()).length === 0,
        10_000,
      );
      return events.length;
    },
    async close() {
      await app.close();
      if (!opts.db) await db.drop();
    },
  };
}

export interface Session {
  userId: string;
  accessToken: string;
  refreshToken: string;
  auth: { authorization: string };
}

let seq = 0;
export async function signUp(
  app: App,
  o: { email?: string; password?: string; role?: 'trader' | 'follower' } = {},
): Promise<Session & { email: string; password: string }> {
  const email = o.email ?? `user${++seq}-${randomBytes(3).toString('hex')}@example.com`;
  const password = o.password ?? `pw-${randomBytes(8).toString('hex')}`;
  const res = await app.http.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password, displayName: 'Test User', ...(o.role ? { role: o.role } : {}) },
  });
  if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`);
  const b = res.json();
  return {
    email,
    password,
    userId: b.user.id,
    accessToken: b.accessToken,
    refreshToken: b.refreshToken,
    auth: { authorization: `Bearer ${b.accessToken}` },
  };
}

/** Makes an administrator the way an operator does (create-admin), then logs in. */
export async function adminSession(app: App): Promise<Session> {
  const email = `admin-${randomBytes(3).toString('hex')}@example.com`;
  const password = `admin-pw-${randomBytes(8).toString('hex')}`;
  await app.identity.service.ensureAdmin({ email, password });
  const res = await app.http.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
  });
  if (res.statusCode !== 200) throw new Error(`admin login failed: ${res.body}`);
  const b = res.json();
  return {
    userId: b.user.id,
    accessToken: b.accessToken,
    refreshToken: b.refreshToken,
    auth: { authorization: `Bearer ${b.accessToken}` },
  };
}
