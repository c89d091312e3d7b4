import { bool, int, optStr, str, url, type ConfigOf } from './schema.js';

export * from './schema.js';
export { readEnvironment } from './env.js';

/** Configuration of the shared infrastructure. Modules declare their own fragments. */
export const platformConfig = {
  port: int('PORT', { doc: 'HTTP port the server listens on', default: 8000, min: 0, max: 65535 }),
  host: str('HOST', {
    doc: 'Interface to bind (0.0.0.0 to expose beyond this machine)',
    default: '127.0.0.1',
  }),
  databaseUrl: url('DATABASE_URL', {
    doc: 'PostgreSQL URL; unset runs the embedded PGlite database in DATA_DIR',
    example: 'postgres://postgres@127.0.0.1:5432/obscura',
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
  }),
  redisUrl: url('REDIS_URL', {
    doc: 'Redis URL; unset runs the in-process event bus and rate limiter',
    example: 'redis://127.0.0.1:6379',
    protocols: ['redis:', 'rediss:'],
    secret: true,
  }),
  dbPoolSize: int('DB_POOL_SIZE', {
    doc: 'PostgreSQL connections per process (each Redis consumer may hold up to 4 at once)',
    default: 20,
    min: 2,
    max: 500,
  }),
  redisPrefix: str('REDIS_PREFIX', {
    doc: 'Prefix of every Redis key and stream, so several deployments can share one Redis',
    default: 'obscura',
    pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
  }),
  dataDir: str('DATA_DIR', {
    doc: 'Folder of the embedded database and generated key files',
    default: './data',
  }),
  logLevel: str('LOG_LEVEL', {
    doc: 'pino log level',
    default: 'info',
    oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  }),
  bodyLimit: int('BODY_LIMIT_BYTES', {
    doc: 'Largest accepted request body in bytes',
    default: 65536,
    min: 1024,
  }),
  corsOrigins: optStr('CORS_ORIGINS', {
    doc: 'Comma-separated origins allowed by CORS; unset allows none beyond same-origin',
    example: 'http://localhost:5173',
  }),
  trustProxy: bool('TRUST_PROXY', {
    doc: 'Take the client IP from X-Forwarded-For (only behind a proxy you control)',
    default: false,
  }),
  shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', {
    doc: 'How long a graceful shutdown waits for in-flight work; HTTP connections still open at half of it are closed',
    default: 10000,
    min: 100,
  }),
  outboxPollMs: int('OUTBOX_POLL_MS', {
    doc: "Safety-net polling interval of the outbox relay; a commit wakes its own process's relay at once",
    default: 1000,
    min: 5,
  }),
  busMaxAttempts: int('BUS_MAX_ATTEMPTS', {
    doc: 'Deliveries of one event before it goes to the dead-letter stream',
    default: 5,
    min: 1,
    max: 100,
  }),
  busRetryBaseMs: int('BUS_RETRY_BASE_MS', {
    doc: 'Base delay of exponential retry backoff (with full jitter)',
    default: 200,
    min: 1,
  }),
  busClaimIdleMs: int('BUS_CLAIM_IDLE_MS', {
    doc: 'Idle time after which a message held by a silent consumer is claimed by another',
    default: 30000,
    min: 10,
  }),
  rateLimitWindowSeconds: int('RATE_LIMIT_WINDOW_SECONDS', {
    doc: 'Sliding window length',
    default: 60,
    min: 1,
  }),
  rateLimitGeneral: int('RATE_LIMIT_GENERAL', {
    doc: 'Requests per window per user, per API key and per IP',
    default: 100,
    min: 1,
  }),
  rateLimitExecution: int('RATE_LIMIT_EXECUTION', {
    doc: 'Requests per window on order-execution routes',
    default: 10,
    min: 1,
  }),
};

export type PlatformConfig = ConfigOf<typeof platformConfig>;
