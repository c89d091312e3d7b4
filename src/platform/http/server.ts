import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { API_SECURITY_HEADERS, documentSecurityHeaders } from './security-headers.js';
import { setRateHeaders } from './rate-limit.js';
import { AppError } from '../../core/errors.js';
import { randomBytes } from 'node:crypto';
import { lazyChild, type Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import {
  fieldIssuesFromAjv,
  problemFromAppError,
  problemFromFastifyError,
  type Problem,
} from './problem.js';

export type HttpServer = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface HttpOptions {
  logger: Logger;
  metrics: Metrics;
  bodyLimit: number;
  trustProxy: boolean;
  corsOrigins?: string | undefined;
  version: string;
  /** True once the process is shutting down: answers then close their connection. */
  closing?: () => boolean;
  /** Serve the OpenAPI document and its interactive page at /docs. */
  docs?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const isEmpty = (o: unknown) =>
  o === undefined || o === null || (typeof o === 'object' && Object.keys(o).length === 0);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The JSON-pointer path of the first string (or key) PostgreSQL could not store, if any. */
export function findBadText(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (BAD_TEXT.test(k)) return `${path}/${k.replace(BAD_TEXT, '?')}`;
    const found = findBadText(v, `${path}/${k}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

// Unique per process start plus a counter: as unique as a UUID for tracing, without drawing
// random bytes on every request.
const BOOT = randomBytes(6).toString('hex');
let requestSeq = 0;
const nextRequestId = () => `${BOOT}-${(++requestSeq).toString(36)}`;

function makeAjv(coerce: boolean) {
  // Bodies are validated strictly: no coercion, no silently dropped fields. Query strings and
  // path parameters arrive as text, so those are coerced to their declared types.
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

export async function createHttpServer(opts: HttpOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimit,
    trustProxy: opts.trustProxy,
    // One line per request, written in onResponse with the route and latency.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : nextRequestId();
    },
    childLoggerFactory: (logger, bindings) => lazyChild(logger as Logger, bindings),
    // A request that reached an open connection before shutdown is served, not refused: the
    // listener is already closed to new connections, and answers then close theirs.
    return503OnClosing: false,
    // Long ids must reach validation and get a problem+json 400, not the router's bare 414.
    routerOptions: { maxParamLength: 1000 },
    // Idle sockets are closed by the app a second into shutdown, not at its first instant,
    // when a socket may hold a request that has not been read yet.
    forceCloseConnections: false,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpServer;

  // JSON is the only body format the API speaks; anything else is 415, not a confusing 400.
  app.removeContentTypeParser('text/plain');

  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  );
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const part = dataVar === 'body' ? '' : `${dataVar}:`;
    const fields = fieldIssuesFromAjv(errors as never, part);
    const detail = fields.map((f) => `${f.field || 'body'} ${f.message}`).join('; ');
    return new AppError('validation', 'validation_failed', detail, { fields });
  });

  // Hooks on the hot path are callback-style: an async hook costs a promise per request.
  const docHeaders = documentSecurityHeaders();
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    reply.headers(req.url.startsWith('/docs') ? docHeaders : API_SECURITY_HEADERS);
    done();
  });
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && isEmpty(req.query) && isEmpty(req.params)) return done();
    // PostgreSQL cannot store NUL characters or unpaired UTF-16 surrogates in text or JSON;
    // refuse them here, naming the field, instead of failing deep inside a transaction.
    const bad =
      findBadText(req.body, '') ??
      findBadText(req.query, 'query:') ??
      findBadText(req.params, 'params:');
    if (bad !== undefined) {
      return done(
        new AppError(
          'validation',
          'invalid_characters',
          `${bad || 'body'} contains a NUL character or broken Unicode`,
          {
            fields: [{ field: bad || '/', message: 'contains a NUL character or broken Unicode' }],
          },
        ),
      );
    }
    // Ids are UUIDs, which compare case-insensitively in SQL but not in code: use one case.
    const params = req.params as Record<string, unknown> | undefined;
    if (params)
      for (const [k, v] of Object.entries(params))
        if (typeof v === 'string' && UUID.test(v)) params[k] = v.toLowerCase();
    done();
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    setRateHeaders(req, reply);
    if (opts.closing?.()) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    opts.metrics.httpDuration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      seconds,
    );
    req.log.info(
      { at: 'http#response', req, res: reply, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
    done();
  });

  app.setErrorHandler(
    (err: Error & { code?: string; statusCode?: number; validation?: unknown }, req, reply) => {
      let problem: Problem | undefined;
      if (err instanceof AppError) {
        problem = problemFromAppError(err);
        if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter));
      } else {
        problem = problemFromFastifyError(err);
      }
      if (!problem) {
        req.log.error({ at: 'http#error', err }, 'unhandled error');
        problem = {
          type: 'about:blank',
          title: 'Internal Server Error',
          status: 500,
          detail: 'An unexpected error occurred; quote the request id when reporting it.',
          code: 'internal',
        };
      } else if (problem.status >= 500) {
        req.log.error({ at: 'http#error', err }, problem.code);
      }
      problem.instance = req.url.split('?')[0];
      problem.requestId = req.id;
      if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="obscura"');
      void reply.status(problem.status).type('application/problem+json').send(problem);
    },
  );

  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: 'https://obscura.dev/problems/route_not_found',
        title: 'Not Found',
        status: 404,
        detail: `No route ${req.method} ${req.url.split('?')[0]}`,
        code: 'route_not_found',
        requestId: req.id,
      } satisfies Problem);
  });

  const origins =
    opts.corsOrigins
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  // Without allowed origins the plugin would only spend a hook per request to say no.
  if (origins.length)
    await app.register(cors, {
      origin: origins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      credentials: false,
      exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy'],
    });

  if (opts.docs !== false) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Obscura API',
          version: opts.version,
          description: 'Self-hostable crypto trading platform. Errors are RFC 9457 problem+json.',
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });
  }
  return app;
}
