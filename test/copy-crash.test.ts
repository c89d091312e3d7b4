/**
 * A worker process (it runs the paper venue and the consumers) is killed with SIGKILL in the
 * middle of fanning one leader fill out to 1,000 followers, and another is started. Shows
 * that every follow ends with exactly one outcome, exactly one order per (fill, follow), a
 * skip row for every follow that placed none, and a ledger that still balances and rebuilds.
 * Needs PostgreSQL and Redis.
 */
import type { ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../src/core/decimal.js';
import { newId } from '../src/core/ids.js';
import { channels } from '../src/core/topics.js';
import { copyClientOrderId } from '../src/modules/copy/domain/index.js';
import { bookTopToWire, tradeToWire } from '../src/modules/market/index.js';
import { Books } from '../src/modules/trading/books.js';
import { findAccount } from '../src/modules/trading/store.js';
import { backends } from './helpers/backends.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { insertBulkFollows, insertFundedUsers } from './helpers/provision.js';
import { waitFor } from './helpers/wait.js';
import { exited as killed, startWorker } from './helpers/worker.js';

const distributed = backends.find((b) => b.name === 'postgres+redis');
const FOLLOWERS = 1000;
const d = (s: string) => Decimal.parse(s);

describe.skipIf(!distributed)('a worker killed mid fan-out (PostgreSQL + Redis)', () => {
  let t: TestApp;
  let worker: ChildProcess | undefined;
  let ticker: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    // This process is the API side: it forwards the leader's order to the worker's venue.
    t = await startTestApp(distributed!, { role: 'api', env: { BUS_CLAIM_IDLE_MS: '1000' } });
  });
  afterAll(async () => {
    clearInterval(ticker);
    worker?.kill('SIGKILL');
    await t?.close();
  });

  it('places exactly one order per (fill, follow) and records every skip across SIGKILL and restart', async () => {
    const db = t.app.database.db;
    const [leader] = await insertFundedUsers(db, 1, { role: 'trader', amount: '100000' });
    const profile = await t.app.copy.service.leaders.create(leader!.userId, { displayName: 'L' });
    const followers = await insertFundedUsers(db, FOLLOWERS);
    const follows = await insertBulkFollows(db, profile.id, followers, {
      allocation: { mode: 'fixed_ratio', ratio: d('0.01') },
      allocatedAmount: d('5000'),
      allow: [],
      deny: [],
      copyMode: 'both',
    });
    // Some follows cannot copy this fill: every tenth denies the instrument, every seventh is
    // paused. Their outcome is a skip row.
    const denied = follows.filter((_, i) => i % 10 === 0);
    const paused = follows.filter((_, i) => i % 7 === 0 && i % 10 !== 0);
    await db
      .updateTable('follows')
      .set({ deny_symbols: JSON.stringify(['BTC/USDT']) })
      .where('id', 'in', denied)
      .execute();
    await db.updateTable('follows').set({ status: 'paused' }).where('id', 'in', paused).execute();

    const workerEnv = {
      ...t.env,
      BUS_CLAIM_IDLE_MS: '1000',
      // Small chunks, so that the fan-out takes long enough to be killed in the middle.
      COPY_FANOUT_CHUNK: '20',
      COPY_RECOVERY_MS: '1000',
      TRADING_SNAPSHOT_INTERVAL_MS: '86400000',
    };
    worker = await startWorker(workerEnv);

    // Prices reach the worker's venue over the live feed, as from a market-data process.
    let seq = 0;
    const price = d('65000');
    const tick = () => {
      const ts = Date.now();
      t.app.feed.publish(
        channels.trades('paper', 'BTC/USDT'),
        tradeToWire({
          venue: 'paper',
          symbol: 'BTC/USDT',
          id: `crash-${++seq}`,
          price,
          quantity: d('0.001'),
          side: 'buy',
          ts,
        }),
      );
      t.app.feed.publish(
        channels.book('paper', 'BTC/USDT'),
        bookTopToWire({
          venue: 'paper',
          symbol: 'BTC/USDT',
          bidPrice: price.sub(d('0.01')),
          bidSize: d('1000'),
          askPrice: price,
          askSize: d('1000'),
          ts,
        }),
      );
    };
    tick();
    ticker = setInterval(tick, 100);

    // A batch placed from this process is forwarded whole to the worker leading the venue,
    // and is idempotent there by client order id.
    const others = await insertFundedUsers(db, 2);
    let attempt = 0;
    const batchOf = (n: number) =>
      others.map((u, i) => ({
        userId: u.userId,
        input: {
          accountId: u.accountId,
          symbol: 'BTC/USDT',
          side: 'buy',
          type: 'limit',
          timeInForce: 'IOC',
          price: '65325',
          quantity: '0.001',
          clientOrderId: `batch-${n}-${i}`,
        },
      }));
    // Until the worker has heard the first prices the venue rejects for want of market data.
    const first = await waitFor(
      async () => {
        const r = await t.app.trading.service.placeMany(batchOf(++attempt));
        return r.every((o) => o.ok && o.order.status === 'filled') && r;
      },
      20_000,
      { intervalMs: 200, message: 'the forwarded batch never filled' },
    );
    expect(first.map((o) => o.ok && o.filledNotional)).toEqual(['65', '65']);
    const batch = batchOf(attempt);
    const again = await t.app.trading.service.placeMany(batch);
    expect(again.map((o) => o.ok && !o.created)).toEqual([true, true]);

    // The leader's market buy goes through this process to the worker's venue.
    const order = await waitFor(
      async () => {
        const r = await t.app.trading.service.place(leader!.userId, {
          symbol: 'BTC/USDT',
          side: 'buy',
          type: 'market',
          quantity: '0.1',
          clientOrderId: newId(),
        });
        return r.order.status === 'filled' && r.order;
      },
      20_000,
      { intervalMs: 200, message: 'the leader order never filled' },
    );
    const fill = (await db
      .selectFrom('fills')
      .select('id')
      .where('order_id', '=', order.id)
      .executeTakeFirstOrThrow()) as { id: string };

    const ids = follows.map((f) => copyClientOrderId(fill.id, f));
    const progress = async () => {
      const r = await sql<{ rows: string; placed: string; orders: string }>`
        select (select count(*) from copy_trades where leader_fill_id = ${fill.id}) as rows,
          (select count(*) from copy_trades
            where leader_fill_id = ${fill.id} and status <> 'skipped') as placed,
          (select count(*) from orders where client_order_id = any(${ids}::text[])) as orders`.execute(
        db,
      );
      const p = r.rows[0]!;
      return { rows: Number(p.rows), placed: Number(p.placed), orders: Number(p.orders) };
    };
    // Killed once a fifth of the rows exist, preferably while a chunk's orders are placed
    // but not yet recorded: the restarted worker must then record those orders, not place
    // them again.
    const deadline = Date.now() + 3000;
    await waitFor(
      async () => {
        const p = await progress();
        return p.rows >= FOLLOWERS * 0.2 && (p.orders > p.placed || Date.now() > deadline);
      },
      60_000,
      { intervalMs: 2, message: 'the fan-out made no progress' },
    );
    worker.kill('SIGKILL');
    await killed(worker);
    const atKill = await progress();
    expect(atKill.rows).toBeLessThan(FOLLOWERS);
    console.log(
      `at the kill: ${atKill.rows} copy rows, ${atKill.placed} of them with an order, ${atKill.orders} copy orders`,
    );

    worker = await startWorker(workerEnv);
    await waitFor(
      async () => {
        const done = await sql<{ n: string }>`
          select count(*) as n from copy_fanouts
          where leader_fill_id = ${fill.id} and completed_at is not null`.execute(db);
        return Number(done.rows[0]!.n) === 1;
      },
      60_000,
      { intervalMs: 100, message: `the fan-out was not finished (rows at kill: ${atKill.rows})` },
    );

    // Every follow has exactly one row for the fill.
    const outcomes = (await db
      .selectFrom('copy_trades')
      .select(['follow_id', 'status', 'reason', 'order_id', 'client_order_id'])
      .where('leader_fill_id', '=', fill.id)
      .execute()) as Array<{
      follow_id: string;
      status: string;
      reason: string | null;
      order_id: string | null;
      client_order_id: string | null;
    }>;
    expect(outcomes).toHaveLength(FOLLOWERS);
    expect(new Set(outcomes.map((o) => o.follow_id)).size).toBe(FOLLOWERS);

    // Exactly one order per (fill, follow) that placed one, none for the others.
    const byFollow = new Map(outcomes.map((o) => [o.follow_id, o]));
    const orders = (
      await sql<{ client_order_id: string; n: string }>`
      select client_order_id, count(*) as n from orders
      where client_order_id = any(${ids}::text[]) group by client_order_id`.execute(db)
    ).rows;
    const counted = new Map(orders.map((o) => [o.client_order_id, Number(o.n)]));
    for (const [i, f] of follows.entries()) {
      const o = byFollow.get(f)!;
      const n = counted.get(ids[i]!) ?? 0;
      if (o.status === 'skipped') {
        expect(n, `follow ${f} was skipped (${o.reason}) yet has an order`).toBe(0);
      } else {
        expect(n, `follow ${f} (${o.status})`).toBe(1);
        expect(o.client_order_id).toBe(ids[i]);
        expect(o.order_id).not.toBeNull();
      }
    }
    const skipped = outcomes.filter((o) => o.status === 'skipped');
    const reasons = new Map<string, number>();
    for (const o of skipped) reasons.set(o.reason!, (reasons.get(o.reason!) ?? 0) + 1);
    expect(reasons.get('instrument_not_allowed')).toBe(denied.length);
    expect(reasons.get('follow_paused')).toBe(paused.length);
    expect(outcomes.filter((o) => o.status === 'copied').length).toBe(
      FOLLOWERS - denied.length - paused.length,
    );

    // The ledger balances in every currency, and each follower's book rebuilds from it to
    // the copied position the copy module counted, once.
    const sums = await sql<{ currency: string; total: string }>`
      select p->>'currency' as currency, sum((p->>'amount')::numeric) as total
      from ledger_entries, jsonb_array_elements(postings) p group by 1`.execute(db);
    for (const s of sums.rows) expect(Decimal.parse(s.total).isZero(), s.currency).toBe(true);
    const positions = new Map(
      (
        (await db
          .selectFrom('copy_positions')
          .select(['follow_id', 'quantity'])
          .where('follow_id', 'in', follows)
          .execute()) as Array<{ follow_id: string; quantity: string }>
      ).map((p) => [p.follow_id, Decimal.parse(p.quantity)]),
    );
    const books = new Books(t.app.market.view.instruments());
    for (const [i, f] of followers.entries()) {
      const p = await books.load(db, (await findAccount(db, f.accountId))!);
      const btc = p.ledger.balance(f.accountId, 'BTC').total;
      expect(btc.toString()).toBe((positions.get(follows[i]!) ?? Decimal.ZERO).toString());
      const expected = byFollow.get(follows[i]!)!.status === 'copied' ? '0.001' : '0';
      expect(btc.toString()).toBe(expected);
    }
  }, 180_000);
});
