import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per running app (tests start several in one process). Modules add their own
 * metrics to `registry`; the ones every process has are created here.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly outboxPending: Gauge;
  readonly outboxLagSeconds: Gauge;
  readonly outboxPublished: Counter;
  readonly consumerLag: Gauge<'consumer' | 'topic'>;
  readonly consumerPending: Gauge<'consumer' | 'topic'>;
  readonly eventsHandled: Counter<'consumer' | 'outcome'>;
  readonly deadLetters: Gauge;

  constructor(opts: { defaultMetrics?: boolean; prefix?: string } = {}) {
    const p = opts.prefix ?? 'obscura_';
    if (opts.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: p });
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.outboxPending = new Gauge({
      name: `${p}outbox_pending`,
      help: 'Outbox rows not yet published',
      registers,
    });
    this.outboxLagSeconds = new Gauge({
      name: `${p}outbox_lag_seconds`,
      help: 'Age of the oldest unpublished outbox row',
      registers,
    });
    this.outboxPublished = new Counter({
      name: `${p}outbox_published_total`,
      help: 'Events relayed from the outbox',
      registers,
    });
    this.consumerLag = new Gauge({
      name: `${p}consumer_lag`,
      help: 'Events published but not yet delivered to a consumer',
      labelNames: ['consumer', 'topic'],
      registers,
    });
    this.consumerPending = new Gauge({
      name: `${p}consumer_pending`,
      help: 'Events delivered to a consumer but not yet acknowledged',
      labelNames: ['consumer', 'topic'],
      registers,
    });
    this.eventsHandled = new Counter({
      name: `${p}events_handled_total`,
      help: 'Events handled by consumers, by outcome (ok, duplicate, skipped, retry, dead_letter)',
      labelNames: ['consumer', 'outcome'],
      registers,
    });
    this.deadLetters = new Gauge({
      name: `${p}dead_letters`,
      help: 'Dead letters awaiting replay',
      registers,
    });
  }
}
