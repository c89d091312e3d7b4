/**
 * `npm run bench:ws`: the WebSocket gateway, each figure beside a bare `ws` server measured in
 * the same run (add DATABASE_URL and REDIS_URL to measure the distributed build too):
 *
 *   npm run bench:ws
 *   BENCH_CLIENTS=2000 BENCH_SECONDS=3 npm run bench:ws
 *
 * - latency: one client subscribed to BTC/USDT's ticker; each tick is the synthetic market's
 *   next trade, normalized into a 24 h ticker, published on the feed and delivered by the
 *   gateway; measured from the trade's creation to the client's receipt. Baseline: a bare
 *   `ws` server broadcasting the same ticks (serialised once) from the same generator. Through
 *   Redis, the ticks come from another process and the baseline is a bare `ws` server fed by
 *   Redis pub/sub.
 * - fan-out: BENCH_CLIENTS (10,000) clients on one ticker, 2 ticks a second; delivery latency
 *   of every frame, and the server's memory per connection (RSS and V8 heap + external, after
 *   GC, before and after connecting), beside the bare server's.
 *
 * Servers run in their own processes; the clients run in this one. Targets: latency p99 ≤ 5 ms
 * embedded and ≤ 15 ms through Redis; fan-out p99 ≤ 100 ms.
 */
import { randomBytes } from 'node:crypto';
import { freshDatabase, uniqueRedisPrefix } from '../test/helpers/backends.js';
import {
  ClientPool,
  kib,
  medianRound,
  ms,
  sleep,
  startServer,
  stats,
  type Server,
  type Stats,
} from './ws-lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10_000);
const FANOUT_RATE = 2;
const SUBSCRIBE = { op: 'subscribe', channel: 'ticker', venue: 'paper', symbol: 'BTC/USDT' };

const { DATABASE_URL, REDIS_URL, ...rest } = process.env;
const base: NodeJS.ProcessEnv = {
  ...rest,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  DEMO_SEED: 'false',
  DATA_DIR: 'memory://',
  // The bench's own ticks are the only traffic on the feed.
  MARKET_SOURCE: 'none',
  OBSCURA_ENV_FILE: '/nonexistent',
  VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
};
const distributed = Boolean(DATABASE_URL && REDIS_URL);

/** A server under test: where clients connect, and who makes its ticks. */
interface Setup {
  name: string;
  target?: number;
  server: Server;
  generator: Server;
  url: string;
  headers: Record<string, string>;
  subscribe?: unknown;
}

async function token(wsUrl: string): Promise<Record<string, string>> {
  const res = await fetch(`${wsUrl.replace('ws', 'http')}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-${randomBytes(4).toString('hex')}@example.com`,
      password: 'bench password 123',
      displayName: 'Bench',
    }),
  });
  const body = (await res.json()) as { accessToken: string };
  return { authorization: `Bearer ${body.accessToken}` };
}

const cleanups: Array<() => unknown> = [];

async function bare(source: 'local' | 'redis', env: NodeJS.ProcessEnv): Promise<Setup> {
  const server = await startServer('bare', source, env);
  cleanups.push(server.stop);
  const generator = source === 'local' ? server : await startServer('publisher', 'redis', env);
  if (generator !== server) cleanups.push(generator.stop);
  const name = source === 'local' ? 'bare ws' : 'bare ws + Redis pub/sub';
  return { name, server, generator, url: server.url!, headers: {} };
}

async function obscura(source: 'local' | 'redis', env: NodeJS.ProcessEnv): Promise<Setup> {
  const server = await startServer('app', source, env);
  cleanups.push(server.stop);
  const generator = source === 'local' ? server : await startServer('publisher', 'redis', env);
  if (generator !== server) cleanups.push(generator.stop);
  return {
    name: source === 'local' ? 'Obscura, embedded' : 'Obscura, through Redis',
    target: source === 'local' ? 5 : 15,
    server,
    generator,
    url: `${server.url}/ws`,
    headers: await token(server.url!),
    subscribe: SUBSCRIBE,
  };
}

async function measure(s: Setup, pool: ClientPool, rate: number): Promise<Stats> {
  pool.samples = [];
  await s.generator.ticks(rate, SECONDS);
  // Frames of the last ticks may still be on their way.
  await sleep(300);
  return stats(pool.samples);
}

/** Alternating rounds of baseline and target, each on its own single client. */
async function latency(pair: [Setup, Setup]): Promise<[Stats, Stats]> {
  const pools = pair.map(() => new ClientPool());
  for (const [i, s] of pair.entries())
    await pools[i]!.connect(s.url, 1, { headers: s.headers, subscribe: s.subscribe });
  for (const [i, s] of pair.entries()) await measure(s, pools[i]!, RATE / 2); // warm-up
  const rounds: Stats[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++)
    for (const [i, s] of pair.entries()) rounds[i]!.push(await measure(s, pools[i]!, RATE));
  for (const p of pools) p.close();
  return [medianRound(rounds[0]!), medianRound(rounds[1]!)];
}

