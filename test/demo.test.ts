import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LEADERS } from '../src/apps/demo-leaders.js';
import { DEMO_ACCOUNT } from '../src/apps/demo.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { backends } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';

// A newcomer's embedded build: the demo trader receives signals from `demo-bot` through the
// gateway, and the models judge them, before anyone has wired a sender; the Copy trading page
// has leaders to follow, who trade the simulated market on their own, and following one shows
// its copies.

const embedded = backends.find((b) => b.name === 'embedded')!;

interface Trade {
  status: string;
  reason: string | null;
  action: string;
  side: string;
  leaderFill: { price: string; quantity: string };
  order: { filledQuantity: string } | null;
}

describe('the demo on the embedded build', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  const get = (url: string, headers: Record<string, string> = auth) =>
    t.app.http.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    t = await startTestApp(embedded, {
      env: {
        DEMO_SEED: 'true',
        DEMO_SIGNALS_MS: '300',
        DEMO_LEADERS_MS: '250',
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
        const res = await get('/api/v1/signals?source=demo-bot');
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

  it('publishes the demo leaders, and a follow of one copies its trades', async () => {
    const leaders = await waitFor(async () => {
      const res = await get('/api/v1/copy/leaders', {});
      const list = res.json() as Array<{ id: string; displayName: string; status: string }>;
      return list.length >= DEMO_LEADERS.length && list;
    });
    expect(leaders.map((l) => l.displayName).sort()).toEqual(
      DEMO_LEADERS.map((l) => l.displayName).sort(),
    );
    expect(leaders.every((l) => l.status === 'active')).toBe(true);
    const board = (await get('/api/v1/copy/leaderboard', {})).json() as Array<{
      leader: { displayName: string };
    }>;
    expect(board.map((e) => e.leader.displayName).sort()).toEqual(
      DEMO_LEADERS.map((l) => l.displayName).sort(),
    );

    const momentum = leaders.find((l) => l.displayName === DEMO_LEADERS[0]!.displayName)!;
    const res = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/copy/follow',
      headers: auth,
      payload: {
        leaderId: momentum.id,
        allocatedAmount: '5000',
        mode: 'fixed_ratio',
        ratio: '0.5',
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const followId = res.json().id as string;

    // The leader buys and sells BTC as the tape turns; the follow copies both ways.
    const trades = await waitFor(
      async () => {
        const list = (await get(`/api/v1/copy/follows/${followId}/trades`)).json() as Trade[];
        const copied = list.filter((x) => x.status === 'copied');
        return copied.some((x) => x.action === 'open') && copied.some((x) => x.action === 'close')
          ? copied
          : undefined;
      },
      60_000,
      { intervalMs: 200 },
    );
    for (const x of trades) {
      // Half the leader's quantity, to the lot (0.00001 BTC).
      expect(Number(x.order!.filledQuantity)).toBeCloseTo(Number(x.leaderFill.quantity) / 2, 4);
    }
    // Demo leaders never sign in: their password is not the demo trader's.
    const login = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: DEMO_LEADERS[0]!.email, password: DEMO_ACCOUNT.password },
    });
    expect(login.statusCode).toBe(401);
  });
});
