import type { Clock } from '../../../core/clock.js';
import type { Database } from '../../../platform/db/index.js';
import type { HttpServer } from '../../../platform/http/index.js';
import { requireAuth } from '../../identity/index.js';
import type { Evaluator } from '../domain/types.js';
import { listModels } from './models.js';

const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

/**
 * `GET /api/v1/signals/models`: the evaluators that judge signals and whether each would be
 * asked now. Administrators also see the breaker's counters, today's tokens and cost, and the
 * budgets.
 */
export async function evaluatorRoutes(
  app: HttpServer,
  evaluators: readonly Evaluator[],
  deps: { database: Database; clock: Clock },
): Promise<void> {
  app.get('/api/v1/signals/models', {
    schema: {
      tags: ['signals'],
      summary:
        'Evaluators judging signals (quant and LLM) with their availability; administrators also see breaker state, today’s (UTC) tokens and cost, and daily budgets',
      security: bearer,
    },
    preHandler: requireAuth({ scope: 'read' }),
    handler: async (req) =>
      listModels(evaluators, deps, { detail: req.principal!.role === 'admin' }),
  });
}
