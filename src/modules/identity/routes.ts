import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/index.js';
import { requireAuth, resolvePrincipal } from './auth.js';
import * as T from './schemas.js';

const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];
const ctx = (req: { ip: string }) => ({ ip: req.ip });

export async function identityRoutes(app: HttpServer): Promise<void> {
  const svc = app.identity.service;

  app.post('/api/v1/auth/register', {
    schema: {
      tags: ['auth'],
      summary: 'Sign up',
      body: T.RegisterBody,
      response: { 201: T.AuthResult },
    },
    handler: async (req, reply) => reply.status(201).send(await svc.register(req.body, ctx(req))),
  });

  app.post('/api/v1/auth/login', {
    schema: {
      tags: ['auth'],
      summary: 'Log in',
      body: T.LoginBody,
      response: { 200: T.AuthResult },
    },
    handler: async (req) => svc.login(req.body, ctx(req)),
  });

  app.post('/api/v1/auth/refresh', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange a refresh token for a new pair; the old one is spent',
      body: T.RefreshBody,
      response: { 200: T.TokenPair },
    },
    handler: async (req) => svc.refresh(req.body.refreshToken, ctx(req)),
  });

  app.post('/api/v1/auth/logout', {
    schema: {
      tags: ['auth'],
      summary: 'End the session of a refresh token',
      body: T.RefreshBody,
      response: { 204: Type.Null() },
    },
    handler: async (req, reply) => {
      const principal = await resolvePrincipal(req).catch(() => undefined);
      await svc.logout(req.body.refreshToken, principal, ctx(req));
      return reply.status(204).send(null);
    },
  });

  app.get('/api/v1/auth/me', {
    schema: {
      tags: ['auth'],
      summary: 'The current user',
      security: bearer,
      response: { 200: T.User },
    },
    preHandler: requireAuth({ scope: 'read' }),
    handler: async (req) => svc.me(req.principal!.userId),
  });

  app.get('/api/v1/auth/session', {
    schema: {
      tags: ['auth'],
      summary: 'Who is calling: the principal of this token or API key, with its effective scopes',
      security: bearer,
      response: { 200: T.PrincipalView },
    },
    preHandler: requireAuth(),
    handler: async (req) => req.principal!,
  });

  app.post('/api/v1/keys', {
    schema: {
      tags: ['api keys'],
      summary: 'Create an API key (shown once)',
      security: bearer,
      body: T.CreateKeyBody,
      response: { 201: T.CreatedKey },
    },
    // Keys are managed from a logged-in session only: a leaked key must not mint or revoke keys.
    preHandler: requireAuth({ session: true }),
    handler: async (req, reply) =>
      reply.status(201).send(await svc.createApiKey(req.principal!, req.body, ctx(req))),
  });

  app.get('/api/v1/keys', {
    schema: {
      tags: ['api keys'],
      summary: 'List your API keys',
      security: bearer,
      response: { 200: Type.Array(T.ApiKey) },
    },
    preHandler: requireAuth({ scope: 'read' }),
    handler: async (req) => svc.listApiKeys(req.principal!.userId),
  });

  app.delete('/api/v1/keys/:key_id', {
    schema: {
      tags: ['api keys'],
      summary: 'Revoke an API key',
      security: bearer,
      params: T.IdParams('key_id'),
      response: { 204: Type.Null() },
    },
    preHandler: requireAuth({ session: true }),
    handler: async (req, reply) => {
      await svc.revokeApiKey(req.principal!, (req.params as { key_id: string }).key_id, ctx(req));
      return reply.status(204).send(null);
    },
  });

  app.get('/api/v1/audit', {
    schema: {
      tags: ['audit'],
      summary: 'Your security events',
      security: bearer,
      querystring: Type.Omit(T.AuditQuery, ['userId']),
      response: { 200: Type.Array(T.AuditEntry) },
    },
    preHandler: requireAuth({ scope: 'read' }),
    handler: async (req) => svc.audit({ ...req.query, userId: req.principal!.userId }),
  });

  const admin = requireAuth({ roles: ['admin'], scope: 'admin' });

  app.get('/api/v1/admin/users', {
    schema: {
      tags: ['admin'],
      summary: 'List users',
      security: bearer,
      querystring: T.ListUsersQuery,
      response: { 200: Type.Array(T.User) },
    },
    preHandler: admin,
    handler: async (req) => svc.listUsers(req.query),
  });

  app.patch('/api/v1/admin/users/:user_id', {
    schema: {
      tags: ['admin'],
      summary: 'Change a role or disable an account',
      security: bearer,
      params: T.IdParams('user_id'),
      body: T.PatchUserBody,
      response: { 200: T.User },
    },
    preHandler: admin,
    handler: async (req) =>
      svc.updateUser(
        req.principal!,
        (req.params as { user_id: string }).user_id,
        req.body,
        ctx(req),
      ),
  });

  app.get('/api/v1/admin/audit', {
    schema: {
      tags: ['admin'],
      summary: 'All security events',
      security: bearer,
      querystring: T.AuditQuery,
      response: { 200: Type.Array(T.AuditEntry) },
    },
    preHandler: admin,
    handler: async (req) => svc.audit(req.query),
  });
}
