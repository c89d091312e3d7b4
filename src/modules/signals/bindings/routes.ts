import type { HttpServer } from '../../../platform/http/index.js';
import { requireAuth } from '../../identity/index.js';
import { ActionsQuery, CreateBody, IdParams, PatchBody } from './schemas.js';
import type { BindingService } from './service.js';

const security: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

export async function bindingRoutes(app: HttpServer, svc: BindingService): Promise<void> {
  const read = requireAuth({ scope: 'read' });
  const trade = requireAuth({ scope: 'trade' });
  const tags = ['signals'];
  const uid = (req: { principal?: { userId: string } }) => req.principal!.userId;

  app.post('/api/v1/signals/bindings', {
    schema: {
      tags,
      summary:
        "Let a signal source trade one of your accounts: decided signals that meet the rules (confidence, agreeing models, symbols, directions) place orders sized by them (fixed notional, equity percent or the models' suggestion) within the notional limits. Amounts are decimal strings in the quote currency",
      security,
      body: CreateBody,
    },
    preHandler: trade,
    handler: async (req, reply) => reply.status(201).send(await svc.create(uid(req), req.body)),
  });

  app.get('/api/v1/signals/bindings', {
    schema: { tags, summary: 'Your signal bindings, newest first', security },
    preHandler: read,
    handler: async (req) => svc.list(uid(req)),
  });

  app.get('/api/v1/signals/bindings/:id', {
    schema: { tags, summary: 'One of your signal bindings', security, params: IdParams },
    preHandler: read,
    handler: async (req) => svc.get(uid(req), req.params.id),
  });

  app.patch('/api/v1/signals/bindings/:id', {
    schema: {
      tags,
      summary:
        'Change a binding: rules sent replace those stored (null clears an optional limit), status pauses or resumes it',
      security,
      params: IdParams,
      body: PatchBody,
    },
    preHandler: trade,
    handler: async (req) => svc.update(uid(req), req.params.id, req.body),
  });

  app.delete('/api/v1/signals/bindings/:id', {
    schema: {
      tags,
      summary: 'Delete a binding: no further signal acts through it; orders it placed stay',
      security,
      params: IdParams,
    },
    preHandler: trade,
    handler: async (req, reply) => {
      await svc.remove(uid(req), req.params.id);
      return reply.status(204).send();
    },
  });

  app.get('/api/v1/signals/bindings/:id/actions', {
    schema: {
      tags,
      summary:
        'What each decided signal did through this binding, newest first: the order placed and its status now, or skipped / failed with the reason',
      security,
      params: IdParams,
      querystring: ActionsQuery,
    },
    preHandler: read,
    handler: async (req) =>
      svc.actions(uid(req), req.params.id, {
        limit: req.query.limit ?? 50,
        ...(req.query.before ? { before: req.query.before } : {}),
      }),
  });
}
