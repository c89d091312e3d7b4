/**
 * One side of `npm run bench:ws`, in its own process. Started by bench/ws.ts as
 *
 *   node --expose-gc --import tsx bench/ws-server.ts <mode> <source>
 *
 * mode `app`: the real server (buildApp, configured from the environment) serving /ws;
 * mode `bare`: a bare `ws` server that broadcasts each message, serialised once, to every
 *   client: the baseline;
 * mode `publisher`: no server, only the tick generator publishing on the Redis feed.
 * source `local`: ticks are generated in this process; `redis`: they arrive from a publisher
 *   process through Redis pub/sub (the app through its feed, the bare server by PSUBSCRIBE).
 *
 * A tick is the real pipeline's first half: the synthetic market's next BTC/USDT trade
 * (stamped `sentAt` the moment it exists) normalized into a 24 h ticker by the market domain.
 * The parent drives everything over IPC: `{ cmd: 'ticks', rate, seconds }`, `{ cmd: 'mem' }`,
 * and for the bare server `{ cmd: 'loops' }`: the median time one broadcast loop took.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { buildApp } from '../src/apps/app.js';
import { loadConfig } from '../src/apps/config.js';
import { channels } from '../src/core/topics.js';
import { SyntheticMarket, TickerBoard } from '../src/modules/market/domain/index.js';
import { createFeed } from '../src/platform/feed/index.js';

type Publish = (channel: string, data: unknown) => void;
type Command = { cmd: 'ticks'; rate: number; seconds: number } | { cmd: 'mem' } | { cmd: 'loops' };

const [mode, source] = process.argv.slice(2) as ['app' | 'bare' | 'publisher', 'local' | 'redis'];
const env = process.env;
const prefix = env.REDIS_PREFIX ?? 'obscura';
const send = (m: unknown) => process.send!(m);
/** Epoch milliseconds with microsecond resolution, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();

function ticker(publish: Publish) {
  const market = new SyntheticMarket({ seed: 'bench-ws', startTime: Date.UTC(2026, 0, 1) });
  const board = new TickerBoard();
  return () => {
    for (;;) {
      const e = market.next();
      if (e.kind === 'book') board.onBookTop(e);
      if (e.kind !== 'trade') continue;
      const sentAt = now();
      board.onTrade(e);
      if (e.symbol !== 'BTC/USDT') continue;
      const t = board.ticker(e.venue, e.symbol)!;
      publish(channels.ticker(e.venue, e.symbol), { ...t, sentAt });
      return;
    }
  };
}

function run(tick: () => void, rate: number, seconds: number): Promise<void> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  let n = 0;
  return new Promise((resolve) => {
    // Scheduled against the start time so that a slow tick does not shift every later one.
    const step = () => {
      tick();
      if (++n >= total) return resolve();
      setTimeout(step, Math.max(0, start + n * interval - performance.now()));
    };
    step();
  });
}

async function serve(): Promise<{ publish?: Publish; url?: string }> {
  if (mode === 'publisher') {
    const feed = await createFeed({
      redisUrl: env.REDIS_URL,
      redisPrefix: prefix,
      logger: pino({ level: 'warn' }),
    });
    return { publish: (c, d) => feed.publish(c, d) };
  }
  if (mode === 'app') {
    const app = await buildApp(loadConfig({ ...env, OBSCURA_ENV_FILE: '/nonexistent' }));
    const address = await app.listen();
    return {
      url: address.replace('http', 'ws'),
      ...(source === 'local' ? { publish: (c: string, d: unknown) => app.feed.publish(c, d) } : {}),
    };
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const broadcast = (frame: Buffer) => {
    const t0 = performance.now();
    for (const c of wss.clients) c.send(frame, { binary: false });
    loops.push(performance.now() - t0);
  };
  if (source === 'redis') {
    const sub = new Redis(env.REDIS_URL!);
    await sub.psubscribe(`${prefix}:feed:*`);
    const skip = `${prefix}:feed:`.length;
    sub.on('pmessage', (_p: string, ch: string, payload: string) =>
      broadcast(Buffer.from(`{"type":"ticker","channel":"${ch.slice(skip)}","data":${payload}}`)),
    );
  }
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    publish: (c, d) =>
      broadcast(Buffer.from(`{"type":"ticker","channel":"${c}","data":${JSON.stringify(d)}}`)),
  };
}

const loops: number[] = [];
const gc = (globalThis as { gc?: () => void }).gc;
const { publish, url } = await serve();
// The bare server's Redis mode broadcasts what arrives; only generators make ticks.
const tick = publish && (mode === 'publisher' || source === 'local') ? ticker(publish) : undefined;
process.on('message', (m: Command) => {
  if (m.cmd === 'mem') {
    gc?.();
    gc?.();
    const u = process.memoryUsage();
    send({ mem: { rss: u.rss, heap: u.heapUsed + u.external } });
  } else if (m.cmd === 'loops') {
    const sorted = loops.splice(0).sort((a, b) => a - b);
    send({ loops: sorted[sorted.length >> 1] ?? NaN });
  } else if (tick) {
    void run(tick, m.rate, m.seconds).then(() => send({ done: true }));
  }
});
send({ ready: true, url });
