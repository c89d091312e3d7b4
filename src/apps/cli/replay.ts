import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { replayPlan } from '../../modules/market/index.js';
import { readEnvironment } from '../../platform/config/index.js';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { stopOnSignals } from './lifecycle.js';

export interface ReplayOptions {
  kind?: 'klines' | 'trades';
  symbol?: string;
  venue?: string;
  speed?: string;
  role: 'all' | 'worker';
  migrate: boolean;
  exit?: boolean;
}

/**
 * `obscura replay <file>`: the platform as `serve` runs it, with the market fed from a Binance
 * CSV file instead of the synthetic market. The flags become the MARKET_REPLAY_* variables, so
 * the replay is checked and run by exactly the code a server configured that way uses. Progress
 * goes to stderr; the server keeps serving the replayed history afterwards unless `--exit`.
 */
export async function replayCommand(file: string, o: ReplayOptions): Promise<void> {
  const config = loadConfig({
    ...readEnvironment(),
    MARKET_SOURCE: 'replay',
    MARKET_REPLAY_FILE: file,
    ...(o.kind ? { MARKET_REPLAY_KIND: o.kind } : {}),
    ...(o.symbol ? { MARKET_REPLAY_SYMBOL: o.symbol } : {}),
    ...(o.venue ? { MARKET_REPLAY_VENUE: o.venue } : {}),
    ...(o.speed ? { MARKET_REPLAY_SPEED: o.speed } : {}),
  });
  // Fails fast on a missing file or unknown symbol, before the database is opened.
  replayPlan(config);
  const app = await buildApp(config, { role: o.role, migrate: o.migrate });
  const address = await app.listen();
  app.logger.info(
    { at: 'cli#replay', role: o.role, address, file, speed: String(config.marketReplaySpeed) },
    `Obscura replaying ${basename(file)}, listening on ${address}`,
  );

  const bar = new cliProgress.SingleBar(
    {
      format: `Replaying ${basename(file)} [{bar}] {percentage}% | {events} events | {at}`,
      hideCursor: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const stop = stopOnSignals(app, 'cli#replay', () => {
    clearInterval(ticker);
    bar.stop();
  });

  let barStarted = false;
  const ticker = setInterval(() => {
    const status = app.market.status();
    const p = status.progress;
    if (p?.totalBytes !== undefined) {
      const payload = {
        events: p.events,
        at: p.marketTime === undefined ? '—' : new Date(p.marketTime).toISOString(),
      };
      if (!barStarted) {
        bar.start(p.totalBytes, 0, payload);
        barStarted = true;
      }
      bar.update(p.bytesRead ?? 0, payload);
    }
    if (status.error !== undefined) {
      bar.stop();
      process.stderr.write(`obscura: replay failed: ${status.error}\n`);
      if (o.exit) stop('replay failed', 1);
      clearInterval(ticker);
    } else if (p?.done) {
      bar.stop();
      process.stderr.write(
        `Replayed ${p.events} events${o.exit ? '' : `; still serving on ${address} (Ctrl-C to stop)`}\n`,
      );
      clearInterval(ticker);
      if (o.exit) stop('replay finished');
    }
  }, 250);
}
