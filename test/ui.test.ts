import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWebUi } from '../src/apps/web-build.js';
import { Decimal } from '../src/core/decimal.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { backends } from './helpers/backends.js';
import {
  browserRunnable as runnable,
  openBrowser,
  type BrowserSession,
} from './helpers/browser.js';
import { waitFor } from './helpers/wait.js';

// The browser UI in real Chromium against a real server: the synthetic market running sixty
// times faster than the clock after making up a few hours of history, the paper venue
// matching, the demo trader seeded, equity stored every second. The UI only speaks HTTP and
// WebSocket, so the embedded backend is enough.

const embedded = backends.find((b) => b.name === 'embedded')!;

/** '9,876.54' → Decimal: the page shows grouped decimals. */
const shown = (text: string | null) => Decimal.parse((text ?? '').replace(/,/g, '').trim());

describe.skipIf(!runnable)('browser UI', () => {
  let t: TestApp;
  let browser: BrowserSession;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    await buildWebUi(); // nothing to do when web/dist is newer than web/
    t = await startTestApp(embedded, {
      env: {
        MARKET_SOURCE: 'synthetic',
        MARKET_SPEED: '60',
        MARKET_SYMBOLS: 'BTC/USDT,ETH/USDT,SOL/USDT',
        MARKET_BACKFILL: '6h',
        TRADING_SNAPSHOT_INTERVAL_MS: '1000',
        DEMO_SEED: 'true',
        WEB_UI: 'prebuilt',
      },
    });
    base = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    browser = await openBrowser();
    page = browser.page;
  });

  afterEach(async ({ task }) => {
    await browser?.screenshotIfFailed(task);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the app with its own security headers and keeps API 404s as problems', async () => {
    const res = await fetch(`${base}/market/BTC-USDT`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
    const html = await res.text();
    const asset = /\/assets\/[^"]+\.js/.exec(html)?.[0];
    const js = await fetch(`${base}${asset}`);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const path of ['/api/v1/nope', '/docs/nope', '/health/nope', '/assets/nope.js']) {
      const miss = await fetch(`${base}${path}`);
      expect([path, miss.status]).toEqual([path, 404]);
      expect(miss.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
  });

  it('signs in with the demo account', async () => {
    await page.goto(`${base}/`);
    await expect.poll(() => page.getByTestId('demo-hint').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Use demo account' }).click();
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
    await page.waitForURL(/\/market$/);
    expect(await page.getByRole('link', { name: 'Portfolio' }).isVisible()).toBe(true);
  });

  it('shows the ticker and the chart, and the last price moves', async () => {
    const strip = page.getByTestId('ticker-strip');
    await expect.poll(() => strip.getByRole('link').count()).toBe(3);
    const btc = page.getByTestId('ticker-last-BTC-USDT');
    await waitFor(async () => /\d/.test((await btc.textContent()) ?? ''), 10_000);
    await page.getByTestId('chart').locator('canvas').first().waitFor();
    await page.getByTestId('chart').getByText('Loading candles…').waitFor({ state: 'hidden' });
    const first = await page.getByTestId('last-price').textContent();
    await waitFor(
      async () => (await page.getByTestId('last-price').textContent()) !== first,
      15_000,
      { message: `the last price stayed at ${first}` },
    );
  });

  it('fills the trades tape from the API as the page loads, before any live trade', async () => {
    // A tab of its own whose live trades are held back on the way in: what its tape shows
    // came over REST.
    const tab = await browser.ctx.newPage();
    try {
      await tab.routeWebSocket(/\/ws$/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((m) => {
          if (typeof m === 'string' && m.startsWith('{"type":"trades"')) return;
          ws.send(m);
        });
      });
      await tab.goto(`${base}/`);
      const [recent] = await Promise.all([
        tab.waitForResponse((r) => r.url().includes('/api/v1/market/trades?')),
        tab.getByRole('button', { name: 'Use demo account' }).click(),
      ]);
      const { trades } = (await recent.json()) as { trades: Array<{ price: string }> };
      expect(trades).toHaveLength(40);
      const rows = tab.getByTestId('trades').getByTestId('trade');
      await expect.poll(() => rows.count()).toBe(40);
      // Newest on top: the last trade of the answer.
      const top = shown(await rows.first().locator('td').first().textContent());
      expect(top.eq(Decimal.parse(trades.at(-1)!.price))).toBe(true);
    } finally {
      await tab.close();
    }
  });

  it('places a limit buy below the market, lists it as open, and cancels it', async () => {
    const last = t.app.market.view.lastPrice('paper', 'BTC/USDT')!;
    const price = last.mul(Decimal.parse('0.9')).roundToStep(Decimal.parse('0.01')).toFixed(2);
    await page.getByLabel('Type').selectOption('limit');
    await page.getByLabel('Price (USDT)').fill(price);
    await page.getByLabel('Quantity (BTC)').fill('0.001');
    await page.getByRole('button', { name: 'Buy BTC' }).click();
    const row = page.getByTestId('open-order');
    await expect.poll(() => row.count()).toBe(1);
    expect(shown(await row.locator('td').nth(4).textContent()).eq(Decimal.parse(price))).toBe(true);
    await row.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => row.count()).toBe(0);
    await page.getByTestId('open-orders').getByText('No open orders.').waitFor();
  });

  it('fills a market buy: a fill appears, USDT drops and a BTC position shows', async () => {
    const usdt = page.getByTestId('balance-USDT').getByTestId('total');
    const before = shown(await usdt.textContent());
    await page.getByLabel('Type').selectOption('market');
    await page.getByLabel('Quantity (BTC)').fill('0.001');
    await page.getByRole('button', { name: 'Buy BTC' }).click();
    await page.getByTestId('fill').first().waitFor();
    await waitFor(async () => shown(await usdt.textContent()).lt(before), 10_000, {
      message: `USDT stayed at ${before}`,
    });
    const position = page.locator('[data-testid="position"][data-symbol="BTC/USDT"]');
    await position.waitFor();
    expect(await position.textContent()).toContain('0.001');
  });

  it("shows the API's error next to the quantity field", async () => {
    await page.getByLabel('Quantity (BTC)').fill('0');
    await page.getByRole('button', { name: 'Buy BTC' }).click();
    const error = page.getByTestId('error-quantity');
    await error.waitFor();
    expect(await error.textContent()).toContain('must be greater than 0');
    // Beside the field it names: directly under the quantity input.
    const input = await page.getByLabel('Quantity (BTC)').boundingBox();
    const box = await error.boundingBox();
    expect(box!.y - (input!.y + input!.height)).toBeLessThan(30);
  });

  it('charts the stored equity series on the portfolio page, and keeps adding to it', async () => {
    await page.getByRole('link', { name: 'Portfolio' }).click();
    await page.waitForURL(/\/portfolio$/);
    const chart = page.getByTestId('equity-chart');
    // The snapshots stored every second before the page opened are on the line at once.
    await expect
      .poll(async () => Number(await chart.getAttribute('data-stored')))
      .toBeGreaterThan(1);
    const samples = Number(await chart.getAttribute('data-samples'));
    await expect
      .poll(async () => Number(await chart.getAttribute('data-samples')), { timeout: 15_000 })
      .toBeGreaterThan(samples);
    await page.getByRole('link', { name: 'Market' }).click();
    await page.waitForURL(/\/market/);
  });

  it('stays signed in across a reload, then signs out', async () => {
    await page.reload();
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Use demo account' }).waitFor();
    expect(browser.problems).toEqual([]);
  });
});
