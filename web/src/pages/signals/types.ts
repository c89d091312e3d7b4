/** The signal API's answers, as the pages read them (see src/modules/signals/views.ts). */

export type Direction = 'long' | 'short' | 'close';
export type DecisionAction = 'long' | 'short' | 'close' | 'hold';

export interface Verdict {
  action: DecisionAction;
  confidence: number;
  sizePct: number | null;
  stop: string | null;
  takeProfit: string | null;
  reasoning: string;
  tokens?: { prompt: number; completion: number };
  costUsd?: string;
}

export interface Decision {
  modelId: string;
  kind: 'quant' | 'llm';
  status: 'ok' | 'failed';
  verdict: Verdict | null;
  failure: { code: string; message: string } | null;
  latencyMs: number;
  decidedAt: string | number;
}

export interface Consensus {
  action: DecisionAction;
  confidence: number;
  agreeing: number;
  answered: number;
  failed: number;
}

export interface SignalSummary {
  eventId: string;
  seq: number;
  source: string;
  venue: string;
  symbol: string;
  direction: Direction;
  timeframe: string | null;
  entry: string | null;
  stop: string | null;
  takeProfit: string | null;
  strategy: string | null;
  profile: string;
  status: string;
  sentAt: string;
  receivedAt: string;
  consensus: Consensus | null;
  decisions: Decision[];
  failure: { stage: string; attempts: number; error: string | null; deadLettered: boolean } | null;
}

export interface TimelineEntry {
  stage: string;
  at: string;
  durationMs: number;
  workMs?: number;
  detail?: Record<string, unknown>;
}

export interface SignalDetail extends SignalSummary {
  timeline: TimelineEntry[];
  enrichment: {
    market: Record<string, unknown>;
    features: Record<string, unknown>;
    quality: string[];
    enrichedAt: string;
  } | null;
}

export interface SignalPage {
  signals: SignalSummary[];
  next: { before: number } | { after: number } | null;
}

export interface Source {
  name: string;
  maxLagMs: number | null;
  webhookUrl: string | null;
  secretSetAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Only in the answer that made or rotated it. */
  secret?: string;
}

export type Sizing =
  | { mode: 'fixed_notional'; notional: string }
  | { mode: 'equity_pct'; pct: string }
  | { mode: 'model_suggested'; capPct: string };

export interface Rules {
  minConfidence: number;
  minAgreeing: number | null;
  maxOrderNotional: string;
  maxPositionNotional: string | null;
  sizing: Sizing;
  allowedSymbols: string[];
  directions: Direction[];
  entryOrder: 'limit' | 'market';
}

export interface Binding {
  id: string;
  source: string;
  accountId: string;
  status: 'active' | 'paused';
  rules: Rules;
  createdAt: string;
  updatedAt: string;
}

export interface BindingAction {
  signalEventId: string;
  symbol: string;
  direction: Direction;
  entry?: string;
  consensus: { action: string; confidence: number; agreeing: number };
  status: string;
  reason?: string;
  message?: string;
  order: {
    id: string;
    side: 'buy' | 'sell';
    type: string;
    quantity: string;
    price?: string;
    status: string;
    filledQuantity: string;
    averagePrice: string;
  } | null;
  decidedAt: string;
}

/** `0.734` → `73 %`. */
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : `${Math.round(x * 100)} %`;

export const ACTION_TONE: Record<string, string> = {
  long: 'up',
  short: 'down',
  close: 'warn',
  hold: 'muted',
};
