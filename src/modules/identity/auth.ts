import type { FastifyRequest } from 'fastify';
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

declare module 'fastify' {
  interface FastifyRequest {
    /** Why the credentials the request carried were refused; thrown by guarded routes. */
    authError?: unknown;
    authResolved?: boolean;
  }
}

/** Authenticates once per request, remembering the principal or the reason it was refused. */
async function authenticate(req: FastifyRequest): Promise<Principal | undefined> {
  if (!req.authResolved) {
    req.authResolved = true;
    try {
      req.principal = await resolvePrincipal(req);
    } catch (err) {
      req.authError = err;
    }
  }
  return req.principal;
}

const subjectsOfPrincipal = (p: Principal) =>
  p.via === 'api_key' ? [`key:${p.keyId}`, `user:${p.userId}`] : [`user:${p.userId}`];

/**
 * The rate-limit subjects of a request beyond its IP: its user and, for an API key, the key
 * too (keys of one user share the user's budget, so minting keys buys nothing).
 */
export async function rateLimitSubjects(req: FastifyRequest): Promise<string[]> {
  const p = await authenticate(req);
  return p ? subjectsOfPrincipal(p) : [];
}

/**
 * Route guard: requires a principal (authenticated by bearer token or X-API-Key) with the
 * role and scope given. Rate limits were already spent by the request's onRequest hook; a
 * process without that hook (a worker's admin routes) spends them here.
 */
export function requireAuth(
  opts: { roles?: Role[]; scope?: Scope; session?: boolean } = {},
): Guard {
  return async function guard(req: FastifyRequest) {
    const limited = req.authResolved;
    const principal = await authenticate(req);
    if (req.authError) throw req.authError;
    if (!principal) throw E.missingAuth();
    if (opts.roles && !opts.roles.includes(principal.role)) throw E.insufficientRole(opts.roles);
    if (opts.scope && !principal.scopes.includes(opts.scope)) throw E.insufficientScope(opts.scope);
    if (opts.session && principal.via !== 'jwt') throw E.sessionRequired();
    if (!limited) {
      const { limiter, limits } = req.server.identity;
      await enforceRateLimit(limiter, limits, req, subjectsOfPrincipal(principal));
    }
  };
}
