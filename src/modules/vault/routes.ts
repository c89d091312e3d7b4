import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/index.js';
import { requireAuth } from '../identity/index.js';
import type { InProcessRotation, RotateMasterKeyResult } from './rotate-master.js';
import type { Vault } from './service.js';
import { LIMITS, SUPPORTED_EXCHANGES } from './validate.js';

const closed = { additionalProperties: false } as const;
const security: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];
const tags = ['credentials'];

/**
 * The exchange id is checked by the service rather than by an enum here, so that the error
 * names the field and lists the supported ids in one readable message.
 */
const StoreBody = Type.Object(
  {
    exchange: Type.String({
      minLength: 1,
      maxLength: 32,
      description: `CCXT exchange id: ${SUPPORTED_EXCHANGES.join(', ')}`,
    }),
    label: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.label,
        description: 'Defaults to the exchange id',
      }),
    ),
    apiKey: Type.String({ minLength: 1, maxLength: LIMITS.apiKey, writeOnly: true }),
    secret: Type.String({ minLength: 1, maxLength: LIMITS.secret, writeOnly: true }),
    passphrase: Type.Optional(
      Type.String({
        maxLength: LIMITS.passphrase,
        writeOnly: true,
        description: 'Required by okx, kucoin, bitget, coinbaseexchange',
      }),
    ),
  },
  closed,
);

/** Declared so that the serializer emits these fields only, whatever the handler returns. */
const CredentialView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  exchange: Type.String(),
  label: Type.String(),
  keyLast4: Type.String({
    description: 'Last 4 characters of the API key; empty for keys shorter than 12',
  }),
  createdAt: Type.String({ format: 'date-time' }),
});

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, closed);

const RotateBody = Type.Object(
  {
    retireOld: Type.Optional(
      Type.Boolean({ description: 'Drop old keys from the key file once no record uses them' }),
    ),
  },
  closed,
);
const RotateResult = Type.Object({
  mode: Type.Union([Type.Literal('key_file'), Type.Literal('env')]),
  primaryKid: Type.String(),
  total: Type.Integer(),
  rewrapped: Type.Integer(),
  skipped: Type.Integer(),
  failed: Type.Array(Type.Object({ id: Type.String(), code: Type.String() })),
  remaining: Type.Integer({
    description: 'Records still under another key; non-zero means an old key is still needed',
  }),
  previousKids: Type.Array(Type.String()),
  retiredKids: Type.Array(Type.String()),
});

export interface VaultRouteDeps {
  vault: Vault;
  rotate(opts: InProcessRotation): Promise<RotateMasterKeyResult>;
}

export async function vaultRoutes(
  app: HttpServer,
  { vault, rotate }: VaultRouteDeps,
): Promise<void> {
  // Storing or removing a credential decides what can trade, so it needs the trade scope.
  app.post('/api/v1/credentials', {
    schema: {
      tags,
      summary: 'Store exchange credentials (encrypted; never returned)',
      security,
      body: StoreBody,
      response: { 201: CredentialView },
    },
    preHandler: requireAuth({ scope: 'trade' }),
    handler: async (req, reply) => {
      const userId = req.principal!.userId;
      return reply.status(201).send(await vault.store(userId, req.body, { ip: req.ip }));
    },
  });

  app.get('/api/v1/credentials', {
    schema: {
      tags,
      summary: 'List your exchange credentials',
      security,
      response: { 200: Type.Array(CredentialView) },
    },
    preHandler: requireAuth({ scope: 'read' }),
    handler: async (req) => vault.list(req.principal!.userId),
  });

  app.delete('/api/v1/credentials/:id', {
    schema: {
      tags,
      summary: 'Delete exchange credentials',
      security,
      params: IdParams,
      response: { 204: Type.Null() },
    },
    preHandler: requireAuth({ scope: 'trade' }),
    handler: async (req, reply) => {
      await vault.delete(req.principal!.userId, req.params.id, { ip: req.ip });
      return reply.status(204).send(null);
    },
  });

  app.post('/api/v1/admin/vault/rotate', {
    schema: {
      tags: ['admin'],
      summary: 'Re-wrap every credential under a new master key, while serving',
      security,
      body: RotateBody,
      response: { 200: RotateResult },
    },
    preHandler: requireAuth({ roles: ['admin'], scope: 'admin' }),
    handler: async (req) =>
      rotate({
        retireOld: req.body.retireOld ?? false,
        actorId: req.principal!.userId,
        ip: req.ip,
      }),
  });
}
