/**
 * Serves the browser UI (web/dist) from the API's own server, so one process and one origin
 * hold both: no CORS, and the page's WebSocket is same-origin. Hashed assets are cached for a
 * year, index.html is revalidated on every load, and every client route (/market/BTC-USDT,
 * /portfolio…) answers with index.html, except under the server's own prefixes, whose unknown
 * paths keep their problem+json 404.
 *
 * Pages get their own security headers: the API's `default-src 'none'` is right for JSON and
 * would stop a page from running its own scripts.
 */
import fastifyStatic from '@fastify/static';
import helmet from 'helmet';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../platform/http/index.js';
import type { Logger } from '../platform/logging/logger.js';
import type { WebUiMode } from './config.js';
import { DEMO_ACCOUNT } from './demo.js';
import { buildWebUi, WEB_DIR, webBuildNeeded } from './web-build.js';

export interface WebUiOptions {
  mode: WebUiMode;
  logger: Logger;
  /** The demo trader was seeded: the sign-in page offers it. */
  demo: boolean;
  webDir?: string;
}

/** Paths the server answers itself; an unknown path under them is a 404, never the app. */
const RESERVED = /^\/(?:api|ws|docs|health|ready|metrics)(?:\/|$)/;
const HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const YEAR = 'public, max-age=31536000, immutable';

export async function webUiRoutes(http: HttpServer, o: WebUiOptions): Promise<void> {
  if (o.mode === 'off') return;
  const webDir = o.webDir ?? WEB_DIR;
  const dist = join(webDir, 'dist');
  const assets = join(dist, 'assets') + sep;
  const base = pageHeaders();
  const build: { running: boolean; error?: string } = { running: false };
  const index = indexReader(dist, o.demo);

  // Only reply.sendFile is wanted: the routes below decide what each path means.
  await http.register(fastifyStatic, {
    serve: false,
    cacheControl: false,
    // Asset names carry a hash of their content, so a cached copy can never be wrong.
    setHeaders: (reply, path) =>
      reply.header('cache-control', path.startsWith(assets) ? YEAR : 'public, max-age=3600'),
  });

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.headers(base).header('content-security-policy', contentSecurityPolicy(req.headers.host));
    const html = await index();
    if (!html) return notBuilt(reply, o.mode, build);
    reply.header('cache-control', 'no-cache').header('etag', html.etag);
    if (req.headers['if-none-match'] === html.etag) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(html.body);
  };

  const hide = { schema: { hide: true } };
  // Declared so that unknown API paths stay on the API's rate-limit budget.
  http.get('/api/*', hide, (_req, reply) => reply.callNotFound());
  // Files keep the API's header set (default-src 'none' suits a script or an SVG fetched alone),
  // with a cache lifetime; only documents need the page's policy.
  http.get('/assets/*', hide, (req, reply) =>
    reply.sendFile(`assets/${(req.params as { '*': string })['*']}`, dist),
  );
  http.get('/*', hide, (req, reply) => {
    const path = `/${(req.params as { '*': string })['*']}`;
    if (RESERVED.test(path)) return reply.callNotFound();
    // A file name (favicon.svg) that is not there is a 404, not the app.
    if (path.slice(path.lastIndexOf('/')).includes('.')) return reply.sendFile(path.slice(1), dist);
    return page(req, reply);
  });

  if (o.mode === 'auto') {
    // In the background: the API is up at once, and a page asked for meanwhile says why it waits.
    http.addHook('onListen', (done) => {
      if (webBuildNeeded(webDir)) void rebuild(webDir, o.logger, build);
      done();
    });
  }
}

async function rebuild(
  webDir: string,
  logger: Logger,
  build: { running: boolean; error?: string },
) {
  build.running = true;
  try {
    const r = await buildWebUi({ webDir, logger });
    if (r.built)
      logger.info(
        { at: 'web#build', ms: r.ms, reason: r.reason },
        `web UI built in ${((r.ms ?? 0) / 1000).toFixed(1)} s`,
      );
    build.error = undefined;
  } catch (err) {
    build.error = err instanceof Error ? err.message : String(err);
    logger.error({ at: 'web#build', err }, 'web UI build failed; the API is not affected');
  } finally {
    build.running = false;
  }
}

/** index.html with the server's settings the app reads at start, re-read when rebuilt. */
function indexReader(dist: string, demo: boolean) {
  const file = join(dist, 'index.html');
  // A data block, not a script: the policy forbids inline scripts, and this runs nothing.
  const settings = JSON.stringify({ demo: demo ? DEMO_ACCOUNT : null }).replace(/</g, '\\u003c');
  const tag = `<script id="obscura-settings" type="application/json">${settings}</script>`;
  let cached: { mtimeMs: number; body: string; etag: string } | undefined;
  return async () => {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(file)).mtimeMs;
    } catch {
      return undefined;
    }
    if (cached?.mtimeMs !== mtimeMs) {
      const body = (await readFile(file, 'utf8')).replace('</head>', `${tag}</head>`);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      cached = { mtimeMs, body, etag };
    }
    return cached;
  };
}

function notBuilt(
  reply: FastifyReply,
  mode: WebUiMode,
  build: { running: boolean; error?: string },
) {
  const [title, text] = build.running
    ? [
        'Building the interface…',
        'This takes a few seconds on first start; the page reloads itself.',
      ]
    : build.error
      ? ['The interface could not be built', `${build.error} — see the server log.`]
      : mode === 'auto'
        ? ['The interface is not built yet', 'It is built when the server starts listening.']
        : ['The interface is not built', 'Run npm run build:web, or start with WEB_UI=auto.'];
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const refresh = build.running ? '<meta http-equiv="refresh" content="2">' : '';
  return reply
    .code(503)
    .header('retry-after', '2')
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    )
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">${refresh}<title>Obscura</title>` +
        '<style>body{background:#0b0e14;color:#c9d1d9;font:16px system-ui,sans-serif;display:grid;place-items:center;height:100vh;margin:0}</style>' +
        `</head><body><main><h1>${escape(title)}</h1><p>${escape(text)}</p></main></body></html>`,
    );
}

/**
 * The page may load what it was served with and talk to its own server, over HTTP and over
 * WebSocket. `'self'` covers ws: and wss: of the same host in current browsers; the explicit
 * entries are for those that predate that rule.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const ws = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Helmet's headers for HTML documents, computed once; the policy is added per request. */
function pageHeaders(): Record<string, string> {
  const mw = helmet({ contentSecurityPolicy: false, frameguard: { action: 'deny' } });
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  mw({} as IncomingMessage, res, () => {});
  return headers;
}
