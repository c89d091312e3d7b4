import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../../platform/metrics/metrics.js';

/** Distinct `source` label values kept; later sources are counted as `other`. */
const MAX_SOURCES = 200;

export interface SignalMetrics {
  received(source: string): void;
  enqueued(source: string, n?: number): void;
  rejected(reason: string): void;
  stage(stage: string, seconds: number): void;
  endToEnd(seconds: number): void;
  modelLatency(model: string, seconds: number): void;
  modelFailure(model: string, code: string): void;
  published(model: string): void;
}

/** What the scrape-time gauges read (from the database, so they hold across processes). */
export interface SignalGaugeSources {
  inFlight(): Promise<number>;
  deadLettered(): Promise<number>;
}

/**
 * The pipeline's Prometheus series, `obscura_signals_*`. Source names are chosen by users, so
 * the `source` label is capped: past 200 distinct names, the rest count as `other`, which keeps
 * one user from growing every scrape without bound.
 */
export function signalMetrics(metrics: Metrics, gauges: SignalGaugeSources): SignalMetrics {
  const registers = [metrics.registry];
  const p = 'obscura_signals_';
  const received = new Counter({
    name: `${p}received_total`,
    help: 'Signal submissions that passed authentication, by source',
    labelNames: ['source'],
    registers,
  });
  const enqueued = new Counter({
    name: `${p}enqueued_total`,
    help: 'Signals accepted and stored with their first stage event, by source',
    labelNames: ['source'],
    registers,
  });
  const rejected = new Counter({
    name: `${p}rejected_total`,
    help: 'Signal submissions refused, by reason (rate_limited, invalid_webhook_secret, or the validation code)',
    labelNames: ['reason'],
    registers,
  });
  const stageSeconds = new Histogram({
    name: `${p}stage_duration_seconds`,
    help: 'Time from the previous stage to the end of this one (gateway: request to commit; enrich and evaluate: since the stage before)',
    labelNames: ['stage'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const e2e = new Histogram({
    name: `${p}end_to_end_seconds`,
    help: 'From reception of a signal to the commit of its published decisions',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const modelSeconds = new Histogram({
    name: `${p}model_latency_seconds`,
    help: 'Time one evaluator took on one signal, failures included',
    labelNames: ['model'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const modelFailures = new Counter({
    name: `${p}model_failures_total`,
    help: 'Evaluations that gave no verdict, by model and code (timeout, invalid_output, upstream_error, circuit_open, budget_exhausted)',
    labelNames: ['model', 'code'],
    registers,
  });
  const published = new Counter({
    name: `${p}decisions_published_total`,
    help: 'Decisions published to subscribers, by model',
    labelNames: ['model'],
    registers,
  });
  const gauge = (name: string, help: string, read: () => Promise<number>) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.set(await read().catch(() => Number.NaN));
      },
    });
  gauge(
    `${p}queue_depth`,
    'Signals accepted but not yet published (in any stage, failing ones included)',
    gauges.inFlight,
  );
  gauge(
    `${p}dead_lettered`,
    'Signals whose stage spent its retries and waits in the dead-letter stream for a replay',
    gauges.deadLettered,
  );

  const sources = new Set<string>();
  const sourceLabel = (s: string) => {
    if (sources.has(s)) return s;
    if (sources.size >= MAX_SOURCES) return 'other';
    sources.add(s);
    return s;
  };
  return {
    received: (s) => received.inc({ source: sourceLabel(s) }),
    enqueued: (s, n = 1) => enqueued.inc({ source: sourceLabel(s) }, n),
    rejected: (reason) => rejected.inc({ reason }),
    stage: (stage, seconds) => stageSeconds.observe({ stage }, seconds),
    endToEnd: (seconds) => e2e.observe(seconds),
    modelLatency: (model, seconds) => modelSeconds.observe({ model }, seconds),
    modelFailure: (model, code) => modelFailures.inc({ model, code }),
    published: (model) => published.inc({ model }),
  };
}
