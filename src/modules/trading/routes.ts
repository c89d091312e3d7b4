import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/index.js';
import { requireAuth } from '../identity/index.js';
import type { TradingService } from './service.js';

const closed = { additionalProperties: false } as const;
const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];
/** Amounts travel as decimal strings; their digits are checked against the instrument later. */
const Amount = Type.String({ minLength: 1, maxLength: 64, description: 'Decimal string' });
const Uuid = Type.String({ format: 'uuid' });

const ExecuteBody = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32, examples: ['BTC/USDT'] }),
    side: Type.String({ maxLength: 8, description: 'buy or sell' }),
    type: Type.String({ maxLength: 16, description: 'market, limit, stop_market or stop_limit' }),
    quantity: Amount,
    price: Type.Optional(Amount),
    stopPrice: Type.Optional(Amount),
    timeInForce: Type.Optional(Type.String({ maxLength: 8, description: 'GTC, IOC or FOK' })),
    postOnly: Type.Optional(Type.Boolean()),
    reduceOnly: Type.Optional(Type.Boolean()),
    clientOrderId: Type.Optional(Type.String({ maxLength: 64 })),
    accountId: Type.Optional(Uuid),
  },
  closed,
);
const AmendBody = Type.Object(
  { price: Type.Optional(Amount), quantity: Type.Optional(Amount) },
  closed,
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, closed);
const AccountQuery = Type.Object({ accountId: Type.Optional(Uuid) }, closed);
const OrdersQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])),
    symbol: Type.Optional(Type.String({ maxLength: 32 })),
    accountId: Type.Optional(Uuid),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(
      Type.String({ format: 'uuid', description: 'Order id to page back from' }),
    ),
  },
  closed,
);
const FillsQuery = Type.Object(
  {
    symbol: Type.Optional(Type.String({ maxLength: 32 })),
    orderId: Type.Optional(Uuid),
    accountId: Type.Optional(Uuid),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  closed,
);

export async function tradingRoutes(app: HttpServer, svc: TradingService): Promise<void> {
  const read = requireAuth({ scope: 'read' });
  const trade = requireAuth({ scope: 'trade' });
  const tags = ['trading'];

  app.post('/api/v1/trading/execute', {
    config: { rateLimit: 'execution' },
    schema: {
      tags,
      summary:
        'Place an order. 201 with the order (a risk or venue rejection is an order with status rejected and its reason code); 200 with the existing order when the clientOrderId and body repeat',
      security: bearer,
      body: ExecuteBody,
    },
    preHandler: trade,
    handler: async (req, reply) => {
      const r = await svc.place(req.principal!.userId, req.body);
      return reply.status(r.created ? 201 : 200).send(r.order);
    },
  });

  app.get('/api/v1/trading/orders', {
    schema: {
      tags,
      summary: 'Your orders, newest first',
      security: bearer,
      querystring: OrdersQuery,
    },
    preHandler: read,
    handler: async (req) => svc.listOrders(req.principal!.userId, req.query),
  });

  app.get('/api/v1/trading/orders/:id', {
    schema: { tags, summary: 'One of your orders', security: bearer, params: IdParams },
    preHandler: read,
    handler: async (req) => svc.getOrder(req.principal!.userId, req.params.id),
  });

  app.delete('/api/v1/trading/orders/:id', {
    config: { rateLimit: 'execution' },
    schema: { tags, summary: 'Cancel an open order', security: bearer, params: IdParams },
    preHandler: trade,
    handler: async (req) => svc.cancel(req.principal!.userId, req.params.id),
  });

  app.patch('/api/v1/trading/orders/:id', {
    config: { rateLimit: 'execution' },
    schema: {
      tags,
      summary: 'Amend the price and/or quantity of a working limit order',
      security: bearer,
      params: IdParams,
      body: AmendBody,
    },
    preHandler: trade,
    handler: async (req) => svc.amend(req.principal!.userId, req.params.id, req.body),
  });

  app.get('/api/v1/trading/fills', {
    schema: {
      tags,
      summary: 'Your fills, newest first',
      security: bearer,
      querystring: FillsQuery,
    },
    preHandler: read,
    handler: async (req) => svc.listFills(req.principal!.userId, req.query),
  });

  app.get('/api/v1/trading/balances', {
    schema: {
      tags,
      summary: 'Balances: total, held for open orders, available',
      security: bearer,
      querystring: AccountQuery,
    },
    preHandler: read,
    handler: async (req) => svc.balances(req.principal!.userId, req.query.accountId),
  });

  app.get('/api/v1/trading/positions', {
    schema: {
      tags,
      summary: 'Positions with average cost and PnL',
      security: bearer,
      querystring: AccountQuery,
    },
    preHandler: read,
    handler: async (req) => svc.positions(req.principal!.userId, req.query.accountId),
  });

  app.get('/api/v1/trading/accounts', {
    schema: { tags, summary: 'Your trading accounts with equity', security: bearer },
    preHandler: read,
    handler: async (req) => svc.accounts(req.principal!.userId),
  });
}
