/**
 * The signal pipeline over real HTTP, on PostgreSQL + Redis, with the server in two processes of
 * its own (`obscura serve --role worker`: consumers, the synthetic market with an hour of
 * backfilled history, the venue; `--role api`: HTTP and /ws) and the load generated from this
 * one:
 *
 *   npm run bench:signals
 *   BENCH_SECONDS=5 BENCH_CONNECTIONS=32 BENCH_RATE=500 BENCH_INDICATORS=0 npm run bench:signals
 *   BENCH_ONLY=b BENCH_PROFILE=/tmp/prof BENCH_INDICATORS=0 npm run bench:signals
 *
 * BENCH_ONLY=a or BENCH_ONLY=b runs one part; BENCH_PROFILE=<dir> writes a CPU profile of each
 * server process in a folder per role (`node --cpu-prof`, written when the process exits; the
 * largest file is the main thread's, the others are the module loader's).
 *
 * Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and Redis
 * (REDIS_URL, default redis://127.0.0.1:6379); a fresh database and Redis prefix are made and
 * dropped.
 *
 * (a) Gateway: accepted signals per second through `POST /api/v1/signals` of the api process
 *     (the worker stopped, see below), closed loop, from BENCH_CONNECTIONS (64) keep-alive
 *     connections (undici) each with one request in flight, spread over BENCH_KEYS API keys.
 *     The per-key signal budget (SIGNALS_RATE_PER_MINUTE/BURST) and the general API budget are
 *     raised far above the load, so the limiters run (one Redis script per event-loop turn)
 *     but are not what is measured. Latency p50/p99 is per request, from send to the 202.
 *     Baseline in the same run, same client and connections: `GET /health` of the same server.
 *     Targets: ≥ 5,000 signals/s, p99 ≤ 25 ms.
 * (b) Decision latency: signals offered open loop at BENCH_RATE per second (default 1,000) for
 *     BENCH_SECONDS, after BENCH_WARMUP seconds (5) of the same load that are not measured,
 *     over BENCH_OPEN_CONNECTIONS (256) connections so that the offered rate reaches the
 *     server rather than queueing in this process's pool; each is timed from its
 *     scheduled send (so a stalled sender cannot hide queueing) to the `SignalDecided` of it
 *     arriving on the /ws `decisions` channel, with the built-in evaluators only. Target: p99
 *     ≤ 50 ms. If the channel is refused, decisions are polled instead (GET
 *     /api/v1/signals/{id}) and the output says so. Baseline in the same run: the latency of a
 *     one-row insert transaction on the same server just before. Where the time went is split
 *     from the signals' own stage times and the Redis stream entry ids.
 * (c) Indicators: `bench/indicators.ts` (1,000,000 candles against trading-signals and TA-Lib)
 *     runs after the server has stopped, in its own process, since it measures its process's
 *     CPU time; BENCH_INDICATORS=0 skips it, BENCH_CANDLES / BENCH_ROUNDS pass through.
 *
 * For (a) and (b) the CPU time each process used (api, worker, the bench database's PostgreSQL
 * backends, Redis, this load generator) is divided by the signals handled: a cost per signal
 * that the machine's other load changes far less than it changes latencies.
 *
 * (b) runs before (a), on an idle pipeline: (a) accepts far faster than the evaluators finish,
 * and the backlog it leaves would otherwise be what (b) measures. For (a) the worker is then
 * stopped: on these two-core machines its work on that backlog would take the CPU the gateway
 * is measured on; each accepted signal is still committed with its event and relayed to Redis
 * Streams, so the gateway does all of its own work.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import cliProgress from 'cli-progress';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { cpuMs, fmt, startProcess } from './lib.js';

const DB_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const OPEN_CONNECTIONS = Number(process.env.BENCH_OPEN_CONNECTIONS ?? 256);
const KEYS = Number(process.env.BENCH_KEYS ?? 16);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const ONLY = process.env.BENCH_ONLY;
const PROFILE_DIR = process.env.BENCH_PROFILE;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT'];
const TARGETS = { gatewayRps: 5000, gatewayP99: 25, decisionP99: 50 };

const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
    : NaN;
const withDb = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

interface Http {
  pool: Pool;
  json(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    body: unknown;
  }>;
}

function http(base: string, connections = CONNECTIONS): Http {
  const pool = new Pool(base, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  return {
    pool,
    async json(method, path, body, headers = {}) {
      const r = await pool.request({
        method: method as 'GET',
        path,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.body.text();
      return { status: r.statusCode, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
  };
}

const signalBody = (i: number) => ({
  symbol: SYMBOLS[i % SYMBOLS.length],
  direction: i % 3 === 0 ? 'short' : 'long',
  timeframe: '1m',
  source: `bench-${i % 4}`,
  strategy: 'bench',
  sentAt: new Date().toISOString(),
});

/** Closed loop: each connection sends the next request when the last is answered. */
async function closedLoop(
  h: Http,
  seconds: number,
  request: (i: number) => Promise<number>,
  label: string,
): Promise<{
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  codes: Map<number, number>;
}> {
  const latencies: number[] = [];
  const codes = new Map<number, number>();
  let ok = 0;
  let failed = 0;
  let seq = 0;
  const bar = new cliProgress.SingleBar(
    { format: `${label.padEnd(22)} [{bar}] {value}/{total} s  {n} requests`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(seconds, 0, { n: 0 });
  const started = performance.now();
  const until = started + seconds * 1000;
  const tick = setInterval(
    () =>
      bar.update(Math.min(seconds, Math.round((performance.now() - started) / 1000)), {
        n: ok + failed,
      }),
    250,
  );
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const status = await request(seq++).catch(() => 0);
        latencies.push(performance.now() - t0);
        codes.set(status, (codes.get(status) ?? 0) + 1);
        if (status >= 200 && status < 300) ok++;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(tick);
  bar.update(seconds, { n: ok + failed });
  bar.stop();
  latencies.sort((a, b) => a - b);
  return { rps: ok / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), ok, failed, codes };
}

/** A socket on the `decisions` channel; resolves to undefined when the channel is refused. */
async function decisionsSocket(
  url: string,
  apiKey: string,
  onDecision: (eventId: string, at: number) => void,
): Promise<WebSocket | undefined> {
  const ws = new WebSocket(url, { headers: { 'x-api-key': apiKey } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from /ws within 10 s')), 10_000);
    ws.on('error', reject);
    ws.on('message', (raw) => {
      const at = wall();
      const m = JSON.parse(String(raw)) as {
        type: string;
        id?: number;
        data?: { signal?: { eventId?: string }; eventId?: string; signalId?: string };
      };
      if (m.type === 'authenticated') {
        ws.send(JSON.stringify({ op: 'subscribe', id: 1, channel: 'decisions' }));
      } else if (m.type === 'subscribed') {
        clearTimeout(timer);
        resolve(ws);
      } else if (m.type === 'error' && m.id === 1) {
        clearTimeout(timer);
        ws.close();
        resolve(undefined);
      } else if (m.data) {
        const id = m.data.signal?.eventId ?? m.data.eventId ?? m.data.signalId;
        if (id) onDecision(id, at);
      }
    });
  });
}

/** Open loop at `rate` per second: returns each signal's latency to its decision (ms). */
async function decisionLatency(
  h: Http,
  keys: string[],
  wsUrl: string,
  rate: number,
  seconds: number,
  label = `decisions at ${rate}/s`,
): Promise<{
  latencies: number[];
  sent: number;
  accepted: number;
  lost: number;
  via: 'ws' | 'polling';
  /** Per accepted signal: scheduled send, 202 received, decision received (wall ms). */
  times: Map<string, { due: number; answered: number; arrived?: number }>;
  late: number[];
}> {
  const scheduled = new Map<string, number>();
  const answered = new Map<string, number>();
  /** How late each send left against its schedule: this process's own lag. */
  const late: number[] = [];
  const arrived = new Map<string, number>();
  const ws = await decisionsSocket(wsUrl, keys[0]!, (id, at) => arrived.set(id, at));
  const via = ws ? ('ws' as const) : ('polling' as const);
  const total = Math.round(rate * seconds);
  let accepted = 0;
  const bar = new cliProgress.SingleBar(
    {
      format: label.padEnd(22) + ' [{bar}] {value}/{total} signals  {done} decided',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { done: 0 });
  const start = wall() + 50;
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - wall();
    if (wait > 1) await sleep(wait);
    late.push(wall() - due);
    sends.push(
      h
        .json('POST', '/api/v1/signals', signalBody(i), { 'x-api-key': keys[i % keys.length]! })
        .then((r) => {
          const id = (r.body as { eventId?: string } | undefined)?.eventId;
          if (r.status === 202 && id) {
            accepted++;
            scheduled.set(id, due);
            answered.set(id, wall());
          }
        })
        .catch(() => {}),
    );
    if (i % 100 === 0) bar.update(i, { done: arrived.size });
  }
  await Promise.all(sends);
  // Wait for the stragglers: at most 30 s after the last send.
  const deadline = wall() + 30_000;
  while (wall() < deadline) {
    if (via === 'polling') {
      const pending = [...scheduled.keys()].filter((id) => !arrived.has(id));
      await Promise.all(
        pending.slice(0, 200).map(async (id) => {
          const r = await h.json('GET', `/api/v1/signals/${id}`, undefined, {
            'x-api-key': keys[0]!,
          });
          const b = r.body as { status?: string; consensus?: unknown } | undefined;
          if (b?.consensus || b?.status === 'published') arrived.set(id, wall());
        }),
      );
    }
    const done = [...scheduled.keys()].filter((id) => arrived.has(id)).length;
    bar.update(total, { done });
    if (done >= scheduled.size) break;
    await sleep(via === 'polling' ? 20 : 100);
  }
  bar.stop();
  ws?.close();
  const latencies = [...scheduled]
    .filter(([id]) => arrived.has(id))
    .map(([id, due]) => arrived.get(id)! - due)
    .sort((a, b) => a - b);
  const times = new Map(
    [...scheduled].map(([id, due]) => [
      id,
      { due, answered: answered.get(id)!, arrived: arrived.get(id) },
    ]),
  );
  return {
    latencies,
    sent: total,
    accepted,
    lost: scheduled.size - latencies.length,
    via,
    times,
    late: late.sort((a, b) => a - b),
  };
}

/**
 * Where the decision time went, per signal, from the bench's clocks, the row's own stage times
 * and the Redis stream entry ids (milliseconds of Redis's clock; same machine, one clock): the
 * 202, then reception → on the stream (group commit, relay), on the stream → enrichment
 * started (the worker's read, the batch ahead of it), enrichment → decision written
 * (evaluation, commit), decision written → received on /ws (feed, gateway, socket).
 */
async function stageBreakdown(
  url: string,
  redis: Redis,
  stream: string,
  times: Map<string, { due: number; answered: number; arrived?: number }>,
): Promise<string[]> {
  const streamed = new Map<string, number>();
  for (let from = '-'; ;) {
    const page = (await redis.xrange(stream, from, '+', 'COUNT', 5000)) as Array<
      [string, string[]]
    >;
    for (const [id, fields] of page) {
      const at = fields.indexOf('eventId');
      if (at >= 0) streamed.set(fields[at + 1]!, Number(id.split('-')[0]));
    }
    if (page.length < 5000) break;
    from = `(${page.at(-1)![0]}`;
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ id: string; rec: string; enr: string | null; pub: string | null }>(
      `select event_id as id, extract(epoch from received_at) * 1000 as rec,
              extract(epoch from enriched_at) * 1000 as enr,
              extract(epoch from published_at) * 1000 as pub
       from signals where event_id = any($1::uuid[])`,
      [[...times.keys()]],
    );
    const parts: Record<string, number[]> = {
      'send → 202': [],
      'send → received': [],
      'received → on the stream': [],
      'on the stream → enriching': [],
      'enriching → published': [],
      'published → on /ws': [],
    };
    for (const row of r.rows) {
      const t = times.get(row.id)!;
      const rec = Number(row.rec);
      parts['send → 202']!.push(t.answered - t.due);
      parts['send → received']!.push(rec - t.due);
      const onStream = streamed.get(row.id);
      if (onStream !== undefined) {
        parts['received → on the stream']!.push(onStream - rec);
        if (row.enr !== null) parts['on the stream → enriching']!.push(Number(row.enr) - onStream);
      }
      if (row.enr !== null && row.pub !== null)
        parts['enriching → published']!.push(Number(row.pub) - Number(row.enr));
      if (row.pub !== null && t.arrived !== undefined)
        parts['published → on /ws']!.push(t.arrived - Number(row.pub));
    }
    return Object.entries(parts).map(([label, xs]) => {
      xs.sort((a, b) => a - b);
      return `      ${label.padEnd(24)} p50 ${fmt(pct(xs, 50), 1).padStart(8)} ms   p99 ${fmt(pct(xs, 99), 1).padStart(8)} ms`;
    });
  } finally {
    await c.end();
  }
}

