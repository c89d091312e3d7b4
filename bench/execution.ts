/**
 * Orders placed, risk-checked, accepted, filled on the paper venue and persisted (order row,
 * fill, ledger entry, outbox events) on PostgreSQL, through the same `TradingService.place`
 * the HTTP route calls:
 *
 *   npm run bench:execution
 *   BENCH_SECONDS=10 BENCH_ACCOUNTS=400 BENCH_DEPTHS=1,4 npm run bench:execution
 *
 * Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test); a fresh
 * database is created and dropped. Each account places market orders (buy, then sell, so
 * balances last) and keeps BENCH_DEPTHS orders in flight: at depth 1 it places its next order
 * when the last is answered (closed loop: every account waits on the batch being committed,
 * so nothing is left to prepare meanwhile and the database and this process take turns); at
 * depth 2 or more each account has its next order queued already, as a platform with many
 * users sending independently has, so the venue prepares one batch while the last commits.
 * Each depth (BENCH_DEPTHS, default 1,2,4) runs for BENCH_SECONDS in the same process, in the
 * order given, after BENCH_WARMUP seconds (2) at the deepest depth that are not measured.
 *
 * Baseline, measured in the same run with the same number of connections in flight: one-row
 * `insert` transactions on the same server, i.e. what the database alone commits a second
 * when each order would be its own transaction. Target: at least 5,000 orders/s sustained.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { buildApp } from '../src/apps/app.js';
import { loadConfig } from '../src/apps/config.js';
import { Decimal } from '../src/core/decimal.js';
import { newId } from '../src/core/ids.js';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200);
const DEPTHS = (process.env.BENCH_DEPTHS ?? '1,2,4').split(',').map(Number);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const TARGET = 5_000;

const withDb = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const post = (s: inspector.Session, method: string) =>
  new Promise<unknown>((resolve, reject) =>
    s.post(method, (err, res) => (err ? reject(err) : resolve(res))),
  );

async function baseline(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  // The database is dropped with its connections right after; that is not an error here.
  pool.on('error', () => {});
  await pool.query('create table bench_rows (id uuid primary key, body text not null)');
  let done = 0;
  const until = Date.now() + Math.min(SECONDS, 5) * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ACCOUNTS }, async () => {
      while (Date.now() < until) {
        await pool.query('insert into bench_rows (id, body) values ($1, $2)', [
          newId(),
          'x'.repeat(200),
        ]);
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - started) / 1000);
  await pool.end();
  return rate;
}

/**
 * CPU time of this machine's PostgreSQL processes, from /proc (undefined elsewhere): what the
 * server spends per order, beside this process's own share.
 */
