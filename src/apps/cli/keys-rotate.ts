import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { rotateMasterKey } from '../../modules/vault/index.js';
import { openDatabase } from '../../platform/db/index.js';
import { loadConfig } from '../config.js';

export async function keysRotateCommand(o: { retireOld?: boolean; batch?: number }): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const bar = new cliProgress.SingleBar(
    {
      format: 'Re-wrapping credentials [{bar}] {value}/{total} {percentage}%',
      hideCursor: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  try {
    const result = await rotateMasterKey({
      database,
      masterKey: config.vaultMasterKey,
      oldMasterKeys: config.vaultOldMasterKeys,
      keyFile: config.vaultMasterKey
        ? undefined
        : (config.vaultKeyFile ?? join(config.dataDir, 'vault-keys.json')),
      retireOld: Boolean(o.retireOld),
      ...(o.batch ? { batchSize: o.batch } : {}),
      onProgress(done: number, total: number) {
        if (!startedBar) {
          bar.start(total, 0);
          startedBar = true;
        }
        bar.update(done);
      },
    });
    if (startedBar) bar.stop();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    if (startedBar) bar.stop();
    await database.close();
  }
}
