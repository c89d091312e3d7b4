import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { HttpServer } from '../../platform/http/index.js';
import { requireAuth } from '../identity/index.js';
import { MAX_OPEN_ORDERS_LIMIT, type AccountSettings, type Actor } from './accounts.js';
import type { TradingState } from './domain/risk.js';

const closed = { additionalProperties: false } as const;
const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];
const TRADING_STATES: TradingState[] = ['active', 'reducing', 'halted'];

/**
 * A decimal string or null. One JSON type list rather than a union, so a wrong type is one
 * error naming the field; the digits are checked by the service, with a code per failure.
 */
const LimitIn = (description: string, example: string) =>
  Type.Unsafe<string | null>({
    type: ['string', 'null'],
    maxLength: 64,
    description: `${description}. Positive decimal string, at most 18 decimal places; null removes the limit`,
    examples: [example],
  });
const Dec = (description: string) =>
  Type.String({ description: `${description} (exact decimal as a string)` });
const NullableDec = (description: string) => Type.Union([Dec(description), Type.Null()]);
const Iso = (description: string) => Type.String({ format: 'date-time', description });

const IdParams = Type.Object(
  { id: Type.String({ maxLength: 64, description: 'Trading account id' }) },
  closed,
);

const RiskLimitsBody = Type.Object(
  {
    maxOrderNotional: Type.Optional(
      LimitIn('Largest quantity × price of one order, in the quote currency', '25000'),
    ),
    maxPosition: Type.Optional(
      LimitIn('Largest absolute position in any one instrument, in its base currency', '2'),
    ),
    maxOpenOrders: Type.Optional(
      Type.Unsafe<number | null>({
        type: ['integer', 'null'],
        minimum: 1,
        maximum: MAX_OPEN_ORDERS_LIMIT,
        description:
          'Largest number of working orders (resting limits and pending stops); null restores the configured default',
        examples: [50],
      }),
    ),
    maxDailyLoss: Type.Optional(
      LimitIn(
        "Realized loss in the quote currency at which the UTC day's opening orders stop; orders that reduce a position still pass",
        '500',
      ),
    ),
    priceBandPct: Type.Optional(
      LimitIn('Limit and stop prices must lie within ± this percentage of the last price', '5'),
    ),
  },
  closed,
);

const RiskLimitsT = Type.Object({
  accountId: Type.String({ format: 'uuid' }),
  maxOrderNotional: NullableDec('Largest order notional; null: no limit'),
  maxPosition: NullableDec('Largest absolute position per instrument; null: no limit'),
  maxOpenOrders: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Working-order limit; null: the default below applies',
  }),
  maxDailyLoss: NullableDec('Daily realized-loss limit; null: no limit'),
  priceBandPct: NullableDec('Price band around the last price, in percent; null: no band'),
  updatedAt: Type.Union([Iso('Last change'), Type.Null()]),
  defaults: Type.Object(
    { maxOpenOrders: Type.Integer({ description: 'Configured RISK_MAX_OPEN_ORDERS' }) },
    { description: 'What applies where no override is set' },
  ),
});

const AccountPatchBody = Type.Object(
  {
    tradingState: Type.Optional(
      Type.Unsafe<TradingState>({
        type: 'string',
        enum: TRADING_STATES,
        description:
          'active: every order may be placed; reducing: only orders that bring a position closer to zero; halted: no new orders',
      }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, examples: ['Swing'] })),
  },
  { ...closed, minProperties: 1 },
);

const AccountT = Type.Object({
  id: Type.String({ format: 'uuid' }),
  venue: Type.String(),
  name: Type.String(),
  isDefault: Type.Boolean(),
  tradingState: Type.String({ enum: TRADING_STATES }),
  createdAt: Iso('When the account was opened'),
});

const EquityQuery = Type.Object(
  {
    from: Type.Optional(Iso('Earliest point (inclusive)')),
    to: Type.Optional(Iso('Latest point (inclusive)')),
    limit: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
  },
  closed,
);

