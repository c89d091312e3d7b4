/**
 * The gateway: rate limit, validation, ids and times, then the group-committed write. A signal
 * refused or limited writes nothing; an accepted one is stored with its first stage event
 * before the caller hears 202.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../platform/logging/logger.js';
import { normalizeSymbol, TIMEFRAMES, type MarketView } from '../market/index.js';
import { SOURCE_PATTERN, validateSignal } from './domain/validate.js';
import type { Signal } from './domain/types.js';
import type { SignalsConfig } from './config.js';
import { notPersisted, signalProblem, signalsRateLimited } from './errors.js';
import type { SignalMetrics } from './metrics.js';
import type { SignalLimiter } from './rate-limit.js';
import type { SourceRegistry } from './sources.js';
import type { SignalWriter } from './writer.js';

/** Who sends: the user, the API key (null for a webhook), and the bucket the send spends. */
export interface Sender {
  userId: string;
  keyId: string | null;
  bucket: string;
  /** A webhook's own staleness limit, which wins over the user's source settings. */
  maxLagMs?: number | null;
}

export interface Accepted {
  eventId: string;
  status: 'pending';
  seq: number;
  receivedAt: string;
}

export class SignalGateway {
  constructor(
    private readonly deps: {
      clock: Clock;
      logger: Logger;
      config: SignalsConfig;
      market: Pick<MarketView, 'instruments' | 'instrument'>;
      limiter: SignalLimiter;
      sources: SourceRegistry;
      writer: SignalWriter;
      metrics: SignalMetrics;
    },
  ) {}

  async submit(sender: Sender, body: Record<string, unknown>): Promise<Accepted> {
    const { metrics, config } = this.deps;
    const started = performance.now();
    const named = typeof body.source === 'string' && SOURCE_PATTERN.test(body.source);
    metrics.received(named ? (body.source as string) : 'invalid');

    const bucket = await this.deps.limiter.take(sender.bucket);
    if (!bucket.allowed) {
      metrics.rejected('rate_limited');
      throw signalsRateLimited(
        { perMinute: config.signalsRatePerMinute, burst: config.signalsRateBurst },
        bucket.retryAfter,
      );
    }

    const limits = await this.deps.sources.limitsOf(sender.userId);
    const receivedAt = this.deps.clock.now();
    const result = validateSignal(body, {
      now: receivedAt,
      timeframes: TIMEFRAMES,
      resolveSymbol: (venue, symbol) => this.resolve(venue, symbol),
      maxLagMs: (source) => sender.maxLagMs ?? limits.get(source) ?? config.signalsMaxLagMs,
      maxFutureMs: config.signalsMaxFutureMs,
      maxPayloadBytes: config.signalsMaxPayloadBytes,
    });
    if (!result.ok) {
      for (const e of result.errors) metrics.rejected(e.code);
      throw signalProblem(result.errors);
    }

    // The validated value is this request's own: completed in place rather than spread into a
    // new object with new keys, which gives every signal a hidden class of its own on Node 20.
    const signal: Signal = Object.assign(result.value, {
      eventId: newId(),
      userId: sender.userId,
      keyId: sender.keyId,
      receivedAt,
    });
    let seq: number;
    try {
      seq = await this.deps.writer.submit(signal);
    } catch (err) {
      this.deps.logger.error(
        { at: 'signals#gateway', err, source: signal.source },
        'signal batch not stored',
      );
      throw notPersisted();
    }
    metrics.enqueued(signal.source);
    metrics.stage('gateway', (performance.now() - started) / 1000);
    return {
      eventId: signal.eventId,
      status: 'pending',
      seq,
      receivedAt: new Date(receivedAt).toISOString(),
    };
  }

  private resolve(venue: string, symbol: string) {
    const listed = this.deps.market.instruments(venue);
    if (!listed.length) return 'unknown_venue' as const;
    const canonical = normalizeSymbol(
      symbol,
      listed.map((i) => i.symbol),
    );
    const found =
      canonical === undefined ? undefined : this.deps.market.instrument(venue, canonical);
    return found?.active ? found.symbol : ('unknown_instrument' as const);
  }
}
