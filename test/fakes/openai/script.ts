import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What a fake LLM server does with the next request. Shared by the OpenAI and Gemini fakes,
 * which each turn it into their own wire format.
 */
export type Behaviour =
  | {
      kind: 'answer';
      /** The model's text: JSON for a good answer, anything for garbage. */
      content: string;
      /** Token counts reported; estimated from the text (4 characters a token) when unset. */
      usage?: { prompt: number; completion: number };
      /** The provider's finish reason; `stop` / `STOP` when unset. */
      finish?: string;
      delayMs?: number;
    }
  | { kind: 'refuse'; text: string; usage?: { prompt: number; completion: number } }
  | { kind: 'error'; status: number; body?: unknown; delayMs?: number }
  /** Accepts the request and never answers. */
  | { kind: 'hang' };

/** A behaviour that produces a response. */
export type Answering = Exclude<Behaviour, { kind: 'hang' }>;

/** A good answer: the object is sent as the model's JSON text. */
export const answer = (
  verdict: Record<string, unknown> | string,
  opts: { usage?: { prompt: number; completion: number }; finish?: string; delayMs?: number } = {},
): Behaviour => ({
  kind: 'answer',
  content: typeof verdict === 'string' ? verdict : JSON.stringify(verdict),
  ...opts,
});
/** An answer that is not what was asked (prose, truncated JSON, wrong fields). */
export const garbage = (
  text = 'Looks bullish to me, I would buy.',
  usage?: { prompt: number; completion: number },
): Behaviour => ({ kind: 'answer', content: text, ...(usage ? { usage } : {}) });
export const slow = (ms: number, verdict: Record<string, unknown>): Behaviour =>
  answer(verdict, { delayMs: ms });
export const fail = (status: number, body?: unknown): Behaviour => ({
  kind: 'error',
  status,
  ...(body === undefined ? {} : { body }),
});
export const hang = (): Behaviour => ({ kind: 'hang' });
export const refuse = (text = "I'm sorry, I can't help with that."): Behaviour => ({
  kind: 'refuse',
  text,
});

/** A verdict a model might give, for good answers. */
export const GOOD_VERDICT = {
  action: 'long',
  confidence: 0.72,
  sizePct: 10,
  stop: '49500.5',
  takeProfit: '51500',
  reasoning: 'EMAs stacked up and RSI 60 leave room; stop 1.5 ATR below entry.',
};

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** 0 until answered. */
  status: number;
  /** The client closed the connection before the answer (an abort, a timeout). */
  aborted: boolean;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** About four characters a token, as the providers' own rule of thumb. */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/**
 * The HTTP plumbing both fakes share: a server on 127.0.0.1 and a free port, request recording,
 * a queue of scripted behaviours with a default, delays and requests left hanging (all cut on
 * close).
 */
export abstract class FakeLlmServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: Behaviour[] = [];
  private fallback: Behaviour;
  private readonly timers = new Set<NodeJS.Timeout>();
  private port = 0;
  protected readonly server: Server;

  protected constructor(private readonly initial: Behaviour) {
    this.fallback = initial;
    this.server = createServer((req, res) => this.onRequest(req, res));
  }

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next requests get these behaviours, in order; then the default applies again. */
  script(...behaviours: Behaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  /** What every request gets when the script is empty. */
  setDefault(b: Behaviour): this {
    this.fallback = b;
    return this;
  }

  /** Forgets the script, the default and the recorded requests. */
  reset(): this {
    this.queue.length = 0;
    this.requests.length = 0;
    this.fallback = this.initial;
    return this;
  }

  /** Requests that reached the model endpoint (authenticated and well-formed or not). */
  get calls(): RecordedRequest[] {
    return this.requests.filter((r) => this.isModelCall(r.path));
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected abstract isModelCall(path: string): boolean;
  /** Answers a request before any scripted behaviour: routing, authentication, validation. */
  protected abstract precheck(r: RecordedRequest): Reply | undefined;
  protected abstract render(b: Answering, r: RecordedRequest): Reply;

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.origin);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string') headers[k] = v;
        else if (Array.isArray(v)) headers[k] = v.join(', ');
      }
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        headers,
        query: Object.fromEntries(url.searchParams),
        body,
        status: 0,
        aborted: false,
      };
      this.requests.push(record);
      res.on('close', () => {
        if (!res.writableEnded) record.aborted = true;
      });
      const early = this.precheck(record);
      if (early) return this.send(res, record, early);
      const b = this.queue.shift() ?? this.fallback;
      if (b.kind === 'hang') return;
      const delay = 'delayMs' in b ? (b.delayMs ?? 0) : 0;
      const reply = this.render(b, record);
      if (delay <= 0) return this.send(res, record, reply);
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!res.destroyed) this.send(res, record, reply);
      }, delay);
      this.timers.add(t);
    });
  }

  private send(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
    record.status = reply.status;
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  }
}
