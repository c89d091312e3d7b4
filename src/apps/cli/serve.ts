import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';

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
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second Ctrl-C means "now".
      process.exit(130);
    }
    stopping = true;
    app.logger.info(
      { at: 'cli#serve', signal },
      'shutting down: finishing requests and flushing the outbox',
    );
    const force = setTimeout(() => {
      app.logger.error({ at: 'cli#serve' }, 'shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.logger.error({ at: 'cli#serve', err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