const EquityPointT = Type.Object({
  ts: Iso('When the account was valued'),
  equity: Dec('cash + positionsValue'),
  cash: Dec('Balance in the valuation currency'),
  positionsValue: Dec('Every other balance at its mark'),
  realizedPnl: Dec('Cumulative realized PnL, net of fees'),
  unrealizedPnl: Dec('Open positions at their marks minus their cost basis'),
  netContributions: Dec('Deposits minus withdrawals so far'),
  complete: Type.Boolean({
    description: 'False when a held currency had no price; its value is then left out',
  }),
});

const EquityT = Type.Object({
  accountId: Type.String({ format: 'uuid' }),
  currency: Type.Union([Type.String(), Type.Null()], {
    description: 'Valuation currency of the points; null when there are none',
  }),
  intervalMs: Type.Integer({ description: 'Snapshot interval (TRADING_SNAPSHOT_INTERVAL_MS)' }),
  points: Type.Array(EquityPointT, { description: 'Oldest first' }),
});

const actorOf = (req: FastifyRequest): Actor => ({
  userId: req.principal!.userId,
  ip: req.ip,
  keyId: req.principal!.keyId,
});

/** Settings and equity history of one of the caller's trading accounts. */
export async function accountRoutes(app: HttpServer, svc: AccountSettings): Promise<void> {
  const read = requireAuth({ scope: 'read' });
  const trade = requireAuth({ scope: 'trade' });
  const tags = ['trading'];

  app.get('/api/v1/trading/accounts/:id/risk-limits', {
    schema: {
      tags,
      summary: "An account's risk limits",
      description:
        'The overrides set on the account and the defaults that apply where none is set. 404 when the account is not yours.',
      security: bearer,
      params: IdParams,
      response: { 200: RiskLimitsT },
    },
    preHandler: read,
    handler: async (req) => svc.riskLimits(req.principal!.userId, req.params.id),
  });

  app.put('/api/v1/trading/accounts/:id/risk-limits', {
    schema: {
      tags,
      summary: "Set an account's risk limits",
      description:
        'Sets the limits named in the body; null removes one, and limits left out keep their value. Every field is checked before anything is written: a bad one answers 400 naming it, and nothing changes. The next order is checked against the new limits. A change is recorded as a RiskLimitsChanged event and in the audit log.',
      security: bearer,
      params: IdParams,
      body: RiskLimitsBody,
      response: { 200: RiskLimitsT },
    },
    preHandler: trade,
    handler: async (req) => svc.setRiskLimits(actorOf(req), req.params.id, req.body),
  });

  app.patch('/api/v1/trading/accounts/:id', {
    schema: {
      tags,
      summary: "Change an account's trading state or name",
      description:
        'reducing and halted take effect from the next order; working orders stay as they are (cancel them to stop them filling). Recorded as TradingStateChanged or AccountRenamed events and in the audit log.',
      security: bearer,
      params: IdParams,
      body: AccountPatchBody,
      response: { 200: AccountT },
    },
    preHandler: trade,
    // Ajv has checked the enum; the type provider cannot see through Unsafe.
    handler: async (req) =>
      svc.update(
        actorOf(req),
        req.params.id,
        req.body as { tradingState?: TradingState; name?: string },
      ),
  });

  app.get('/api/v1/trading/accounts/:id/equity', {
    schema: {
      tags,
      summary: "An account's equity over time",
      description:
        'Points stored once per snapshot interval while the paper venue runs, each valuing the account at the last prices of that instant; amounts are exact decimal strings in the valuation currency. With `from`, the first `limit` points from there; otherwise the latest `limit` up to `to`. Page forward by passing the last point’s time plus one millisecond as `from`.',
      security: bearer,
      params: IdParams,
      querystring: EquityQuery,
      response: { 200: EquityT },
    },
    preHandler: read,
    handler: async (req) => svc.equity(req.principal!.userId, req.params.id, req.query),
  });
}
