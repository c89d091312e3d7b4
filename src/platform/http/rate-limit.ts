import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { RateDecision, RateLimiter } from '../ratelimit/types.js';

export type LimitClass = 'general' | 'execution';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which rate-limit budget the route spends; `execution` for order placement. */
    rateLimit?: LimitClass | false;
  }
  interface FastifyRequest {
    /** The tightest rate-limit decision taken for this request; sent as RateLimit headers. */
    rateDecision?: RateDecision;
    rateWindow?: number;
    rateClass?: LimitClass;
  }
}

export interface RateLimits {
  windowSeconds: number;
  general: number;
  execution: number;
}

/**
 * Counts one request against `subject` (an IP, a user or an API key) in the route's budget,
 * sets the RateLimit headers from the tightest decision so far, and refuses with 429 when the
 * budget is spent.
 */
export async function enforceRateLimit(
  limiter: RateLimiter,
  limits: RateLimits,
  req: FastifyRequest,
  _reply: FastifyReply,
  subject: string,
): Promise<void> {
  const cls = req.routeOptions.config.rateLimit;
  if (cls === false) return;
  const kind: LimitClass = cls ?? 'general';
  const limit = kind === 'execution' ? limits.execution : limits.general;
  const d = await limiter.hit(`${kind}:${subject}`, limit, limits.windowSeconds);
  const prev = req.rateDecision;
  if (!prev || d.remaining < prev.remaining || !d.allowed) {
    req.rateDecision = d;
    req.rateWindow = limits.windowSeconds;
    req.rateClass = kind;
  }
  if (!d.allowed) {
    throw new AppError(
      'rate_limited',
      'rate_limited',
      `Rate limit of ${limit} requests per ${limits.windowSeconds} s exceeded; retry in ${d.retryAfter} s.`,
      { retryAfter: d.retryAfter },
    );
  }
}

/** Per-IP limiting of every API route, before authentication is even attempted. */
export function ipRateLimitHook(limiter: RateLimiter, limits: RateLimits) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.url.startsWith('/api/')) return;
    await enforceRateLimit(limiter, limits, req, reply, `ip:${req.ip}`);
  };
}

/**
 * Writes the tightest decision as the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-
 * headers): `RateLimit-Policy: "general";q=100;w=60` and `RateLimit: "general";r=42;t=18`
 * (quota, window, remaining, seconds until reset), once per response.
 */
export function setRateHeaders(req: FastifyRequest, reply: FastifyReply): void {
  const d = req.rateDecision;
  if (!d) return;
  const name = req.rateClass ?? 'general';
  reply.headers({
    'ratelimit-policy': `"${name}";q=${d.limit};w=${req.rateWindow}`,
    ratelimit: `"${name}";r=${d.remaining};t=${d.reset}`,
  });
}
