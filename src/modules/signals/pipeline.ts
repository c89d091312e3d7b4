/**
 * The durable stages after the gateway:
 *
 *   signals.pending ──enrich──► enriched ──evaluate──► published: signals.decisions + live feed
 *                                  └──► signals.enriched (SignalEnriched, for observers)
 *
 * Enrichment is a bus consumer that does its work inside the transaction that consumes the
 * event (it reads memory only): the enrichment and the SignalEnriched event commit together,
 * and a failure is retried and dead-lettered by the bus.
 *
 * Evaluation calls models that may take seconds, so it must not hold a transaction (on the
 * embedded database that would be the only connection): once the enrichment has committed,
 * the same process evaluates the signal and writes decisions, consensus, the stage times and
 * the SignalDecided event in one transaction of its own, then publishes on the live feed.
 * Handing over in memory rather than through the bus spares the decision path a relay hop: the
 * relay publishes events appended by consumers when it polls (OUTBOX_POLL_MS), while the
 * transactions of the gateway and of this stage hand theirs over at commit. A process that dies
 * between enrichment and decision leaves the signal `enriched`; a worker takes it over after
 * SIGNALS_RECOVERY_MS, as the copy fan-out recovers.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/clock.js';
import { topics, channels } from '../../core/topics.js';
import { describeError, type ConsumerSpec, type Outbox } from '../../platform/bus/index.js';
import type { Database, Tx } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import { TIMEFRAME_MS, type BookTop, type Timeframe, type Trade } from '../market/index.js';
import { consensusOf } from './domain/consensus.js';
import { enrich, type Enrichment } from './domain/enrich.js';
import { evaluateAll } from './domain/evaluate.js';
import type { Progress } from './domain/timeline.js';
import type {
  Decision,
  EnrichedSignal,
  Evaluator,
  Signal,
  SignalDecidedPayload,
} from './domain/types.js';
import type { SignalsConfig } from './config.js';
import type { MarketHistory } from './market-history.js';
import type { SignalMetrics } from './metrics.js';
import {
  claimStalled,
  enrichedOf,
  insertTimeline,
  recordDecisions,
  recordEnrichment,
  recordFailure,
} from './store.js';

/** What enrichment reads of the market besides candles: the market view, in production. */
export interface EnrichmentMarket {
  instrument(venue: string, symbol: string): unknown;
  lastTrade(venue: string, symbol: string): Trade | undefined;
  bookTop(venue: string, symbol: string): BookTop | undefined;
}

export interface PipelineDeps {
  database: Database;
  outbox: Outbox;
  feed: Feed;
  clock: Clock;
  logger: Logger;
  metrics: SignalMetrics;
  history: MarketHistory;
  market: EnrichmentMarket;
  evaluators: readonly Evaluator[];
  config: SignalsConfig & { busMaxAttempts: number };
}

const MAX_WRITE_ATTEMPTS = 5;
const RECOVERY_BATCH = 100;

export class SignalPipeline {
  private market: EnrichmentMarket;
  private evaluators: readonly Evaluator[];
  private readonly queue: EnrichedSignal[] = [];
  /** Signals queued or being evaluated here, so a recovery never queues one twice. */
  private readonly held = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private recoveryTimer: NodeJS.Timeout | undefined;
  private recovering: Promise<number> | undefined;
  private stopping = false;

  constructor(private readonly deps: PipelineDeps) {
    this.market = deps.market;
    this.evaluators = deps.evaluators;
  }

  /** Replaces where enrichment reads prices: a replayed market, or a failing one in tests. */
  useMarket(market: EnrichmentMarket): void {
    this.market = market;
  }

  /** Replaces the evaluators signals are judged by from now on. */
  useEvaluators(evaluators: readonly Evaluator[]): void {
    this.evaluators = evaluators;
  }

  get evaluatorIds(): string[] {
    return this.evaluators.map((e) => e.id);
  }

  consumers(): ConsumerSpec[] {
    return [
      {
        name: 'signals.enrich',
        topics: [topics.signalsPending],
        handle: (event, tx) => this.enrichStage(event.payload as Signal, tx),
      },
    ];
  }

  /** Starts taking over evaluations that a dead process left unfinished (workers only). */
  start(): void {
    const every = Math.min(
      30_000,
      Math.max(250, Math.floor(this.deps.config.signalsRecoveryMs / 4)),
    );
    this.recoveryTimer = setInterval(() => void this.recover(), every);
    this.recoveryTimer.unref();
  }

