import type { FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../core/clock.js';
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
 * Counts one request against every subject (the client IP, and the user or API key behind
 * it) in the route's budget in a single limiter call, records the tightest decision for the
 * RateLimit headers, and refuses with 429 when any budget is spent.
 */
export async function enforceRateLimit(
  limiter: RateLimiter,
  limits: RateLimits,
  req: FastifyRequest,
  subjects: string[],
): Promise<void> {
  const cls = req.routeOptions.config.rateLimit;
  if (cls === false || subjects.length === 0) return;
  const kind: LimitClass = cls ?? 'general';
  const limit = kind === 'execution' ? limits.execution : limits.general;
  const d = await limiter.hitMany(
    subjects.map((s) => `${kind}:${s}`),
    limit,
    limits.windowSeconds,
  );
  const prev = req.rateDecision;
  if (!prev || d.remaining < prev.remaining || !d.allowed) {
    req.rateDecision = d;
    req.rateWindow = limits.windowSeconds;
    req.rateClass = kind;
  }
  if (!d.allowed) throw rateLimited(limits, limit, d.retryAfter);
}

const rateLimited = (limits: RateLimits, limit: number, retryAfter: number) =>
  new AppError(
    'rate_limited',
    'rate_limited',
    `Rate limit of ${limit} requests per ${limits.windowSeconds} s exceeded; retry in ${retryAfter} s.`,
    { retryAfter },
  );

/**
 * Rate limiting of every API route before its body is even read. `subjectsOf` names who is
 * calling beyond the IP (it authenticates the request, if it carries credentials), so that
 * IP, user and key budgets cost one round trip together.
 */
export function rateLimitHook(
  limiter: RateLimiter,
  limits: RateLimits,
  subjectsOf: (req: FastifyRequest) => Promise<string[]> = async () => [],
  clock: Clock = systemClock,
) {
  // IPs this process saw over their budget, until their retry time: refused before any
  // authentication work, so a flood of bogus credentials cannot turn into database reads.
  const benched = new Map<string, number>();
  return async (req: FastifyRequest) => {
    // Decide by the route Fastify matched, not the raw URL: `/%61pi/…` routes to `/api/…`.
    // Requests that match no route are limited too; only ops and docs routes are exempt.
    const route = req.routeOptions.url;
    if (route !== undefined && !route.startsWith('/api/')) return;
    const kind: LimitClass =
      req.routeOptions.config.rateLimit === 'execution' ? 'execution' : 'general';
    const benchKey = `${kind}:${req.ip}`;
    const until = benched.get(benchKey);
    if (until !== undefined) {
      const wait = Math.ceil((until - clock.now()) / 1000);
      if (wait > 0) {
        const limit = kind === 'execution' ? limits.execution : limits.general;
        req.rateDecision = { allowed: false, limit, remaining: 0, retryAfter: wait, reset: wait };
        req.rateWindow = limits.windowSeconds;
        req.rateClass = kind;
        throw rateLimited(limits, limit, wait);
      }
      benched.delete(benchKey);
    }
    const subjects = await subjectsOf(req);
    try {
      await enforceRateLimit(limiter, limits, req, [`ip:${req.ip}`, ...subjects]);
    } catch (err) {
      const d = req.rateDecision;
      if (d?.denied?.some((k) => k.endsWith(`:ip:${req.ip}`))) {
        if (benched.size > 100_000) benched.clear();
        benched.set(benchKey, clock.now() + d.retryAfter * 1000);
      }
      throw err;
    }
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
