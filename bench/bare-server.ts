// The baselines: a bare Fastify hello-world route, and a bare route answering with the same
// headers and body size as the measured one, each in its own process like the real server.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));

const SAME_HEADERS = {
  'x-request-id': '0123456789ab-1a2b',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'ratelimit-policy': '"general";q=100000000;w=60',
  ratelimit: '"general";r=99999999;t=60',
};
const SAME_BODY = {
  userId: '01a2085e-b2f9-7b18-8b83-e70be9c4ce84',
  role: 'trader',
  via: 'jwt',
  sessionId: '01a2085e-c771-717d-8436-e1d7bdab97cb',
  scopes: ['read', 'trade', 'signals'],
};
app.get('/same', async (_req, reply) => reply.headers(SAME_HEADERS).send(SAME_BODY));

const port = Number(process.argv[2] ?? 0);
const address = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`${address}\n`);
