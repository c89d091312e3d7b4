import { migrate, openDatabase } from '../../platform/db/index.js';
import { loadConfig } from '../config.js';

export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrate(database);
    process.stdout.write(
      applied.length
        ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}\n`
        : 'Database is up to date.\n',
    );
  } finally {
    await database.close();
  }
}
