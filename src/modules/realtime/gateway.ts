/**
 * The WebSocket edge at `/ws`: upgrades, credentials on the upgrade request, the heartbeat
 * sweep, and the one feed subscription that feeds every connection through the hub.
 */
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { AppError } from '../../core/errors.js';
import type { Feed } from '../../platform/feed/index.js';
import { PROBLEM_BASE, type HttpServer, type Problem } from '../../platform/http/index.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { RealtimeConfig } from './config.js';
import {
  authenticate,
  CLOSE,
  Connection,
  type Authenticator,
  type ConnectionContext,
  type Credential,
  type InitialAuth,
} from './connection.js';
import { Hub } from './hub.js';
import { realtimeMetrics } from './metrics.js';

export interface GatewayDeps {
  feed: Feed;
  auth: Authenticator;
  config: RealtimeConfig;
  logger: Logger;
  metrics: Metrics;
}

/** ws closes a connection (1009) on frames above this; smaller oversized ones get an error frame. */
const MAX_PAYLOAD = 64 * 1024;
/** Each connection re-checks its credential every this many heartbeats. */
const REVALIDATE_EVERY = 2;
/** How long a shutdown waits for clients to acknowledge the close before cutting them. */
const SHUTDOWN_GRACE_MS = 1000;

export const WS_PATH = '/ws';

export class Gateway {
  private readonly hub = new Hub();
  private readonly connections = new Set<Connection>();
  private readonly upgrades = new WeakMap<IncomingMessage, InitialAuth>();
  private readonly stats = { peakQueueBytes: 0 };
  private ctx: ConnectionContext | undefined;
  private sweeps = 0;
  private accepted = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private drained: (() => void) | undefined;

  constructor(private readonly deps: GatewayDeps) {}

  /** Serves `/ws` on `http` and starts relaying the feed to subscribers. */
  async register(http: HttpServer): Promise<void> {
    if (this.ctx) throw new Error('the gateway is already registered');
    const ctx: ConnectionContext = {
      hub: this.hub,
      auth: this.deps.auth,
      config: this.deps.config,
      logger: this.deps.logger,
      stats: this.stats,
      // Created here, so only processes that serve WebSockets export these series.
      metrics: realtimeMetrics(this.deps.metrics, {
        clients: () => this.connections.size,
        channels: () => this.hub.channelCount,
        peakQueueBytes: () => this.stats.peakQueueBytes,
      }),
    };
    this.ctx = ctx;
    // Before the plugin's own preClose, which would close clients without a code or reason.
    http.addHook('preClose', () => this.shutdown());
    await http.register(websocket, {
      options: { maxPayload: MAX_PAYLOAD, perMessageDeflate: false },
      errorHandler: (error, socket) => {
        // Socket errors are the client's (resets, bad UTF-8, oversized frames): not ours to page.
        this.deps.logger.debug({ at: 'realtime#socket', error: error.message }, 'socket error');
        socket.terminate();
      },
    });
    http.route({
      method: 'GET',
      url: WS_PATH,
      config: { rateLimit: false },
      schema: {
        tags: ['realtime'],
        summary: 'WebSocket gateway: live market data and account updates',
        description:
          'Upgrade to a WebSocket, authenticate, then subscribe to channels. The protocol is described in src/modules/realtime/README.md.',
      },
      preValidation: async (req: FastifyRequest) => {
        if (req.ws) this.upgrades.set(req.raw, await this.upgradeAuth(req));
      },
      handler: async (_req, reply) => {
        const problem: Problem = {
          type: `${PROBLEM_BASE}upgrade_required`,
          title: 'Upgrade Required',
          status: 426,
          detail: `${WS_PATH} speaks WebSocket only`,
          code: 'upgrade_required',
        };
        return reply
          .status(426)
          .header('upgrade', 'websocket')
          .type('application/problem+json')
          .send(problem);
      },
      wsHandler: (socket: WebSocket, req: FastifyRequest) => this.accept(socket, req.raw, ctx),
    });
    // Only channels some client watches: the feed then spares publishers the rest.
    this.unsubscribe = this.deps.feed.subscribe(
      '',
      (channel, data) => this.publish(channel, data),
      {
        wants: (channel) => this.hub.subscriberCount(channel) > 0,
      },
    );
    this.timer = setInterval(() => this.sweep(), this.deps.config.wsHeartbeatSeconds * 1000);
    this.timer.unref();
  }

  /** Fans one feed message out to its channel's subscribers. */
  publish(channel: string, data: unknown): void {
    const sent = this.hub.publish(channel, data);
    if (sent) this.ctx?.metrics.sentData.inc(sent);
  }

  get clientCount(): number {
    return this.connections.size;
  }

  /** Stops the sweep and the feed; connections were closed by the server's preClose. */
  async stop(): Promise<void> {
    this.halt();
    for (const c of this.connections) c.terminate();
  }

  private accept(socket: WebSocket, raw: IncomingMessage, ctx: ConnectionContext): void {
    const initial = this.upgrades.get(raw);
    this.upgrades.delete(raw);
    const conn = new Connection(socket, ctx, ++this.accepted);
    this.connections.add(conn);
    socket.on('message', (data: RawData, isBinary: boolean) =>
      conn.receive(toBuffer(data), isBinary),
    );
    socket.on('pong', () => conn.markAlive());
    socket.on('close', () => {
      conn.dispose();
      this.connections.delete(conn);
      if (this.connections.size === 0) this.drained?.();
    });
    conn.start(initial);
  }

  /**
   * Credentials on the upgrade: `X-API-Key`, `Authorization: Bearer`, or `?token=` for
   * browsers, which cannot set headers (an `obs_` token is an API key). A refusal is reported
   * on the socket once open, with a reason a browser can read, rather than as a bare 401.
   */
  private async upgradeAuth(req: FastifyRequest): Promise<InitialAuth> {
    const apiKey = req.headers['x-api-key'];
    const header = req.headers.authorization;
    const token = (req.query as Record<string, unknown> | undefined)?.token;
    let credential: Credential | undefined;
    if (typeof apiKey === 'string' && apiKey) credential = { kind: 'apiKey', value: apiKey };
    else if (typeof header === 'string' && header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m)
        return {
          error: new AppError(
            'unauthenticated',
            'invalid_token',
            'use the form "Authorization: Bearer <token>"',
          ),
        };
      credential = { kind: 'token', value: m[1]! };
    } else if (typeof token === 'string' && token) {
      credential = { kind: token.startsWith('obs_') ? 'apiKey' : 'token', value: token };
    }
    if (!credential) return undefined;
    try {
      return { principal: await authenticate(this.deps.auth, credential), credential };
    } catch (error) {
      return { error };
    }
  }

  private sweep(): void {
    const round = ++this.sweeps;
    for (const c of this.connections) {
      c.heartbeat();
      // Each round re-checks a different share of the connections, spreading the reads.
      if ((round + c.seq) % REVALIDATE_EVERY === 0) c.revalidate();
    }
  }

  private async shutdown(): Promise<void> {
    this.halt();
    if (this.connections.size === 0) return;
    const drained = new Promise<void>((resolve) => (this.drained = resolve));
    for (const c of this.connections) c.shut(CLOSE.goingAway, 'server shutting down');
    const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([drained, grace]);
    for (const c of this.connections) c.terminate();
  }

  private halt(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.from(data as ArrayBuffer);
