import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { HttpServer } from '../../platform/http/index.js';
import { requireAuth, type Principal } from '../identity/index.js';
import { SOURCE_PATTERN } from './domain/validate.js';
import { invalidSourceName, webhookRefused } from './errors.js';
import {
  Accepted,
  DecisionsQuery,
  EventParams,
  SignalBody,
  SignalsQuery,
  SourceBody,
  SourceParams,
  WebhookParams,
} from './schemas.js';
import type { SignalsService } from './service.js';

const secured: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];
const tags = ['signals'];

/**
 * The gateway's routes opt out of the general per-route budget: a signal sender has its own
 * token bucket (SIGNALS_RATE_PER_MINUTE, SIGNALS_RATE_BURST) per API key, session or webhook.
 * Requests that fail authentication still spend their IP's general budget, so a flood of bad
 * keys or secrets is cut off as on every other route.
 */
async function spendIpBudget(req: FastifyRequest): Promise<void> {
  const { limiter, limits } = req.server.identity;
  const d = await limiter.hitMany([`general:ip:${req.ip}`], limits.general, limits.windowSeconds);
  if (!d.allowed)
    throw new AppError(
      'rate_limited',
      'rate_limited',
      `Too many refused requests from this address; retry in ${d.retryAfter} s.`,
      { retryAfter: d.retryAfter },
    );
}

function guarded(guard: ReturnType<typeof requireAuth>) {
  return async (req: FastifyRequest, reply: unknown) => {
    try {
      await guard(req, reply);
    } catch (err) {
      if (err instanceof AppError && (err.kind === 'unauthenticated' || err.kind === 'forbidden'))
        await spendIpBudget(req);
      throw err;
    }
  };
}

/** Reading signals needs the `read` or the `signals` scope: a sender may follow its own. */
const canRead = async (req: FastifyRequest, reply: unknown) => {
  await requireAuth()(req, reply);
  const p = req.principal!;
  if (!p.scopes.includes('read') && !p.scopes.includes('signals'))
    throw new AppError(
      'forbidden',
      'insufficient_scope',
      'Reading signals needs the "read" or the "signals" scope.',
    );
};

export async function signalRoutes(app: HttpServer, svc: SignalsService): Promise<void> {
  const send = guarded(requireAuth({ scope: 'signals' }));
  const manage = requireAuth({ scope: 'signals', session: true });
  const me = (req: { principal?: Principal }) => req.principal!;

  app.post('/api/v1/signals', {
    config: { rateLimit: false },
    schema: {
      tags,
      summary:
        'Submit a trading signal. Stored with its first pipeline event before the answer (202); then enriched, evaluated by every model and published. Needs the "signals" scope',
      security: secured,
      body: SignalBody,
      response: { 202: Accepted },
    },
    preHandler: send,
    handler: async (req, reply) =>
      reply
        .status(202)
        .send(await svc.submit(me(req), req.body as unknown as Record<string, unknown>)),
  });

  app.post('/api/v1/signals/tradingview/:id', {
    config: { rateLimit: false },
    schema: {
      tags,
      summary:
        'TradingView webhook of one source: the alert message is JSON with the source secret in "secret" (see the signals README for the template)',
      params: WebhookParams,
      response: { 202: Accepted },
    },
    handler: async (req, reply) => {
      try {
        if (!isUuid(req.params.id)) throw webhookRefused();
        return reply.status(202).send(await svc.webhook(req.params.id, req.body));
      } catch (err) {
        if (err instanceof AppError && err.code === 'invalid_webhook_secret')
          await spendIpBudget(req);
        throw err;
      }
    },
  });

  app.get('/api/v1/signals', {
    schema: {
      tags,
      summary:
        'Your signals with status, consensus and decisions: newest first (before=<seq> for the next page), or oldest first from after=<seq> to read them in order',
      security: secured,
      querystring: SignalsQuery,
    },
    preHandler: canRead,
    handler: async (req) => {
      const q = req.query;
      return svc.list({
        userId: me(req).userId,
        limit: q.limit ?? 50,
        afterSeq: q.after,
        beforeSeq: q.after === undefined ? q.before : undefined,
        source: q.source,
        symbol: q.symbol,
      });
    },
  });

  app.get('/api/v1/signals/decisions', {
    schema: {
      tags,
      summary: 'Decisions on your signals, newest first, optionally of one model, symbol or source',
      security: secured,
      querystring: DecisionsQuery,
    },
    preHandler: canRead,
    handler: async (req) =>
      svc.decisions({
        userId: me(req).userId,
        limit: req.query.limit ?? 100,
        beforeSeq: req.query.before,
        model: req.query.model,
        symbol: req.query.symbol,
        source: req.query.source,
      }),
  });

  app.get('/api/v1/signals/:eventId', {
    schema: {
      tags,
      summary:
        'One of your signals: status (pending, enriched, published, failed, dead_lettered), timeline of its stages with durations, enrichment, decisions and consensus',
      security: secured,
      params: EventParams,
    },
    preHandler: canRead,
    handler: async (req) => {
      // Someone else's signal and no signal at all answer alike.
      if (!isUuid(req.params.eventId))
        throw new AppError('not_found', 'signal_not_found', 'No such signal of yours.');
      return svc.get(me(req).userId, req.params.eventId);
    },
  });

  app.get('/api/v1/signals/sources', {
    schema: {
      tags,
      summary: 'Your configured signal sources: staleness limits and TradingView webhooks',
      security: [{ bearer: [] }],
    },
    preHandler: manage,
    handler: async (req) => svc.sources.list(me(req).userId),
  });

  app.put('/api/v1/signals/sources/:name', {
    schema: {
      tags,
      summary:
        'Create or change a source: its own max lag, and a TradingView webhook whose secret is shown once (a logged-in session only)',
      security: [{ bearer: [] }],
      params: SourceParams,
      body: SourceBody,
    },
    preHandler: manage,
    handler: async (req) => {
      if (!SOURCE_PATTERN.test(req.params.name)) throw invalidSourceName();
      return svc.sources.put(me(req).userId, req.params.name, req.body);
    },
  });

  app.delete('/api/v1/signals/sources/:name', {
    schema: {
      tags,
      summary: 'Forget a source’s settings and webhook (its signals stay)',
      security: [{ bearer: [] }],
      params: SourceParams,
    },
    preHandler: manage,
    handler: async (req, reply) => {
      await svc.sources.remove(me(req).userId, req.params.name);
      return reply.status(204).send();
    },
  });
}
