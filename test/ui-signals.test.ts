import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWebUi } from '../src/apps/web-build.js';
import { signUp, startTestApp, type TestApp } from './helpers/app.js';
import { backends } from './helpers/backends.js';
import {
  browserRunnable as runnable,
  openBrowser,
  type BrowserSession,
} from './helpers/browser.js';
import { waitFor } from './helpers/wait.js';

// The signals pages in real Chromium against a real server on the synthetic market: a trader
// sends a signal from the form and watches the built-in models judge it, reads its timeline,
// makes a TradingView webhook whose alert then arrives as a signal, and lets a source trade.

const embedded = backends.find((b) => b.name === 'embedded')!;

type User = Awaited<ReturnType<typeof signUp>>;

describe.skipIf(!runnable)('browser UI: signals', () => {
  let t: TestApp;
  let browser: BrowserSession;
  let page: Page;
  let base: string;
  let trader: User;

  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...trader.auth,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const signals = async (): Promise<Array<{ eventId: string; source: string; status: string }>> =>
    (await api('GET', '/api/v1/signals?limit=50')).signals;

  beforeAll(async () => {
    await buildWebUi();
    t = await startTestApp(embedded, {
      env: {
        MARKET_SOURCE: 'synthetic',
        MARKET_SPEED: '60',
        MARKET_SYMBOLS: 'BTC/USDT,ETH/USDT',
        MARKET_BACKFILL: '6h',
        WEB_UI: 'prebuilt',
      },
    });
    base = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    trader = await signUp(t.app, { role: 'trader' });
    await waitFor(async () => {
      const balances: Array<{ currency: string; total: string }> = await api(
        'GET',
        '/api/v1/trading/balances',
      );
      return balances.some((b) => b.currency === 'USDT' && b.total !== '0');
    });
    browser = await openBrowser();
    page = browser.page;
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(trader.email);
    await page.getByLabel('Password').fill(trader.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
  });

  afterEach(async ({ task }) => {
    await browser?.screenshotIfFailed(task);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("shows the API's error under the stop field and stores nothing", async () => {
    await page.getByRole('link', { name: 'Signals' }).click();
    await page.waitForURL(/\/signals$/);
    await page.getByLabel('Entry').fill('50000');
    await page.getByLabel('Stop').fill('60000'); // above the entry of a long
    await page.getByRole('button', { name: 'Send signal' }).click();
    const error = page.getByTestId('error-stop');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/\S/);
    expect(await signals()).toEqual([]);
  });

  it('sends a signal and shows every model’s verdict and the consensus live', async () => {
    await page.getByLabel('Entry').fill('');
    await page.getByLabel('Stop').fill('');
    await page.getByRole('button', { name: 'Send signal' }).click();
    await page.getByTestId('signal-result').filter({ hasText: 'Accepted' }).waitFor();
    const row = page.getByTestId('signal-row').first();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('published');
    expect(await row.getByTestId('signal-consensus').textContent()).toMatch(
      /(long|short|close|hold)\s*\d+ %/,
    );
    expect(await row.locator('.model-chip').count()).toBeGreaterThanOrEqual(3);
  });

  it("opens the signal's timeline, decisions and features", async () => {
    await page.getByTestId('signal-row').first().getByRole('link').click();
    await page.waitForURL(/\/signals\/view\/[0-9a-f-]+$/);
    const timeline = page.getByTestId('signal-timeline');
    await timeline.waitFor();
    const stages = await timeline.locator('.stage-name').allTextContents();
    expect(stages[0]).toBe('received');
    expect(stages).toContain('published');
    const rows = page.getByTestId('decision-row');
    expect(await rows.count()).toBeGreaterThanOrEqual(3);
    expect(await rows.first().textContent()).toMatch(/quant\./);
    await page.getByTestId('detail-consensus').waitFor();
    expect(await page.getByText('Market context and features').count()).toBe(1);
    expect(browser.problems).toEqual([]);
  });

  it('makes a TradingView webhook and takes its alert as a signal', async () => {
    await page.getByRole('link', { name: 'Sources & webhooks' }).click();
    await page.getByLabel('Name').fill('tv-main');
    await page.getByRole('button', { name: 'Save source' }).click();
    const shown = page.getByTestId('webhook-secret');
    await shown.waitFor();
    const url = (await page.getByTestId('webhook-url').textContent())!;
    const alert = JSON.parse((await page.getByTestId('webhook-template').textContent())!);
    // TradingView fills the placeholders and posts the message as is.
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...alert,
        ticker: 'BINANCE:ETHUSDT',
        action: 'buy',
        price: '3000',
        interval: '15',
        timenow: new Date().toISOString(),
      }),
    });
    expect(res.status).toBe(202);
    const wrong = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...alert, secret: 'not the secret', ticker: 'ETHUSDT' }),
    });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    const mine = await signals();
    expect(mine.filter((s) => s.source === 'tv-main')).toHaveLength(1);
    await page.getByRole('link', { name: 'Signals', exact: true }).first().click();
    await page.getByTestId('signal-row').filter({ hasText: 'tv-main' }).waitFor();
  });

  it('lets a source trade and lists what each decision did', async () => {
    await page.getByRole('link', { name: 'Auto-trading' }).click();
    await page.getByLabel('Source').fill('bot-1');
    await page.getByLabel('Least consensus confidence (%)').fill('0');
    await page.getByLabel('Amount').fill('100');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByTestId('binding-result').waitFor();
    const binding = page.getByTestId('binding-row').filter({ hasText: 'bot-1' });
    await binding.waitFor();
    await api('POST', '/api/v1/signals', {
      symbol: 'BTC/USDT',
      direction: 'long',
      source: 'bot-1',
      sentAt: new Date().toISOString(),
    });
    await binding.getByRole('button', { name: 'Activity' }).click();
    const actions = page.getByTestId('binding-actions');
    await actions.waitFor();
    await waitFor(
      async () => {
        await actions.getByRole('button', { name: 'Refresh' }).click();
        return (await actions.getByTestId('action-row').count()) > 0;
      },
      20_000,
      { intervalMs: 500 },
    );
    expect(await actions.getByTestId('action-row').first().textContent()).toMatch(
      /placed|skipped|failed/,
    );
    expect(browser.problems).toEqual([]);
  });
});
