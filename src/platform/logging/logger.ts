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

export function createLogger(opts: { level: string; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'obscura',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: {
        err: pino.stdSerializers.err,
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
