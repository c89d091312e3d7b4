import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/index.js';
import { requireAuth } from '../identity/index.js';
import * as E from './errors.js';
import type { ExchangeLinker } from './live-link.js';
import type { TradingService } from './service.js';

const closed = { additionalProperties: false } as const;
const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

const LinkBody = Type.Object(
  {
    credentialId: Type.String({
      format: 'uuid',
      description: 'A credential stored with POST /api/v1/credentials',
    }),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Defaults to the exchange name',
        examples: ['Binance main'],
      }),
    ),
  },
  closed,
);

const IdParams = Type.Object(
  { id: Type.String({ maxLength: 64, description: 'Trading account id' }) },
  closed,
);

/** Linking exchange accounts, and one account with its connection. */
export async function liveAccountRoutes(
  app: HttpServer,
  linker: ExchangeLinker,
  svc: TradingService,
): Promise<void> {
  const tags = ['trading'];

  app.post('/api/v1/trading/accounts', {
    config: { rateLimit: 'execution' },
    schema: {
      tags,
      summary: 'Link an exchange account',
      description:
        'Opens a trading account on the exchange of one of your stored credentials. The exchange is asked what the key may do: a key that can withdraw, or cannot trade, is refused with 400 naming /credentialId and saying how to make a trade-only key; a key whose permissions the exchange does not report is accepted with warnings. The ledger opens with the exchange balances (an exchange_sync entry). Orders placed with this accountId go to the exchange. 404 when the credential is not yours, 409 when it is linked already, 503 when the exchange cannot be reached (nothing is created).',
      security: bearer,
      body: LinkBody,
    },
    preHandler: requireAuth({ scope: 'trade' }),
    handler: async (req, reply) => {
      const account = await linker.link(
        { userId: req.principal!.userId, ip: req.ip, keyId: req.principal!.keyId },
        req.body,
      );
      return reply.status(201).send(account);
    },
  });

  app.get('/api/v1/trading/accounts/:id', {
    schema: {
      tags,
      summary:
        'One of your trading accounts with equity, and for an exchange account its connection',
      security: bearer,
      params: IdParams,
    },
    preHandler: requireAuth({ scope: 'read' }),
    handler: async (req) => {
      const id = req.params.id.toLowerCase();
      const found = (await svc.accounts(req.principal!.userId)).find((a) => a.id === id);
      if (!found) throw E.accountNotFound();
      return found;
    },
  });
}
