import type { Clock } from '../../../core/clock.js';
import type { ConsumerSpec, Outbox } from '../../../platform/bus/index.js';
import type { Database } from '../../../platform/db/index.js';
import type { HttpServer } from '../../../platform/http/index.js';
import type { Logger } from '../../../platform/logging/logger.js';
import type { TradingService } from '../../trading/index.js';
import { bindingsSettings, type SignalBindingsConfig } from './config.js';
import { bindingsConsumer } from './consumer.js';
import { BindingDirectory } from './directory.js';
import { ActionExecutor, type BindingMarket } from './executor.js';
import { bindingRoutes } from './routes.js';
import { BindingService } from './service.js';

export { signalBindingsConfig, type SignalBindingsConfig } from './config.js';
export { signalClientOrderId, isSignalClientOrderId } from './client-order-id.js';
export { SKIP_REASONS as BINDING_SKIP_REASONS } from './domain.js';
export type { BindingMarket } from './executor.js';
export type { BindingView } from './service.js';

export interface SignalBindings {
  service: BindingService;
  executor: ActionExecutor;
  routes(app: HttpServer): Promise<void>;
  consumer: ConsumerSpec;
  /** Reads the active bindings, and where the paper venue runs, finishes stalled actions. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Finishes actions pending for `idleMs` or more (the recovery pass); returns how many. */
  recover(idleMs?: number): Promise<number>;
  /** Resolves once the order steps started in this process so far are done. */
  idle(): Promise<void>;
}

/**
 * Signal bindings: a user's source allowed to trade one of their accounts within rules (see
 * README.md). Decided signals reach the consumer; each active binding of the signal's owner
 * and source records what it does with it, and places its order once that is committed.
 */
export function createSignalBindings(deps: {
  database: Database;
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  trading: TradingService;
  market: BindingMarket;
  config: Partial<SignalBindingsConfig>;
}): SignalBindings {
  const config = bindingsSettings(deps.config);
  const directory = new BindingDirectory({ ...deps, refreshMs: config.signalBindingsRefreshMs });
  const executor = new ActionExecutor(deps);
  const service = new BindingService({ ...deps, directory, maxPerUser: config.signalBindingsMax });
  const timers: NodeJS.Timeout[] = [];
  let recovering: Promise<number> | undefined;

  /**
   * Only where the venue runs: the process that can place without a round trip. One pass at a
   * time; a caller arriving during a pass waits for it, then runs its own with its own delay.
   */
  const recover = async (idleMs = config.signalBindingsRecoveryMs): Promise<number> => {
    if (!deps.trading.leadsVenue()) return 0;
    while (recovering) await recovering;
    const pass = executor
      .recover(idleMs)
      .catch((err: unknown) => {
        deps.logger.error({ at: 'signals#bindings', err }, 'stalled binding actions not finished');
        return 0;
      })
      .finally(() => {
        if (recovering === pass) recovering = undefined;
      });
    recovering = pass;
    return pass;
  };

  return {
    service,
    executor,
    routes: (app) => bindingRoutes(app, service),
    consumer: bindingsConsumer({ directory, executor, clock: deps.clock, logger: deps.logger }),
    async start() {
      await directory.start();
      const every = Math.min(Math.max(config.signalBindingsRecoveryMs / 2, 100), 5000);
      const t = setInterval(() => {
        if (!recovering) void recover();
      }, every);
      t.unref();
      timers.push(t);
      void recover();
    },
    async stop() {
      for (const t of timers.splice(0)) clearInterval(t);
      directory.stop();
      await recovering;
      await executor.idle();
    },
    recover,
    idle: () => executor.idle(),
  };
}