  /** Stops recovery and waits (a few seconds at most) for evaluations in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.recoveryTimer);
    for (const q of this.queue.splice(0)) this.held.delete(q.signal.eventId);
    await this.recovering;
    const grace = new Promise<void>((r) => setTimeout(r, 5000).unref());
    await Promise.race([Promise.allSettled([...this.running]), grace]);
  }

  /** Resolves once every evaluation queued or running in this process is done. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** The enrichment of a signal from what this process knows of the market now. */
  enrichment(signal: Signal, now: number): Enrichment {
    const { venue, symbol } = signal;
    if (!this.market.instrument(venue, symbol))
      throw new Error(`${symbol} on ${venue} is not in this process's market catalogue`);
    const timeframe = (signal.timeframe ?? this.deps.config.signalsDefaultTimeframe) as Timeframe;
    const trade = this.market.lastTrade(venue, symbol);
    const top = this.market.bookTop(venue, symbol);
    const e = enrich({
      profile: signal.profile,
      timeframe,
      timeframeMs: TIMEFRAME_MS[timeframe],
      now,
      candles: this.deps.history.bars(venue, symbol, timeframe),
      lastTrade: trade && { price: trade.price.toString(), ts: trade.ts },
      book: top && {
        bid: top.bidPrice.toString(),
        ask: top.askPrice.toString(),
        bidSize: top.bidSize.toString(),
        askSize: top.askSize.toString(),
        ts: top.ts,
      },
      thresholds: {
        staleMs: this.deps.config.signalsStaleDataMs,
        wideSpreadBps: this.deps.config.signalsWideSpreadBps,
      },
    });
    if (e.quality.includes('missing_candles') || e.quality.includes('insufficient_history'))
      this.deps.history.refresh(venue, symbol, timeframe, now);
    return e;
  }

  // ── enrich ──────────────────────────────────────────────────────────────────────────────

  private async enrichStage(signal: Signal, tx: Tx) {
    const started = performance.now();
    try {
      const enrichedAt = this.deps.clock.now();
      const e = this.enrichment(signal, enrichedAt);
      const workMs = performance.now() - started;
      if (!(await recordEnrichment(tx, signal.eventId, e, enrichedAt, workMs))) return;
      const enriched: EnrichedSignal = { signal, ...e, enrichedAt };
      await this.deps.outbox.append(tx, [
        {
          topic: topics.signalsEnriched,
          type: 'SignalEnriched',
          key: signal.eventId,
          payload: enriched,
          tsEvent: enrichedAt,
        },
      ]);
      return () => {
        this.deps.metrics.stage('enrich', (enrichedAt - signal.receivedAt) / 1000);
        this.submit(enriched);
      };
    } catch (err) {
      this.failed(signal, 'enrich', 'pending', err);
      throw err;
    }
  }

  /**
   * Records a failed attempt once its transaction has rolled back: the bus retries the event
   * and dead-letters it after BUS_MAX_ATTEMPTS, and the signal's status and timeline say so.
   */
  private failed(signal: Signal, stage: string, waiting: Progress, err: unknown): void {
    const error = describeError(err);
    const at = this.deps.clock.now();
    const { database, config, logger } = this.deps;
    setImmediate(() => {
      database.db
        .transaction()
        .execute(async (tx) => {
          const r = await recordFailure(tx, {
            eventId: signal.eventId,
            stage,
            waiting,
            error,
            maxAttempts: config.busMaxAttempts,
            at,
          });
          if (!r) return;
          await insertTimeline(tx, [
            {
              signalId: signal.eventId,
              stage: r.deadLettered ? 'dead_lettered' : 'failed',
              at,
              workMs: null,
              detail: { stage, attempt: r.attempts, error },
            },
          ]);
        })
        .catch((e: unknown) =>
          logger.warn(
            { at: 'signals#failed', eventId: signal.eventId, error: describeError(e) },
            'could not record a failed attempt',
          ),
        );
    });
  }

  // ── evaluate and publish ─────────────────────────────────────────────────────────────────

