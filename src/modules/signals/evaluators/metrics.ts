import { Counter, type Registry } from 'prom-client';
import type { Decimal } from '../../../core/decimal.js';
import type { Metrics } from '../../../platform/metrics/metrics.js';

/** Prometheus counters of LLM calls: outcomes, tokens and dollars, per model. */
export class EvaluatorMetrics {
  private readonly calls: Counter<'model' | 'outcome'>;
  private readonly tokens: Counter<'model' | 'kind'>;
  private readonly cost: Counter<'model'>;

  constructor(metrics: Metrics, prefix = 'obscura_') {
    const registry = metrics.registry;
    this.calls = counter(registry, {
      name: `${prefix}signal_model_calls_total`,
      help: 'LLM evaluator calls by outcome (ok, timeout, invalid_output, upstream_error, circuit_open, budget_exhausted); the last two never reached the provider',
      labelNames: ['model', 'outcome'],
    });
    this.tokens = counter(registry, {
      name: `${prefix}signal_model_tokens_total`,
      help: 'Tokens spent by LLM evaluators, by kind (prompt, completion)',
      labelNames: ['model', 'kind'],
    });
    this.cost = counter(registry, {
      name: `${prefix}signal_model_cost_usd_total`,
      help: 'US dollars spent by LLM evaluators (approximate here; exact in signal_model_usage)',
      labelNames: ['model'],
    });
  }

  observe(
    model: string,
    outcome: string,
    tokens: { prompt: number; completion: number } | undefined,
    cost: Decimal | undefined,
  ): void {
    this.calls.inc({ model, outcome });
    if (tokens) {
      this.tokens.inc({ model, kind: 'prompt' }, tokens.prompt);
      this.tokens.inc({ model, kind: 'completion' }, tokens.completion);
    }
    if (cost) this.cost.inc({ model }, cost.toNumber());
  }
}

/** One counter per registry, even when evaluators are built twice in one process. */
function counter<L extends string>(
  registry: Registry,
  o: { name: string; help: string; labelNames: L[] },
): Counter<L> {
  const existing = registry.getSingleMetric(o.name);
  if (existing) return existing as Counter<L>;
  return new Counter({ ...o, registers: [registry] });
}