interface FanOut {
  stats: Stats;
  rssPerConn: number;
  heapPerConn: number;
  connectSeconds: number;
  /** Server time of one broadcast loop (bare server), the floor of single-threaded fan-out. */
  sendLoop: number | undefined;
}

async function fanOut(s: Setup): Promise<FanOut> {
  const pool = new ClientPool();
  const before = await s.server.memory();
  const t0 = performance.now();
  await pool.connect(s.url, CLIENTS, { headers: s.headers, subscribe: s.subscribe });
  const connectSeconds = (performance.now() - t0) / 1000;
  await measure(s, pool, FANOUT_RATE); // warm-up
  await sleep(500);
  const after = await s.server.memory();
  const bareServer = !s.subscribe;
  if (bareServer) await s.server.loops();
  const rounds: Stats[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await measure(s, pool, FANOUT_RATE));
  const sendLoop = bareServer ? await s.server.loops() : undefined;
  pool.close();
  await sleep(500);
  return {
    stats: medianRound(rounds),
    rssPerConn: (after.rss - before.rss) / CLIENTS,
    heapPerConn: (after.heap - before.heap) / CLIENTS,
    connectSeconds,
    sendLoop,
  };
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const verdict = (v: number, target?: number) =>
  target === undefined ? '' : v <= target ? `≤ ${target} ms: met` : `≤ ${target} ms: MISSED`;

async function main() {
  const env = { ...base };
  const envRedis: NodeJS.ProcessEnv = { ...base };
  let drop: (() => Promise<void>) | undefined;
  if (distributed) {
    const db = await freshDatabase({
      name: 'postgres+redis',
      databaseUrl: DATABASE_URL,
      redisUrl: REDIS_URL,
    });
    drop = db.drop;
    Object.assign(envRedis, {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_PREFIX: uniqueRedisPrefix(),
      JWT_SECRET: randomBytes(32).toString('hex'),
      VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  }
  try {
    const pairs: Array<[Setup, Setup]> = [[await bare('local', env), await obscura('local', env)]];
    if (distributed) pairs.push([await bare('redis', envRedis), await obscura('redis', envRedis)]);

    out(`\nWebSocket benchmark — ${new Date().toISOString()}, Node ${process.version}`);
    out(
      `\nLatency: tick → normalized ticker → feed → gateway → client; 1 client, ${RATE} ticks/s,`,
    );
    out(`median of ${ROUNDS} alternating rounds of ${SECONDS} s\n`);
    out(
      '| path | p50 ms | p99 ms | max ms | baseline | baseline p50 | baseline p99 | p99 ratio | target |',
    );
    out('|---|---|---|---|---|---|---|---|---|');
    for (const pair of pairs) {
      const [b, a] = await latency(pair);
      const t = pair[1];
      out(
        `| ${t.name} | ${ms(a.p50)} | ${ms(a.p99)} | ${ms(a.max)} | ${pair[0].name} | ${ms(b.p50)} | ${ms(b.p99)} | ${(a.p99 / b.p99).toFixed(2)}× | ${verdict(a.p99, t.target)} |`,
      );
    }

    out(
      `\nFan-out: ${CLIENTS.toLocaleString('en-US')} clients on one ticker, ${FANOUT_RATE} ticks/s, median of ${ROUNDS} rounds of ${SECONDS} s\n`,
    );
    out(
      '| server | p50 ms | p99 ms | max ms | frames | RSS / conn | heap / conn | connect s | p99 ratio | target |',
    );
    out('|---|---|---|---|---|---|---|---|---|---|');
    const floors: string[] = [];
    for (const pair of pairs) {
      const [b, a] = [await fanOut(pair[0]), await fanOut(pair[1])];
      floors.push(`${pair[0].name}: ${ms(b.sendLoop ?? NaN)} ms`);
      for (const [s, f] of [
        [pair[0], b],
        [pair[1], a],
      ] as const) {
        const ratio = s === pair[1] ? `${(a.stats.p99 / b.stats.p99).toFixed(2)}×` : '1 (baseline)';
        out(
          `| ${s.name} | ${ms(f.stats.p50)} | ${ms(f.stats.p99)} | ${ms(f.stats.max)} | ${f.stats.n.toLocaleString('en-US')} | ${kib(f.rssPerConn)} | ${kib(f.heapPerConn)} | ${f.connectSeconds.toFixed(1)} | ${ratio} | ${s === pair[1] ? verdict(f.stats.p99, 100) : ''} |`,
        );
      }
    }
    out(
      `\nServer time of one bare broadcast loop over ${CLIENTS.toLocaleString('en-US')} sockets (median), the floor of`,
    );
    out(`a single-threaded fan-out on this machine: ${floors.join('; ')}.`);
    out('\nClients, servers (and Redis, PostgreSQL) share this machine; compare ratios.');
  } finally {
    for (const c of cleanups) c();
    await drop?.();
  }
}

await main();
process.exit(0);
