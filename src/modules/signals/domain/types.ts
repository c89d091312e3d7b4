/**
 * The shapes every part of the signal pipeline agrees on: the gateway stores a `Signal`, the
 * enrichment stage turns it into an `EnrichedSignal`, each `Evaluator` judges that and the
 * pipeline records one `Decision` per evaluator, then a `Consensus` across them.
 *
 * Prices the caller sent (entry, stop, take-profit) and prices the market reports stay decimal
 * strings; indicator values and statistics are float64, as the architecture allows.
 */

export type Direction = 'long' | 'short' | 'close';

export const FEATURE_PROFILES = ['trend_follow_v1', 'crypto_perps_v1', 'full_v1'] as const;
export type FeatureProfile = (typeof FEATURE_PROFILES)[number];

/** A signal as the gateway persisted it. */
export interface Signal {
  eventId: string;
  userId: string;
  /** The API key it came through; null for a TradingView webhook (authenticated by its source secret). */
  keyId: string | null;
  source: string;
  venue: string;
  symbol: string;
  direction: Direction;
  timeframe: string | null;
  entry: string | null;
  stop: string | null;
  takeProfit: string | null;
  strategy: string | null;
  profile: FeatureProfile;
  /** ms since epoch, as the sender stated it. */
  sentAt: number;
  /** ms since epoch, when the gateway accepted it. */
  receivedAt: number;
  payload: Record<string, unknown> | null;
  /**
   * Order of acceptance across every signal (ascending, gaps possible), set once stored; a
   * replay of signals follows it.
   */
  seq?: number;
}

/** Where the market stood when the signal was enriched. */
export interface MarketContext {
  lastPrice: string | null;
  bid: string | null;
  ask: string | null;
  /** (ask − bid) / mid in basis points. */
  spreadBps: number | null;
  /** The timeframe the indicators were computed on, and how many closed candles fed them. */
  timeframe: string;
  candles: number;
  /** Close time (ms) of the newest candle used; null when there were none. */
  lastCandleAt: number | null;
  /** ms since epoch of the newest market datum used. */
  asOf: number | null;
}

export interface Features {
  ema9?: number;
  ema21?: number;
  ema50?: number;
  macd?: { macd: number; signal: number; histogram: number };
  rsi14?: number;
  atr14?: number;
  /** crypto_perps_v1, when the source has them (the synthetic market does not). */
  fundingRate?: number;
  openInterest?: number;
  markPrice?: number;
  indexPrice?: number;
  /** full_v1. */
  bollinger?: { upper: number; middle: number; lower: number };
  support?: number[];
  resistance?: number[];
  bookImbalance?: number;
  volumeProfile?: { poc: number; valueAreaLow: number; valueAreaHigh: number };
}

export const QUALITY_FLAGS = [
  'stale_data',
  'missing_candles',
  'insufficient_history',
  'wide_spread',
  'no_book',
  'perp_data_unavailable',
] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export interface EnrichedSignal {
  signal: Signal;
  market: MarketContext;
  features: Features;
  quality: QualityFlag[];
  enrichedAt: number;
}

/** What a model may answer: take the signal's side (or the other), close, or stay out. */
export const DECISION_ACTIONS = ['long', 'short', 'close', 'hold'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** One evaluator's verdict, as it answered. */
export interface Verdict {
  action: DecisionAction;
  /** 0 … 1. */
  confidence: number;
  /** Suggested position size, percent of the account's equity (0 … 100); null: no opinion. */
  sizePct: number | null;
  stop: string | null;
  takeProfit: string | null;
  reasoning: string;
  tokens?: { prompt: number; completion: number };
  /** Cost of this call in US dollars (decimal string), when the model has a price. */
  costUsd?: string;
  /** The prompt file an LLM answered, e.g. `evaluate_signal.v1`. */
  promptVersion?: string;
}

export const EVALUATION_FAILURES = [
  'timeout',
  'invalid_output',
  'upstream_error',
  'circuit_open',
  'budget_exhausted',
] as const;
export type EvaluationFailure = (typeof EVALUATION_FAILURES)[number];

/** Thrown by an evaluator to record a failure of that one model with a readable reason. */
export class EvaluationError extends Error {
  constructor(
    readonly code: EvaluationFailure,
    message: string,
    readonly tokens?: { prompt: number; completion: number },
  ) {
    super(message);
    this.name = 'EvaluationError';
  }
}

export interface EvaluationContext {
  /** Aborted when the pipeline's deadline for this evaluator passes. */
  abort: AbortSignal;
  now(): number;
}

/** A model that judges enriched signals. Implementations hold no per-signal state. */
export interface Evaluator {
  /** Stable id, e.g. `quant.trend_alignment` or `llm.gpt-4o-mini`; decisions carry it. */
  readonly id: string;
  readonly kind: 'quant' | 'llm';
  /**
   * How long the pipeline waits for this evaluator before recording a `timeout` and aborting
   * `ctx.abort`; the pipeline's default (SIGNALS_EVALUATION_DEADLINE_MS) when absent.
   */
  readonly timeoutMs?: number;
  /**
   * A model computed on the spot answers at once; one that calls out answers with a promise,
   * which alone has a deadline to meet.
   */
  evaluate(input: EnrichedSignal, ctx: EvaluationContext): Verdict | Promise<Verdict>;
}

/** One evaluator's outcome for one signal, as stored and published. */
export interface Decision {
  signalId: string;
  modelId: string;
  kind: 'quant' | 'llm';
  status: 'ok' | 'failed';
  /** Set when status is ok. */
  verdict: Verdict | null;
  /** Set when status is failed. */
  failure: { code: EvaluationFailure; message: string } | null;
  latencyMs: number;
  decidedAt: number;
}

/** The models' answers taken together. */
export interface Consensus {
  /** The action with the most confidence behind it among the models that answered. */
  action: DecisionAction;
  /** Sum of the confidence behind `action` divided by the models that answered (0 … 1). */
  confidence: number;
  agreeing: number;
  answered: number;
  failed: number;
}

/** Payload of `SignalDecided` on `topics.signalsDecisions`: everything a subscriber acts on. */
export interface SignalDecidedPayload {
  signal: Signal;
  decisions: Decision[];
  consensus: Consensus;
}
