import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../core/clock.js';
import { createLogger } from '../logging/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { MemoryRateLimiter } from '../ratelimit/memory.js';
import { rateLimitHook } from './rate-limit.js';
import { createHttpServer } from './server.js';

describe('route budgets', () => {
  it('spends the execution budget on order routes and the general one elsewhere', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const limiter = new MemoryRateLimiter(clock);
    const app = await createHttpServer({
      logger: createLogger({ level: 'silent' }),
      metrics: new Metrics({ defaultMetrics: false }),
      bodyLimit: 1024,
      trustProxy: false,
      version: 't',
      docs: false,
    });
    app.addHook(
      'onRequest',
      rateLimitHook(limiter, { windowSeconds: 60, general: 100, execution: 10 }, undefined, clock),
    );
    app.post('/api/v1/trading/execute', { config: { rateLimit: 'execution' } }, async () => ({
      ok: true,
    }));
    app.get('/api/v1/thing', async () => ({ ok: true }));
    await app.ready();
    const exec = [];
    for (let i = 0; i < 11; i++)
      exec.push((await app.inject({ method: 'POST', url: '/api/v1/trading/execute' })).statusCode);
    expect(exec.filter((s) => s === 200)).toHaveLength(10);
    expect(exec[10]).toBe(429);
    const res = await app.inject({ method: 'GET', url: '/api/v1/thing' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['ratelimit-policy']).toBe('"general";q=100;w=60');
    clock.advance(120_000);
    expect((await app.inject({ method: 'POST', url: '/api/v1/trading/execute' })).statusCode).toBe(
      200,
    );
    await app.close();
    await limiter.close();
  });
});
