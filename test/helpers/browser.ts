import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core; CI installs it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, and quiet: this machine's closed network refuses Chromium's background calls. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Without Chromium a developer's run skips the browser suites; CI installs it, so there they
// must run.
export const browserRunnable = existsSync(CHROMIUM) || Boolean(process.env.CI);

/** True when `p` settles within `ms`. */
export const settles = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
  ]);

/** Ends the Chromium processes running on `profile` (ours alone use it). */
export function killProfile(profile: string): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile))
        process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * One Chromium for a browser suite: a fresh profile, a page with a 10 s default timeout, and
 * `problems` collecting what a user would never see but must never happen (uncaught page
 * errors, Content-Security-Policy refusals, React's development build).
 */
export interface BrowserSession {
  ctx: BrowserContext;
  page: Page;
  problems: string[];
  /** Saves a full-page screenshot of a failed test and says where. */
  screenshotIfFailed(task: { name: string; result?: { state?: string } }): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'obscura-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text()))
      problems.push(`policy: ${m.text()}`);
    // React says this only in its development build, which must never be served.
    if (m.text().includes('React DevTools')) problems.push('a development build of React');
  });
  const shots = join(tmpdir(), 'obscura-ui-failures');
  return {
    ctx,
    page,
    problems,
    async screenshotIfFailed(task) {
      if (task.result?.state !== 'fail') return;
      mkdirSync(shots, { recursive: true });
      const file = join(shots, `${task.name.replace(/[^a-z0-9]+/gi, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(`screenshot of the failure: ${file}`);
    },
    async close() {
      // A browser that does not exit is ended by its process id, not left behind for the next run.
      if (!(await settles(ctx.close(), 10_000))) killProfile(profile);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
