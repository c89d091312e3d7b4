import type { HttpServer } from '../../platform/http/index.js';
import { requireAuth } from '../identity/index.js';
import type { StatsWindow } from './domain/index.js';
import type { SortKey } from './leaderboard.js';
import {
  FollowBody,
  FollowPatchBody,
  IdParams,
  LeaderboardQuery,
  LeaderBody,
  LeadersQuery,
  PageQuery,
  UnfollowBody,
} from './schemas.js';
import type { CopyService } from './service.js';

const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

export async function copyRoutes(app: HttpServer, svc: CopyService): Promise<void> {
  const read = requireAuth({ scope: 'read' });
  const trade = requireAuth({ scope: 'trade' });
  const lead = requireAuth({ scope: 'trade', roles: ['trader', 'admin'] });
  const tags = ['copy'];
  const uid = (req: { principal?: { userId: string } }) => req.principal!.userId;

  // ── leaders ─────────────────────────────────────────────────────────────────────────────

  app.post('/api/v1/copy/leaders', {
    schema: {
      tags,
      summary:
        'Become a leader: a public profile, the accounts whose fills are copied and the fee terms (performance fee percent of profit above the high-water mark, optional subscription)',
      security: bearer,
      body: LeaderBody,
    },
    preHandler: lead,
    handler: async (req, reply) =>
      reply.status(201).send(await svc.leaders.create(uid(req), req.body)),
  });

  app.get('/api/v1/copy/leaders', {
    schema: {
      tags,
      summary: 'Public profiles of leaders taking followers (active) or paused, oldest first',
      querystring: LeadersQuery,
    },
    handler: async (req) =>
      svc.leaders.list({
        limit: req.query.limit ?? 50,
        ...(req.query.after ? { after: req.query.after } : {}),
      }),
  });

  app.get('/api/v1/copy/leaders/me', {
    schema: { tags, summary: 'Your leader profile', security: bearer },
    preHandler: read,
    handler: async (req) => svc.leaders.mine(uid(req)),
  });

  app.patch('/api/v1/copy/leaders/me', {
    schema: {
      tags,
      summary: 'Change your profile; new fee terms apply to new followers only',
      security: bearer,
      body: LeaderBody,
    },
    preHandler: lead,
    handler: async (req) => svc.leaders.update(uid(req), req.body),
  });

  for (const command of ['pause', 'resume', 'stop'] as const) {
    app.post(`/api/v1/copy/leaders/me/${command}`, {
      schema: {
        tags,
        summary:
          command === 'stop'
            ? 'Stop copying for good: new trades are no longer copied, exits still are until each follower leaves'
            : command === 'pause'
              ? 'Pause: opening trades are not copied and no one new can follow; exits still are'
              : 'Resume copying',
        security: bearer,
      },
      preHandler: lead,
      handler: async (req) => svc.leaders.transition(uid(req), command),
    });
  }

  app.get('/api/v1/copy/leaders/me/fees', {
    schema: {
      tags,
      summary: 'Fees your followers paid you, newest first',
      security: bearer,
      querystring: PageQuery,
    },
    preHandler: read,
    handler: async (req) => svc.leaders.fees(uid(req), req.query.limit ?? 50),
  });

  app.get('/api/v1/copy/leaders/:id', {
    schema: { tags, summary: 'A leader’s public profile', params: IdParams },
    handler: async (req) => svc.leaders.get(req.params.id),
  });

  const board = {
    schema: {
      tags,
      summary:
        'Leaderboard over 7d, 30d, 90d or all time from equity snapshots: return (time-weighted), PnL, max drawdown, Sharpe, followers and amount copying; sort by return, pnl, drawdown, sharpe or followers',
      querystring: LeaderboardQuery,
    },
    handler: async (req: {
      query: { window?: string; sort?: string; order?: 'asc' | 'desc'; limit?: number };
    }) =>
      svc.leaderboard.entries({
        window: (req.query.window ?? '30d') as StatsWindow,
        sort: (req.query.sort ?? 'return') as SortKey,
        ...(req.query.order ? { order: req.query.order } : {}),
        limit: req.query.limit ?? 50,
      }),
  };
  app.get('/api/v1/copy/leaderboard', board);
  app.get('/api/v1/analytics/leaderboard', board);

  // ── follows ─────────────────────────────────────────────────────────────────────────────

  app.post('/api/v1/copy/follow', {
    schema: {
      tags,
      summary:
        'Follow a leader from one of your accounts: allocation mode, amount allocated, limits, drawdown stop, instrument lists, slippage and copy mode. Amounts are decimal strings in the account currency; every …Pct field is a percent ("0.5" = 0.5 %)',
      security: bearer,
      body: FollowBody,
    },
    preHandler: trade,
    handler: async (req, reply) =>
      reply
        .status(201)
        .send(await svc.follows.follow(uid(req), req.body as Record<string, unknown>)),
  });

  app.get('/api/v1/copy/follows', {
    schema: {
      tags,
      summary: 'Your follows, newest first, with their copied positions',
      security: bearer,
    },
    preHandler: read,
    handler: async (req) => svc.follows.mine(uid(req)),
  });

  app.get('/api/v1/copy/follows/:id', {
    schema: { tags, summary: 'One of your follows', security: bearer, params: IdParams },
    preHandler: read,
    handler: async (req) => svc.follows.get(uid(req), req.params.id),
  });

  app.patch('/api/v1/copy/follows/:id', {
    schema: {
      tags,
      summary: 'Change a follow’s settings; fields left out keep their value, null removes a limit',
      security: bearer,
      params: IdParams,
      body: FollowPatchBody,
    },
    preHandler: trade,
    handler: async (req) =>
      svc.follows.update(uid(req), req.params.id, req.body as Record<string, unknown>),
  });

  for (const command of ['pause', 'resume'] as const) {
    app.post(`/api/v1/copy/follows/:id/${command}`, {
      schema: {
        tags,
        summary:
          command === 'pause'
            ? 'Pause copying (nothing is copied, closes neither)'
            : 'Resume copying',
        security: bearer,
        params: IdParams,
      },
      preHandler: trade,
      handler: async (req) => svc.follows.transition(uid(req), req.params.id, command),
    });
  }

  app.post('/api/v1/copy/follows/:id/unfollow', {
    schema: {
      tags,
      summary:
        'Stop copying for good; with closePositions the copied positions are sold at once. Fees are settled a last time',
      security: bearer,
      params: IdParams,
      body: UnfollowBody,
    },
    // The body is optional: no body means { closePositions: false }.
    preValidation: (req, _reply, done) => {
      req.body ??= {};
      done();
    },
    preHandler: trade,
    handler: async (req) =>
      svc.follows.unfollow(uid(req), req.params.id, {
        closePositions: req.body?.closePositions ?? false,
      }),
  });

  app.get('/api/v1/copy/follows/:id/trades', {
    schema: {
      tags,
      summary:
        'Each leader fill beside its copy: price, size, slippage, latency and status (copied, skipped and why, failed and why), newest first',
      security: bearer,
      params: IdParams,
      querystring: PageQuery,
    },
    preHandler: read,
    handler: async (req) =>
      svc.follows.trades(uid(req), req.params.id, {
        limit: req.query.limit ?? 50,
        ...(req.query.before ? { before: req.query.before } : {}),
      }),
  });

  app.get('/api/v1/copy/follows/:id/fees', {
    schema: {
      tags,
      summary: 'Fees this follow paid, newest first',
      security: bearer,
      params: IdParams,
      querystring: PageQuery,
    },
    preHandler: read,
    handler: async (req) => svc.follows.fees(uid(req), req.params.id, req.query.limit ?? 50),
  });
}
