/**
 * Reads of tables `signals`, `signal_decisions` and `signal_timeline`: rows as stored, their
 * mapping to the domain's types, look-ups, lists and counts, and the recovery's claim of
 * stalled signals. The writes are in store.ts.
 */
import { sql } from 'kysely';
import { Decimal } from '../../core/decimal.js';
import type { Executor } from '../../platform/db/index.js';
import type { Progress, TimelineRow } from './domain/timeline.js';
import type {
  Consensus,
  Decision,
  DecisionAction,
  Direction,
  EnrichedSignal,
  FeatureProfile,
  Signal,
} from './domain/types.js';

const ms = (d: Date | string) => new Date(d).getTime();
const dec = (v: string | null) => (v === null ? null : Decimal.parse(v).toString());

export interface SignalRow {
  event_id: string;
  seq: string;
  user_id: string;
  key_id: string | null;
  source: string;
  venue: string;
  symbol: string;
  direction: Direction;
  timeframe: string | null;
  entry: string | null;
  stop: string | null;
  take_profit: string | null;
  strategy: string | null;
  profile: FeatureProfile;
  sent_at: Date | string;
  received_at: Date | string;
  payload: Record<string, unknown> | null;
  progress: Progress;
  market: EnrichedSignal['market'] | null;
  features: EnrichedSignal['features'] | null;
  quality: EnrichedSignal['quality'] | null;
  enriched_at: Date | string | null;
  enrich_ms: number | null;
  consensus: Consensus | null;
  evaluated_at: Date | string | null;
  evaluate_ms: number | null;
  published_at: Date | string | null;
  failure_stage: string | null;
  failure_attempts: number;
  failure_error: string | null;
  dead_lettered_at: Date | string | null;
}

export const signalOf = (r: SignalRow): Signal => ({
  eventId: r.event_id,
  userId: r.user_id,
  keyId: r.key_id,
  source: r.source,
  venue: r.venue,
  symbol: r.symbol,
  direction: r.direction,
  timeframe: r.timeframe,
  entry: dec(r.entry),
  stop: dec(r.stop),
  takeProfit: dec(r.take_profit),
  strategy: r.strategy,
  profile: r.profile,
  sentAt: ms(r.sent_at),
  receivedAt: ms(r.received_at),
  payload: r.payload,
  seq: Number(r.seq),
});

/** The enriched signal as the evaluate stage needs it, from a stored row. */
export const enrichedOf = (r: SignalRow): EnrichedSignal | undefined =>
  r.market && r.features && r.quality && r.enriched_at
    ? {
        signal: signalOf(r),
        market: r.market,
        features: r.features,
        quality: r.quality,
        enrichedAt: ms(r.enriched_at),
      }
    : undefined;

export async function findSignal(
  db: Executor,
  userId: string,
  eventId: string,
): Promise<SignalRow | undefined> {
  return (await db
    .selectFrom('signals')
    .selectAll()
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .executeTakeFirst()) as SignalRow | undefined;
}

interface TimelineDbRow {
  signal_id: string;
  stage: TimelineRow['stage'];
  at: Date | string;
  work_ms: number | null;
  detail: Record<string, unknown> | null;
}

export async function timelineOfSignal(db: Executor, eventId: string): Promise<TimelineRow[]> {
  const rows = (await db
    .selectFrom('signal_timeline')
    .select(['signal_id', 'stage', 'at', 'work_ms', 'detail'])
    .where('signal_id', '=', eventId)
    .orderBy('id')
    .execute()) as TimelineDbRow[];
  return rows.map((r) => ({
    stage: r.stage,
    at: ms(r.at),
    workMs: r.work_ms === null ? null : Number(r.work_ms),
    detail: r.detail,
  }));
}

export interface DecisionRow {
  signal_id: string;
  model_id: string;
  signal_seq: string;
  user_id: string;
  symbol: string;
  source: string;
  kind: 'quant' | 'llm';
  status: 'ok' | 'failed';
  action: DecisionAction | null;
  confidence: number | null;
  size_pct: number | null;
  stop: string | null;
  take_profit: string | null;
  reasoning: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_usd: string | null;
  failure_code: NonNullable<Decision['failure']>['code'] | null;
  failure_message: string | null;
  latency_ms: number;
  decided_at: Date | string;
}

