import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Security headers, computed once at start-up rather than per request (running helmet on
 * every request re-parses its CSP, measured at ~5 % of a request's CPU).
 *
 * JSON responses get the set OWASP's REST Security Cheat Sheet recommends for APIs; helmet's
 * full set for HTML documents (the /docs page) mostly governs how a browser renders a page,
 * which a JSON body never is, and every extra header is paid for on every response.
 */
export const API_SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export function documentSecurityHeaders(): Record<string, string> {
  const mw = helmet({
    // The interactive API page loads its own inline scripts and styles.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        // Self-hosted instances are often reached over plain HTTP on a LAN.
        upgradeInsecureRequests: null,
      },
    },
  });
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
