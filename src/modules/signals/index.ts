import type { HttpServer } from '../../platform/http/index.js';
import type { ModuleRuntime } from '../../platform/module.js';
import { createEvaluators, evaluatorRoutes } from './evaluators/index.js';
import { signalRoutes } from './routes.js';
import { SignalsService, type SignalsDeps } from './service.js';

export { signalsConfig, type SignalsConfig } from './config.js';
export { evaluatorsConfig, type EvaluatorsConfig } from './evaluators/index.js';
export type { SignalsService, SignalsDeps, SignalsModuleConfig } from './service.js';
export type { EnrichmentMarket } from './pipeline.js';
export { readSignalStream, type StreamedSignal } from './stream.js';
export * from './domain/types.js';
export { consensusOf } from './domain/consensus.js';

import {
  createSignalBindings,
  type SignalBindings,
  type SignalBindingsConfig,
} from './bindings/index.js';
export { signalBindingsConfig, type SignalBindingsConfig } from './bindings/index.js';

export interface SignalsModule extends ModuleRuntime {
  service: SignalsService;
  /** Bindings that let decisions trade accounts (when a trading service is given). */
  bindings: SignalBindings | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The signal pipeline: gateway, durable stages, enrichment, evaluation, decisions and their
 * publication (see README.md). Routes where HTTP is served; the enrich consumer, candle
 * history and the recovery of unfinished evaluations where consumers run. The evaluators are
 * the configured ones (evaluators/) unless `deps.evaluators` names others.
 */
export function createSignalsModule(
  deps: Omit<SignalsDeps, 'evaluators'> & { evaluators?: SignalsDeps['evaluators'] },
): SignalsModule {
  const evaluators =
    deps.evaluators ??
    createEvaluators({
      config: deps.config,
      database: deps.database,
      clock: deps.clock,
      logger: deps.logger,
      metrics: deps.metrics,
    });
  const service = new SignalsService({ ...deps, evaluators });
  const bindings =
    deps.trading &&
    createSignalBindings({
      ...deps,
      trading: deps.trading,
      market: deps.market.view,
      config: deps.config as Partial<SignalBindingsConfig>,
    });
  return {
    name: 'signals',
    service,
    bindings,
    consumers: [...service.pipeline.consumers(), ...(bindings ? [bindings.consumer] : [])],
    async routes(app: HttpServer) {
      await signalRoutes(app, service);
      await evaluatorRoutes(app, evaluators, deps);
      await bindings?.routes(app);
    },
    async start() {
      await service.start();
      await bindings?.start();
    },
    async stop() {
      await bindings?.stop();
      await service.stop();
    },
  };
}
