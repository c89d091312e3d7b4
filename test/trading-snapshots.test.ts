import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/core/clock.js';
import { Decimal } from '../src/core/decimal.js';
import type { App } from '../src/apps/app.js';
import { backends, freshDatabase } from './helpers/backends.js';
import { signUp, startTestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

// The opening round of equity snapshots: after a start, funded accounts get a point as soon as
// the venue has prices, not an interval later. Prices are fed through
// the paper venue's own inlet; the clock is simulated, so interval boundaries come only when
// the test moves it.

const INTERVAL = 60_000; // TRADING_SNAPSHOT_INTERVAL_MS default
const d = Decimal.parse;

describe.each(backends)('equity snapshots across a restart on $name', (backend) => {
  it('takes an opening point once prices are known, for every account it can value fully', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'obscura-snapshots-'));
    const db = backend.databaseUrl ? await freshDatabase(backend) : undefined;
    // One signing secret for both runs, so the sessions of the first stay valid in the second.
    const env = {
      JWT_SECRET: randomBytes(32).toString('hex'),
      ...(db ? {} : { DATA_DIR: dataDir }),
    };
    // Mid-interval, so an opening point cannot be mistaken for a boundary's.
    const start = Math.floor(Date.now() / INTERVAL) * INTERVAL + INTERVAL / 2;
    let seq = 0;
    const price = async (app: App, symbol: string, p: string, ts: number) => {
      await app.trading.venue!.onTrade({
        venue: 'paper',
        symbol,
        id: `snap-${++seq}`,
        price: d(p),
        quantity: d('0.001'),
        side: 'buy',
        ts,
      });
      await app.trading.venue!.onBookTop({
        venue: 'paper',
        symbol,
        bidPrice: d(p).sub(d('0.01')),
        bidSize: d('1'),
        askPrice: d(p),
        askSize: d('1'),
        ts,
      });
    };
    const points = async (app: App, s: { auth: Record<string, string> }, account: string) => {
      const r = await app.http.inject({
        method: 'GET',
        url: `/api/v1/trading/accounts/${account}/equity`,
        headers: s.auth,
      });
      expect(r.statusCode, r.body).toBe(200);
      return (r.json() as { points: Array<{ ts: string; equity: string; complete: boolean }> })
        .points;
    };
    const funded = async (app: App) => {
      const s = await signUp(app);
      const account = await waitFor(async () => {
        const r = await app.http.inject({
          method: 'GET',
          url: '/api/v1/trading/accounts',
          headers: s.auth,
        });
        const [a] = r.json() as Array<{ id: string; equity: string }>;
        return a?.equity === '10000' && a.id;
      });
      return { ...s, account };
    };

    try {
      const clock1 = new SimulatedClock(start);
      const first = await startTestApp(backend, { clock: clock1, env, ...(db ? { db } : {}) });
      let cash: Awaited<ReturnType<typeof funded>>;
      let holder: typeof cash;
      try {
        cash = await funded(first.app);
        holder = await funded(first.app);
        await price(first.app, 'BTC/USDT', '50000.00', clock1.now());
        const buy = await first.app.http.inject({
          method: 'POST',
          url: '/api/v1/trading/execute',
          headers: holder.auth,
          payload: { symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.1' },
        });
        expect(buy.json()).toMatchObject({ status: 'filled' });
        // No boundary passed and no restart yet: no point at all.
        expect(await points(first.app, cash, cash.account)).toEqual([]);
      } finally {
        await first.close();
      }

      const clock2 = new SimulatedClock(start + 5_000);
      const second = await startTestApp(backend, { clock: clock2, env, ...(db ? { db } : {}) });
      try {
        // Opened after the start, as a demo's trader is on a first start.
        const late = await funded(second.app);
        // Without prices nothing is valued yet; the first price starts the opening round.
        expect(await points(second.app, cash, cash.account)).toEqual([]);
        await price(second.app, 'ETH/USDT', '3000.00', clock2.now());
        const opening = await waitFor(async () => {
          const p = await points(second.app, cash, cash.account);
          return p.length === 1 && p;
        });
        const at = new Date(start + 5_000).toISOString();
        expect(opening).toMatchObject([{ ts: at, equity: '10000', complete: true }]);
        expect(await points(second.app, late, late.account)).toMatchObject([
          { ts: at, equity: '10000' },
        ]);
        // BTC has no price yet, so the holder's point would leave its position out: it waits.
        expect(await points(second.app, holder, holder.account)).toEqual([]);

        // The boundary's round values everyone, as it always does.
        clock2.advance(INTERVAL);
        expect(await second.app.trading.snapshots!.tick()).toBeGreaterThanOrEqual(3);
        expect(await points(second.app, cash, cash.account)).toHaveLength(2);
        expect(await points(second.app, holder, holder.account)).toMatchObject([
          { complete: false },
        ]);
        expect(await points(second.app, late, late.account)).toHaveLength(2);
      } finally {
        await second.close();
      }
    } finally {
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Two starts on a data folder, each with its migrations.
  }, 60_000);
});
