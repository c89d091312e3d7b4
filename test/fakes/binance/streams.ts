import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { BinanceError, verifyWsParams, type ApiKey } from './signing.js';

/**
 * Binance's two kinds of WebSocket endpoint: market streams (`/ws`, `/stream`, subscribed to
 * with SUBSCRIBE) and the WebSocket API (`/ws-api/v3`), over which CCXT subscribes to the
 * user data stream with `userDataStream.subscribe.signature`. Listen-key streams
 * (`/ws/<listenKey>`) are served too, for clients that still use them.
 */

interface MarketConn {
  kind: 'market';
  ws: WebSocket;
  streams: Set<string>;
}

interface UserConn {
  kind: 'user';
  ws: WebSocket;
  /** Accounts whose events go to this connection, with the subscription id (-1: listen key). */
  subscriptions: Map<string, number>;
}

type Conn = MarketConn | UserConn;

export interface StreamOptions {
  keys: ReadonlyMap<string, ApiKey>;
  listenKeys: ReadonlyMap<string, string>;
  now(): number;
}

export class StreamHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Set<Conn>();
  private nextSubscriptionId = 0;
  /** User data events still to be dropped on the floor (a lost message). */
  suppressUserEvents = 0;
  /** Every user data event that was dropped, in order. */
  readonly suppressed: unknown[] = [];
  /** Requests and subscriptions received, for assertions. */
  readonly log: Array<{ kind: 'market' | 'user'; message: unknown }> = [];
  /** When set, new connections are refused (the exchange is unreachable by WebSocket). */
  refuseConnections = false;

  constructor(private readonly o: StreamOptions) {}

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (this.refuseConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (path.startsWith('/ws-api/')) return this.openUser(ws);
      const tail = path.replace(/^\/(ws|stream)\/?/, '');
      const account = this.o.listenKeys.get(tail);
      if (account) {
        const conn = this.openUser(ws);
        conn.subscriptions.set(account, -1);
        return;
      }
      this.openMarket(ws, tail);
    });
  }

  /** Sends a market event to every connection subscribed to `stream` (e.g. `btcusdt@aggTrade`). */
  publish(stream: string, event: unknown): void {
    const text = JSON.stringify(event);
    for (const c of this.conns) {
      if (c.kind === 'market' && c.streams.has(stream) && c.ws.readyState === WebSocket.OPEN) {
        c.ws.send(text);
      }
    }
  }

  /** Sends a user data event for `account`, unless a test asked for it to be lost. */
  publishUser(account: string, event: unknown): void {
    const targets = [...this.conns].filter(
      (c): c is UserConn => c.kind === 'user' && c.subscriptions.has(account),
    );
    if (!targets.length) return;
    if (this.suppressUserEvents > 0) {
      this.suppressUserEvents--;
      this.suppressed.push(event);
      return;
    }
    for (const c of targets) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      const id = c.subscriptions.get(account)!;
      c.ws.send(JSON.stringify(id < 0 ? event : { subscriptionId: id, event }));
    }
  }

  /** Cuts connections abruptly (no close frame), as a network failure would. */
  drop(kind: 'market' | 'user' | 'all' = 'all'): number {
    let n = 0;
    for (const c of [...this.conns]) {
      if (kind !== 'all' && c.kind !== kind) continue;
      c.ws.terminate();
      this.conns.delete(c);
      n++;
    }
    return n;
  }

  connections(kind: 'market' | 'user'): number {
    return [...this.conns].filter((c) => c.kind === kind && c.ws.readyState === WebSocket.OPEN)
      .length;
  }

  /** Whether some connection is subscribed to the user data of `account`. */
  userSubscribed(account: string): boolean {
    return [...this.conns].some((c) => c.kind === 'user' && c.subscriptions.has(account));
  }

  marketSubscribed(stream: string): boolean {
    return [...this.conns].some((c) => c.kind === 'market' && c.streams.has(stream));
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    this.conns.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private openMarket(ws: WebSocket, initial: string): void {
    const conn: MarketConn = { kind: 'market', ws, streams: new Set() };
    for (const s of initial.split('/').filter((s) => s.includes('@'))) conn.streams.add(s);
    this.track(conn);
    ws.on('message', (data) => {
      let msg: { method?: string; params?: string[]; id?: unknown };
      try {
        msg = JSON.parse(String(data));
      } catch {
        ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON' } }));
        return;
      }
      this.log.push({ kind: 'market', message: msg });
      const params = Array.isArray(msg.params) ? msg.params : [];
      if (msg.method === 'SUBSCRIBE') for (const s of params) conn.streams.add(s);
      else if (msg.method === 'UNSUBSCRIBE') for (const s of params) conn.streams.delete(s);
      else if (msg.method === 'LIST_SUBSCRIPTIONS') {
        ws.send(JSON.stringify({ result: [...conn.streams], id: msg.id }));
        return;
      } else {
        ws.send(JSON.stringify({ error: { code: 1, msg: 'Invalid request' }, id: msg.id }));
        return;
      }
      ws.send(JSON.stringify({ result: null, id: msg.id }));
    });
  }

  private openUser(ws: WebSocket): UserConn {
    const conn: UserConn = { kind: 'user', ws, subscriptions: new Map() };
    this.track(conn);
    ws.on('message', (data) => {
      let msg: { id?: unknown; method?: string; params?: Record<string, unknown> };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      this.log.push({ kind: 'user', message: msg });
      const reply = (body: Record<string, unknown>) =>
        ws.send(JSON.stringify({ id: msg.id, ...body, rateLimits: [] }));
      const fail = (status: number, code: number, m: string) =>
        reply({ status, error: { code, msg: m } });
      switch (msg.method) {
        case 'ping':
          return reply({ status: 200, result: {} });
        case 'userDataStream.subscribe.signature': {
          try {
            const key = verifyWsParams(this.o.keys, msg.params ?? {}, this.o.now());
            const id = this.nextSubscriptionId++;
            conn.subscriptions.set(key.account, id);
            return reply({ status: 200, result: { subscriptionId: id } });
          } catch (err) {
            if (err instanceof BinanceError) return fail(err.status, err.code, err.msg);
            throw err;
          }
        }
        case 'userDataStream.unsubscribe':
          conn.subscriptions.clear();
          return reply({ status: 200, result: {} });
        default:
          return fail(400, -1100, `Unknown method '${String(msg.method)}'.`);
      }
    });
    return conn;
  }

  private track(conn: Conn): void {
    this.conns.add(conn);
    conn.ws.on('close', () => this.conns.delete(conn));
    conn.ws.on('error', () => this.conns.delete(conn));
  }
}
