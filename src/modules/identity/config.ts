import { int, optStr, type ConfigOf } from '../../platform/config/index.js';

export const identityConfig = {
  jwtSecret: optStr('JWT_SECRET', {
    minLength: 32,
    doc: 'HMAC secret of access tokens (at least 32 characters). Required with DATABASE_URL so every process shares it; the embedded build generates one in DATA_DIR',
    secret: true,
  }),
  accessTtlSeconds: int('JWT_ACCESS_TTL_SECONDS', {
    doc: 'Lifetime of access tokens',
    default: 3600,
    min: 60,
    max: 86400,
  }),
  refreshTtlDays: int('JWT_REFRESH_TTL_DAYS', {
    doc: 'Lifetime of refresh tokens',
    default: 30,
    min: 1,
    max: 365,
  }),
  loginMaxFailures: int('LOGIN_MAX_FAILURES', {
    doc: 'Failed logins for one email from one IP before further attempts are refused',
    default: 5,
    min: 1,
  }),
  loginFailureWindowSeconds: int('LOGIN_FAILURE_WINDOW_SECONDS', {
    doc: 'Window in which failed logins are counted',
    default: 900,
    min: 1,
  }),
  authCacheMs: int('AUTH_CACHE_MS', {
    doc: 'How long a process trusts its cached view of a session or API key before re-reading it (revocations in another process take effect within this time)',
    default: 5000,
    min: 0,
    max: 60000,
  }),
};

export type IdentityConfig = ConfigOf<typeof identityConfig> & { jwtSecret: string };
