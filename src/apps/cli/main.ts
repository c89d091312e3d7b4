import { Command, InvalidArgumentError, Option } from 'commander';
import { parseReplaySpeed } from '../../modules/market/index.js';
import { ConfigError } from '../../platform/config/index.js';
import { VERSION } from '../version.js';
import { createAdminCommand } from './create-admin.js';
import { keysRotateCommand } from './keys-rotate.js';
import { migrateCommand } from './migrate.js';
import { replayCommand, type ReplayOptions } from './replay.js';
import { serveCommand } from './serve.js';

const program = new Command()
  .name('obscura')
  .description('Obscura: self-hostable crypto trading platform')
  .version(VERSION)
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'Run the platform: HTTP API, event consumers and the outbox relay, or one role of them',
  )
  .addOption(
    new Option('--role <role>', 'api: HTTP only; worker: consumers only; all: both')
      .choices(['api', 'worker', 'all'])
      .default('all'),
  )
  .option('--no-migrate', 'do not apply pending migrations on start')
  .action((o: { role: 'api' | 'worker' | 'all'; migrate: boolean }) => serveCommand(o));

program
  .command('replay')
  .description(
    'Run the platform (as serve does) on market data replayed from a Binance klines or trades CSV file',
  )
  .argument('<file>', 'data.binance.vision spot file, e.g. BTCUSDT-1m-2024-03-01.csv')
  .addOption(
    new Option('--kind <kind>', 'file format (default: told from its columns)').choices([
      'klines',
      'trades',
    ]),
  )
  .option('--symbol <symbol>', 'instrument, e.g. BTC/USDT (default: from the file name)')
  .option('--venue <venue>', 'venue the data is published under (default: paper)')
  .option(
    '--speed <speed>',
    'multiple of real time, or max (default: MARKET_REPLAY_SPEED)',
    (v) => {
      try {
        parseReplaySpeed(v);
        return v;
      } catch {
        throw new InvalidArgumentError('must be a positive multiple of real time, or max');
      }
    },
  )
  .addOption(
    new Option('--role <role>', 'all, or worker (a process that runs the market source)')
      .choices(['all', 'worker'])
      .default('all'),
  )
  .option('--no-migrate', 'do not apply pending migrations on start')
  .option('--exit', 'stop once the whole file is replayed and its candles are stored')
  .action((file: string, o: ReplayOptions) => replayCommand(file, o));

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .action(() => migrateCommand());

program
  .command('create-admin')
  .description('Create an administrator, or promote an existing account and reset its password')
  .requiredOption('--email <email>', 'the administrator email')
  .option('--name <name>', 'display name', 'Administrator')
  .option(
    '--password-stdin',
    'read the password from standard input instead of OBSCURA_ADMIN_PASSWORD or a prompt',
  )
  .action((o: { email: string; name: string; passwordStdin?: boolean }) => createAdminCommand(o));

const keys = program.command('keys').description('Manage the vault master key');
keys
  .command('rotate')
  .description('Re-wrap every stored credential under a new master key; safe while servers run')
  .option('--retire-old', 'remove the old keys from the key file once nothing uses them')
  .option('--batch <n>', 'records re-wrapped per database round trip', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError('must be a positive whole number');
    return n;
  })
  .action((o: { retireOld?: boolean; batch?: number }) => keysRotateCommand(o));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`obscura: ${(err as Error).message}\n`);
  process.exit(1);
}
