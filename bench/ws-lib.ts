/**
 * Helpers of `npm run bench:ws`: server processes driven over IPC, and a pool of WebSocket
 * clients that timestamps every tick it receives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Epoch milliseconds with microsecond resolution, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Server {
  url: string | undefined;
  ticks(rate: number, seconds: number): Promise<void>;
  memory(): Promise<{ rss: number; heap: number }>;
  /** Bare server only: median server time of one broadcast loop since the last call. */
  loops(): Promise<number>;
  stop(): void;
}

export async function startServer(
  mode: 'app' | 'bare' | 'publisher',
  source: 'local' | 'redis',
  env: NodeJS.ProcessEnv,
): Promise<Server> {
  const child: ChildProcess = spawn(
    'node',
    ['--expose-gc', '--import', 'tsx', 'bench/ws-server.ts', mode, source],
    { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const next = (key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${mode} server exited: ${code}`));
      const onMessage = (m: Record<string, unknown>) => {
        if (!(key in m)) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next('ready');
  return {
    url: ready.url as string | undefined,
    async ticks(rate, seconds) {
      const done = next('done');
      child.send({ cmd: 'ticks', rate, seconds });
      await done;
    },
    async memory() {
      const m = next('mem');
      child.send({ cmd: 'mem' });
      return (await m).mem as { rss: number; heap: number };
    },
    async loops() {
      const m = next('loops');
      child.send({ cmd: 'loops' });
      return (await m).loops as number;
    },
    stop: () => void child.kill('SIGKILL'),
  };
}

const SENT = Buffer.from('"sentAt":');
const SUBSCRIBED = Buffer.from('"subscribed"');

/** A masked client frame (RFC 6455 §5.3), for the few frames clients send. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('bench client frames stay under 126 bytes');
  const mask = randomBytes(4);
  const out = Buffer.alloc(6 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/**
 * Clients that record, for every frame carrying `sentAt`, how long ago that tick was
 * generated. They speak just enough WebSocket on raw sockets (handshake, frame lengths, pong)
 * and never decode JSON, so that 10,000 of them sharing the machine with the server cost as
 * little as possible, and the same for every server measured.
 */
export class ClientPool {
  samples: number[] = [];
  private readonly sockets: Socket[] = [];

  async connect(
    url: string,
    count: number,
    opts: { headers?: Record<string, string>; subscribe?: unknown; concurrency?: number } = {},
  ): Promise<void> {
    const u = new URL(url);
    const extra = Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const request =
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n${extra}`;
    const subscribe = opts.subscribe
      ? clientFrame(0x1, Buffer.from(JSON.stringify(opts.subscribe)))
      : undefined;
    let next = 0;
    const one = () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(Number(u.port), u.hostname);
        this.sockets.push(socket);
        socket.setNoDelay(true);
        socket.on('error', reject);
        socket.write(`${request}Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`);
        let carry: Buffer | undefined;
        let open = false;
        socket.on('data', (chunk: Buffer) => {
          let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
          carry = undefined;
          if (!open) {
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) return void (carry = buf);
            if (!buf.subarray(0, 12).toString().includes(' 101'))
              return reject(new Error(`upgrade refused: ${buf.subarray(0, 40).toString()}`));
            open = true;
            buf = buf.subarray(end + 4);
            if (subscribe) socket.write(subscribe);
            else resolve();
          }
          carry = this.frames(buf, socket, resolve);
        });
      });
    const worker = async () => {
      while (next++ < count) await one();
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 100 }, worker));
  }

  /** Reads whole frames from `buf`; returns an incomplete tail to prepend to the next chunk. */
  private frames(buf: Buffer, socket: Socket, subscribed: () => void): Buffer | undefined {
    let at = 0;
    while (buf.length - at >= 2) {
      const opcode = buf[at]! & 0x0f;
      let len = buf[at + 1]! & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - at < 4) break;
        len = buf.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - at < 10) break;
        len = Number(buf.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (buf.length - at < head + len) break;
      const payload = buf.subarray(at + head, at + head + len);
      at += head + len;
      if (opcode === 0x9) socket.write(clientFrame(0xa, payload));
      if (opcode !== 0x1) continue;
      const i = payload.indexOf(SENT);
      if (i >= 0) {
        const v = i + SENT.length;
        this.samples.push(now() - Number.parseFloat(payload.toString('latin1', v, v + 24)));
      } else if (payload.indexOf(SUBSCRIBED) >= 0) subscribed();
    }
    return at < buf.length ? Buffer.from(buf.subarray(at)) : undefined;
  }

  get size(): number {
    return this.sockets.length;
  }

  /** Resets rather than closes, so no client port lingers in TIME_WAIT between runs. */
  close(): void {
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.length = 0;
  }
}

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function stats(samples: number[]): Stats {
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? NaN };
}

/** The round with the median p99, so one disturbed round skews nothing. */
export const medianRound = (rounds: Stats[]): Stats =>
  [...rounds].sort((a, b) => a.p99 - b.p99)[Math.floor(rounds.length / 2)]!;

export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
