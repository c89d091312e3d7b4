/**
 * Kills a worker process with SIGKILL in the middle of a stream of events, starts another, and
 * shows that every event's effect was applied exactly once. Needs PostgreSQL and Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../src/core/topics.js';
import { auditEvent } from '../src/modules/identity/index.js';
import type { NewEvent } from '../src/platform/bus/index.js';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';
import { exited as killed, startWorker } from './helpers/worker.js';

const distributed = backends.find((b) => b.name === 'postgres+redis');
const USERS = 20;
const LOGINS = 3000;
const AUDITS = 600;

describe.skipIf(!distributed)('a worker killed mid-stream (PostgreSQL + Redis)', () => {
  let t: TestApp;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    // This process is the API side: it writes events to the outbox and relays them to Redis.
    t = await startTestApp(distributed!, { role: 'api', env: { BUS_CLAIM_IDLE_MS: '1000' } });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await t?.close();
  });

  it('applies every event exactly once after SIGKILL and restart', async () => {
    const db = t.app.database.db;
    const users = [];
    for (let i = 0; i < USERS; i++) users.push(await signUp(t.app));
    const workerEnv = { ...t.env, BUS_CLAIM_IDLE_MS: '1000' };

    worker = await startWorker(workerEnv);
    // Sign-ups already produced one login each; count from the stream below only.
    const baseline = await waitFor(async () => {
      const r = await sql<{
        n: string;
      }>`select coalesce(sum(login_count), 0) as n from users`.execute(db);
      return Number(r.rows[0]!.n) === USERS && USERS;
    }, 20_000);

    const expected = new Map(users.map((u) => [u.userId, 0]));
    const auditTag = randomBytes(4).toString('hex');
    for (let batch = 0; batch < LOGINS / 100; batch++) {
      const events: NewEvent[] = [];
      for (let i = 0; i < 100; i++) {
        const u = users[(batch * 100 + i) % USERS]!;
        expected.set(u.userId, expected.get(u.userId)! + 1);
        events.push({
          topic: topics.identitySessions,
          type: 'UserLoggedIn',
          key: u.userId,
          payload: { userId: u.userId, sessionId: crypto.randomUUID() },
        });
        if (i % 5 === 0)
          events.push(
            auditEvent({ action: 'login.succeeded', userId: u.userId, details: { tag: auditTag } }),
          );
      }
      await t.app.outbox.transaction((_tx, emit) => emit(...events));
    }

    const applied = async () =>
      Number(
        (await sql<{ n: string }>`select coalesce(sum(login_count), 0) as n from users`.execute(db))
          .rows[0]!.n,
      ) - baseline;
    await waitFor(async () => (await applied()) >= LOGINS * 0.2, 30_000, {
      message: 'worker made no progress',
    });
    worker.kill('SIGKILL');
    await killed(worker);
    const atKill = await applied();
    expect(atKill).toBeLessThan(LOGINS);

    worker = await startWorker(workerEnv);
    await waitFor(async () => (await applied()) === LOGINS, 60_000, {
      intervalMs: 100,
      message: `not every event was applied (at kill: ${atKill})`,
    });

    const rows = await db
      .selectFrom('users')
      .select(['id', 'login_count'])
      .where(
        'id',
        'in',
        users.map((u) => u.userId),
      )
      .execute();
    for (const r of rows as Array<{ id: string; login_count: string }>)
      expect(Number(r.login_count)).toBe(expected.get(r.id)! + 1);
    const audits = await sql<{
      n: string;
    }>`select count(*) as n from audit_log where details->>'tag' = ${auditTag}`.execute(db);
    await waitFor(
      async () =>
        Number(
          (
            await sql<{
              n: string;
            }>`select count(*) as n from audit_log where details->>'tag' = ${auditTag}`.execute(db)
          ).rows[0]!.n,
        ) === AUDITS,
      30_000,
    );
    expect(Number(audits.rows[0]!.n)).toBeLessThanOrEqual(AUDITS);
    const inbox = await sql<{
      n: string;
    }>`select count(*) as n from processed_events where consumer = 'identity.login-stats'`.execute(
      db,
    );
    expect(Number(inbox.rows[0]!.n)).toBe(LOGINS + USERS);
    // Still exactly once a little later: nothing was applied twice by a late redelivery.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await applied()).toBe(LOGINS);
  }, 120_000);
});
