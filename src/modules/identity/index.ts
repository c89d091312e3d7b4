import type { Clock } from '../../core/clock.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { HttpServer, RateLimits } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { ModuleRuntime } from '../../platform/module.js';
import type { RateLimiter } from '../../platform/ratelimit/index.js';
import { auditLogConsumer, loginStatsConsumer } from './audit.js';
import type { IdentityConfig } from './config.js';
import { identityRoutes } from './routes.js';
import { IdentityService } from './service.js';

export { identityConfig, type IdentityConfig } from './config.js';
export { rateLimitSubjects, requireAuth } from './auth.js';
export { auditEvent, AUDIT_ACTIONS, type AuditInput } from './audit.js';
export { ROLES, SCOPES, type Principal, type Role, type Scope, type UserView } from './model.js';
export type { IdentityService } from './service.js';

export interface IdentityModule extends ModuleRuntime {
  service: IdentityService;
}

export function createIdentityModule(deps: {
  database: Database;
  outbox: Outbox;
  clock: Clock;
  rateLimiter: RateLimiter;
  logger: Logger;
  config: IdentityConfig;
  limits: RateLimits;
}): IdentityModule {
  const service = new IdentityService(deps);
  return {
    name: 'identity',
    service,
    consumers: [auditLogConsumer, loginStatsConsumer],
    async routes(app: HttpServer) {
      app.decorate('identity', { service, limiter: deps.rateLimiter, limits: deps.limits });
      await identityRoutes(app);
    },
  };
}
