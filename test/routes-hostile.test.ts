/**
 * Every route of the OpenAPI document, called with hostile path parameters, query strings and
 * bodies by a trader, an admin and nobody: each answer is a success or a 4xx in
 * application/problem+json, never a 5xx (503, "try again", excepted: it is an answer about a
 * dependency, and must be problem+json too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSession, signUp, startTestApp, type TestApp } from './helpers/app.js';
import { backends } from './helpers/backends.js';

const PARAMS = [
  'x',
  '00000000-0000-0000-0000-000000000000',
  '01a20a0d-0f6b-7aeb-8706-1f125842aa33',
  'Z'.repeat(300),
  '%00',
  '-1',
  '1e400',
  '..%2F..',
];
const QUERIES = [
  '',
  '?limit=-1&after=zz&before=zz&accountId=x&symbol=%00&status=bogus&window=1y&timeframe=7q&from=abc&to=abc&cursor=!!',
  '?limit=99999999999999999999&offset=1e400&accountId=00000000-0000-0000-0000-000000000000',
];
const BODIES: unknown[] = [
  undefined,
  {},
  [],
  'text',
  42,
  null,
  { quantity: '1e400', price: 'NaN', symbol: {}, name: ['x'], limit: -1, ratio: '-0' },
  JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}'),
];

describe.each(backends)('every documented route under hostile input on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(async () => t?.close());

  it('answers with a success or a 4xx problem+json, never a 5xx', async () => {
    const doc = (await t.app.http.inject({ method: 'GET', url: '/docs/json' })).json();
    const callers = [(await signUp(t.app)).auth, (await adminSession(t.app)).auth, {}];
    const wrong: string[] = [];
    let calls = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
      for (const method of Object.keys(ops)) {
        const bodies = method === 'get' || method === 'delete' ? [undefined] : BODIES;
        for (const headers of callers)
          for (const p of path.includes('{') ? PARAMS : ['']) {
            const url = path.replace(/\{[^}]+\}/g, encodeURIComponent(p));
            for (const q of QUERIES)
              for (const b of bodies) {
                calls++;
                const r = await t.app.http.inject({
                  method: method.toUpperCase() as 'GET',
                  url: url + q,
                  headers:
                    b === undefined ? headers : { ...headers, 'content-type': 'application/json' },
                  ...(b === undefined ? {} : { payload: JSON.stringify(b) }),
                });
                const problem = String(r.headers['content-type']).includes(
                  'application/problem+json',
                );
                if (
                  (r.statusCode >= 500 && r.statusCode !== 503) ||
                  (r.statusCode >= 400 && !problem)
                )
                  wrong.push(
                    `${method} ${url}${q} ${JSON.stringify(b)} → ${r.statusCode} ${r.body.slice(0, 120)}`,
                  );
              }
          }
      }
    }
    expect(calls).toBeGreaterThan(5000);
    expect(wrong).toEqual([]);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  }, 300_000);
});
