/**
 * Builds the browser UI (web/) into web/dist with Vite when the build is missing or older than
 * its sources, so that `npm start` on a fresh clone serves the UI without a separate step.
 *
 * Several processes may want a build at once (a server, a test suite, another server on the
 * same checkout): a lock file lets one build while the others wait, and each build is written
 * to a folder of its own and swapped in whole, so nobody ever serves half of one.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../platform/logging/logger.js';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/** What the bundle is made of: the app's files, and the lock file that pins its libraries. */
const SOURCES = ['index.html', 'vite.config.ts', 'tsconfig.json', 'src', 'public'];
const LOCKFILE = join('..', 'package-lock.json');
const LEFTOVER = /^\.dist-(?:old-)?(\d+)-\d+$/;
const LOCK_WAIT_MS = 5 * 60_000;

export interface WebBuildResult {
  built: boolean;
  /** Why a build ran: the output was missing or older than a source. */
  reason?: 'missing' | 'stale' | 'forced';
  ms?: number;
}

/** `missing` or `stale` when web/dist must be (re)built, undefined when it is current. */
export function webBuildNeeded(webDir = WEB_DIR): 'missing' | 'stale' | undefined {
  const index = join(webDir, 'dist', 'index.html');
  if (!existsSync(index)) return 'missing';
  const built = statSync(index).mtimeMs;
  const newest = Math.max(
    ...SOURCES.map((s) => newestMtime(join(webDir, s))),
    newestMtime(join(webDir, LOCKFILE)),
  );
  return newest > built ? 'stale' : undefined;
}

/**
 * Builds web/dist when it is missing or stale (or always, with `force`), waiting for a build
 * another process is running instead of starting a second one.
 */
export async function buildWebUi(
  o: { webDir?: string; logger?: Logger; force?: boolean } = {},
): Promise<WebBuildResult> {
  const webDir = o.webDir ?? WEB_DIR;
  if (!o.force && !webBuildNeeded(webDir)) return { built: false };
  const release = await lock(webDir);
  try {
    // Whoever held the lock may just have built what we came for.
    const reason = o.force ? 'forced' : webBuildNeeded(webDir);
    if (!reason) return { built: false };
    const started = Date.now();
    removeLeftovers(webDir);
    const out = join(webDir, `.dist-${process.pid}-${started}`);
    await viteBuild({ root: webDir, outDir: out }, o.logger);
    // Stamped with the time the build started: a source saved during the build is newer.
    utimesSync(join(out, 'index.html'), started / 1000, started / 1000);
    swapIn(webDir, out);
    return { built: true, reason, ms: Date.now() - started };
  } finally {
    release();
  }
}

function newestMtime(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file shows only as its folder's change
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function swapIn(webDir: string, out: string): void {
  const dist = join(webDir, 'dist');
  const old = join(webDir, `.dist-old-${process.pid}-${Date.now()}`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(out, dist);
  rmSync(old, { recursive: true, force: true });
}

/** Output folders of builds whose process is gone (killed mid-build). */
function removeLeftovers(webDir: string): void {
  for (const name of readdirSync(webDir)) {
    const m = LEFTOVER.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(webDir, name), { recursive: true, force: true });
  }
}

async function lock(webDir: string): Promise<() => void> {
  const file = join(webDir, '.build.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (abandoned(file)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the web UI build lock ${file} is held too long`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function abandoned(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    const age = Date.now() - statSync(file).mtimeMs;
    // An empty file is a lock being written; one that stays empty was never finished.
    if (!Number.isInteger(pid) || pid <= 0) return age > 5000;
    return !alive(pid) || age > LOCK_WAIT_MS;
  } catch {
    return false; // gone already: the next attempt takes it
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Vite's `build()` in a worker thread: rollup's work does not hold up the server's requests, and
 * the worker has its own copy of the environment, where NODE_ENV is production whatever the
 * host process runs under (a test runner sets `test`, which would give a development bundle of
 * React; Vite also writes NODE_ENV when it is unset). Warnings come back as log lines.
 */
async function viteBuild(o: { root: string; outDir: string }, logger?: Logger): Promise<void> {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      vite: pathToFileURL(createRequire(import.meta.url).resolve('vite')).href,
      config: {
        root: o.root,
        configFile: join(o.root, 'vite.config.ts'),
        mode: 'production',
        logLevel: 'warn',
        clearScreen: false,
        build: { outDir: o.outDir, emptyOutDir: true },
      },
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on(
        'message',
        (m: { level?: 'warn' | 'error'; msg?: string; done?: boolean; failed?: string }) => {
          if (m.level) logger?.[m.level]({ at: 'web#build' }, m.msg ?? '');
          else if (m.done) resolve();
          else reject(new Error(m.failed ?? 'the build failed'));
        },
      );
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the build stopped with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
process.env.NODE_ENV = 'production';
const say = (level) => (msg) => parentPort.postMessage({ level, msg: String(msg) });
const customLogger = {
  info() {}, warn: say('warn'), warnOnce: say('warn'), error: say('error'),
  clearScreen() {}, hasErrorLogged: () => false, hasWarned: false,
};
import(workerData.vite)
  .then(({ build }) => build({ ...workerData.config, customLogger }))
  .then(
    () => parentPort.postMessage({ done: true }),
    (err) => parentPort.postMessage({ failed: String((err && err.message) || err) }),
  );
`;