type Server = Awaited<ReturnType<typeof startProcess>>;

interface CpuSnapshot {
  at: number;
  api: number;
  worker: number;
  /** By backend pid: the bench database's PostgreSQL backends. */
  pg: Map<number, number>;
  redis: number;
  bench: number;
}

/**
 * Where the machine's CPU goes during a part of the run: the two server processes, the bench
 * database's PostgreSQL backends, Redis (shared with anyone else using it) and this process.
 * Divided by the signals handled, it is a cost per signal that other load on the machine
 * changes far less than latencies.
 */
async function cpuSnapshot(
  admin: pg.Client,
  database: string,
  redis: Redis,
  api: Server | undefined,
  worker: Server | undefined,
): Promise<CpuSnapshot> {
  const pids = await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1',
    [database],
  );
  const info = String(await redis.info('server'));
  const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  const own = process.cpuUsage();
  return {
    at: wall(),
    api: cpuMs(api?.child.pid),
    worker: cpuMs(worker?.child.pid),
    pg: new Map(pids.rows.map((r) => [r.pid, cpuMs(r.pid)])),
    redis: cpuMs(redisPid),
    bench: (own.user + own.system) / 1000,
  };
}

/** CPU ms per signal by component between two snapshots, as one line. */
function cpuPerSignal(
  a: CpuSnapshot,
  b: CpuSnapshot,
  signals: number,
  withWorker: boolean,
): string {
  let pgMs = 0;
  for (const [pid, ms] of b.pg) if (Number.isFinite(ms)) pgMs += ms - (a.pg.get(pid) ?? 0);
  const parts: Array<[string, number]> = [
    ['api', b.api - a.api],
    ...(withWorker ? [['worker', b.worker - a.worker] as [string, number]] : []),
    ['PostgreSQL', pgMs],
    ['Redis', b.redis - a.redis],
    ['load generator', b.bench - a.bench],
  ];
  const total = parts.reduce((t, [, ms]) => t + ms, 0);
  const per = (ms: number) => fmt((ms / signals) * 1000, 0);
  return `    CPU per signal (µs): ${parts.map(([n, ms]) => `${n} ${per(ms)}`).join(', ')}; all ${per(total)} (${fmt((total / (b.at - a.at)) * 100, 0)}% of one core over the part)`;
}

