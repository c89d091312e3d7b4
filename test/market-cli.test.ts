import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../src/modules/market/market.fixtures.js';
import { countCandles } from '../src/modules/market/store.js';
import { openDatabase } from '../src/platform/db/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'obscura-replay-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function run(args: string[]) {
  return new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn('node', ['bin/obscura.js', ...args], {
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'warn',
        DEMO_SEED: 'false',
        OBSCURA_ENV_FILE: '/nonexistent',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, err }));
  });
}

describe('obscura replay', () => {
  it('replays a klines file into stored candles and exits when asked', async () => {
    const file = join(FIXTURES, 'BTCUSDT-1m-2024-03-01.csv');
    const r = await run(['replay', file, '--speed', 'max', '--exit']);
    expect(r.code, r.err).toBe(0);
    // Ten klines, each with a close trade except the empty minute.
    expect(r.err).toContain('Replayed 19 events');
    const db = await openDatabase({ dataDir });
    try {
      // Ten 1m candles and the two 5m periods they complete.
      expect(await countCandles(db.db, 'paper')).toBe(12);
    } finally {
      await db.close();
    }
  });

  it('refuses a bad speed or a missing file, naming it', async () => {
    const speed = await run(['replay', 'x.csv', '--speed', 'fast']);
    expect(speed.code).not.toBe(0);
    expect(speed.err).toMatch(/--speed.*positive multiple of real time/);
    const missing = await run(['replay', '/nonexistent/BTCUSDT-1m.csv']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(
      'MARKET_REPLAY_FILE /nonexistent/BTCUSDT-1m.csv is not a readable file',
    );
  });
});
