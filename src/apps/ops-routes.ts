import { Type } from '@sinclair/typebox';
import { AppError } from '../core/errors.js';
import { auditEvent, requireAuth } from '../modules/identity/index.js';
import type { EventBus, Outbox, OutboxRelay } from '../platform/bus/index.js';
import type { Database } from '../platform/db/index.js';
import type { Feed } from '../platform/feed/index.js';
import type { HttpServer } from '../platform/http/index.js';
import type { Metrics } from '../platform/metrics/metrics.js';
import type { Role } from '../platform/module.js';

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref(),
    ),
  ]);

const DeadLetter = Type.Object({
  id: Type.String(),
  consumer: Type.String(),
  topic: Type.String(),
  eventId: Type.String(),
  type: Type.String(),
  payload: Type.Unknown(),
  error: Type.String(),
  attempts: Type.Integer(),
  failedAt: Type.String(),
});

/** Liveness, readiness, metrics and the dead-letter admin routes, served by every role. */
export async function opsRoutes(
  app: HttpServer,
  deps: {
    database: Database;
    bus: EventBus;
    feed: Feed;
    outbox: Outbox;
    metrics: Metrics;
    relay: OutboxRelay;
    role: Role;
    /**
     * The market this process makes up, when it has history to make up on this start: null
     * once it is live, else why not yet (while it backfills, the venue has no current price and
     * refuses market orders). Undefined when there is nothing to wait for: no `market` check.
     */
    warmingUp?: () => string | null | undefined;
  },
): Promise<void> {
  const started = Date.now();
  app.get('/health', {
    config: { rateLimit: false },
    schema: {
      tags: ['ops'],
      summary: 'Liveness',
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          role: Type.String(),
          uptimeSeconds: Type.Number(),
        }),
      },
    },
    handler: async () => ({
      status: 'ok' as const,
      role: deps.role,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    }),
  });

  app.get('/ready', {
    config: { rateLimit: false },
    schema: {
      tags: ['ops'],
      summary:
        'Readiness: database and bus reachable, and the market live where this process makes it up',
    },
    handler: async (_req, reply) => {
      const check = async (name: string, fn: () => Promise<void>) => {
        try {
          await withTimeout(fn(), 2000, name);
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, error: (err as Error).message };
        }
      };
      const warming = deps.warmingUp?.();
      const checks = await Promise.all([
        check('database', () => deps.database.ping()),
        check('bus', () => deps.bus.ping()),
        check('feed', () => deps.feed.ping()),
        ...(warming === undefined
          ? []
          : [
              check('market', async () => {
                if (warming !== null) throw new Error(warming);
              }),
            ]),
      ]);
      const ok = checks.every((c) => c.ok);
      if (!ok) {
        return reply
          .status(503)
          .type('application/problem+json')
          .send({
            type: 'https://obscura.dev/problems/not_ready',
            title: 'Service Unavailable',
            status: 503,
            code: 'not_ready',
            detail: checks
              .filter((c) => !c.ok)
              .map((c) => `${c.name}: ${c.error}`)
              .join('; '),
            checks,
          });
      }
      return { status: 'ready', checks };
    },
  });

  app.get('/metrics', {
    config: { rateLimit: false },
    schema: { tags: ['ops'], summary: 'Prometheus metrics', hide: true },
    handler: async (_req, reply) => {
      await deps.relay.collectMetrics().catch(() => {});
      return reply
        .type(deps.metrics.registry.contentType)
        .send(await deps.metrics.registry.metrics());
    },
  });

  const admin = requireAuth({ roles: ['admin'], scope: 'admin' });
  app.get('/api/v1/admin/dead-letters', {
    schema: {
      tags: ['admin'],
      summary: 'Events that failed every retry',
      querystring: Type.Object(
        { limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
        { additionalProperties: false },
      ),
      response: { 200: Type.Array(DeadLetter) },
    },
    preHandler: admin,
    handler: async (req) => deps.bus.listDeadLetters(req.query.limit),
  });
  app.post('/api/v1/admin/dead-letters/:id/replay', {
    schema: {
      tags: ['admin'],
      summary: 'Deliver a dead letter again to the consumer that failed it',
      params: Type.Object({
        // A Redis stream entry id (ms-seq) or the embedded bus's UUID.
        id: Type.String({
          pattern:
            '^([0-9]{1,15}-[0-9]{1,15}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
        }),
      }),
      response: { 202: Type.Object({ replayed: Type.Literal(true) }) },
    },
    preHandler: admin,
    handler: async (req, reply) => {
      const id = (req.params as { id: string }).id;
      if (!(await deps.bus.replayDeadLetter(id)))
        throw new AppError('not_found', 'dead_letter_not_found', `No dead letter ${id}`);
      await deps.outbox.transaction((_tx, emit) =>
        emit(
          auditEvent({
            action: 'dead_letter.replayed',
            userId: req.principal!.userId,
            ip: req.ip,
            details: { deadLetterId: id },
          }),
        ),
      );
      return reply.status(202).send({ replayed: true as const });
    },
  });
}
