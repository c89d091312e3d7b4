/**
 * The durable stages after the gateway:
 *
 *   signals.pending ──enrich──► enriched ──evaluate──► published: signals.decisions + live feed
 *                                  └──► signals.enriched (SignalEnriched, for observers)
 *
 * Enrichment is a bus consumer that does its work inside the transaction that consumes the
 * events (it reads memory only): the enrichments and their SignalEnriched events commit
 * together, for every signal of a delivered batch at once, and a failure is retried and
 * dead-lettered by the bus, one signal at a time.
 *
 * When every evaluator is a quant model (pure computation, well under a millisecond), they run
 * in that same transaction too, and each signal goes from `pending` to `published` in one row
 * write. Models that call out (LLMs) may take seconds, and a transaction held meanwhile would
 * be the embedded database's only connection: then, once the enrichment has committed, the same
 * process evaluates the signal, and the decision writer publishes decisions, consensus, stage
 * times and the SignalDecided event, group-committed across signals. Either way the payload
 * goes to the live feed after the commit. Handing over in memory rather than through the bus
 * spares the decision path a relay hop and a stream read. A process that dies between
 * enrichment and decision leaves the signal `enriched`; a worker takes it over after
 * SIGNALS_RECOVERY_MS, as the copy fan-out recovers.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/clock.js';
import { topics, channels } from '../../core/topics.js';
import type { RawBuilder } from 'kysely';
import type {
  AppendEvents,
  BatchStatementDelivery,
  BusEvent,
  ConsumerSpec,
  Outbox,
  Staging,
} from '../../platform/bus/index.js';
import type { Database, Tx } from '../../platform/db/index.js';
import type { Feed } from '../../platform/feed/types.js';
import type { Logger } from '../../platform/logging/logger.js';
import { TIMEFRAME_MS, type BookTop, type Timeframe, type Trade } from '../market/index.js';
import { consensusOf } from './domain/consensus.js';
import { enrich, type Enrichment } from './domain/enrich.js';
import { evaluateAll } from './domain/evaluate.js';
import type {
  Decision,
  EnrichedSignal,
  Evaluator,
  Signal,
  SignalDecidedPayload,
} from './domain/types.js';
import type { SignalsConfig } from './config.js';
import { DecisionWriter } from './decision-writer.js';
import { decidedEvent, enrichedEvent } from './events.js';
import { recordFailedAttempt, takeOverStalled } from './recovery.js';
import type { MarketHistory } from './market-history.js';
import type { SignalMetrics } from './metrics.js';
import {
  publishEnrichedStatement,
  recordEnrichedDecisions,
  recordEnrichments,
  type EnrichmentRow,
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

export class SignalPipeline {
  private market: EnrichmentMarket;
  private evaluators: readonly Evaluator[];
  private readonly queue: EnrichedSignal[] = [];
  /** Signals queued or being evaluated here, so a recovery never queues one twice. */
  private readonly held = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  /** Signals whose evaluators are running: what SIGNALS_EVALUATION_CONCURRENCY bounds. */
  private evaluating = 0;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private recovering: Promise<number> | undefined;
  private stopping = false;
  private readonly decisions: DecisionWriter;

  constructor(private readonly deps: PipelineDeps) {
    this.market = deps.market;
    this.evaluators = deps.evaluators;
    this.decisions = new DecisionWriter(deps);
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
        handle: (event, tx, emit) => this.enrichOne(event, tx, emit),
        handleBatch: (events, tx, emit) => this.enrichStage(events, tx, emit),
        handleBatchAsStatement: (events, claim, staging) =>
          this.decideInStatement(events, claim, staging),
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
    this.decisions.stop();
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

  /** One signal alone (a retry, or a batch of one): a failed attempt is recorded as its own. */
  private async enrichOne(event: BusEvent, tx: Tx, emit: AppendEvents) {
    try {
      return await this.enrichStage([event], tx, emit);
    } catch (err) {
      recordFailedAttempt(this.deps, event.payload as Signal, 'enrich', 'pending', err);
      throw err;
    }
  }

  /**
   * Enriches signals in the transaction that consumes their events: one statement stores the
   * enrichments (only of signals still `pending`, so a redelivery writes nothing twice), one
   * appends their SignalEnriched events. A failure is not recorded against the signals here:
   * the bus delivers a failed batch again one signal at a time (`enrichOne`), which knows
   * whose failure it is.
   */
  private async enrichStage(events: readonly BusEvent[], tx: Tx, emit: AppendEvents) {
    const rows = this.enrichRows(events);
    if (this.evaluators.every((e) => e.kind === 'quant')) return this.decideNow(rows, tx, emit);
    const seqs = await recordEnrichments(tx, rows);
    const enriched = enrichedOfRows(rows, seqs);
    if (!enriched.length) return;
    await emit(...enriched.map(enrichedEvent));
    return () => {
      for (const e of enriched) {
        this.deps.metrics.stage('enrich', (e.enrichedAt - e.signal.receivedAt) / 1000);
        this.submit(e);
      }
    };
  }

  /**
   * Evaluation inside the enrichment's transaction, when every evaluator is a quant model: they
   * are pure computations over the enrichment, a fraction of a millisecond each, so holding the
   * transaction for them costs less than a second transaction would. Each signal goes from
   * `pending` to `published` in one row write, with its decisions and both events, and the
   * decision path loses a commit and a batch's wait. Models that call out (LLMs) may take
   * seconds, and then evaluation runs after the commit instead (`submit`).
   */
  private async decideNow(rows: readonly Row[], tx: Tx, emit: AppendEvents) {
    const { clock } = this.deps;
    const decided = await this.evaluateRows(rows);
    const publishedAt = clock.now();
    const seqs = await recordEnrichedDecisions(tx, decided, publishedAt);
    const enriched = enrichedOfRows(decided, seqs);
    if (!enriched.length) return;
    const byId = new Map(decided.map((d) => [d.eventId, d]));
    const done = enriched.map((e) => {
      const d = byId.get(e.signal.eventId)!;
      const payload: SignalDecidedPayload = {
        signal: e.signal,
        decisions: d.decisions,
        consensus: d.consensus,
      };
      return { enriched: e, payload, evaluatedAt: d.evaluatedAt };
    });
    await emit(
      ...done.flatMap(({ enriched: e, payload }) => [
        enrichedEvent(e),
        decidedEvent(payload, publishedAt),
      ]),
    );
    return () => {
      for (const { enriched: e, payload, evaluatedAt } of done) {
        this.deps.metrics.stage('enrich', (e.enrichedAt - e.signal.receivedAt) / 1000);
        this.published(e, payload, evaluatedAt, publishedAt);
      }
    };
  }

  /**
   * `decideNow` as one statement with the inbox claim, outside any transaction: the whole
   * delivery of a batch in one round trip instead of five (BEGIN, claim, the stage's write, its
   * events, COMMIT). Only for quant evaluators, as `decideNow`; otherwise the batch goes through
   * `handleBatch`. A signal's `seq`, which its events carry, is read from its row by the
   * statement itself (see `publishEnrichedStatement`).
   */
  private async decideInStatement(
    events: readonly BusEvent[],
    claim: RawBuilder<unknown>,
    staging: Staging,
  ): Promise<BatchStatementDelivery | undefined> {
    if (!this.evaluators.every((e) => e.kind === 'quant')) return undefined;
    const { clock } = this.deps;
    const decided = await this.evaluateRows(this.enrichRows(events));
    const publishedAt = clock.now();
    const out = decided.map((d) => {
      // The seq first, as the statement splices it in; 0 until it has.
      const signal: Signal = Object.assign({ seq: 0 }, d.signal);
      signal.seq = 0;
      const enriched: EnrichedSignal = Object.assign({ signal }, d.enrichment, {
        enrichedAt: d.enrichedAt,
      });
      const payload: SignalDecidedPayload = {
        signal,
        decisions: d.decisions,
        consensus: d.consensus,
      };
      return { d, signal, enriched, payload };
    });
    const rows = staging.rows(
      out.flatMap((o) => [enrichedEvent(o.enriched), decidedEvent(o.payload, publishedAt)]),
    );
    const statement = publishEnrichedStatement(
      decided,
      publishedAt,
      claim,
      rows.map((row, i) => ({ signalId: out[i >> 1]!.d.eventId, row })),
    );
    return {
      statement,
      outcome: (result) => {
        const claimed = new Set<string>();
        const seqs = new Map<string, number>();
        for (const r of result) {
          claimed.add(String(r.claimed));
          if (r.seq !== null && r.seq !== undefined) seqs.set(String(r.claimed), Number(r.seq));
        }
        const published: typeof out = [];
        const withdrawn: string[] = [];
        out.forEach((o, i) => {
          const seq = seqs.get(o.d.eventId.toLowerCase());
          if (seq === undefined) withdrawn.push(rows[2 * i]!.event_id, rows[2 * i + 1]!.event_id);
          else {
            // The row now holds it. The outbox reads an event's payload only when it hands
            // it over, after this, so both events carry the number their rows do.
            o.signal.seq = seq;
            published.push(o);
          }
        });
        staging.withdraw(withdrawn);
        return {
          claimed,
          after: () => {
            for (const o of published) {
              this.deps.metrics.stage('enrich', (o.d.enrichedAt - o.signal.receivedAt) / 1000);
              this.published(o.enriched, o.payload, o.d.evaluatedAt, publishedAt);
            }
          },
        };
      },
    };
  }

  private enrichRows(events: readonly BusEvent[]): Row[] {
    const enrichedAt = this.deps.clock.now();
    return events.map((event) => {
      const started = performance.now();
      const signal = event.payload as Signal;
      const enrichment = this.enrichment(signal, enrichedAt);
      const enrichMs = performance.now() - started;
      return { eventId: signal.eventId, signal, enrichment, enrichedAt, enrichMs };
    });
  }

  /** Runs the evaluators on enriched rows, side by side. */
  private evaluateRows(rows: readonly Row[]) {
    const { clock } = this.deps;
    return Promise.all(
      rows.map(async (r) => {
        const started = performance.now();
        const input: EnrichedSignal = Object.assign({ signal: r.signal }, r.enrichment, {
          enrichedAt: r.enrichedAt,
        });
        const decisions = await evaluateAll(this.evaluators, input, {
          defaultTimeoutMs: this.deps.config.signalsEvaluationDeadlineMs,
          now: () => clock.now(),
          elapsed: () => performance.now(),
        });
        const workMs = performance.now() - started;
        const consensus = consensusOf(decisions);
        // Assigned, not spread (see `quant-common.ts`): each signal would get its own shape.
        return Object.assign({}, r, { decisions, consensus, evaluatedAt: clock.now(), workMs });
      }),
    );
  }

  /** After the commit that published a signal: the live feed and the metrics. */
  private published(
    e: EnrichedSignal,
    payload: SignalDecidedPayload,
    evaluatedAt: number,
    publishedAt: number,
  ): void {
    const { metrics, feed } = this.deps;
    feed.publish(channels.user(e.signal.userId, 'decisions'), payload);
    for (const d of payload.decisions) this.observe(d);
    metrics.stage('evaluate', (evaluatedAt - e.enrichedAt) / 1000);
    metrics.endToEnd((publishedAt - e.signal.receivedAt) / 1000);
  }

  // ── evaluate and publish ─────────────────────────────────────────────────────────────────

  /** Queues an enriched signal for evaluation in this process. */
  submit(enriched: EnrichedSignal): void {
    if (this.stopping || this.held.has(enriched.signal.eventId)) return;
    this.held.add(enriched.signal.eventId);
    this.queue.push(enriched);
    this.pump();
  }

  /**
   * Starts evaluations up to the concurrency limit. A signal's slot is freed once its models
   * have answered, not once its decisions are written: the limit is there for the models, and
   * the write waits for a group commit whose batch should hold every signal ready by then.
   */
  private pump(): void {
    while (this.evaluating < this.deps.config.signalsEvaluationConcurrency && this.queue.length) {
      const next = this.queue.shift()!;
      this.evaluating++;
      let slot = true;
      const free = () => {
        if (!slot) return;
        slot = false;
        this.evaluating--;
        this.pump();
      };
      const run: Promise<void> = this.evaluate(next, free)
        .catch((err: unknown) =>
          this.deps.logger.error(
            { at: 'signals#evaluate', eventId: next.signal.eventId, err },
            'evaluation not recorded; it will be recovered',
          ),
        )
        .finally(() => {
          this.held.delete(next.signal.eventId);
          this.running.delete(run);
          free();
        });
      this.running.add(run);
    }
  }

  private async evaluate(enriched: EnrichedSignal, evaluated: () => void): Promise<void> {
    const { clock } = this.deps;
    const started = performance.now();
    const decisions = await evaluateAll(this.evaluators, enriched, {
      defaultTimeoutMs: this.deps.config.signalsEvaluationDeadlineMs,
      now: () => clock.now(),
      elapsed: () => performance.now(),
    });
    evaluated();
    const evaluatedAt = clock.now();
    const workMs = performance.now() - started;
    const published = await this.decisions.submit({
      signal: enriched.signal,
      decisions,
      consensus: consensusOf(decisions),
      evaluatedAt,
      workMs,
    });
    if (published) this.published(enriched, published.payload, evaluatedAt, published.publishedAt);
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
    const claimed = await takeOverStalled(this.deps, this.held);
    for (const e of claimed) this.submit(e);
    return claimed.length;
  }
}

type Row = EnrichmentRow & { signal: Signal };

/** The signals a stage's statement moved, numbered: the first event carries no `seq`. */
function enrichedOfRows(rows: readonly Row[], seqs: Map<string, number>): EnrichedSignal[] {
  const out: EnrichedSignal[] = [];
  for (const r of rows) {
    const seq = seqs.get(r.eventId);
    if (seq !== undefined)
      out.push(
        Object.assign({ signal: Object.assign({}, r.signal, { seq }) }, r.enrichment, {
          enrichedAt: r.enrichedAt,
        }),
      );
  }
  return out;
}
