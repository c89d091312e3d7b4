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

// The copy-trading pages in real Chromium against a real server on the synthetic market: a
// leader publishes a profile in the browser, a follower follows through the form, the leader
// trades through the API and the follower's page shows the copy.

const embedded = backends.find((b) => b.name === 'embedded')!;

type User = Awaited<ReturnType<typeof signUp>>;

describe.skipIf(!runnable)('browser UI: copy trading', () => {
  let t: TestApp;
  let browser: BrowserSession;
  let page: Page;
  let base: string;
  let leader: User;
  let follower: User;
  const LEADER_NAME = 'Steady BTC swings';

  const api = async (u: User, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...u.auth,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  /** Funding of a new account arrives through the bus, a moment after sign-up. */
  const funded = (u: User) =>
    waitFor(async () => {
      const balances: Array<{ currency: string; total: string }> = await api(
        u,
        'GET',
        '/api/v1/trading/balances',
      );
      return balances.some((b) => b.currency === 'USDT' && b.total !== '0');
    });

  const signIn = async (u: User) => {
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(u.email);
    await page.getByLabel('Password').fill(u.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
  };
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Password').waitFor();
  };

  beforeAll(async () => {
    await buildWebUi(); // nothing to do when web/dist is newer than web/
    t = await startTestApp(embedded, {
      env: {
        MARKET_SOURCE: 'synthetic',
        MARKET_SPEED: '60',
        MARKET_SYMBOLS: 'BTC/USDT,ETH/USDT',
        MARKET_BACKFILL: '1h',
        TRADING_SNAPSHOT_INTERVAL_MS: '1000',
        COPY_LEADERBOARD_CACHE_MS: '0',
        WEB_UI: 'prebuilt',
      },
    });
    base = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    [leader, follower] = await Promise.all([
      signUp(t.app, { role: 'trader' }),
      signUp(t.app, { role: 'follower' }),
    ]);
    await Promise.all([funded(leader), funded(follower)]);
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

  it('makes the leader a leader from the Become a leader page', async () => {
    await signIn(leader);
    await page.getByRole('link', { name: 'Copy trading' }).click();
    await page.waitForURL(/\/copy$/);
    await page.getByRole('link', { name: 'Become a leader' }).click();
    await page.getByLabel('Display name').fill(LEADER_NAME);
    await page.getByLabel('Description (optional)').fill('Trend following on BTC.');
    await page.getByLabel(/Performance fee/).fill('20');
    await page.getByRole('button', { name: 'Become a leader' }).last().click();
    await page.getByTestId('leader-result').filter({ hasText: 'You are a leader now.' }).waitFor();
    expect(await page.getByTestId('leader-status').textContent()).toBe('active');
    const mine = await api(leader, 'GET', '/api/v1/copy/leaders/me');
    expect(mine).toMatchObject({ displayName: LEADER_NAME, status: 'active' });
    expect(mine.fees.performanceFeePct).toBe('20');
    await signOut();
  });

  it('lists the leader on the leaderboard and opens the follow form from it', async () => {
    await signIn(follower);
    await page.getByRole('link', { name: 'Copy trading' }).click();
    const row = page.getByTestId('leader-row').filter({ hasText: LEADER_NAME });
    await row.waitFor();
    await page.getByRole('button', { name: '90d' }).click();
    await page.getByRole('button', { name: /^Followers/ }).click();
    await row.waitFor();
    await row.getByRole('button', { name: 'Follow' }).click();
    await page.waitForURL(/\/copy\/follow\/[0-9a-f-]+$/);
    await page.getByRole('heading', { name: `Follow ${LEADER_NAME}` }).waitFor();
  });

  it("shows the API's error under the ratio field", async () => {
    await page.getByLabel('Ratio').fill('0');
    await page.getByLabel(/Allocated amount/).fill('1000');
    await page.getByRole('button', { name: 'Start copying' }).click();
    const error = page.getByTestId('error-ratio');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/\S/);
    const input = await page.getByLabel('Ratio').boundingBox();
    const box = await error.boundingBox();
    expect(box!.y - (input!.y + input!.height)).toBeLessThan(30);
    expect(await api(follower, 'GET', '/api/v1/copy/follows')).toEqual([]);
  });

  it('follows with a fixed ratio and shows the leader’s market order as copied', async () => {
    await page.getByLabel('Ratio').fill('0.5');
    await page.getByLabel(/Max order notional/).fill('500');
    await page.getByLabel(/Max slippage/).fill('2');
    await page.getByRole('button', { name: 'Start copying' }).click();
    await page.waitForURL(/\/copy\/follows$/);
    const panel = page.getByTestId('follow');
    await panel.waitFor();
    expect(await panel.getByTestId('follow-status').textContent()).toBe('active');
    expect(await panel.textContent()).toContain('ratio 0.5');

    const order = await api(leader, 'POST', '/api/v1/trading/execute', {
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.002',
    });
    expect(order.status).toBe('filled');
    const row = panel.getByTestId('copy-trade').first();
    await row.waitFor({ timeout: 15_000 });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('copied');
    expect(await row.getByTestId('copy-trade-status').textContent()).toContain('copied');
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('BTC/USDT');
    expect(cells[4]).toBe('0.002'); // the leader's size
    expect(cells[6]).toBe('0.001'); // half of it
    expect(browser.problems).toEqual([]);
  });
});