export const decisionOf = (r: DecisionRow): Decision => ({
  signalId: r.signal_id,
  modelId: r.model_id,
  kind: r.kind,
  status: r.status,
  verdict:
    r.status === 'ok'
      ? {
          action: r.action ?? 'hold',
          confidence: Number(r.confidence),
          sizePct: r.size_pct === null ? null : Number(r.size_pct),
          stop: dec(r.stop),
          takeProfit: dec(r.take_profit),
          reasoning: r.reasoning ?? '',
          ...(r.prompt_tokens !== null && r.completion_tokens !== null
            ? { tokens: { prompt: r.prompt_tokens, completion: r.completion_tokens } }
            : {}),
          ...(r.cost_usd !== null ? { costUsd: dec(r.cost_usd)! } : {}),
        }
      : null,
  failure:
    r.status === 'failed'
      ? { code: r.failure_code ?? 'upstream_error', message: r.failure_message ?? '' }
      : null,
  latencyMs: Number(r.latency_ms),
  decidedAt: ms(r.decided_at),
});

/** Decisions of the given signals, by signal, each list in model order. */
export async function decisionsOf(
  db: Executor,
  signalIds: readonly string[],
): Promise<Map<string, Decision[]>> {
  const out = new Map<string, Decision[]>();
  if (!signalIds.length) return out;
  const rows = (await db
    .selectFrom('signal_decisions')
    .selectAll()
    .where('signal_id', 'in', signalIds)
    .orderBy('signal_id')
    .orderBy('model_id')
    .execute()) as DecisionRow[];
  for (const r of rows) {
    const list = out.get(r.signal_id) ?? [];
    list.push(decisionOf(r));
    out.set(r.signal_id, list);
  }
  return out;
}

export interface SignalQuery {
  userId: string;
  source?: string | undefined;
  symbol?: string | undefined;
  /** Ascending from after this sequence number (a replay); otherwise newest first. */
  afterSeq?: number | undefined;
  /** Newest first, below this sequence number (the next page). */
  beforeSeq?: number | undefined;
  limit: number;
}

export async function listSignals(db: Executor, q: SignalQuery): Promise<SignalRow[]> {
  let query = db.selectFrom('signals').selectAll().where('user_id', '=', q.userId);
  if (q.source !== undefined) query = query.where('source', '=', q.source);
  if (q.symbol !== undefined) query = query.where('symbol', '=', q.symbol);
  if (q.afterSeq !== undefined)
    query = query.where('seq', '>', String(q.afterSeq)).orderBy('seq', 'asc');
  else {
    if (q.beforeSeq !== undefined) query = query.where('seq', '<', String(q.beforeSeq));
    query = query.orderBy('seq', 'desc');
  }
  return (await query.limit(q.limit).execute()) as SignalRow[];
}

export interface DecisionQuery {
  userId: string;
  model?: string | undefined;
  symbol?: string | undefined;
  source?: string | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

/** A user's decisions, newest signal first (models of one signal in model order). */
export async function listDecisions(db: Executor, q: DecisionQuery): Promise<DecisionRow[]> {
  let query = db.selectFrom('signal_decisions').selectAll().where('user_id', '=', q.userId);
  if (q.model !== undefined) query = query.where('model_id', '=', q.model);
  if (q.symbol !== undefined) query = query.where('symbol', '=', q.symbol);
  if (q.source !== undefined) query = query.where('source', '=', q.source);
  if (q.beforeSeq !== undefined) query = query.where('signal_seq', '<', String(q.beforeSeq));
  return (await query
    .orderBy('signal_seq', 'desc')
    .orderBy('model_id')
    .limit(q.limit)
    .execute()) as DecisionRow[];
}

/** Signals waiting for a stage: accepted and neither published nor dead-lettered. */
export async function countInFlight(db: Executor): Promise<number> {
  const r = await sql<{ n: string }>`
    select count(*) as n from signals where progress <> 'published'`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export async function countDeadLettered(db: Executor): Promise<number> {
  const r = await sql<{ n: string }>`
    select count(*) as n from signals
    where progress <> 'published' and dead_lettered_at is not null`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Takes over enriched signals whose evaluation has not finished within `cutoff` (a process
 * died holding it): each is stamped `recovered_at` so that only one worker takes it, and
 * another only once that worker's attempt is as old.
 */
export async function claimStalled(
  db: Executor,
  o: { olderThan: number; now: number; limit: number },
): Promise<SignalRow[]> {
  const cutoff = new Date(o.olderThan);
  const res = await sql<SignalRow>`
    update signals set recovered_at = ${new Date(o.now)}
    where event_id in (
      select event_id from signals
      where progress = 'enriched' and enriched_at < ${cutoff}
        and (recovered_at is null or recovered_at < ${cutoff})
      order by enriched_at
      limit ${o.limit}
      for update skip locked)
    returning *`.execute(db);
  return res.rows;
}
