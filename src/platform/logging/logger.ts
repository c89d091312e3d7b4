import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names whose values are secrets wherever they appear in a logged object. pino's redact
 * removes them before serialisation, so they never reach a log line.
 */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'secret',
  'apiKey',
  'apiSecret',
  'passphrase',
  'token',
  'accessToken',
  'refreshToken',
  'key',
  'authorization',
  'x-api-key',
  'cookie',
  'masterKey',
  'plaintext',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS.map((f) => (f.includes('-') ? `["${f}"]` : f)),
  ...SECRET_FIELDS.map((f) => (f.includes('-') ? `*["${f}"]` : `*.${f}`)),
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

const SECRET_QUERY = /([?&](?:token|access_token|api_key|apikey|key|secret)=)[^&#]*/gi;

/** Request URLs may carry credentials in their query (e.g. a WebSocket token): mask them. */
export const maskUrl = (url: string): string => url.replace(SECRET_QUERY, '$1[REDACTED]');

export function createLogger(opts: {
  level: string;
  destination?: DestinationStream;
  name?: string;
}): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'obscura',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: {
        // Database errors carry the statement and its parameters (password hashes, key
        // hashes, payloads): keep the message and code, drop the values.
        err: (e: Error) => {
          const out = pino.stdSerializers.err(e) as unknown as Record<string, unknown>;
          for (const k of ['params', 'parameters', 'query', 'values', 'detail', 'where'])
            delete out[k];
          return out;
        },
        req: (req: { id?: string; method?: string; url?: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url ? maskUrl(req.url) : undefined,
          ip: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    opts.destination,
  );
}

/**
 * A per-request child logger that is only built when something is actually logged. pino's
 * child() re-applies redaction to the bindings, which costs more than a whole fast request
 * when the level would discard every line anyway. A class keeps the per-request cost to one
 * small object (no closures).
 */
class LazyChild {
  private built: Logger | undefined;
  constructor(
    private readonly parent: Logger,
    private readonly extra: Record<string, unknown>,
  ) {}
  private get c(): Logger {
    return (this.built ??= this.parent.child(this.extra));
  }
  get level() {
    return this.parent.level;
  }
  set level(v: string) {
    this.c.level = v;
  }
  isLevelEnabled(l: string) {
    return this.parent.isLevelEnabled(l);
  }
  bindings() {
    return { ...this.parent.bindings(), ...this.extra };
  }
  child(b: Record<string, unknown>, o?: object) {
    return this.c.child(b, o);
  }
  flush() {
    this.built?.flush();
  }
  silent() {}
  trace(...a: unknown[]) {
    if (this.parent.isLevelEnabled('trace')) (this.c.trace as (...x: unknown[]) => void)(...a);
  }
  debug(...a: unknown[]) {
    if (this.parent.isLevelEnabled('debug')) (this.c.debug as (...x: unknown[]) => void)(...a);
  }
  info(...a: unknown[]) {
    if (this.parent.isLevelEnabled('info')) (this.c.info as (...x: unknown[]) => void)(...a);
  }
  warn(...a: unknown[]) {
    if (this.parent.isLevelEnabled('warn')) (this.c.warn as (...x: unknown[]) => void)(...a);
  }
  error(...a: unknown[]) {
    if (this.parent.isLevelEnabled('error')) (this.c.error as (...x: unknown[]) => void)(...a);
  }
  fatal(...a: unknown[]) {
    if (this.parent.isLevelEnabled('fatal')) (this.c.fatal as (...x: unknown[]) => void)(...a);
  }
}

export const lazyChild = (parent: Logger, bindings: Record<string, unknown>): Logger =>
  new LazyChild(parent, bindings) as unknown as Logger;
