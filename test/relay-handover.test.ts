import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { Decimal } from '../src/core/decimal.js';
import {
  createBus,
  Outbox,
  OutboxRelay,
  type BusEvent,
  type EventHandler,
} from '../src/platform/bus/index.js';
import type { Database } from '../src/platform/db/index.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { Metrics } from '../src/platform/metrics/metrics.js';
import { backends, freshDatabase, type Backend } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';

const logger = createLogger({ level: 'silent' });
const TOPIC = 'test.handover';
/** Far beyond any wait below: whatever arrives did not come from the periodic poll. */
const NEVER_MS = 600_000;

/**
 * The relay's hand-over, in the embedded bus's pipelined mode, on each database: events of a
 * commit leave from memory at once, in order with what polling finds, exactly once.
 */
describe.each(backends)('outbox hand-over on $name', (backend: Backend) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function node(
    o: { maxInFlight?: number; batchSize?: number; maxAttempts?: number; database?: Database } = {},
  ) {
    const database = o.database ?? (await fresh());
    const metrics = new Metrics({ defaultMetrics: false });
    // The in-process bus on both databases: the hand-over belongs to the pipelined mode.
    const bus = await createBus({
      redisPrefix: 'unused',
      database,
      logger,
      metrics,
      maxAttempts: o.maxAttempts ?? 3,
      retryBaseMs: 5,
      claimIdleMs: 30_000,
    });
    const outbox = new Outbox(database.db, systemClock);
    const relay = new OutboxRelay({
      database,
      bus,
      outbox,
      logger,
      metrics,
      pollMs: NEVER_MS,
      batchSize: o.batchSize ?? 100,
      ...(o.maxInFlight ? { maxInFlight: o.maxInFlight } : {}),
    });
    cleanups.push(async () => {
      await relay.stop();
      await bus.close();
    });
    const emit = (...ns: number[]) =>
      outbox.transaction((_tx, e) =>
        e(...ns.map((n) => ({ topic: TOPIC, type: 'ThingHappened', key: 'k', payload: { n } }))),
      );
    return { database, bus, outbox, relay, metrics, emit };
  }

  async function fresh() {
    const f = await freshDatabase(backend);
    cleanups.push(() => f.drop());
    return f.database;
  }

  const unpublished = async (database: Database) =>
    (await database.db.selectFrom('outbox').select('id').execute()).length;

  it('publishes a commit the moment it commits, as the row reads back, and deletes it', async () => {
    const n = await node();
    const seen: BusEvent[] = [];
    const rows: unknown[] = [];
    await n.bus.subscribe({
      name: 'c1',
      topics: [TOPIC],
      // The row is deleted only once every subscriber has handled its event: read it here.
      handle: async (e, tx) => {
        rows.push(
          await tx
            .selectFrom('outbox')
            .select(['event_id', 'payload'])
            .where('event_id', '=', e.eventId)
            .executeTakeFirstOrThrow(),
        );
        seen.push(e);
      },
    });
    n.relay.start();
    await n.relay.flush(5000); // caught up with the (empty) table: hand-over from here on
    await n.outbox.transaction((_tx, emit) =>
      emit({
        topic: TOPIC,
        type: 'PriceSet',
        key: 'k',
        payload: { price: Decimal.parse('65000.50'), at: 7 },
        tsEvent: 1_000,
      }),
    );
    await waitFor(() => seen.length === 1, 2000);
    // Exactly what a consumer reading the row back would get: decimals as text.
    expect(seen[0]!.payload).toEqual({ price: '65000.5', at: 7 });
    expect(seen[0]!).toMatchObject({ topic: TOPIC, type: 'PriceSet', key: 'k', tsEvent: 1_000 });
    expect(rows).toEqual([{ event_id: seen[0]!.eventId, payload: seen[0]!.payload }]);
    await waitFor(async () => (await unpublished(n.database)) === 0, 2000);
  });

  it("hands over a single statement's events once it ran, and none of one that failed", async () => {
    const n = await node();
    const seen: number[] = [];
    await n.bus.subscribe({
      name: 'c1',
      topics: [TOPIC],
      handle: async (e) => void seen.push((e.payload as { n: number }).n),
    });
    n.relay.start();
    await n.relay.flush(5000);
    const thing = (k: number) => ({
      topic: TOPIC,
      type: 'ThingHappened',
      key: 'k',
      payload: { n: k },
    });
    // The statement's own result comes back; its events leave from memory, with no poll due.
    const r = await n.outbox.single((db, stage) =>
      sql<{ x: number }>`with e as (${stage([thing(1), thing(2)])}) select 7 as x`.execute(db),
    );
    expect(r.rows).toEqual([{ x: 7 }]);
    await waitFor(() => seen.length === 2, 2000);
    // A statement that fails after staging writes nothing and hands nothing over.
    await expect(
      n.outbox.single((db, stage) =>
        sql`with e as (${stage([thing(3)])})
          select 1 / (select count(*)::int from outbox where false)`.execute(db),
      ),
    ).rejects.toThrow(/division by zero/);
    await n.outbox.single((db, stage) =>
      sql`with e as (${stage([thing(4)])}) select 1`.execute(db),
    );
    expect(await n.relay.flush(5000)).toBe(true);
    expect(seen).toEqual([1, 2, 4]);
    expect(await unpublished(n.database)).toBe(0);
  });

  it('publishes what an earlier run left before anything committed after the start', async () => {
    const database = await fresh();
    const first = await node({ database });
    await first.emit(1, 2, 3); // no relay running: left in the table
    const order: number[] = [];
    const second = await node({ database });
    await second.bus.subscribe({
      name: 'c1',
      topics: [TOPIC],
      handle: async (e) => void order.push((e.payload as { n: number }).n),
    });
    second.relay.start();
    await second.emit(4, 5);
    await second.emit(6);
    await waitFor(() => order.length === 6, 5000);
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await second.relay.flush(5000)).toBe(true);
  });

  it('falls back to polling past maxInFlight and delivers every commit once, in order', async () => {
    const n = await node({ batchSize: 4, maxInFlight: 4, maxAttempts: 1000 });
    let blocked = true;
    let refused = 0;
    const order: number[] = [];
    // Refused (and retried after a backoff, holding no transaction) until unblocked: the first
    // commit fills the relay's window and the later ones have to wait in the table.
    const handle: EventHandler = async (e) => {
      if (blocked) {
        refused++;
        throw new Error('not yet');
      }
      order.push((e.payload as { n: number }).n);
    };
    await n.bus.subscribe({ name: 'slow', topics: [TOPIC], handle });
    n.relay.start();
    await n.relay.flush(5000);
    for (let i = 0; i < 5; i++) await n.emit(i * 3 + 1, i * 3 + 2, i * 3 + 3);
    await waitFor(() => refused > 0);
    blocked = false;
    await waitFor(() => order.length === 15, 10_000);
    expect(order).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(await n.relay.flush(5000)).toBe(true);
    expect(await unpublished(n.database)).toBe(0);
  });

  it('finds at once what a consumer appended in its own transaction, with no poll due', async () => {
    const n = await node();
    const followUps: number[] = [];
    await n.bus.subscribe({
      name: 'chain',
      topics: [TOPIC],
      handle: async (e, tx) => {
        const { n: value } = e.payload as { n: number };
        await n.outbox.append(tx, [
          { topic: 'test.followups', type: 'FollowedUp', payload: { n: value } },
        ]);
      },
    });
    await n.bus.subscribe({
      name: 'after',
      topics: ['test.followups'],
      handle: async (e) => void followUps.push((e.payload as { n: number }).n),
    });
    n.relay.start();
    await n.relay.flush(5000);
    await n.emit(42);
    await waitFor(() => followUps.length === 1, 3000);
    expect(followUps).toEqual([42]);
  });
});
