import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock, systemClock, type Clock } from '../src/core/clock.js';
import { newId } from '../src/core/ids.js';
import { createBus, Outbox, OutboxRelay, type BusEvent } from '../src/platform/bus/index.js';
import { openDatabase, type Database, type Db, type Tx } from '../src/platform/db/index.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { Metrics } from '../src/platform/metrics/metrics.js';
import { backends, freshDatabase, uniqueRedisPrefix, type Backend } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';

const logger = createLogger({ level: 'silent' });
const TOPIC = 'test.things';

interface NodeOptions {
  maxAttempts?: number;
  retryBaseMs?: number;
  claimIdleMs?: number;
  batchSize?: number;
  pollMs?: number;
  handOverGraceMs?: number;
  /** The relay's first publishes fail, as when Redis is briefly unreachable. */
  failingPublishes?: number;
  /** The outbox's clock (the system's by default). */
  clock?: Clock;
}

describe.each(backends)('event bus on $name', (backend: Backend) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A migrated database with an effects table, and a Redis prefix of its own. */
  async function world() {
    const fresh = await freshDatabase(backend);
    cleanups.push(() => fresh.drop());
    await sql`create table bus_test_effects (consumer text not null, event_id uuid not null, n int not null, seq bigserial)`.execute(
      fresh.database.db,
    );
    const prefix = uniqueRedisPrefix();
    if (backend.redisUrl) cleanups.push(() => deleteKeys(backend.redisUrl as string, prefix));
    return { fresh, db: fresh.database.db, prefix };
  }

  /** A second connection pool to the same database, as another process would hold. */
  async function secondProcessDatabase(url: string | undefined): Promise<Database> {
    const other = await openDatabase({ databaseUrl: url, dataDir: 'memory://', poolSize: 3 });
    cleanups.push(() => other.close());
    return other;
  }

  /** Starts a node's relay and waits until it has caught up with the table. */
  async function caughtUp(n: { relay: OutboxRelay }): Promise<void> {
    n.relay.start();
    await waitFor(async () => (await n.relay.flush(1000)) === true);
  }

  /** Entries in the test topic's Redis stream. */
  async function streamLength(prefix: string): Promise<number> {
    const raw = new Redis(backend.redisUrl as string);
    try {
      return await raw.xlen(`${prefix}:stream:${TOPIC}`);
    } finally {
      raw.disconnect();
    }
  }

  /** One process's worth of bus, outbox and relay. */
  async function node(database: Database, prefix: string, o: NodeOptions = {}) {
    const metrics = new Metrics({ defaultMetrics: false });
    // As the application wires them: consumer transactions go through the relay's outbox.
    const outbox = new Outbox(database.db, o.clock ?? systemClock);
    const bus = await createBus({
      redisUrl: backend.redisUrl,
      redisPrefix: prefix,
      database,
      logger,
      metrics,
      maxAttempts: o.maxAttempts ?? 3,
      retryBaseMs: o.retryBaseMs ?? 5,
      claimIdleMs: o.claimIdleMs ?? 30_000,
      outbox,
    });
    let failing = o.failingPublishes ?? 0;
    const relay = new OutboxRelay({
      database,
      bus: Object.assign(Object.create(bus) as typeof bus, {
        publish: (events: BusEvent[]) =>
          failing-- > 0 ? Promise.reject(new Error('bus unreachable')) : bus.publish(events),
      }),
      outbox,
      logger,
      metrics,
      pollMs: o.pollMs ?? 20,
      batchSize: o.batchSize ?? 100,
      ...(o.handOverGraceMs === undefined ? {} : { handOverGraceMs: o.handOverGraceMs }),
    });
    const stop = async () => {
      await relay.stop();
      await bus.close();
    };
    cleanups.push(stop);
    const emit = (...ns: number[]) =>
      outbox.transaction((_tx, e) =>
        e(...ns.map((n) => ({ topic: TOPIC, type: 'ThingHappened', payload: { n } }))),
      );
    /** Events with keys, in one transaction: `[key, n]` pairs. */
    const emitKeyed = (...pairs: Array<[string, number]>) =>
      outbox.transaction((_tx, e) =>
        e(
          ...pairs.map(([key, n]) => ({
            topic: TOPIC,
            type: 'ThingHappened',
            key,
            payload: { n },
          })),
        ),
      );
    return { bus, outbox, relay, metrics, emit, emitKeyed, stop };
  }

  describe('batch consumers', () => {
    /** A consumer that records its effects, and the size of every batch it was handed. */
    function batching(name: string, o: { poison?: number; failFirstBatch?: boolean } = {}) {
      const batches: number[] = [];
      const singles = new Map<number, number>();
      let failed = false;
      const spec = {
        name,
        topics: [TOPIC],
        handle: async (event: BusEvent, tx: Tx) => {
          const { n } = event.payload as { n: number };
          singles.set(n, (singles.get(n) ?? 0) + 1);
          await record(name)(event, tx);
          if (n === o.poison) throw new Error(`cannot handle ${n}`);
        },
        handleBatch: async (events: readonly BusEvent[], tx: Tx) => {
          batches.push(events.length);
          for (const event of events) await record(name)(event, tx);
          if (o.failFirstBatch && !failed) {
            failed = true;
            throw new Error('the database blinked');
          }
          if (events.some((e) => (e.payload as { n: number }).n === o.poison))
            throw new Error('a poison event in the batch');
        },
      };
      return { spec, batches, singles };
    }

    it('handles events that arrive together in one transaction, each once despite redelivery', async () => {
      const { fresh, db, prefix } = await world();
      const n = await node(fresh.database, prefix);
      // Committed before anyone consumes, so that they arrive together.
      await n.emit(...range(1, 40));
      // Read now: the relay deletes each row once its event is handled.
      const again = (await db
        .selectFrom('outbox')
        .select(['event_id', 'topic', 'type', 'key', 'payload', 'ts_event', 'ts_init'])
        .execute()) as Array<Record<string, unknown>>;
      const c = batching('batched');
      await n.bus.subscribe(c.spec);
      n.relay.start();
      await waitFor(async () => (await effectCount(db, 'batched')) === 40);
      expect(Math.max(...c.batches)).toBeGreaterThan(1);

      // The same events again, as a relay that crashed before deleting them would send them.
      await n.bus.publish(
        again.map((r) => ({
          eventId: r.event_id as string,
          topic: r.topic as string,
          type: r.type as string,
          key: r.key as string | null,
          payload: r.payload,
          tsEvent: new Date(r.ts_event as string).getTime(),
          tsInit: new Date(r.ts_init as string).getTime(),
        })),
      );
      await waitFor(async () => (await counter(n.metrics, 'batched', 'duplicate')) === 40);
      expect(await counter(n.metrics, 'batched', 'ok')).toBe(40);
      expect(await effectCount(db, 'batched')).toBe(40);
      const inbox = await sql<{ n: string }>`
        select count(*) as n from processed_events where consumer = 'batched'`.execute(db);
      expect(Number(inbox.rows[0]!.n)).toBe(40);
    });

    it('delivers a failed batch one event at a time: the poison event alone is retried and dead-lettered', async () => {
      const { fresh, db, prefix } = await world();
      const n = await node(fresh.database, prefix, { maxAttempts: 3 });
      await n.emit(...range(1, 20));
      const c = batching('careful', { poison: 13 });
      await n.bus.subscribe(c.spec);
      n.relay.start();

      await waitFor(async () => (await n.bus.deadLetterCount()) === 1);
      await waitFor(async () => (await effectCount(db, 'careful')) === 19);
      const [letter] = await n.bus.listDeadLetters(10);
      expect(letter).toMatchObject({ consumer: 'careful', attempts: 3, payload: { n: 13 } });
      // Its own three attempts; the failed batch was not counted as one of them.
      expect(c.singles.get(13)).toBe(3);
      expect(c.batches.length).toBeGreaterThan(0);
      const applied = await sql<{ n: number }>`
        select n from bus_test_effects where consumer = 'careful' order by n`.execute(db);
      expect(applied.rows.map((r) => r.n)).toEqual(range(1, 20).filter((x) => x !== 13));
    });

    it('keeps the order of each key, through a batch that fails and its one-at-a-time redelivery', async () => {
      const { fresh, db, prefix } = await world();
      const n = await node(fresh.database, prefix);
      const pairs = range(1, 30).map((i): [string, number] => [`k${i % 3}`, i]);
      await n.emitKeyed(...pairs);
      const c = batching('ordered', { failFirstBatch: true });
      await n.bus.subscribe(c.spec);
      n.relay.start();
      await waitFor(async () => (await effectCount(db, 'ordered')) === 30);
      expect(c.batches.length).toBeGreaterThan(0);

      const rows = await sql<{ n: number }>`
        select n from bus_test_effects where consumer = 'ordered' order by seq`.execute(db);
      const seen = rows.rows.map((r) => r.n);
      expect([...seen].sort((a, b) => a - b)).toEqual(range(1, 30));
      for (const k of [0, 1, 2]) {
        const ofKey = seen.filter((x) => x % 3 === k);
        expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
      }
    });

    it('hands what a consumer emits to the relay at its commit, without waiting for a poll', async () => {
      const { fresh, db, prefix } = await world();
      // The relay polls once at start and then not within the test.
      const n = await node(fresh.database, prefix, { pollMs: 600_000 });
      const c = batching('downstream');
      await n.bus.subscribe({
        name: 'upstream',
        topics: [TOPIC],
        handle: async (event, _tx, emit) => {
          const { n: value } = event.payload as { n: number };
          await emit({ topic: 'test.followups', type: 'ThingFollowed', payload: { n: value } });
        },
        handleBatch: async (events, _tx, emit) => {
          await emit(
            ...events.map((e) => ({
              topic: 'test.followups',
              type: 'ThingFollowed',
              payload: { n: (e.payload as { n: number }).n },
            })),
          );
        },
      });
      await n.bus.subscribe({ ...c.spec, topics: ['test.followups'] });
      n.relay.start();
      await n.emit(...range(1, 5));
      await n.emit(6);
      await waitFor(async () => (await effectCount(db, 'downstream')) === 6, 5000);
    });
  });

  it('delivers each committed event exactly once to every subscriber', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix);
    await n.emit(...range(1, 10)); // committed before anything consumes, as after a restart
    await n.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
    await n.bus.subscribe({ name: 'c2', topics: [TOPIC], handle: record('c2') });
    await n.bus.subscribe({ name: 'c3', topics: ['test.other'], handle: record('c3') });
    n.relay.start();
    for (let i = 11; i <= 20; i++) await n.emit(i);

    await waitFor(
      async () => (await effectCount(db, 'c1')) === 20 && (await effectCount(db, 'c2')) === 20,
    );
    expect(await n.relay.flush(5000)).toBe(true);
    expect(await effectCount(db, 'c3')).toBe(0);
    const repeated =
      await sql`select consumer, event_id from bus_test_effects group by 1, 2 having count(*) > 1`.execute(
        db,
      );
    expect(repeated.rows).toEqual([]);
    const unpublished = await db.selectFrom('outbox').select('id').execute();
    expect(unpublished).toEqual([]);
  });

  it('skips refused events without an inbox row and runs after-commit work once committed', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix);
    const after: Array<{ n: number; visible: boolean }> = [];
    await n.bus.subscribe({
      name: 'evens',
      topics: [TOPIC],
      accepts: (e) => (e.payload as { n: number }).n % 2 === 0,
      handle: async (event, tx) => {
        await record('evens')(event, tx);
        const { n: value } = event.payload as { n: number };
        // The work sees what the handler's transaction wrote: it has committed.
        return () => {
          void effectCount(db, 'evens').then((c) => after.push({ n: value, visible: c > 0 }));
        };
      },
    });
    n.relay.start();
    await n.emit(...range(1, 6));
    await waitFor(() => after.length === 3);
    expect(await effectCount(db, 'evens')).toBe(3);
    expect(after.every((a) => a.visible)).toBe(true);
    expect(after.map((a) => a.n).sort()).toEqual([2, 4, 6]);
    const inbox = await sql<{ n: string }>`
      select count(*) as n from processed_events where consumer = 'evens'`.execute(db);
    expect(Number(inbox.rows[0]!.n)).toBe(3);
  });

  it('retries a failing handler with backoff and keeps only the successful attempt', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix, { maxAttempts: 5 });
    const calls = new Map<string, number>();
    await n.bus.subscribe({
      name: 'flaky',
      topics: [TOPIC],
      handle: async (event, tx) => {
        const attempt = (calls.get(event.eventId) ?? 0) + 1;
        calls.set(event.eventId, attempt);
        // The effect is written before failing: a rolled-back attempt must leave nothing behind.
        await record('flaky')(event, tx);
        if (attempt < 3) throw new Error(`transient failure ${attempt}`);
      },
    });
    n.relay.start();
    await n.emit(1);

    await waitFor(async () => (await effectCount(db, 'flaky')) === 1);
    expect([...calls.values()]).toEqual([3]);
    // The row is visible from COMMIT on; the bus counts the outcome just after.
    await waitFor(async () => (await counter(n.metrics, 'flaky', 'ok')) === 1);
    expect(await counter(n.metrics, 'flaky', 'retry')).toBe(2);
    expect(await n.bus.deadLetterCount()).toBe(0);
  });

  it('dead-letters an event that always fails and replays it to that consumer only', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix, { maxAttempts: 3 });
    let healed = false;
    let brokenCalls = 0;
    let healthyCalls = 0;
    await n.bus.subscribe({
      name: 'broken',
      topics: [TOPIC],
      handle: async (event, tx) => {
        brokenCalls += 1;
        if (!healed) throw new Error('ledger unavailable');
        await record('broken')(event, tx);
      },
    });
    await n.bus.subscribe({
      name: 'healthy',
      topics: [TOPIC],
      handle: async (event, tx) => {
        healthyCalls += 1;
        await record('healthy')(event, tx);
      },
    });
    n.relay.start();
    await n.emit(7);

    await waitFor(async () => (await n.bus.deadLetterCount()) === 1);
    const [letter] = await n.bus.listDeadLetters(10);
    expect(letter).toMatchObject({
      consumer: 'broken',
      topic: TOPIC,
      type: 'ThingHappened',
      attempts: 3,
      payload: { n: 7 },
    });
    expect(letter?.error).toContain('ledger unavailable');
    expect(letter?.error).not.toContain('at '); // the message only, never a stack
    expect(brokenCalls).toBe(3);
    await waitFor(async () => (await effectCount(db, 'healthy')) === 1);
    await n.relay.collectMetrics();
    expect((await n.metrics.deadLetters.get()).values[0]?.value).toBe(1);

    healed = true;
    expect(await n.bus.replayDeadLetter(letter!.id)).toBe(true);
    await waitFor(async () => (await effectCount(db, 'broken')) === 1);
    expect(await n.bus.deadLetterCount()).toBe(0);
    expect(await n.bus.replayDeadLetter(letter!.id)).toBe(false);
    expect(await n.bus.replayDeadLetter(newId())).toBe(false);
    expect(await n.bus.replayDeadLetter('1-0')).toBe(false);
    await waitFor(async () =>
      (await n.bus.consumerLag()).every((l) => l.lag === 0 && l.pending === 0),
    );
    expect(healthyCalls).toBe(1);
    expect(await effectCount(db, 'healthy')).toBe(1);
  });

  it('applies the effect of an event published twice once', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix);
    await n.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
    const event: BusEvent = {
      eventId: newId(),
      topic: TOPIC,
      type: 'ThingHappened',
      key: null,
      payload: { n: 1 },
      tsEvent: Date.now(),
      tsInit: Date.now(),
    };
    await n.bus.publish([event]);
    await n.bus.publish([event]);

    await waitFor(
      async () =>
        (await counter(n.metrics, 'c1', 'duplicate')) === 1 &&
        (await counter(n.metrics, 'c1', 'ok')) === 1,
    );
    expect(await effectCount(db, 'c1')).toBe(1);
  });

  it('delivers a one-statement handler once per event, its claim and effect together', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix);
    const after: number[] = [];
    await n.bus.subscribe({
      name: 'single',
      topics: [TOPIC],
      handle: record('single'),
      // The effect joins the claim: an event seen before writes nothing.
      handleAsStatement: (event, claim) => ({
        statement: sql<Record<string, unknown>>`with claimed as (${claim}), w as (
            insert into bus_test_effects (consumer, event_id, n)
            select 'single', event_id, ${(event.payload as { n: number }).n} from claimed
            returning n)
          select (select count(*) from claimed)::int as claimed, (select max(n) from w) as n`,
        outcome: (rows) => ({
          claimed: Number(rows[0]!.claimed) > 0,
          after: () => void after.push(Number(rows[0]!.n)),
        }),
      }),
    });
    const event = (k: number, eventId = newId()): BusEvent => ({
      eventId,
      topic: TOPIC,
      type: 'ThingHappened',
      key: null,
      payload: { n: k },
      tsEvent: Date.now(),
      tsInit: Date.now(),
    });
    const twice = event(1);
    await n.bus.publish([twice]);
    await n.bus.publish([twice, event(2)]);
    await waitFor(
      async () =>
        (await counter(n.metrics, 'single', 'duplicate')) === 1 &&
        (await counter(n.metrics, 'single', 'ok')) === 2,
    );
    expect(await effectCount(db, 'single')).toBe(2);
    expect(after.sort()).toEqual([1, 2]);
  });

  it('delivers a one-statement batch handler once per event, and hands over only the events it wrote', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix);
    const followed: number[] = [];
    await n.bus.subscribe({
      name: 'follow',
      topics: ['test.followups'],
      handle: async (event, tx) => {
        followed.push((event.payload as { n: number }).n);
        await record('follow')(event, tx);
      },
    });
    const after: number[][] = [];
    await n.bus.subscribe({
      name: 'batched',
      topics: [TOPIC],
      handle: record('batched'),
      handleBatch: async (events, tx) => {
        for (const e of events) await record('batched')(e, tx);
      },
      // Each claimed event writes its effect and, for even numbers only, a follow-up event:
      // the statement writes the follow-ups of claimed even events, and withdraws the rest.
      handleBatchAsStatement: async (events, claim, staging) => {
        const items = events.map((e) => ({ id: e.eventId, n: (e.payload as { n: number }).n }));
        const rows = staging.rows(
          items.map((i) => ({
            topic: 'test.followups',
            type: 'ThingFollowed',
            payload: { n: i.n },
          })),
        );
        const effects = JSON.stringify(items.map((i) => ({ event_id: i.id, n: i.n })));
        const follow = JSON.stringify(
          rows.map((r, i) => ({ ...r, source: items[i]!.id, even: items[i]!.n % 2 === 0 })),
        );
        return {
          statement: sql<Record<string, unknown>>`with claimed as (${claim}),
            w as (
              insert into bus_test_effects (consumer, event_id, n)
              select 'batched', x.event_id, x.n
              from json_to_recordset(${effects}::json) as x(event_id uuid, n int)
              join claimed c on c.event_id = x.event_id::text
              returning event_id),
            f as (
              insert into outbox (event_id, topic, type, key, payload, ts_event, ts_init)
              select o.event_id, o.topic, o.type, o.key, o.payload, o.ts_event, o.ts_init
              from json_to_recordset(${follow}::json) as o(event_id uuid, topic text, type text,
                key text, payload json, ts_event timestamptz, ts_init timestamptz, source uuid,
                even boolean)
              join w on w.event_id = o.source where o.even
              returning event_id)
            select c.event_id as claimed, f.event_id::text as followed from claimed c
            left join f on true`,
          outcome: (result) => {
            const claimed = new Set(result.map((r) => String(r.claimed)));
            const written = new Set(
              result
                .map((r) => r.followed)
                .filter(Boolean)
                .map(String),
            );
            staging.withdraw(rows.map((r) => r.event_id).filter((id) => !written.has(id)));
            return {
              claimed,
              after: () => void after.push(items.filter((i) => claimed.has(i.id)).map((i) => i.n)),
            };
          },
        };
      },
    });
    const event = (k: number, eventId = newId()): BusEvent => ({
      eventId,
      topic: TOPIC,
      type: 'ThingHappened',
      key: null,
      payload: { n: k },
      tsEvent: Date.now(),
      tsInit: Date.now(),
    });
    n.relay.start();
    const twice = [event(1), event(2)];
    await n.bus.publish(twice);
    await waitFor(async () => (await counter(n.metrics, 'batched', 'ok')) === 2);
    // Seen before (the first two) and new (3, 4), in one delivery.
    await n.bus.publish([...twice, event(3), event(4)]);
    await waitFor(
      async () =>
        (await counter(n.metrics, 'batched', 'duplicate')) === 2 &&
        (await counter(n.metrics, 'batched', 'ok')) === 4,
    );
    await waitFor(async () => (await effectCount(db, 'follow')) === 2);
    expect(await effectCount(db, 'batched')).toBe(4);
    expect(after.flat().sort()).toEqual([1, 2, 3, 4]);
    expect(await n.relay.flush(5000)).toBe(true);
    // Only the follow-ups the statement wrote were published: 2 and 4, once each.
    expect(followed.sort()).toEqual([2, 4]);
  });

  it('keeps delivering to other consumers while one is stuck retrying', async () => {
    const { fresh, db, prefix } = await world();
    // Enough attempts and a long enough base that the stuck consumer keeps retrying throughout.
    const n = await node(fresh.database, prefix, { maxAttempts: 20, retryBaseMs: 200 });
    let stuckCalls = 0;
    await n.bus.subscribe({
      name: 'stuck',
      topics: [TOPIC],
      handle: async () => {
        stuckCalls += 1;
        throw new Error('still broken');
      },
    });
    await n.bus.subscribe({ name: 'fine', topics: [TOPIC], handle: record('fine') });
    n.relay.start();

    await n.emit(1);
    await waitFor(async () => (await effectCount(db, 'fine')) === 1 && stuckCalls >= 1);
    await n.emit(2);
    await waitFor(async () => (await effectCount(db, 'fine')) === 2);
    expect(await effectCount(db, 'stuck')).toBe(0);
    expect(await n.bus.deadLetterCount()).toBe(0);
  });

  it('delivers after a restart what was committed but not yet handled', async () => {
    const { fresh, db, prefix } = await world();
    const first = await node(fresh.database, prefix, {
      maxAttempts: 20,
      retryBaseMs: 200,
      claimIdleMs: 200,
    });
    let failing = 0;
    await first.bus.subscribe({
      name: 'c1',
      topics: [TOPIC],
      handle: async () => {
        failing += 1;
        throw new Error('down');
      },
    });
    first.relay.start();
    await first.emit(1, 2, 3);
    await waitFor(() => failing >= 1);
    await first.stop(); // the process goes away with the events unhandled

    const second = await node(fresh.database, prefix, { claimIdleMs: 200 });
    await second.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
    second.relay.start();
    await waitFor(async () => (await effectCount(db, 'c1')) === 3, 10_000);
    expect(await second.relay.flush(5000)).toBe(true);
  });

  it('deletes outbox rows once published, and sweeps inbox rows past their retention', async () => {
    const { fresh, db, prefix } = await world();
    const n = await node(fresh.database, prefix);
    await n.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
    n.relay.start();
    await n.emit(1, 2, 3);
    await waitFor(async () => (await effectCount(db, 'c1')) === 3);
    expect(await n.relay.flush(5000)).toBe(true);
    expect(await db.selectFrom('outbox').select('id').execute()).toEqual([]);
    const inbox = await db.selectFrom('processed_events').select('event_id').execute();
    expect(inbox).toHaveLength(3);
    await sql`update processed_events set processed_at = now() - interval '8 days'
      where event_id in (${sql.join(inbox.slice(0, 2).map((r) => r.event_id))})`.execute(db);

    expect(await n.relay.sweepRetention()).toEqual({ inbox: 2 });
    expect(await db.selectFrom('processed_events').select('event_id').execute()).toHaveLength(1);
  });

  // Defined only for the distributed backend rather than skipped on the embedded one.
  if (backend.name === 'postgres+redis')
    describe('distributed only', () => {
      it('claims entries left pending by a consumer that died', async () => {
        const { fresh, db, prefix } = await world();
        const n = await node(fresh.database, prefix, { claimIdleMs: 200 });
        const stream = `${prefix}:stream:${TOPIC}`;
        const raw = new Redis(backend.redisUrl as string, { protocol: 2 });
        await raw.call('XGROUP', 'CREATE', stream, 'c1', '0', 'MKSTREAM');
        await n.bus.publish([
          {
            eventId: newId(),
            topic: TOPIC,
            type: 'ThingHappened',
            payload: { n: 1 },
            tsEvent: 1,
            tsInit: 1,
          },
        ]);
        const taken = await raw.call(
          'XREADGROUP',
          'GROUP',
          'c1',
          'doomed',
          'COUNT',
          10,
          'STREAMS',
          stream,
          '>',
        );
        expect(JSON.stringify(taken)).toContain('ThingHappened');
        raw.disconnect(); // dies without acknowledging

        await n.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
        await waitFor(async () => (await effectCount(db, 'c1')) === 1, 10_000);
        await waitFor(async () => (await n.bus.consumerLag()).every((l) => l.pending === 0));
      });

      it('hands a commit over without a poll and deletes its rows soon after', async () => {
        const { fresh, db, prefix } = await world();
        const n = await node(fresh.database, prefix, { pollMs: 600_000 });
        await n.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
        n.relay.start();
        // The relay's one poll at start finds nothing; from then on only hand-overs run.
        await waitFor(async () => (await n.relay.flush(1000)) === true);
        await n.emit(1, 2, 3);
        await n.emit(4);
        await waitFor(async () => (await effectCount(db, 'c1')) === 4, 5000);
        await waitFor(async () => {
          const left = await db.selectFrom('outbox').select('id').execute();
          return left.length === 0;
        }, 5000);
        expect(await counterTotal(n.metrics)).toBe(4);
      });

      it("publishes a dead process's rows from another process once they pass the grace, once", async () => {
        const { fresh, db, prefix } = await world();
        const otherDb = await secondProcessDatabase(fresh.url);
        const alive = await node(fresh.database, prefix, { pollMs: 50, handOverGraceMs: 2000 });
        await alive.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
        await caughtUp(alive);
        // Committed by a process whose relay never runs: it died before handing them over.
        const dead = await node(otherDb, prefix);
        const committedAt = Date.now();
        await dead.emit(1, 2, 3);
        await new Promise((r) => setTimeout(r, 300));
        if (Date.now() - committedAt < 1500) expect(await effectCount(db, 'c1')).toBe(0);
        await waitFor(async () => (await effectCount(db, 'c1')) === 3, 10_000);
        expect(Date.now() - committedAt).toBeGreaterThanOrEqual(1900);
        expect(await alive.relay.flush(5000)).toBe(true);
        expect(await streamLength(prefix)).toBe(3);
      });

      it("publishes a dead process's rows after the grace even when their clock stands still", async () => {
        const { fresh, db, prefix } = await world();
        const otherDb = await secondProcessDatabase(fresh.url);
        // Both processes on a simulated clock that never moves: rows' timestamps never age.
        const clock = new SimulatedClock(Date.now());
        const alive = await node(fresh.database, prefix, {
          pollMs: 50,
          handOverGraceMs: 500,
          clock,
        });
        await alive.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
        await caughtUp(alive);
        const dead = await node(otherDb, prefix, { clock });
        await dead.emit(1, 2);
        await waitFor(async () => (await effectCount(db, 'c1')) === 2, 10_000);
      });

      it('leaves commits to the poll after a failed publish, which delivers each once, in order', async () => {
        const { fresh, db, prefix } = await world();
        const n = await node(fresh.database, prefix, { failingPublishes: 1, pollMs: 50 });
        await n.bus.subscribe({ name: 'ordered', topics: [TOPIC], handle: record('ordered') });
        await caughtUp(n);
        for (let i = 0; i < 6; i++) await n.emitKeyed(['k', i * 2 + 1], ['k', i * 2 + 2]);
        await waitFor(async () => (await effectCount(db, 'ordered')) === 12, 10_000);
        const rows = await sql<{ n: number }>`
          select n from bus_test_effects where consumer = 'ordered' order by seq`.execute(db);
        expect(rows.rows.map((r) => r.n)).toEqual(range(1, 12));
        expect(await n.relay.flush(5000)).toBe(true);
        expect(await counterTotal(n.metrics)).toBe(12);
      });

      it('flushes its own events on shutdown while another process keeps committing', async () => {
        const { fresh, db, prefix } = await world();
        const otherDb = await secondProcessDatabase(fresh.url);
        const leaving = await node(fresh.database, prefix);
        const busy = await node(otherDb, prefix);
        await leaving.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
        // Both running and caught up, as in a deployment: each then hands over its own commits.
        await caughtUp(busy);
        await caughtUp(leaving);
        let writing = true;
        const writer = (async () => {
          for (let i = 1000; writing; i++) await busy.emit(i);
        })();
        try {
          await leaving.emit(1, 2, 3);
          const started = Date.now();
          expect(await leaving.relay.flush(5000)).toBe(true);
          expect(Date.now() - started).toBeLessThan(2000);
          const mine = await sql<{ n: number }>`
            select count(*)::int as n from outbox where (payload->>'n')::int < 1000`.execute(db);
          expect(mine.rows[0]!.n).toBe(0);
        } finally {
          writing = false;
          await writer;
        }
      });

      it('runs two relays against one PostgreSQL without losing or repeating a row', async () => {
        const { fresh, db, prefix } = await world();
        const otherDb = await secondProcessDatabase(fresh.url);
        const a = await node(fresh.database, prefix, { batchSize: 20 });
        const b = await node(otherDb, prefix, { batchSize: 20 });
        expect(a.relay.mode).toBe('locking');
        await a.bus.subscribe({ name: 'c1', topics: [TOPIC], handle: record('c1') });
        a.relay.start();
        b.relay.start();
        for (let i = 0; i < 40; i++) await (i % 2 ? a : b).emit(...range(i * 10 + 1, i * 10 + 10));

        await waitFor(async () => (await effectCount(db, 'c1')) === 400, 15_000);
        expect(await a.relay.flush(5000)).toBe(true);
        expect(await b.relay.flush(5000)).toBe(true);
        const published = (await counterTotal(a.metrics)) + (await counterTotal(b.metrics));
        expect(published).toBe(400);
        expect(await streamLength(prefix)).toBe(400);
      });
    });
});

function record(consumer: string): (event: BusEvent, tx: Tx) => Promise<void> {
  return async (event, tx) => {
    const n = Number((event.payload as { n?: number }).n ?? 0);
    await tx
      .insertInto('bus_test_effects')
      .values({ consumer, event_id: event.eventId, n })
      .execute();
  };
}

async function effectCount(db: Db, consumer: string): Promise<number> {
  const row = await db
    .selectFrom('bus_test_effects')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('consumer', '=', consumer)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function counter(metrics: Metrics, consumer: string, outcome: string): Promise<number> {
  const { values } = await metrics.eventsHandled.get();
  return (
    values.find((v) => v.labels.consumer === consumer && v.labels.outcome === outcome)?.value ?? 0
  );
}

async function counterTotal(metrics: Metrics): Promise<number> {
  return (await metrics.outboxPublished.get()).values[0]?.value ?? 0;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
