import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../core/errors.js';
import { Metrics } from '../../platform/metrics/metrics.js';
import type { Principal } from '../identity/index.js';
import { CLOSE, Connection, MAX_BACKLOG, type Authenticator, type Socket } from './connection.js';
import { Hub } from './hub.js';
import { realtimeMetrics } from './metrics.js';

class FakeSocket implements Socket {
  bufferedAmount = 0;
  sent: Array<Record<string, unknown>> = [];
  closed: { code: number; reason: string } | undefined;
  terminated = false;
  paused = false;
  pings = 0;
  send(data: Buffer | string, _opts: { binary: boolean }) {
    this.sent.push(JSON.parse(data.toString()) as Record<string, unknown>);
  }
  ping() {
    this.pings++;
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  terminate() {
    this.terminated = true;
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  last() {
    return this.sent.at(-1);
  }
}

const principal = (userId: string, scopes: Principal['scopes'] = ['read', 'trade']): Principal => ({
  userId,
  role: 'trader',
  via: 'jwt',
  scopes,
});

/** Tokens are "<userId>" or "<userId>:<scope,scope>"; "bad" is refused, "down" fails oddly. */
class FakeAuth implements Authenticator {
  revoked = new Set<string>();
  async authenticateBearer(token: string): Promise<Principal> {
    if (token === 'down') throw new Error('database unavailable');
    if (token === 'bad' || this.revoked.has(token))
      throw new AppError('unauthenticated', 'session_revoked', 'This session has ended.');
    const [user, scopes] = token.split(':');
    return principal(user!, scopes ? (scopes.split(',') as Principal['scopes']) : undefined);
  }
  async authenticateApiKey(key: string): Promise<Principal> {
    return { ...(await this.authenticateBearer(key)), via: 'api_key' };
  }
}

const setup = (
  config: Partial<{ wsMaxBufferedBytes: number; wsMaxSubscriptions: number }> = {},
) => {
  const hub = new Hub();
  const auth = new FakeAuth();
  const metrics = realtimeMetrics(new Metrics({ defaultMetrics: false }), {
    clients: () => 0,
    channels: () => 0,
    peakQueueBytes: () => 0,
  });
  const socket = new FakeSocket();
  const ctx = {
    hub,
    auth,
    metrics,
    logger: pino({ level: 'silent' }),
    stats: { peakQueueBytes: 0 },
    config: {
      wsHeartbeatSeconds: 30,
      wsAuthTimeoutSeconds: 5,
      wsMaxBufferedBytes: config.wsMaxBufferedBytes ?? 1000,
      wsMaxSubscriptions: config.wsMaxSubscriptions ?? 10,
    },
  };
  const conn = new Connection(socket, ctx);
  const say = (frame: unknown) => conn.receive(Buffer.from(JSON.stringify(frame)), false);
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { hub, auth, socket, conn, ctx, say, settle };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('connection', () => {
  it('applies frames sent behind an auth in order, pausing the socket meanwhile', async () => {
    const { socket, conn, say, settle, hub } = setup();
    conn.start(undefined);
    say({ op: 'auth', id: 1, token: 'u1' });
    expect(socket.paused).toBe(true);
    say({ op: 'subscribe', id: 2, channel: 'orders' });
    say({ op: 'ping', id: 3 });
    await settle();
    expect(socket.paused).toBe(false);
    expect(socket.sent.map((f) => [f.type, f.id])).toEqual([
      ['authenticated', 1],
      ['subscribed', 2],
      ['pong', 3],
    ]);
    expect(hub.subscriberCount('user.u1.orders')).toBe(1);
  });

  it('closes a client that floods frames while its auth is checked', () => {
    const { socket, conn, say } = setup();
    conn.start(undefined);
    say({ op: 'auth', token: 'u1' });
    for (let i = 0; i <= MAX_BACKLOG; i++) say({ op: 'ping' });
    expect(socket.closed).toEqual({ code: CLOSE.policy, reason: 'too many frames' });
  });

  it('refuses a second user on one connection, and a private channel without the read scope', async () => {
    const { socket, conn, say, settle } = setup();
    conn.start(undefined);
    say({ op: 'auth', token: 'u1' });
    await settle();
    say({ op: 'auth', id: 2, token: 'u2' });
    await settle();
    expect(socket.last()).toMatchObject({ type: 'error', id: 2, code: 'user_mismatch' });
    expect(conn.userId).toBe('u1');

    const k = setup();
    k.conn.start({
      principal: principal('u3', ['signals']),
      credential: { kind: 'apiKey', value: 'u3:signals' },
    });
    k.say({ op: 'subscribe', id: 1, channel: 'fills' });
    expect(k.socket.last()).toMatchObject({ code: 'insufficient_scope' });
    k.say({ op: 'subscribe', id: 2, channel: 'ticker', symbol: 'BTC/USDT' });
    expect(k.socket.last()).toMatchObject({ type: 'subscribed' });
  });

  it('reports an identity refusal by its code and an outage as retryable', async () => {
    const { socket, conn, say, settle } = setup();
    conn.start(undefined);
    say({ op: 'auth', id: 1, token: 'bad' });
    await settle();
    expect(socket.sent).toEqual([expect.objectContaining({ id: 1, code: 'session_revoked' })]);
    expect(socket.closed).toEqual({ code: CLOSE.policy, reason: 'authentication failed' });

    const down = setup();
    down.conn.start(undefined);
    down.say({ op: 'auth', token: 'down' });
    await down.settle();
    expect(down.socket.last()).toMatchObject({ code: 'internal' });
    expect(down.socket.closed).toEqual({
      code: CLOSE.tryAgainLater,
      reason: 'authentication unavailable',
    });
  });

  it('closes a slow consumer once, stops sending to it and leaves every channel', () => {
    const { socket, conn, say, hub, ctx } = setup({ wsMaxBufferedBytes: 1000 });
    conn.start({ principal: principal('u1'), credential: { kind: 'token', value: 'u1' } });
    say({ op: 'subscribe', channel: 'book', symbol: 'BTC/USDT' });
    const before = socket.sent.length;
    socket.bufferedAmount = 900;
    expect(hub.publish('md.book.paper.BTC/USDT', { n: 1 })).toBe(1);
    socket.bufferedAmount = 1001;
    expect(hub.publish('md.book.paper.BTC/USDT', { n: 2 })).toBe(0);
    expect(hub.publish('md.book.paper.BTC/USDT', { n: 3 })).toBe(0);
    expect(socket.sent.length).toBe(before + 1);
    expect(socket.closed).toEqual({ code: CLOSE.tryAgainLater, reason: 'slow consumer' });
    expect(hub.channelCount).toBe(0);
    expect(ctx.stats.peakQueueBytes).toBeLessThanOrEqual(1000 + 100);
  });

  it('cuts a peer that answers no ping, and spares one that does', () => {
    const { socket, conn } = setup();
    conn.start({ principal: principal('u1'), credential: { kind: 'token', value: 'u1' } });
    conn.heartbeat();
    expect(socket.pings).toBe(1);
    conn.markAlive();
    conn.heartbeat();
    expect(socket.terminated).toBe(false);
    conn.heartbeat();
    expect(socket.terminated).toBe(true);
  });

  it('closes a connection that never authenticates', () => {
    vi.useFakeTimers();
    const { socket, conn } = setup();
    conn.start(undefined);
    vi.advanceTimersByTime(4999);
    expect(socket.closed).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(socket.closed).toEqual({ code: CLOSE.policy, reason: 'authentication timeout' });
  });

  it('ends the stream when revalidation finds the credential revoked', async () => {
    const { socket, conn, auth, settle } = setup();
    conn.start({ principal: principal('u1'), credential: { kind: 'token', value: 'u1' } });
    conn.revalidate();
    await settle();
    expect(socket.closed).toBeUndefined();
    auth.revoked.add('u1');
    conn.revalidate();
    await settle();
    expect(socket.last()).toMatchObject({ code: 'session_revoked' });
    expect(socket.closed).toEqual({ code: CLOSE.policy, reason: 'authentication expired' });
  });
});

describe('decisions subscriptions', () => {
  const msg = (symbol: string, source: string, models: string[]) => ({
    signal: { symbol, source },
    decisions: models.map((modelId) => ({ modelId })),
    consensus: { action: 'hold' },
  });

  it('needs read or signals, and delivers a message once however many filters match', async () => {
    const { socket, conn, say, settle, hub } = setup({ wsMaxSubscriptions: 3 });
    conn.start({
      principal: principal('u1', ['signals']),
      credential: { kind: 'apiKey', value: 'u1:signals' },
    });
    say({ op: 'subscribe', id: 1, channel: 'decisions', symbol: 'BTC/USDT' });
    say({ op: 'subscribe', id: 2, channel: 'decisions', source: 'tv' });
    say({ op: 'subscribe', id: 3, channel: 'decisions', source: 'tv' }); // the same again
    await settle();
    expect(socket.sent.slice(1).map((f) => [f.type, f.id, f.filter])).toEqual([
      ['subscribed', 1, { symbol: 'BTC/USDT' }],
      ['subscribed', 2, { source: 'tv' }],
      ['subscribed', 3, { source: 'tv' }],
    ]);
    expect(conn.subscriptionCount).toBe(2);
    const channel = 'user.u1.decisions';
    const data = () => socket.sent.filter((f) => f.type === 'decisions').map((f) => f.data);
    hub.publish(channel, msg('BTC/USDT', 'tv', ['m1'])); // both filters: once
    hub.publish(channel, msg('ETH/USDT', 'tv', ['m1'])); // the source filter
    hub.publish(channel, msg('ETH/USDT', 'bot', ['m1'])); // neither
    expect(data()).toEqual([msg('BTC/USDT', 'tv', ['m1']), msg('ETH/USDT', 'tv', ['m1'])]);

    // The limit counts filters; dropping one keeps the others.
    say({ op: 'subscribe', id: 4, channel: 'decisions', model: 'm2' });
    say({ op: 'subscribe', id: 5, channel: 'orders' });
    expect(socket.last()).toMatchObject({ id: 5, code: 'insufficient_scope' });
    say({ op: 'subscribe', id: 6, channel: 'decisions', model: 'm3' });
    expect(socket.last()).toMatchObject({ id: 6, code: 'too_many_subscriptions' });
    say({ op: 'unsubscribe', id: 7, channel: 'decisions', symbol: 'BTC/USDT' });
    say({ op: 'unsubscribe', id: 8, channel: 'decisions', source: 'tv' });
    hub.publish(channel, msg('BTC/USDT', 'tv', ['m1']));
    hub.publish(channel, msg('BTC/USDT', 'tv', ['m2']));
    expect(data()).toHaveLength(3);
    say({ op: 'unsubscribe', id: 9, channel: 'decisions', model: 'm2' });
    expect(hub.subscriberCount(channel)).toBe(0);
  });

  it('refuses a key with neither read nor signals', () => {
    const { socket, conn, say } = setup();
    conn.start({
      principal: principal('u1', ['trade']),
      credential: { kind: 'apiKey', value: 'u1:trade' },
    });
    say({ op: 'subscribe', id: 1, channel: 'decisions' });
    expect(socket.last()).toMatchObject({ id: 1, code: 'insufficient_scope' });
  });
});