  /** Queues an enriched signal for evaluation in this process. */
  submit(enriched: EnrichedSignal): void {
    if (this.stopping || this.held.has(enriched.signal.eventId)) return;
    this.held.add(enriched.signal.eventId);
    this.queue.push(enriched);
    this.pump();
  }

  private pump(): void {
    while (this.running.size < this.deps.config.signalsEvaluationConcurrency && this.queue.length) {
      const next = this.queue.shift()!;
      const run: Promise<void> = this.evaluate(next)
        .catch((err: unknown) =>
          this.deps.logger.error(
            { at: 'signals#evaluate', eventId: next.signal.eventId, err },
            'evaluation not recorded; it will be recovered',
          ),
        )
        .finally(() => {
          this.held.delete(next.signal.eventId);
          this.running.delete(run);
          this.pump();
        });
      this.running.add(run);
    }
  }

  private async evaluate(enriched: EnrichedSignal): Promise<void> {
    const { clock, metrics } = this.deps;
    const started = performance.now();
    const decisions = await evaluateAll(this.evaluators, enriched, {
      defaultTimeoutMs: this.deps.config.signalsEvaluationDeadlineMs,
      now: () => clock.now(),
      elapsed: () => performance.now(),
    });
    const evaluatedAt = clock.now();
    const workMs = performance.now() - started;
    const consensus = consensusOf(decisions);
    const payload: SignalDecidedPayload = { signal: enriched.signal, decisions, consensus };
    let publishedAt = 0;
    let written = false;
    for (let attempt = 1; ; attempt++) {
      try {
        written = await this.deps.outbox.transaction(async (tx, emit) => {
          publishedAt = clock.now();
          const fresh = await recordDecisions(tx, {
            signal: enriched.signal,
            decisions,
            consensus,
            evaluatedAt,
            workMs,
            publishedAt,
          });
          if (!fresh) return false;
          await emit({
            topic: topics.signalsDecisions,
            type: 'SignalDecided',
            // Per user, so that whoever acts on decisions sees one user's in order.
            key: enriched.signal.userId,
            payload,
            tsEvent: publishedAt,
          });
          return true;
        });
        break;
      } catch (err) {
        if (attempt >= MAX_WRITE_ATTEMPTS || this.stopping) throw err;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
      }
    }
    if (!written) return;
    this.deps.feed.publish(channels.user(enriched.signal.userId, 'decisions'), payload);
    for (const d of decisions) this.observe(d);
    metrics.stage('evaluate', (evaluatedAt - enriched.enrichedAt) / 1000);
    metrics.endToEnd((publishedAt - enriched.signal.receivedAt) / 1000);
  }

  private observe(d: Decision): void {
    const { metrics } = this.deps;
    metrics.modelLatency(d.modelId, d.latencyMs / 1000);
    if (d.failure) metrics.modelFailure(d.modelId, d.failure.code);
    metrics.published(d.modelId);
  }

  // ── recovery ────────────────────────────────────────────────────────────────────────────

  /** Takes over enriched signals left unevaluated for SIGNALS_RECOVERY_MS; returns how many. */
  recover(): Promise<number> {
    if (this.stopping) return Promise.resolve(0);
    this.recovering ??= this.recoverNow()
      .catch((err: unknown) => {
        this.deps.logger.error({ at: 'signals#recover', err }, 'stalled evaluations not resumed');
        return 0;
      })
      .finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async recoverNow(): Promise<number> {
    const now = this.deps.clock.now();
    const claimed = await this.deps.database.db.transaction().execute(async (tx) => {
      const rows = await claimStalled(tx, {
        olderThan: now - this.deps.config.signalsRecoveryMs,
        now,
        limit: RECOVERY_BATCH,
      });
      // Still queued here behind slow evaluations: not stalled, only late.
      const stalled = rows.filter((r) => !this.held.has(r.event_id));
      await insertTimeline(
        tx,
        stalled.map((r) => ({
          signalId: r.event_id,
          stage: 'recovered' as const,
          at: now,
          workMs: null,
          detail: { reason: 'evaluation unfinished' },
        })),
      );
      return stalled;
    });
    for (const r of claimed) {
      const enriched = enrichedOf(r);
      if (enriched) this.submit(enriched);
    }
    if (claimed.length)
      this.deps.logger.warn(
        { at: 'signals#recover', count: claimed.length },
        'resumed evaluations another process left unfinished',
      );
    return claimed.length;
  }
}
