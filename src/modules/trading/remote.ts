import { AppError, type ErrorKind, type FieldIssue } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';

/**
 * Order commands from a process that does not run the paper venue to the one that does, over
 * the live feed (Redis pub/sub when distributed). Only the venue's leader holds the matching
 * engine, so every API process forwards placements, cancels and amendments to it and answers
 * the HTTP request with the leader's reply.
 *
 * Nothing here needs delivery guarantees: a command is acknowledged to the user only with the
 * leader's reply, which the leader sends after the command's batch has committed. A command
 * lost on the way, or a reply lost on the way back, ends in a 503 telling the user to look the
 * order up or retry with the same client order id, which placement makes idempotent; the
 * forwarding side fills in a client order id when the user gave none, so that is always
 * possible.
 */

const REQUESTS = 'rpc.venue.commands';
const ALIVE = 'rpc.venue.alive';
const REPLY_PREFIX = 'rpc.venue.reply.';

/** `placeMany` carries a whole batch of placements (copy-trading fan-out) in one message. */
export type VenueOp = 'place' | 'placeMany' | 'cancel' | 'amend';

interface Request {
  id: string;
  reply: string;
  op: VenueOp;
  userId: string;
  args: unknown[];
}

type Reply =
  | { id: string; ok: true; value: unknown }
  | {
      id: string;
      ok: false;
      error: { kind: ErrorKind; code: string; message: string; fields: FieldIssue[] };
    };

/** The leader's side: executes forwarded commands and says it is alive. */
export function serveVenueCommands(deps: {
  feed: Feed;
  logger: Logger;
  handle(op: VenueOp, userId: string, args: unknown[]): Promise<unknown>;
  heartbeatMs: number;
}): () => void {
  const { feed } = deps;
  const unsubscribe = feed.subscribe(REQUESTS, (_channel, data) => {
    const r = data as Request;
    if (!r || typeof r.id !== 'string' || typeof r.reply !== 'string') return;
    if (!r.reply.startsWith(REPLY_PREFIX)) return;
    deps.handle(r.op, r.userId, Array.isArray(r.args) ? r.args : []).then(
      (value) => feed.publish(r.reply, { id: r.id, ok: true, value } satisfies Reply),
      (err: unknown) => {
        const e =
          err instanceof AppError
            ? err
            : new AppError('internal', 'internal_error', 'the venue could not execute the command');
        if (!(err instanceof AppError))
          deps.logger.error({ at: 'trading#remote', err, op: r.op }, 'forwarded command failed');
        feed.publish(r.reply, {
          id: r.id,
          ok: false,
          error: { kind: e.kind, code: e.code, message: e.message, fields: e.fields },
        } satisfies Reply);
      },
    );
  });
  const beat = () => feed.publish(ALIVE, { at: Date.now() });
  beat();
  const timer = setInterval(beat, deps.heartbeatMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}

/** The forwarding side, one per process. */
export class VenueClient {
  private readonly replyChannel = `${REPLY_PREFIX}${newId()}`;
  private readonly pending = new Map<
    string,
    { resolve(v: unknown): void; reject(e: unknown): void; timer: NodeJS.Timeout }
  >();
  private lastAlive = 0;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly deps: {
      feed: Feed;
      timeoutMs: number;
      /** How long without a heartbeat before the venue counts as down. */
      staleMs: number;
    },
  ) {}

  /** Listens for replies and heartbeats (again, after a `close`). */
  open(): void {
    if (this.unsubscribe.length) return;
    const { feed } = this.deps;
    this.unsubscribe.push(
      feed.subscribe(this.replyChannel, (_c, data) => this.onReply(data as Reply)),
      feed.subscribe(ALIVE, () => (this.lastAlive = Date.now())),
    );
  }

  /** A leader has said it is alive recently. */
  get reachable(): boolean {
    return Date.now() - this.lastAlive <= this.deps.staleMs;
  }

  call<T>(op: VenueOp, userId: string, args: unknown[], clientOrderId?: string): Promise<T> {
    if (!this.reachable) {
      return Promise.reject(
        new AppError(
          'unavailable',
          'venue_unavailable',
          'no process is running the paper venue right now; nothing was placed, retry shortly',
        ),
      );
    }
    const id = newId();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new AppError(
            'unavailable',
            'venue_timeout',
            clientOrderId
              ? `the venue did not answer within ${this.deps.timeoutMs} ms; the order may or may not have been placed: look it up by clientOrderId ${clientOrderId}, or retry with the same clientOrderId, which never places it twice`
              : `the venue did not answer within ${this.deps.timeoutMs} ms; the command may or may not have been applied: read the order before retrying`,
          ),
        );
      }, this.deps.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.deps.feed.publish(REQUESTS, {
        id,
        reply: this.replyChannel,
        op,
        userId,
        args,
      } satisfies Request);
    });
  }

  private onReply(r: Reply): void {
    const p = r && typeof r.id === 'string' ? this.pending.get(r.id) : undefined;
    if (!p) return;
    this.pending.delete(r.id);
    clearTimeout(p.timer);
    if (r.ok) p.resolve(r.value);
    else
      p.reject(
        new AppError(r.error.kind, r.error.code, r.error.message, { fields: r.error.fields }),
      );
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new AppError('unavailable', 'shutting_down', 'the server is shutting down'));
      this.pending.delete(id);
    }
  }
}
