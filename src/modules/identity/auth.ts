import type { FastifyReply, FastifyRequest } from 'fastify';
import { enforceRateLimit, type RateLimits } from '../../platform/http/index.js';
import type { RateLimiter } from '../../platform/ratelimit/index.js';
import * as E from './errors.js';
import type { Principal, Role, Scope } from './model.js';
import type { IdentityService } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    identity: IdentityAuth;
  }
}

/** A preHandler that fits any route, whatever its schema types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Guard = (req: any, reply: any) => Promise<void>;

export interface IdentityAuth {
  service: IdentityService;
  limiter: RateLimiter;
  limits: RateLimits;
}

export async function resolvePrincipal(req: FastifyRequest): Promise<Principal | undefined> {
  const { service } = req.server.identity;
  const header = req.headers.authorization;
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length) return service.authenticateApiKey(apiKey);
  if (typeof header === 'string' && header.length) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw E.tokenInvalid('use the form "Authorization: Bearer <token>"');
    return service.authenticateBearer(m[1]!);
  }
  return undefined;
}

/**
 * Route guard: authenticates by bearer token or X-API-Key, then checks role and scope and
 * spends the caller's rate-limit budget. After it, `request.principal` is set.
 */
export function requireAuth(opts: { roles?: Role[]; scope?: Scope } = {}): Guard {
  return async function guard(req: FastifyRequest, reply: FastifyReply) {
    const principal = req.principal ?? (await resolvePrincipal(req));
    if (!principal) throw E.missingAuth();
    req.principal = principal;
    if (opts.roles && !opts.roles.includes(principal.role)) throw E.insufficientRole(opts.roles);
    if (opts.scope && !principal.scopes.includes(opts.scope)) throw E.insufficientScope(opts.scope);
    const { limiter, limits } = req.server.identity;
    const subject =
      principal.via === 'api_key' ? `key:${principal.keyId}` : `user:${principal.userId}`;
    await enforceRateLimit(limiter, limits, req, reply, subject);
    // Keys and sessions of one user share the user's budget too, so minting keys buys nothing.
    if (principal.via === 'api_key')
      await enforceRateLimit(limiter, limits, req, reply, `user:${principal.userId}`);
  };
}