function serverCpuMs(): number | undefined {
  try {
    const tick = 10; // USER_HZ is 100 on Linux
    let total = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const f = stat.slice(close + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) * tick;
    }
    return total || undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const name = `obscura_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDb(BASE_URL, name);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    const config = loadConfig({
      OBSCURA_ENV_FILE: '/nonexistent',
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
      DEMO_SEED: 'false',
      MARKET_SOURCE: 'none',
      JWT_SECRET: randomBytes(32).toString('hex'),
      VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
      DATA_DIR: 'memory://',
    });
    const app = await buildApp(config, { role: 'all', logDestination: sink });
    await app.start();
    const venue = app.trading.venue!;
    const svc = app.trading.service;
    const db = app.database.db;

    // Traders are inserted directly: argon2 hashing at sign-up is not what is measured.
    const users = Array.from({ length: ACCOUNTS }, () => newId());
    await db
      .insertInto('users')
      .values(
        users.map((id, i) => ({
          id,
          email: `bench${i}@obscura.local`,
          display_name: `bench ${i}`,
          password_hash: 'x',
          role: 'trader',
        })),
      )
      .execute();
    for (const u of users) await svc.ensureAccount(u);

    const now = Date.now();
    const px = Decimal.parse('65000');
    await venue.onTrade({
      venue: 'paper',
      symbol: 'BTC/USDT',
      id: 'seed',
      price: px,
      quantity: Decimal.parse('1'),
      side: 'buy',
      ts: now,
    });
    await venue.onBookTop({
      venue: 'paper',
      symbol: 'BTC/USDT',
      bidPrice: px.sub(Decimal.parse('0.01')),
      bidSize: Decimal.parse('1000000'),
      askPrice: px,
      askSize: Decimal.parse('1000000'),
      ts: now,
    });

    // BENCH_PROFILE=file.cpuprofile records a CPU profile of the measured phases only.
    // Each lane is one order in flight. An account's orders alternate buy and sell in the
    // order they are placed, which is the order the venue runs them, so a sale always finds
    // the base bought before it whatever the depth.
    const lanes = (depth: number, until: number, done: (ms: number, status: string) => void) =>
      Promise.all(
        users.flatMap((u) => {
          let n = 0;
          return Array.from({ length: depth }, async () => {
            while (Date.now() < until) {
              const side = n++ % 2 ? 'sell' : 'buy';
              const t0 = performance.now();
              const r = await svc.place(u, {
                symbol: 'BTC/USDT',
                side,
                type: 'market',
                quantity: '0.001',
              });
              done(performance.now() - t0, r.order.status);
            }
          });
        }),
      );

    const profiler = process.env.BENCH_PROFILE ? new inspector.Session() : undefined;
    if (profiler) {
      profiler.connect();
      await post(profiler, 'Profiler.enable');
      await post(profiler, 'Profiler.start');
    }
    // Warm-up, not measured: the first seconds compile the hot path and start every lane at
    // once, which is not the sustained rate.
    await lanes(Math.max(...DEPTHS), Date.now() + WARMUP * 1000, () => {});
    const results: Array<{
      depth: number;
      placed: number;
      filled: number;
      seconds: number;
      latencies: number[];
      load: number;
      /** This process's CPU per order, µs. */
      cpuUs: number;
      /** PostgreSQL's CPU per order, µs, when the server runs on this machine. */
      serverUs: number | undefined;
    }> = [];
    for (const depth of DEPTHS) {
      const latencies: number[] = [];
      let placed = 0;
      let filled = 0;
      const bar = new cliProgress.SingleBar(
        { format: `depth ${depth}  [{bar}] {value}s  {orders} orders`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(SECONDS, 0, { orders: 0 });
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      const server0 = serverCpuMs();
      const until = Date.now() + SECONDS * 1000;
      const tick = setInterval(
        () => bar.update(Math.round((performance.now() - started) / 1000), { orders: placed }),
        250,
      );
      await lanes(depth, until, (ms, status) => {
        latencies.push(ms);
        placed++;
        if (status === 'filled') filled++;
      });
      const seconds = (performance.now() - started) / 1000;
      clearInterval(tick);
      bar.update(SECONDS, { orders: placed });
      bar.stop();
      const cpu = process.cpuUsage(cpu0);
      const server1 = serverCpuMs();
      results.push({
        depth,
        placed,
        filled,
        seconds,
        latencies,
        load: loadavg()[0]!,
        cpuUs: (cpu.user + cpu.system) / placed,
        serverUs:
          server0 === undefined || server1 === undefined
            ? undefined
            : ((server1 - server0) * 1000) / placed,
      });
    }
    if (profiler) {
      const { profile } = (await post(profiler, 'Profiler.stop')) as { profile: unknown };
      writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(profile));
    }

    const rows = await db
      .selectFrom('fills')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    await app.close();

    const base = await baseline(url);
    console.log('');
    console.log(`accounts                    ${ACCOUNTS}`);
    console.log(`baseline one-row tx/s       ${Math.round(base)} (${ACCOUNTS} in flight)`);
    console.log(`fill rows written           ${rows.n}`);
    for (const r of results) {
      r.latencies.sort((a, b) => a - b);
      const rate = r.placed / r.seconds;
      console.log(
        `depth ${r.depth} (${ACCOUNTS * r.depth} in flight): ${Math.round(rate)} orders/s placed+filled+persisted (${r.filled} of ${r.placed} filled in ${r.seconds.toFixed(1)} s)   ratio ${(rate / base).toFixed(2)}   p50 ${percentile(r.latencies, 50).toFixed(1)} ms   p99 ${percentile(r.latencies, 99).toFixed(1)} ms   CPU/order: this process ${Math.round(r.cpuUs)} µs, PostgreSQL ${r.serverUs === undefined ? '—' : `${Math.round(r.serverUs)} µs`}   load ${r.load.toFixed(1)}   target ${TARGET}: ${rate >= TARGET ? 'met' : 'NOT met'}`,
      );
    }
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
