import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { stopOnSignals } from './lifecycle.js';

export async function serveCommand(o: {
  role: 'api' | 'worker' | 'all';
  migrate: boolean;
}): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config, { role: o.role, migrate: o.migrate });
  const address = await app.listen();
  app.logger.info(
    {
      at: 'cli#serve',
      role: o.role,
      address,
      database: app.database.kind,
      bus: app.bus.kind,
      docs: o.role === 'worker' ? undefined : `${address}/docs`,
    },
    `Obscura listening on ${address}`,
  );
  stopOnSignals(app, 'cli#serve');
}
