import type { Clock } from '../../core/clock.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { MarketService, MarketView } from '../market/index.js';
import type { TradingService } from '../trading/index.js';
import type { Evaluator } from './domain/types.js';
import { mapTradingViewAlert } from './domain/tradingview.js';
import type { SignalsConfig } from './config.js';
import type { EvaluatorsConfig } from './evaluators/index.js';
import { signalNotFound, webhookBodyInvalid, webhookRefused } from './errors.js';
import { SignalGateway, type Accepted } from './gateway.js';
import { MarketHistory } from './market-history.js';
import { signalMetrics, type SignalMetrics } from './metrics.js';
import { SignalPipeline } from './pipeline.js';
import { createSignalLimiter, type SignalLimiter } from './rate-limit.js';
import { SourceRegistry } from './sources.js';
import {
  countDeadLettered,
  countInFlight,
  decisionOf,
  decisionsOf,
  findSignal,
  listDecisions,
  listSignals,
  timelineOfSignal,
  type DecisionQuery,
  type SignalQuery,
} from './store-reads.js';
import { readSignalStream } from './stream.js';
import { decisionView, signalDetailView, signalView } from './views.js';
import { SignalWriter } from './writer.js';

/** The settings the pipeline reads beyond its own fragment. */
export type SignalsModuleConfig = SignalsConfig &
  EvaluatorsConfig & {
    busMaxAttempts: number;
    authCacheMs: number;
    redisUrl?: string | undefined;
    redisPrefix: string;
  };

export interface SignalsDeps {
  database: Database;
  outbox: Outbox;
  feed: Feed;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  config: SignalsModuleConfig;
  /** The catalogue and latest prices; and the service behind it, for candle history. */
  market: { view: MarketView; service: Pick<MarketService, 'candles'> };
  /** For acting on decisions (the bindings). */
  trading?: TradingService;
  /** The models that judge signals, each on its own; none means every consensus is `hold`. */
  evaluators: readonly Evaluator[];
  /** Whether this process runs consumers (roles all and worker): enrichment needs history. */
  runsConsumers: boolean;
}

/**
 * The signal pipeline's parts, wired: the gateway (limiter, sources, group-commit writer),
 * the stages (history, enrichment, evaluation, publication) and the reads.
 */
export class SignalsService {
  readonly gateway: SignalGateway;
  readonly writer: SignalWriter;
  readonly sources: SourceRegistry;
  readonly pipeline: SignalPipeline;
  readonly history: MarketHistory;
  readonly metrics: SignalMetrics;
  private readonly limiter: SignalLimiter;

  constructor(private readonly deps: SignalsDeps) {
    const { database, config, clock, logger } = deps;
    const db = database.db;
    this.metrics = signalMetrics(deps.metrics, {
      inFlight: () => countInFlight(db),
      deadLettered: () => countDeadLettered(db),
    });
    this.limiter = createSignalLimiter({
      redisUrl: config.redisUrl,
      prefix: config.redisPrefix,
      perMinute: config.signalsRatePerMinute,
      burst: config.signalsRateBurst,
      clock,
    });
    this.sources = new SourceRegistry(db, clock, config.authCacheMs);
    this.writer = new SignalWriter(deps.outbox);
    this.gateway = new SignalGateway({
      clock,
      logger,
      config,
      market: deps.market.view,
      limiter: this.limiter,
      sources: this.sources,
      writer: this.writer,
      metrics: this.metrics,
    });
    this.history = new MarketHistory({
      feed: deps.feed,
      view: deps.market.view,
      source: deps.market.service,
      logger,
      capacity: config.signalsCandles,
    });
    this.pipeline = new SignalPipeline({
      database,
      outbox: deps.outbox,
      feed: deps.feed,
      clock,
      logger,
      metrics: this.metrics,
      history: this.history,
      market: deps.market.view,
      evaluators: deps.evaluators,
      config,
    });
  }

  async start(): Promise<void> {
    if (!this.deps.runsConsumers) return;
    await this.history.start();
    this.pipeline.start();
  }

  async stop(): Promise<void> {
    await this.writer.idle();
    this.history.stop();
    await this.pipeline.stop();
    await this.limiter.close();
  }

  /** A submission by an API key or a session (see routes.ts for who may). */
  submit(
    p: { userId: string; keyId?: string | undefined; via: 'jwt' | 'api_key' },
    body: Record<string, unknown>,
  ): Promise<Accepted> {
    const keyId = p.via === 'api_key' ? (p.keyId ?? null) : null;
    return this.gateway.submit(
      { userId: p.userId, keyId, bucket: keyId ? `key:${keyId}` : `user:${p.userId}` },
      body,
    );
  }

  /**
   * A TradingView alert for the source with webhook id `id`. An unknown id, a source without
   * a webhook and a wrong secret are one and the same refusal.
   */
  async webhook(id: string, body: unknown): Promise<Accepted> {
    const alert = mapTradingViewAlert(body);
    const source = await this.sources.webhook(id);
    if (!SourceRegistry.secretMatches(source, alert?.secret)) {
      this.metrics.rejected('invalid_webhook_secret');
      throw webhookRefused();
    }
    if (!alert) throw webhookBodyInvalid();
    if (source!.userDisabled) {
      this.metrics.rejected('account_disabled');
      throw webhookRefused();
    }
    const fields = {
      ...alert.fields,
      source: source!.name,
      sentAt: alert.fields.sentAt ?? this.deps.clock.now(),
    };
    return this.gateway.submit(
      {
        userId: source!.userId,
        keyId: null,
        bucket: `source:${source!.id}`,
        maxLagMs: source!.maxLagMs,
      },
      fields,
    );
  }

  async get(userId: string, eventId: string) {
    const db = this.deps.database.db;
    const row = await findSignal(db, userId, eventId);
    if (!row) throw signalNotFound();
    const [decisions, timeline] = await Promise.all([
      decisionsOf(db, [eventId]),
      timelineOfSignal(db, eventId),
    ]);
    return signalDetailView(row, decisions.get(eventId) ?? [], timeline);
  }

  async list(q: SignalQuery) {
    const db = this.deps.database.db;
    const rows = await listSignals(db, q);
    const decisions = await decisionsOf(
      db,
      rows.map((r) => r.event_id),
    );
    const signals = rows.map((r) => signalView(r, decisions.get(r.event_id) ?? []));
    const last = signals.at(-1);
    return {
      signals,
      next:
        signals.length === q.limit && last
          ? q.afterSeq !== undefined
            ? { after: last.seq }
            : { before: last.seq }
          : null,
    };
  }

  async decisions(q: DecisionQuery) {
    const rows = await listDecisions(this.deps.database.db, q);
    let page = rows;
    let next: { before: number } | null = null;
    if (rows.length === q.limit) {
      // The page may have cut a signal's decisions short: leave that signal for the next page
      // (unless it fills the page alone), so that each page holds whole signals.
      const lastSeq = Number(rows.at(-1)!.signal_seq);
      const whole = rows.filter((r) => Number(r.signal_seq) !== lastSeq);
      page = whole.length ? whole : rows;
      next = { before: whole.length ? lastSeq + 1 : lastSeq };
    }
    return {
      decisions: page.map((r) => ({
        eventId: r.signal_id,
        seq: Number(r.signal_seq),
        symbol: r.symbol,
        source: r.source,
        ...decisionView(decisionOf(r)),
      })),
      next,
    };
  }

  /** A user's signals after `afterSeq` with their decisions, oldest first (for replays). */
  stream(q: { userId: string; source?: string; afterSeq: number; limit: number }) {
    return readSignalStream(this.deps.database.db, q);
  }
}
