import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/apps/demo.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { backends } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';

// A newcomer's embedded build: the demo trader receives signals from `demo-bot` through the
// gateway, and the models judge them, before anyone has wired a sender.

const embedded = backends.find((b) => b.name === 'embedded')!;

describe('demo signals on the embedded build', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp(embedded, {
      env: {
        DEMO_SEED: 'true',
        DEMO_SIGNALS_MS: '300',
        MARKET_SOURCE: 'synthetic',
        MARKET_SPEED: '60',
        MARKET_SYMBOLS: 'BTC/USDT,ETH/USDT',
        MARKET_BACKFILL: '6h',
      },
    });
    await t.app.start();
    const login = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password },
    });
    expect(login.statusCode).toBe(200);
    auth = { authorization: `Bearer ${login.json().accessToken}` };
  });

  afterAll(async () => {
    await t?.close();
  });

  it('sends the demo trader judged signals with a stop and a target on the right sides', async () => {
    const published = await waitFor(
      async () => {
        const res = await t.app.http.inject({
          method: 'GET',
          url: '/api/v1/signals?source=demo-bot',
          headers: auth,
        });
        const list = res.json().signals as Array<{
          status: string;
          source: string;
          direction: string;
          entry: string;
          stop: string;
          takeProfit: string;
          decisions: unknown[];
          consensus: unknown;
        }>;
        return list.find((s) => s.status === 'published');
      },
      30_000,
      { intervalMs: 100 },
    );
    expect(published.source).toBe('demo-bot');
    expect(published.decisions.length).toBeGreaterThanOrEqual(3);
    expect(published.consensus).toMatchObject({ answered: published.decisions.length });
    const entry = Number(published.entry);
    const stop = Number(published.stop);
    const target = Number(published.takeProfit);
    if (published.direction === 'long') expect(stop < entry && entry < target).toBe(true);
    else expect(target < entry && entry < stop).toBe(true);
  });
});
