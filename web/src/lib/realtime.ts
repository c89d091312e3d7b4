/**
 * One WebSocket to /ws for the whole app (see src/modules/realtime/README.md). Components
 * subscribe to channels; subscriptions are shared and counted, so two views of the BTC/USDT
 * ticker cost one server subscription. The connection authenticates with its first frame (no
 * token in the URL), re-authenticates in place after each token refresh, and reconnects with
 * backoff; after a reconnect, `onResync` listeners reload what they show, because the feed keeps
 * nothing for clients that were away.
 */

export interface Subscription {
  channel:
    | 'ticker'
    | 'trades'
    | 'book'
    | 'candles'
    | 'orders'
    | 'fills'
    | 'positions'
    | 'balances'
    | 'decisions';
  symbol?: string;
  /** `decisions` only: one model's, one source's. */
  model?: string;
  source?: string;
  venue?: string;
  timeframe?: string;
}

export type RealtimeStatus = 'connecting' | 'live' | 'offline';
type Handler = (data: unknown) => void;

interface Entry {
  sub: Subscription;
  handlers: Set<Handler>;
  feed?: string;
}

const PING_MS = 25_000;
/** No frame for this long (not even a pong) means the connection is dead. */
const SILENCE_MS = 60_000;

export class Realtime {
  private ws: WebSocket | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly byFeed = new Map<string, string>();
  private readonly pending = new Map<number, string>();
  private readonly statusListeners = new Set<(s: RealtimeStatus) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private nextId = 1;
  private attempts = 0;
  private connectedOnce = false;
  private stopped = false;
  private authenticated = false;
  private lastFrame = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  status: RealtimeStatus = 'connecting';

  constructor(
    private readonly url: string,
    private readonly token: () => Promise<string | undefined>,
    /** Called when the server refuses the credentials, before reconnecting. */
    private readonly onAuthRefused: () => Promise<boolean>,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
    this.pingTimer = setInterval(() => this.heartbeat(), PING_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.ws?.close(1000, 'signed out');
    this.ws = undefined;
    this.setStatus('offline');
  }

  subscribe(sub: Subscription, handler: Handler): () => void {
    const key = JSON.stringify([sub.channel, sub.symbol, sub.venue, sub.timeframe]);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { sub, handlers: new Set() };
      this.entries.set(key, entry);
      if (this.authenticated) this.sendSubscribe(key, entry);
    }
    entry.handlers.add(handler);
    return () => {
      const e = this.entries.get(key);
      if (!e) return;
      e.handlers.delete(handler);
      if (e.handlers.size > 0) return;
      this.entries.delete(key);
      if (e.feed) this.byFeed.delete(e.feed);
      if (this.authenticated) this.send({ op: 'unsubscribe', id: this.nextId++, ...e.sub });
    };
  }

  /** A refreshed access token keeps this connection and its subscriptions alive. */
  reauthenticate(token: string): void {
    if (this.authenticated) this.send({ op: 'auth', token });
  }

  onStatus(fn: (s: RealtimeStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /** After a reconnect: whatever was published while away is lost, so read state again. */
  onResync(fn: () => void): () => void {
    this.resyncListeners.add(fn);
    return () => this.resyncListeners.delete(fn);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setStatus('connecting');
    this.authenticated = false;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = async () => {
      const token = await this.token();
      if (ws !== this.ws) return;
      if (!token) return ws.close(1000, 'no session');
      this.lastFrame = Date.now();
      this.send({ op: 'auth', token });
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      this.lastFrame = Date.now();
      if (typeof e.data === 'string') this.receive(JSON.parse(e.data) as Frame);
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.ws = undefined;
      this.authenticated = false;
      if (this.stopped) return;
      this.setStatus('offline');
      void this.retry(e.code === 1008 && /authentication/.test(e.reason));
    };
  }

  private async retry(authProblem: boolean): Promise<void> {
    if (authProblem && !(await this.onAuthRefused())) return;
    const delay = Math.min(10_000, 500 * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private receive(f: Frame): void {
    switch (f.type) {
      case 'authenticated': {
        if (this.authenticated) return; // a re-authentication after a token refresh
        this.authenticated = true;
        this.attempts = 0;
        this.byFeed.clear();
        for (const [key, entry] of this.entries) this.sendSubscribe(key, entry);
        this.setStatus('live');
        if (this.connectedOnce) for (const fn of this.resyncListeners) fn();
        this.connectedOnce = true;
        return;
      }
      case 'subscribed': {
        const key = typeof f.id === 'number' ? this.pending.get(f.id) : undefined;
        if (key === undefined) return;
        this.pending.delete(f.id as number);
        const entry = this.entries.get(key);
        if (entry && typeof f.channel === 'string') {
          entry.feed = f.channel;
          this.byFeed.set(f.channel, key);
        }
        return;
      }
      case 'error':
        if (typeof f.id === 'number') this.pending.delete(f.id);
        console.warn('realtime:', f.code, f.message);
        return;
      case 'pong':
      case 'unsubscribed':
        return;
      default: {
        const key = typeof f.channel === 'string' ? this.byFeed.get(f.channel) : undefined;
        const entry = key === undefined ? undefined : this.entries.get(key);
        if (entry) for (const h of entry.handlers) h(f.data);
      }
    }
  }

  private sendSubscribe(key: string, entry: Entry): void {
    const id = this.nextId++;
    this.pending.set(id, key);
    this.send({ op: 'subscribe', id, ...entry.sub });
  }

  private heartbeat(): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    // Browsers answer the server's pings without telling the page, so silence is checked here.
    if (Date.now() - this.lastFrame > SILENCE_MS) return this.ws.close(4000, 'silent');
    this.send({ op: 'ping' });
  }

  private send(frame: Record<string, unknown>): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private setStatus(s: RealtimeStatus): void {
    if (s === this.status) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }
}

interface Frame {
  type?: string;
  id?: unknown;
  channel?: unknown;
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

export const realtimeUrl = () =>
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
