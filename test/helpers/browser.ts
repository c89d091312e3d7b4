import { existsSync, readdirSync, readFileSync } from 'node:fs';

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
