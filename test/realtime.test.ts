import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { channels } from '../src/core/topics.js';
import type { App } from '../src/apps/app.js';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type Session, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

const MAX_BUFFERED = 256 * 1024;
const ENV = {
  // Only the messages a test publishes itself reach the feed.
  MARKET_SOURCE: 'none',
  WS_HEARTBEAT_SECONDS: '1',
  WS_AUTH_TIMEOUT_SECONDS: '1',
  WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
  WS_MAX_SUBSCRIPTIONS: '3',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Frame = Record<string, any>;

/** A test client that records every frame and how the connection ended. */
class Client {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | undefined;
  readonly opened: Promise<void>;

  constructor(url: string, opts: ClientOptions = {}) {
    this.ws = new WebSocket(url, opts);
    this.ws.on('message', (d, isBinary) => {
      const frame = JSON.parse(d.toString()) as Frame;
      // Every frame of the protocol is text; a binary one fails the exact-match assertions.
      this.frames.push(isBinary ? { ...frame, binary: true } : frame);
    });
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (after `from`) matching `match`. */
  async next(match: Partial<Frame>, from = 0, timeoutMs = 5000): Promise<Frame> {
    return waitFor(
      () =>
        this.frames.slice(from).find((f) => Object.entries(match).every(([k, v]) => f[k] === v)),
      timeoutMs,
      { message: `no frame like ${JSON.stringify(match)}; got ${JSON.stringify(this.frames)}` },
    );
  }

  async request(frame: Frame): Promise<Frame> {
    const from = this.frames.length;
    this.send(frame);
    return this.next({ id: frame.id }, from);
  }

  async ended(timeoutMs = 5000) {
    return waitFor(() => this.closed, timeoutMs, { message: 'connection still open' });
  }

  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  close(): void {
    this.ws.terminate();
  }
}

const metric = async (app: App, name: string): Promise<number> => {
  const m = await app.metrics.registry.getSingleMetric(name)?.get();
  return m?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
};

describe.each(backends)('realtime gateway on $name', (backend) => {
  let t: TestApp;
  let base: string;
  let alice: Session;
  let bob: Session;
  const clients: Client[] = [];
  const connect = async (query = '', opts: ClientOptions = {}, url = base) => {
    const c = new Client(`${url}/ws${query}`, opts);
    clients.push(c);
    await c.opened;
    return c;
  };
  const connectAs = async (s: Session, url = base) => {
    const c = await connect('', { headers: s.auth }, url);
    await c.next({ type: 'authenticated' });
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp(backend, { env: ENV });
    base = (await t.app.http.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
    alice = await signUp(t.app);
    bob = await signUp(t.app);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t?.close();
  });

  it('authenticates with a bearer header, ?token=, an API key header or a first auth frame', async () => {
    const byHeader = await connect('', { headers: alice.auth });
    expect(await byHeader.next({ type: 'authenticated' })).toEqual({
      type: 'authenticated',
      userId: alice.userId,
      via: 'jwt',
    });
    const byQuery = await connect(`?token=${encodeURIComponent(alice.accessToken)}`);
    expect(await byQuery.next({ type: 'authenticated' })).toMatchObject({ userId: alice.userId });
    // No log line carries the token, whichever way it came.
    expect(t.logs.text).not.toContain(alice.accessToken);

    const key = (
      await t.app.http.inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: alice.auth,
        payload: { name: 'ws', scopes: ['read'] },
      })
    ).json().key as string;
    const byKey = await connect('', { headers: { 'x-api-key': key } });
    expect(await byKey.next({ type: 'authenticated' })).toMatchObject({
      userId: alice.userId,
      via: 'api_key',
    });

    const byFrame = await connect();
    expect(await byFrame.request({ op: 'auth', id: 'a1', apiKey: key })).toMatchObject({
      type: 'authenticated',
      via: 'api_key',
    });
    // auth and subscribe sent back to back are applied in order.
    const pipelined = await connect();
    pipelined.send({ op: 'auth', id: 1, token: bob.accessToken });
    pipelined.send({ op: 'subscribe', id: 2, channel: 'orders' });
    expect(await pipelined.next({ id: 2 })).toEqual({
      type: 'subscribed',
      id: 2,
      channel: channels.user(bob.userId, 'orders'),
    });
  });

  it('refuses bad credentials with an error frame and a policy close', async () => {
    const c = await connect('', { headers: { authorization: 'Bearer not-a-jwt' } });
    expect(await c.next({ type: 'error' })).toMatchObject({ code: 'invalid_token' });
    expect(await c.ended()).toEqual({ code: 1008, reason: 'authentication failed' });

    const late = await connect();
    expect(await late.ended()).toEqual({ code: 1008, reason: 'authentication timeout' });
    expect(late.frames).toEqual([expect.objectContaining({ code: 'unauthenticated' })]);
  });

  it('refuses subscriptions before authentication, naming the request', async () => {
    const c = await connect();
    expect(await c.request({ op: 'subscribe', id: 7, channel: 'orders' })).toMatchObject({
      type: 'error',
      id: 7,
      code: 'unauthenticated',
    });
    expect(await c.request({ op: 'ping', id: 8 })).toEqual({ type: 'pong', id: 8 });
  });

  it('delivers a public channel to its subscribers and nothing else', async () => {
    const c = await connectAs(alice);
    const sub = { op: 'subscribe', channel: 'ticker', symbol: 'BTC/USDT', venue: 'paper' };
    expect(await c.request({ ...sub, id: 1 })).toEqual({
      type: 'subscribed',
      id: 1,
      channel: 'md.ticker.paper.BTC/USDT',
    });
    expect(
      await c.request({
        id: 2,
        op: 'subscribe',
        channel: 'candles',
        symbol: 'BTC/USDT',
        timeframe: '1m',
      }),
    ).toMatchObject({ channel: 'md.candles.paper.BTC/USDT.1m' });
    const from = c.frames.length;
    t.app.feed.publish(channels.ticker('paper', 'ETH/USDT'), { last: '1' });
    t.app.feed.publish(channels.candles('paper', 'BTC/USDT', '5m'), { close: '1' });
    t.app.feed.publish(channels.ticker('paper', 'BTC/USDT'), {
      symbol: 'BTC/USDT',
      last: '64000.5',
    });
    expect(await c.next({ type: 'ticker' }, from)).toEqual({
      type: 'ticker',
      channel: 'md.ticker.paper.BTC/USDT',
      data: { symbol: 'BTC/USDT', last: '64000.5' },
    });
    expect(c.frames.slice(from)).toHaveLength(1);

    expect(await c.request({ ...sub, id: 3, op: 'unsubscribe' })).toMatchObject({
      type: 'unsubscribed',
    });
    t.app.feed.publish(channels.ticker('paper', 'BTC/USDT'), { last: '2' });
    t.app.feed.publish(channels.candles('paper', 'BTC/USDT', '1m'), { close: '3' });
    expect(await c.next({ type: 'candles' }, from)).toMatchObject({ data: { close: '3' } });
    expect(c.frames.filter((f) => f.type === 'ticker')).toHaveLength(1);
  });

  it('delivers private channels only to their own user', async () => {
    const a = await connectAs(alice);
    const b = await connectAs(bob);
    for (const c of [a, b]) await c.request({ op: 'subscribe', id: 1, channel: 'fills' });
    expect(
      await a.request({ op: 'subscribe', id: 2, channel: 'fills', userId: bob.userId }),
    ).toMatchObject({ code: 'unknown_field', field: 'userId' });
    t.app.feed.publish(channels.user(bob.userId, 'fills'), { fill: 'b1' });
    t.app.feed.publish(channels.user(alice.userId, 'fills'), { fill: 'a1' });
    t.app.feed.publish(channels.user(alice.userId, 'orders'), { order: 'a-not-subscribed' });
    const mine = await a.next({ type: 'fills' });
    expect(mine).toEqual({
      type: 'fills',
      channel: `user.${alice.userId}.fills`,
      data: { fill: 'a1' },
    });
    expect(await b.next({ type: 'fills' })).toMatchObject({ data: { fill: 'b1' } });
    // Both messages were published before either arrived, so nothing else is on its way.
    expect(a.frames.filter((f) => 'data' in f)).toEqual([mine]);
    expect(b.frames.filter((f) => 'data' in f)).toHaveLength(1);
  });

  it('answers bad frames with precise errors and closes on repeated garbage', async () => {
    const c = await connectAs(alice);
    const cases: Array<[unknown, Frame]> = [
      ['{nope', { code: 'invalid_json' }],
      ['[1,2]', { code: 'invalid_frame' }],
      [{ id: 1 }, { code: 'missing_field', field: 'op', id: 1 }],
      [
        { op: 'dance', id: 2 },
        { code: 'unknown_op', field: 'op', id: 2 },
      ],
      [
        { op: 'subscribe', id: 3, channel: 'news' },
        { code: 'unknown_channel', field: 'channel' },
      ],
      [
        { op: 'subscribe', id: 4, channel: 'ticker' },
        { code: 'missing_field', field: 'symbol' },
      ],
      [
        { op: 'subscribe', id: 5, channel: 'ticker', symbol: 'btc-usdt' },
        { code: 'invalid_field', field: 'symbol' },
      ],
      [
        { op: 'subscribe', id: 6, channel: 'candles', symbol: 'BTC/USDT' },
        { code: 'missing_field', field: 'timeframe' },
      ],
      [
        { op: 'subscribe', id: 7, channel: 'candles', symbol: 'BTC/USDT', timeframe: '2m' },
        { code: 'invalid_field', field: 'timeframe' },
      ],
      [
        { op: 'subscribe', id: 8, channel: 'orders', symbol: 'BTC/USDT' },
        { code: 'invalid_field', field: 'symbol' },
      ],
      [
        { op: 'subscribe', id: { x: 1 } },
        { code: 'invalid_field', field: 'id' },
      ],
    ];
    for (const [n, [frame, expected]] of cases.entries()) {
      // Ten invalid frames between two heartbeats are tolerated; the eleventh closes.
      const client = n < 10 ? c : await connectAs(alice);
      const from = client.frames.length;
      client.send(frame);
      const reply = await client.next({ type: 'error' }, from);
      expect(reply, JSON.stringify(frame)).toMatchObject(expected);
    }
    const limited = await connectAs(alice);
    for (const [i, symbol] of ['A/B', 'C/D', 'E/F', 'G/H'].entries()) {
      const reply = await limited.request({
        op: 'subscribe',
        id: 100 + i,
        channel: 'trades',
        symbol,
      });
      expect(reply.type).toBe(i < 3 ? 'subscribed' : 'error');
      if (i === 3) expect(reply.code).toBe('too_many_subscriptions');
    }

    const big = await connectAs(alice);
    big.send(JSON.stringify({ op: 'ping', pad: 'x'.repeat(10_000) }));
    expect(await big.next({ type: 'error' })).toMatchObject({ code: 'frame_too_large' });
    big.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await big.next({ code: 'binary_not_supported' })).toBeTruthy();

    const noisy = await connectAs(alice);
    for (let i = 0; i < 20; i++) noisy.send('garbage');
    expect(await noisy.ended()).toEqual({ code: 1008, reason: 'too many invalid frames' });
  });

  it('closes a connection that stops answering pings', async () => {
    const c = await connect('', { headers: alice.auth, autoPong: false });
    await c.next({ type: 'authenticated' });
    // The sweep pings, then cuts the peer that has not answered by the next sweep.
    expect((await c.ended(5000)).code).toBe(1006);
  });

  it('ends streams when the session behind them ends', async () => {
    const carol = await signUp(t.app);
    const c = await connectAs(carol);
    await c.request({ op: 'subscribe', id: 1, channel: 'balances' });
    const out = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: carol.auth,
      payload: { refreshToken: carol.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    expect(await c.ended(6000)).toEqual({ code: 1008, reason: 'authentication expired' });
    expect(c.frames.at(-1)).toMatchObject({ type: 'error', code: 'session_revoked' });
  });

  it('disconnects a slow consumer with a reason, keeping its queue bounded', async () => {
    const c = await connectAs(alice);
    await c.request({ op: 'subscribe', id: 1, channel: 'book', symbol: 'SLOW/USDT' });
    const before = await metric(t.app, 'obscura_ws_slow_consumer_disconnects_total');
    c.socket.pause();
    const channel = channels.book('paper', 'SLOW/USDT');
    const size = 128 * 1024;
    const levels = 'x'.repeat(size);
    // Loopback sockets can buffer tens of MiB in the kernel before the server's own queue
    // grows, so publish in paced batches (Redis drops a subscriber that falls 32 MiB behind)
    // until the server gives up on this client.
    const slow = async () =>
      (await metric(t.app, 'obscura_ws_slow_consumer_disconnects_total')) > before;
    let published = 0;
    while (!(await slow()) && published < 2000) {
      for (let i = 0; i < 8; i++) t.app.feed.publish(channel, { i: published++, levels });
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await slow()).toBe(true);
    const peak = await metric(t.app, 'obscura_ws_send_queue_peak_bytes');
    expect(peak).toBeLessThanOrEqual(MAX_BUFFERED + size + 1024);
    c.socket.resume();
    expect(await c.ended(10_000)).toEqual({ code: 1013, reason: 'slow consumer' });
    const received = c.frames.filter((f) => f.type === 'book').length;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(published);
  });

  it('exports its metrics and refuses plain HTTP on /ws', async () => {
    const res = await t.app.http.inject({ method: 'GET', url: '/metrics' });
    for (const name of [
      'obscura_ws_clients',
      'obscura_ws_messages_sent_total{type="data"}',
      'obscura_ws_slow_consumer_disconnects_total',
    ])
      expect(res.body).toContain(name);
    const plain = await t.app.http.inject({ method: 'GET', url: '/ws' });
    expect(plain.statusCode).toBe(426);
    expect(plain.json()).toMatchObject({ code: 'upgrade_required' });
  });

  if (backend.name === 'postgres+redis') {
    it('reaches a client connected to another process through Redis', async () => {
      const second = await startTestApp(backend, { db: t.db, env: { ...t.env } });
      try {
        const url = (await second.app.http.listen({ port: 0, host: '127.0.0.1' })).replace(
          'http',
          'ws',
        );
        const c = await connectAs(alice, url);
        await c.request({ op: 'subscribe', id: 1, channel: 'fills' });
        await c.request({ op: 'subscribe', id: 2, channel: 'ticker', symbol: 'BTC/USDT' });
        t.app.feed.publish(channels.user(alice.userId, 'fills'), { fill: 'from-worker' });
        t.app.feed.publish(channels.ticker('paper', 'BTC/USDT'), { last: '1' });
        expect(await c.next({ type: 'fills' })).toMatchObject({ data: { fill: 'from-worker' } });
        expect(await c.next({ type: 'ticker' })).toMatchObject({ data: { last: '1' } });
        await second.close();
        expect(await c.ended()).toEqual({ code: 1001, reason: 'server shutting down' });
      } finally {
        await second.close();
      }
    });
  }
});