async function stop(server: Server | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

async function main() {
  const name = `obscura_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DB_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const port = 19000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    OBSCURA_ENV_FILE: '/nonexistent',
    HOST: '127.0.0.1',
    DATABASE_URL: withDb(DB_URL, name),
    REDIS_URL,
    REDIS_PREFIX: name,
    JWT_SECRET: randomBytes(32).toString('hex'),
    VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'warn',
    DEMO_SEED: 'false',
    WEB_UI: 'off',
    MARKET_SOURCE: 'synthetic',
    MARKET_BACKFILL: '1h',
    RATE_LIMIT_GENERAL: '1000000000',
    SIGNALS_RATE_PER_MINUTE: '10000000',
    SIGNALS_RATE_BURST: '10000000',
  };
  let worker: Server | undefined;
  let api: Server | undefined;
  let redis: Redis | undefined;
  const lines: string[] = [];
  try {
    // Two processes, as a deployment that scales them apart: the worker runs the consumers
    // (the pipeline), the market source and the venue; the api process serves HTTP and /ws.
    console.log(
      `starting a worker and an api process (PostgreSQL + Redis, synthetic market); load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const node = (role: string) => [
      ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}/${role}`] : []),
      'bin/obscura.js',
      'serve',
      '--role',
      role,
    ];
    worker = await startProcess(
      'node',
      node('worker'),
      { ...env, PORT: String(port + 1) },
      /never printed/,
      `http://127.0.0.1:${port + 1}/ready`,
    );
    api = await startProcess(
      'node',
      node('api'),
      { ...env, PORT: String(port) },
      /never printed/,
      `${base}/ready`,
    );
    const h = http(base);
    const reg = await h.json('POST', '/api/v1/auth/register', {
      email: `bench-${Date.now()}@example.com`,
      password: `bench-${randomBytes(8).toString('hex')}`,
      displayName: 'Bench',
    });
    if (reg.status !== 201) throw new Error(`sign-up failed: ${JSON.stringify(reg.body)}`);
    const session = {
      authorization: `Bearer ${(reg.body as { accessToken: string }).accessToken}`,
    };
    const keys: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const k = await h.json(
        'POST',
        '/api/v1/keys',
        { name: `bench ${i}`, scopes: ['signals', 'read'] },
        session,
      );
      if (k.status !== 201) throw new Error(`key creation failed: ${JSON.stringify(k.body)}`);
      keys.push((k.body as { key: string }).key);
    }

    // The synthetic market's backfill runs in the background: wait for enough 1m candles to
    // compute every feature, so that the evaluators judge real data.
    process.stdout.write('waiting for market history');
    for (let i = 0; i < 600; i++) {
      const c = await h.json(
        'GET',
        '/api/v1/market/candles?symbol=BTC%2FUSDT&timeframe=1m&limit=60',
        undefined,
        session,
      );
      const candles = (c.body as { candles?: unknown[] } | undefined)?.candles;
      if (Array.isArray(candles) && candles.length >= 55) break;
      process.stdout.write('.');
      await sleep(500);
    }
    process.stdout.write('\n');
    const post = (i: number) =>
      h
        .json('POST', '/api/v1/signals', signalBody(i), { 'x-api-key': keys[i % keys.length]! })
        .then((r) => r.status);

    // Warm-up: JIT, caches, connections, consumer groups.
    await closedLoop(h, 2, post, 'warm-up');
    await drain(withDb(DB_URL, name));

    // (b) first, on an idle pipeline.
    redis = new Redis(REDIS_URL);
    const snap = () => cpuSnapshot(admin, name, redis!, api, worker);
    if (ONLY !== 'a') {
      const open = http(base, OPEN_CONNECTIONS);
      // The same load, unmeasured, first: the closed-loop warm-up never subscribes to
      // decisions, so their path to /ws would otherwise be compiled during the measurement.
      if (WARMUP > 0) {
        await decisionLatency(open, keys, `ws://127.0.0.1:${port}/ws`, RATE, WARMUP, 'warm-up');
        await drain(withDb(DB_URL, name));
      }
      const commit = await commitLatency(withDb(DB_URL, name), 3);
      const before = await snap();
      const b = await decisionLatency(open, keys, `ws://127.0.0.1:${port}/ws`, RATE, SECONDS);
      await open.pool.close();
      const after = await snap();
      lines.push(
        `(b) signal → published decision (api + worker), built-in evaluators, ${fmt(RATE)} signals/s offered open loop for ${SECONDS} s over ${OPEN_CONNECTIONS} connections, via ${b.via === 'ws' ? 'the /ws decisions channel' : 'polling GET /api/v1/signals/{id} (the /ws decisions channel refused the subscription)'}`,
        `    ${b.accepted} of ${b.sent} accepted, ${b.latencies.length} decided, ${b.lost} without a decision within 30 s`,
        `    p50 ${fmt(pct(b.latencies, 50), 1)} ms   p99 ${fmt(pct(b.latencies, 99), 1)} ms   max ${fmt(b.latencies.at(-1) ?? NaN, 1)} ms   target p99 ≤ ${TARGETS.decisionP99} ms: ${pct(b.latencies, 99) <= TARGETS.decisionP99 && b.lost === 0 ? 'met' : 'NOT met'}`,
        `    baseline, same server just before: one-row insert transaction p50 ${fmt(commit.p50, 2)} ms   p99 ${fmt(commit.p99, 2)} ms; decision p99 = ${fmt(pct(b.latencies, 99) / commit.p99, 1)}× its p99`,
        `    load average after (b): ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
        `    where the time went (stage times from the signals' rows):`,
        `      sends left late by       p50 ${fmt(pct(b.late, 50), 1).padStart(8)} ms   p99 ${fmt(pct(b.late, 99), 1).padStart(8)} ms   (the load generator's own lag)`,
        ...(await stageBreakdown(
          withDb(DB_URL, name),
          redis!,
          `${name}:stream:signals.pending`,
          b.times,
        )),
        cpuPerSignal(before, after, b.accepted, true),
        '',
      );
    }

    // (a) the gateway alone: the worker is stopped so that the pipeline's work on the backlog
    // does not share the machine with it; accepted signals still commit and their events are
    // relayed to Redis. Beside /health of the same process, same connections.
    if (ONLY !== 'b') {
      await stop(worker);
      const health = await closedLoop(
        h,
        Math.min(SECONDS, 5),
        () => h.json('GET', '/health').then((r) => r.status),
        'GET /health',
      );
      const before = await snap();
      const a = await closedLoop(h, SECONDS, post, 'POST /api/v1/signals');
      const after = await snap();
      const codes = [...a.codes].map(([c, n]) => `${c}: ${n}`).join(', ');
      lines.push(
        `(a) gateway (api process alone), ${CONNECTIONS} keep-alive connections, ${KEYS} API keys, ${SECONDS} s closed loop`,
        `    POST /api/v1/signals  ${fmt(a.rps).padStart(8)} accepted/s   p50 ${fmt(a.p50, 2)} ms   p99 ${fmt(a.p99, 2)} ms   (${codes})`,
        `    GET /health           ${fmt(health.rps).padStart(8)} req/s        p50 ${fmt(health.p50, 2)} ms   p99 ${fmt(health.p99, 2)} ms`,
        `    ratio ${fmt((a.rps / health.rps) * 100, 0)}% of /health   target ≥ ${fmt(TARGETS.gatewayRps)}/s: ${a.rps >= TARGETS.gatewayRps ? 'met' : 'NOT met'}   p99 ≤ ${TARGETS.gatewayP99} ms: ${a.p99 <= TARGETS.gatewayP99 ? 'met' : 'NOT met'}`,
        `    load average after (a): ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
        cpuPerSignal(before, after, a.ok, false),
      );
    }
    await h.pool.close();
  } finally {
    await stop(api);
    await stop(worker);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    redis?.disconnect();
    await dropKeys(name);
  }
  console.log('');
  console.log(lines.join('\n'));

  if (process.env.BENCH_INDICATORS !== '0') {
    console.log('\n(c) indicators: bench/indicators.ts, in its own process\n');
    await new Promise<void>((resolve, reject) => {
      const child = spawn('node', ['--import', 'tsx', 'bench/indicators.ts'], {
        env: process.env,
        stdio: 'inherit',
      });
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`indicators bench exited ${code}`)),
      );
    });
  } else {
    console.log('\n(c) indicators: skipped (BENCH_INDICATORS=0); see npm run bench:indicators');
  }
}

/**
 * The baseline of (b): what one durable step costs on this server right now, as latencies of
 * one-row insert transactions (begin, insert, commit) run one after another for `seconds`.
 * The decision path has four such steps in a row (the gateway's group commit, the relay's
 * batch, the enrichment, the decisions), each with the wait for the batch ahead of it.
 */
async function commitLatency(url: string, seconds: number): Promise<{ p50: number; p99: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('create table bench_commit (id bigserial primary key, at timestamptz not null)');
    const xs: number[] = [];
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      const t0 = performance.now();
      await c.query('begin');
      await c.query('insert into bench_commit (at) values (now())');
      await c.query('commit');
      xs.push(performance.now() - t0);
    }
    xs.sort((a, b) => a - b);
    return { p50: pct(xs, 50), p99: pct(xs, 99) };
  } finally {
    await c.end();
  }
}

/** Deletes the run's Redis keys (streams, dead letters, buckets): the Redis is shared. */
async function dropKeys(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Waits until every accepted signal has its decision published (or 120 s have passed). */
async function drain(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const r = await c.query<{ n: string }>(
        `select count(*) as n from signals where progress <> 'published' and dead_lettered_at is null`,
      );
      if (Number(r.rows[0]!.n) === 0) return;
      await sleep(200);
    }
    console.log('the pipeline did not drain within 120 s; measuring anyway');
  } finally {
    await c.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
