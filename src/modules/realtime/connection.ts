/**
 * One client connection: authentication, subscriptions, replies, heartbeats and
 * backpressure. It talks to a `Socket` (the slice of a `ws` WebSocket it needs), so its rules
 * are tested without a network.
 */
import type { Logger } from 'pino';
import { AppError } from '../../core/errors.js';
import type { Principal } from '../identity/index.js';
import type { RealtimeConfig } from './config.js';
import type { Hub, Subscriber } from './hub.js';
import type { RealtimeMetrics } from './metrics.js';
import {
  decisionMatches,
  DECISIONS,
  encode,
  feedChannel,
  filterKey,
  isPrivateKind,
  MAX_FRAME_BYTES,
  parseClientFrame,
  type ChannelKind,
  type ChannelRequest,
  type DecisionFilter,
  type ErrorFrame,
  type RequestId,
  type ServerFrame,
} from './protocol.js';

export interface Authenticator {
  authenticateBearer(token: string): Promise<Principal>;
  authenticateApiKey(key: string): Promise<Principal>;
}

export interface Credential {
  kind: 'token' | 'apiKey';
  value: string;
}

export const authenticate = (auth: Authenticator, c: Credential): Promise<Principal> =>
  c.kind === 'apiKey' ? auth.authenticateApiKey(c.value) : auth.authenticateBearer(c.value);

/** What the upgrade request's credentials came to, if it carried any. */
export type InitialAuth =
  { principal: Principal; credential: Credential } | { error: unknown } | undefined;

export interface Socket {
  readonly bufferedAmount: number;
  send(data: Buffer | string, options: { binary: boolean }): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}

export const CLOSE = {
  goingAway: 1001,
  policy: 1008,
  internal: 1011,
  tryAgainLater: 1013,
} as const;

const TEXT = { binary: false } as const;

/** Invalid frames tolerated between two heartbeats before the connection is closed. */
export const MAX_STRIKES = 10;
/** Frames held while an `auth` is being checked; a client that sends more is flooding. */
export const MAX_BACKLOG = 32;
/** How long a closing connection may take to hear our close frame before it is cut. */
export const CLOSE_GRACE_MS = 5000;

export interface ConnectionContext {
  hub: Hub;
  auth: Authenticator;
  config: RealtimeConfig;
  metrics: RealtimeMetrics;
  logger: Logger;
  /** Shared with the gateway: the largest send queue seen on any connection. */
  stats: { peakQueueBytes: number };
}

const authFailure = (err: unknown): err is AppError =>
  err instanceof AppError && (err.kind === 'unauthenticated' || err.kind === 'forbidden');

