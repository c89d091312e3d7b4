import type { App } from '../app.js';

/**
 * Stops a served app gracefully on SIGINT/SIGTERM (a second signal means "now"), and returns
 * the same stop for commands that end on their own. If the graceful stop overruns its
 * timeout by five seconds the process exits anyway.
 */
export function stopOnSignals(
  app: App,
  at: string,
  beforeStop: () => void = () => {},
): (reason: string, code?: number) => void {
  let stopping = false;
  const stop = (reason: string, code = 0) => {
    if (stopping) process.exit(130);
    stopping = true;
    beforeStop();
    app.logger.info({ at, reason }, 'shutting down: finishing requests and flushing the outbox');
    const force = setTimeout(() => {
      app.logger.error({ at }, 'shutdown timed out');
      process.exit(1);
    }, app.config.shutdownTimeoutMs + 5000);
    force.unref();
    app.close().then(
      () => process.exit(code),
      (err) => {
        app.logger.error({ at, err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return stop;
}
