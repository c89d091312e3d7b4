import { int, str, type ConfigOf } from '../../platform/config/index.js';

/** The signal pipeline's fragment of the configuration. */
export const signalsConfig = {
  signalsMaxLagMs: int('SIGNALS_MAX_LAG_MS', {
    doc: 'A signal whose sentAt is older than this when it arrives is refused (400 naming sentAt); a source may set its own limit (PUT /api/v1/signals/sources/{name})',
    default: 60_000,
    min: 1000,
    max: 86_400_000,
  }),
  signalsMaxFutureMs: int('SIGNALS_MAX_FUTURE_MS', {
    doc: "How far a signal's sentAt may be ahead of the server's clock (the sender's clock running fast)",
    default: 5000,
    min: 0,
    max: 3_600_000,
  }),
  signalsMaxPayloadBytes: int('SIGNALS_MAX_PAYLOAD_BYTES', {
    doc: 'Largest free-form payload of a signal, as JSON, in bytes',
    default: 4096,
    min: 0,
    max: 65_536,
  }),
  signalsRatePerMinute: int('SIGNALS_RATE_PER_MINUTE', {
    doc: 'Signals one API key (or session, or TradingView source) may send per minute, sustained',
    default: 60,
    min: 1,
    max: 10_000_000,
  }),
  signalsRateBurst: int('SIGNALS_RATE_BURST', {
    doc: 'Signals one API key may send at once after a quiet spell (the token bucket’s size)',
    default: 120,
    min: 1,
    max: 10_000_000,
  }),
  signalsDefaultTimeframe: str('SIGNALS_DEFAULT_TIMEFRAME', {
    doc: 'Candles the features are computed on when a signal names no timeframe',
    default: '15m',
    oneOf: ['1m', '5m', '15m', '1h', '4h', '1d'],
  }),
  signalsCandles: int('SIGNALS_CANDLES', {
    doc: 'Closed candles kept in memory per instrument and timeframe for enrichment (EMA 50 needs 50)',
    default: 200,
    min: 50,
    max: 5000,
  }),
  signalsStaleDataMs: int('SIGNALS_STALE_DATA_MS', {
    doc: 'Market data older than this when a signal is enriched is flagged stale_data',
    default: 60_000,
    min: 1000,
  }),
  signalsWideSpreadBps: int('SIGNALS_WIDE_SPREAD_BPS', {
    doc: 'A bid/ask spread wider than this many basis points of the mid is flagged wide_spread',
    default: 50,
    min: 1,
    max: 10_000,
  }),
  signalsEvaluationDeadlineMs: int('SIGNALS_EVALUATION_DEADLINE_MS', {
    doc: 'How long one evaluator may take on one signal before its decision is recorded as a timeout (evaluators may state their own)',
    default: 30_000,
    min: 10,
    max: 600_000,
  }),
  signalsEvaluationConcurrency: int('SIGNALS_EVALUATION_CONCURRENCY', {
    doc: 'Signals one process evaluates at once (each runs every evaluator in parallel); more wait in memory',
    default: 64,
    min: 1,
    max: 10_000,
  }),
  signalsRecoveryMs: int('SIGNALS_RECOVERY_MS', {
    doc: 'An enriched signal whose evaluation has not finished this long after enrichment (its process died) is evaluated again by a worker',
    default: 120_000,
    min: 1000,
    max: 86_400_000,
  }),
};

export type SignalsConfig = ConfigOf<typeof signalsConfig>;