export class Connection implements Subscriber {
  private principal: Principal | undefined;
  private credential: Credential | undefined;
  /** Feed channel → the kind it was subscribed as. */
  private readonly subs = new Map<string, ChannelKind>();
  /** Filtered channels (decisions): feed channel → its subscriptions' filters, by filterKey. */
  private readonly filters = new Map<string, Map<string, DecisionFilter>>();
  private backlog: Buffer[] | undefined;
  private authPending = false;
  private alive = true;
  private strikes = 0;
  private closing = false;
  private authTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
    /** Order of arrival, used to spread periodic work over the connections. */
    readonly seq = 0,
  ) {}

  get userId(): string | undefined {
    return this.principal?.userId;
  }

  /** Every filter of a filtered channel counts as a subscription of its own. */
  get subscriptionCount(): number {
    let n = this.subs.size;
    for (const set of this.filters.values()) n += set.size - 1;
    return n;
  }

  /** A message of a filtered channel passes when any of this connection's filters lets it. */
  wants(channel: string, data: unknown): boolean {
    const set = this.filters.get(channel);
    if (!set) return true;
    for (const f of set.values()) if (decisionMatches(f, data)) return true;
    return false;
  }

  /** Applies the upgrade's credentials, or gives the client its time to send them. */
  start(initial: InitialAuth): void {
    if (initial && 'principal' in initial) {
      this.signedIn(initial.principal, initial.credential, undefined);
    } else if (initial) {
      this.refused(initial.error, undefined);
    } else {
      const seconds = this.ctx.config.wsAuthTimeoutSeconds;
      this.authTimer = setTimeout(() => {
        if (this.principal || this.authPending) return;
        this.reply({
          type: 'error',
          code: 'unauthenticated',
          message: `no credentials within ${seconds} s`,
        });
        this.shut(CLOSE.policy, 'authentication timeout');
      }, seconds * 1000);
      this.authTimer.unref();
    }
  }

  /** Sends one feed frame unless the client has fallen too far behind, which closes it. */
  deliver(frame: Buffer): boolean {
    if (this.closing) return false;
    const queued = this.socket.bufferedAmount;
    if (queued > this.ctx.config.wsMaxBufferedBytes) {
      this.slowConsumer(queued);
      return false;
    }
    // A Buffer would go out as a binary frame (a Blob in browsers); the protocol is text.
    this.socket.send(frame, TEXT);
    const peak = queued + frame.length;
    if (peak > this.ctx.stats.peakQueueBytes) this.ctx.stats.peakQueueBytes = peak;
    return true;
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (this.closing) return;
    this.alive = true;
    if (isBinary) return this.invalid(err('binary_not_supported', 'send JSON text frames'));
    if (data.length > MAX_FRAME_BYTES)
      return this.invalid(err('frame_too_large', `frames are limited to ${MAX_FRAME_BYTES} bytes`));
    if (this.authPending) {
      this.backlog ??= [];
      if (this.backlog.length >= MAX_BACKLOG) return this.shut(CLOSE.policy, 'too many frames');
      this.backlog.push(data);
      return;
    }
    this.handle(data.toString('utf8'));
  }

  markAlive(): void {
    this.alive = true;
  }

  /**
   * Called every heartbeat interval: a connection that has answered nothing since the last
   * ping is cut (a dead peer cannot receive a close frame anyway); the others are pinged.
   */
  heartbeat(): void {
    if (this.closing) return;
    if (!this.alive) {
      this.ctx.logger.debug({ at: 'realtime#heartbeat', userId: this.userId }, 'dead connection');
      this.closing = true;
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.strikes = 0;
    this.socket.ping();
  }

  /**
   * Re-checks the credential the connection authenticated with, so a logout, a revoked key or a
   * disabled account ends live streams too, not only new requests.
   */
  revalidate(): void {
    const credential = this.credential;
    if (!credential || this.authPending || this.closing) return;
    authenticate(this.ctx.auth, credential).then(
      (p) => {
        if (this.credential === credential && !this.closing) this.adopt(p);
      },
      (e: unknown) => {
        if (this.credential !== credential || this.closing || !authFailure(e)) return;
        this.reply({ type: 'error', code: e.code, message: e.message });
        this.shut(CLOSE.policy, 'authentication expired');
      },
    );
  }

  /** Sends a close frame and stops all delivery at once; cuts the socket if it never drains. */
  shut(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribeAll();
    clearTimeout(this.authTimer);
    this.socket.close(code, reason);
    this.graceTimer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }

  terminate(): void {
    this.closing = true;
    this.socket.terminate();
  }

  /** The socket is gone: release everything it held. */
  dispose(): void {
    this.closing = true;
    this.unsubscribeAll();
    this.backlog = undefined;
    clearTimeout(this.authTimer);
    clearTimeout(this.graceTimer);
  }

  private handle(text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return this.invalid(parsed.error);
    const f = parsed.frame;
    switch (f.op) {
      case 'ping':
        return this.reply({ type: 'pong', ...idOf(f.id) });
      case 'auth':
        return this.signIn(
          'token' in f ? { kind: 'token', value: f.token } : { kind: 'apiKey', value: f.apiKey },
          f.id,
        );
      case 'subscribe':
        return this.subscribe(f, f.id);
      case 'unsubscribe':
        return this.unsubscribe(f, f.id);
    }
  }

  private signIn(credential: Credential, id: RequestId | undefined): void {
    this.authPending = true;
    // Later frames wait (in `backlog`, and in the kernel once paused) so that a client may
    // send auth and subscribe back to back and have them applied in order.
    this.socket.pause();
    authenticate(this.ctx.auth, credential)
      .then(
        (p) => this.signedIn(p, credential, id),
        (e: unknown) => this.refused(e, id),
      )
      .finally(() => {
        this.authPending = false;
        if (this.closing) return;
        this.socket.resume();
        while (this.backlog?.length && !this.authPending && !this.closing)
          this.handle(this.backlog.shift()!.toString('utf8'));
      });
  }

  private signedIn(p: Principal, credential: Credential, id: RequestId | undefined): void {
    if (this.closing) return;
    if (this.principal && this.principal.userId !== p.userId) {
      return this.reply(
        err('user_mismatch', 'this connection belongs to another user; open a new one', id),
      );
    }
    clearTimeout(this.authTimer);
    this.credential = credential;
    this.adopt(p);
    this.reply({ type: 'authenticated', ...idOf(id), userId: p.userId, via: p.via });
  }

  /** Takes a fresh principal; private streams end if it may no longer read them. */
  private adopt(p: Principal): void {
    this.principal = p;
    for (const [channel, kind] of this.subs) {
      if (mayRead(p, kind)) continue;
      this.subs.delete(channel);
      this.filters.delete(channel);
      this.ctx.hub.remove(channel, this);
    }
  }

  private refused(e: unknown, id: RequestId | undefined): void {
    if (authFailure(e)) {
      this.reply({ type: 'error', ...idOf(id), code: e.code, message: e.message });
      return this.shut(CLOSE.policy, 'authentication failed');
    }
    this.ctx.logger.error({ at: 'realtime#auth', err: e }, 'authentication failed unexpectedly');
    this.reply(err('internal', 'authentication is unavailable; retry shortly', id));
    this.shut(CLOSE.tryAgainLater, 'authentication unavailable');
  }

  private subscribe(req: ChannelRequest, id: RequestId | undefined): void {
    const p = this.principal;
    if (!p) return this.reply(unauthenticated(id));
    if (!mayRead(p, req.channel))
      return this.reply(
        err(
          'insufficient_scope',
          req.channel === DECISIONS
            ? 'decisions need the "read" or the "signals" scope'
            : 'private channels need the "read" scope',
          id,
        ),
      );
    const channel = feedChannel(req, p.userId);
    if (req.channel === DECISIONS) return this.subscribeFiltered(channel, req.filter, id);
    if (!this.subs.has(channel)) {
      const max = this.ctx.config.wsMaxSubscriptions;
      if (this.subscriptionCount >= max)
        return this.reply(
          err('too_many_subscriptions', `a connection may hold ${max} subscriptions`, id),
        );
      this.subs.set(channel, req.channel);
      this.ctx.hub.add(channel, req.channel, this);
    }
    this.reply({ type: 'subscribed', ...idOf(id), channel });
  }

  private unsubscribe(req: ChannelRequest, id: RequestId | undefined): void {
    const p = this.principal;
    if (!p) return this.reply(unauthenticated(id));
    const channel = feedChannel(req, p.userId);
    if (req.channel === DECISIONS) {
      const set = this.filters.get(channel);
      set?.delete(filterKey(req.filter));
      if (set && set.size === 0) {
        this.filters.delete(channel);
        this.subs.delete(channel);
        this.ctx.hub.remove(channel, this);
      }
      return this.reply({ type: 'unsubscribed', ...idOf(id), channel, filter: req.filter });
    }
    if (this.subs.delete(channel)) this.ctx.hub.remove(channel, this);
    this.reply({ type: 'unsubscribed', ...idOf(id), channel });
  }

  /**
   * One more filter on a filtered channel. The connection joins the channel once; each
   * message then reaches it once if any of its filters lets the message through.
   */
  private subscribeFiltered(
    channel: string,
    filter: DecisionFilter,
    id: RequestId | undefined,
  ): void {
    const key = filterKey(filter);
    let set = this.filters.get(channel);
    if (!set?.has(key)) {
      const max = this.ctx.config.wsMaxSubscriptions;
      // A new filter adds one subscription, whether or not the channel was joined already.
      if (this.subscriptionCount >= max)
        return this.reply(
          err('too_many_subscriptions', `a connection may hold ${max} subscriptions`, id),
        );
      if (!set) {
        this.filters.set(channel, (set = new Map()));
        this.subs.set(channel, DECISIONS);
        this.ctx.hub.add(channel, DECISIONS, this);
      }
      set.set(key, filter);
    }
    this.reply({ type: 'subscribed', ...idOf(id), channel, filter });
  }

  private invalid(error: ErrorFrame): void {
    this.reply(error);
    if (++this.strikes > MAX_STRIKES) this.shut(CLOSE.policy, 'too many invalid frames');
  }

  private reply(frame: ServerFrame): void {
    if (this.closing) return;
    const queued = this.socket.bufferedAmount;
    // Replies count against the same limit: a client that sends requests but never reads the
    // answers is as slow a consumer as one that never reads the feed.
    if (queued > this.ctx.config.wsMaxBufferedBytes) return this.slowConsumer(queued);
    this.socket.send(encode(frame), TEXT);
    this.ctx.metrics.sentControl.inc();
  }

  private slowConsumer(queued: number): void {
    this.ctx.metrics.slowConsumers.inc();
    this.ctx.logger.warn(
      {
        at: 'realtime#backpressure',
        userId: this.userId,
        queuedBytes: queued,
        limit: this.ctx.config.wsMaxBufferedBytes,
      },
      'closing a slow WebSocket consumer',
    );
    this.shut(CLOSE.tryAgainLater, 'slow consumer');
  }

  private unsubscribeAll(): void {
    for (const channel of this.subs.keys()) this.ctx.hub.remove(channel, this);
    this.subs.clear();
    this.filters.clear();
  }
}

const idOf = (id: RequestId | undefined) => (id === undefined ? {} : { id });

/** Private channels need `read`; decisions, `read` or `signals` (a sender may follow its own). */
const mayRead = (p: Principal, kind: ChannelKind): boolean =>
  kind === DECISIONS
    ? p.scopes.includes('read') || p.scopes.includes('signals')
    : !isPrivateKind(kind) || p.scopes.includes('read');

const err = (code: ErrorFrame['code'], message: string, id?: RequestId): ErrorFrame => ({
  type: 'error',
  ...idOf(id),
  code,
  message,
});

const unauthenticated = (id: RequestId | undefined) =>
  err('unauthenticated', 'authenticate first: send {"op":"auth","token":"…"}', id);
