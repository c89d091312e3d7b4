/**
 * Writes of tables `signals`, `signal_decisions` and `signal_timeline`
 * (migrations/0010_signals.sql); the reads are in store-reads.ts. Thin: each function is one or
 * two statements on the executor it is given.
 */
import { sql, type RawBuilder } from 'kysely';
import type { OutboxRow } from '../../platform/bus/index.js';
import { jsonInsert, type Executor } from '../../platform/db/index.js';
import type { Enrichment } from './domain/enrich.js';
import type { Progress, TimelineRow } from './domain/timeline.js';
import type { Consensus, Decision, Signal } from './domain/types.js';

const SIGNAL_COLUMNS = [
  'event_id',
  'user_id',
  'key_id',
  'source',
  'venue',
  'symbol',
  'direction',
  'timeframe',
  'entry',
  'stop',
  'take_profit',
  'strategy',
  'profile',
  'sent_at',
  'received_at',
  'payload',
];
const DECISION_COLUMNS = [
  'signal_id',
  'model_id',
  'signal_seq',
  'user_id',
  'symbol',
  'source',
  'kind',
  'status',
  'action',
  'confidence',
  'size_pct',
  'stop',
  'take_profit',
  'reasoning',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
  'failure_code',
  'failure_message',
  'latency_ms',
  'decided_at',
];
const TIMELINE_COLUMNS = ['signal_id', 'stage', 'at', 'work_ms', 'detail'];

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Inserts accepted signals in the order given; returns each one's sequence number. `alongside`
 * is another insert to run in the same statement (their first events, from `emit.insert`), so
 * that a batch costs one round trip however many tables it writes.
 */
export async function insertSignals(
  tx: Executor,
  signals: readonly Signal[],
  alongside?: RawBuilder<unknown>,
): Promise<Map<string, number>> {
  const rows = signals.map((s) => ({
    event_id: s.eventId,
    user_id: s.userId,
    key_id: s.keyId,
    source: s.source,
    venue: s.venue,
    symbol: s.symbol,
    direction: s.direction,
    timeframe: s.timeframe,
    entry: s.entry,
    stop: s.stop,
    take_profit: s.takeProfit,
    strategy: s.strategy,
    profile: s.profile,
    sent_at: iso(s.sentAt),
    received_at: iso(s.receivedAt),
    payload: s.payload,
  }));
  const insert = jsonInsert('signals', SIGNAL_COLUMNS, rows);
  const res = await (
    alongside
      ? sql<{ event_id: string; seq: string }>`with alongside as (${alongside})
          ${insert} returning event_id, seq`
      : sql<{ event_id: string; seq: string }>`${insert} returning event_id, seq`
  ).execute(tx);
  return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
}

/** What the timeline table holds: the events besides the stages (see the migration). */
export type TimelineEvent = TimelineRow & {
  signalId: string;
  stage: 'failed' | 'dead_lettered' | 'recovered';
};

export async function insertTimeline(tx: Executor, rows: readonly TimelineEvent[]): Promise<void> {
  if (!rows.length) return;
  await jsonInsert(
    'signal_timeline',
    TIMELINE_COLUMNS,
    rows.map((r) => ({
      signal_id: r.signalId,
      stage: r.stage,
      at: iso(r.at),
      work_ms: r.workMs,
      detail: r.detail,
    })),
  ).execute(tx);
}

export interface EnrichmentRow {
  eventId: string;
  enrichment: Enrichment;
  enrichedAt: number;
  /** The stage's own computation for this signal. */
  enrichMs: number;
}

/** A signal's enrichment as the columns of its row, for `json_to_recordset`. */
const enrichmentColumns = (i: EnrichmentRow) => ({
  event_id: i.eventId,
  market: i.enrichment.market,
  features: i.enrichment.features,
  quality: i.enrichment.quality,
  enriched_at: iso(i.enrichedAt),
  enrich_ms: i.enrichMs,
});

/**
 * Stores the enrichments of signals and moves them to `enriched`, clearing a failure of the
 * stage, in one statement. Returns the sequence number of each signal it moved; a signal that
 * had already moved on is absent (nothing is written for it).
 */
export async function recordEnrichments(
  tx: Executor,
  items: readonly EnrichmentRow[],
): Promise<Map<string, number>> {
  if (!items.length) return new Map();
  const json = JSON.stringify(items.map(enrichmentColumns));
  const res = await sql<{ event_id: string; seq: string }>`
    update signals s set
      progress = 'enriched', market = x.market, features = x.features, quality = x.quality,
      enriched_at = x.enriched_at, enrich_ms = x.enrich_ms, ${CLEARED_FAILURE}
    from json_to_recordset(${json}::json) as x(
      event_id uuid, market jsonb, features jsonb, quality jsonb,
      enriched_at timestamptz, enrich_ms double precision)
    where s.event_id = x.event_id and s.progress = 'pending'
    returning s.event_id, s.seq`.execute(tx);
  return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
}

/** `recordEnrichments` for one signal: false when it had already moved on. */
export async function recordEnrichment(
  tx: Executor,
  eventId: string,
  enrichment: Enrichment,
  enrichedAt: number,
  workMs: number,
): Promise<boolean> {
  const seqs = await recordEnrichments(tx, [{ eventId, enrichment, enrichedAt, enrichMs: workMs }]);
  return seqs.size === 1;
}

const CLEARED_FAILURE = sql`failure_stage = null, failure_attempts = 0, failure_error = null,
  dead_lettered_at = null`;

export interface DecisionsRow {
  signal: Signal;
  decisions: readonly Decision[];
  consensus: Consensus;
  evaluatedAt: number;
  /** Time the evaluators took together. */
  workMs: number;
}

/** The opening of an event payload whose signal's `seq` the statement writing it splices in. */
export const SEQ_HEAD = '{"signal":{"seq":';
const SEQ_PLACEHOLDER = `${SEQ_HEAD}0,`;

/** An event of `publishEnrichedStatement`: written only if its signal is published. */
export interface SignalEventRow {
  signalId: string;
  row: OutboxRow;
}

/**
 * `recordEnrichedDecisions` as a whole delivery in one statement, outside any transaction: the
 * inbox claim (`claim`, returning the new event ids as text), then, for the claimed signals
 * still `pending`, enrichment, decisions and publication as there, and their events. An event's
 * payload must open with its signal and the signal with `seq: 0` (`SEQ_HEAD`): the number is
 * assigned by the gateway's statement and read here from the row, so the statement splices it
 * into the payload's text. Rows: one per claimed event id (`claimed`), with `seq` where the
 * signal was published, null where it had already moved on (nothing written for it).
 */
export function publishEnrichedStatement(
  items: ReadonlyArray<EnrichmentRow & DecisionsRow>,
  publishedAt: number,
  claim: RawBuilder<unknown>,
  events: readonly SignalEventRow[],
): RawBuilder<{ claimed: string; seq: string | null }> {
  const outbox = JSON.stringify(
    events.map(({ signalId, row }, ord) => {
      const text = JSON.stringify(row.payload);
      if (!text.startsWith(SEQ_PLACEHOLDER))
        throw new Error(`event ${row.event_id}: its payload does not open with the signal's seq`);
      return {
        ord,
        signal_id: signalId,
        event_id: row.event_id,
        topic: row.topic,
        type: row.type,
        key: row.key,
        tail: text.slice(SEQ_PLACEHOLDER.length - 1),
        ts_event: row.ts_event,
        ts_init: row.ts_init,
      };
    }),
  );
  return sql<{ claimed: string; seq: string | null }>`
    with claimed as (${claim}), ${publishSteps(items, publishedAt, 'claimed')}, emitted as (
      insert into outbox (event_id, topic, type, key, payload, ts_event, ts_init)
      select o.event_id, o.topic, o.type, o.key, (${SEQ_HEAD}::text || p.seq || o.tail)::json,
        o.ts_event, o.ts_init
      from json_to_recordset(${outbox}::json) as o(
        ord int, signal_id uuid, event_id uuid, topic text, type text, key text, tail text,
        ts_event timestamptz, ts_init timestamptz)
      join published p on p.event_id = o.signal_id
      order by o.ord
    )
    select c.event_id as claimed, p.seq from claimed c
    left join published p on p.event_id::text = c.event_id`;
}

/**
 * Records the decisions and consensus of enriched signals and marks them published, in one
 * statement of the caller's transaction. Returns the sequence number of each signal it
 * published; a signal another process got to first is absent, and nothing is written for it.
 */
export async function recordDecisions(
  tx: Executor,
  items: readonly DecisionsRow[],
  publishedAt: number,
): Promise<Map<string, number>> {
  if (!items.length) return new Map();
  const signals = JSON.stringify(
    items.map((i) => ({
      event_id: i.signal.eventId,
      consensus: i.consensus,
      evaluated_at: iso(i.evaluatedAt),
      evaluate_ms: i.workMs,
    })),
  );
  const res = await sql<{ event_id: string; seq: string }>`
    with x as (
      select * from json_to_recordset(${signals}::json) as x(
        event_id uuid, consensus jsonb, evaluated_at timestamptz, evaluate_ms double precision)
    ), published as (
      update signals s set
        progress = 'published', consensus = x.consensus, evaluated_at = x.evaluated_at,
        evaluate_ms = x.evaluate_ms, published_at = ${iso(publishedAt)}::timestamptz,
        ${CLEARED_FAILURE}
      from x where s.event_id = x.event_id and s.progress = 'enriched'
      returning s.event_id, s.seq, s.user_id, s.symbol, s.source
    ), ${decidedOf(items)}
    select event_id, seq from published`.execute(tx);
  return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
}

/**
 * Enrichment and decisions at once, for signals evaluated inside the transaction that enriches
 * them: moves each from `pending` straight to `published` with both stages' columns, and
 * inserts its decisions, in one statement. Returns the sequence number of each signal written;
 * one that had already moved on is absent, and nothing is written for it.
 */
export async function recordEnrichedDecisions(
  tx: Executor,
  items: ReadonlyArray<EnrichmentRow & DecisionsRow>,
  publishedAt: number,
): Promise<Map<string, number>> {
  if (!items.length) return new Map();
  const res = await sql<{ event_id: string; seq: string }>`
    with ${publishSteps(items, publishedAt)}
    select event_id, seq from published`.execute(tx);
  return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
}

/**
 * The steps `x`, `published` and `decided` of a statement that moves signals from `pending`
 * straight to `published`, with their enrichment and decisions. With `claimed`, the name of a
 * step returning the event ids (as text) of a claimed delivery, only those signals move.
 */
function publishSteps(
  items: ReadonlyArray<EnrichmentRow & DecisionsRow>,
  publishedAt: number,
  claimed?: string,
) {
  const signals = JSON.stringify(
    items.map((i) =>
      Object.assign(enrichmentColumns(i), {
        consensus: i.consensus,
        evaluated_at: iso(i.evaluatedAt),
        evaluate_ms: i.workMs,
      }),
    ),
  );
  const onlyClaimed = claimed
    ? sql`join ${sql.table(claimed)} c on c.event_id = x.event_id::text`
    : sql``;
  return sql`x as (
      select x.* from json_to_recordset(${signals}::json) as x(
        event_id uuid, market jsonb, features jsonb, quality jsonb, enriched_at timestamptz,
        enrich_ms double precision, consensus jsonb, evaluated_at timestamptz,
        evaluate_ms double precision)
      ${onlyClaimed}
    ), published as (
      update signals s set
        progress = 'published', market = x.market, features = x.features, quality = x.quality,
        enriched_at = x.enriched_at, enrich_ms = x.enrich_ms, consensus = x.consensus,
        evaluated_at = x.evaluated_at, evaluate_ms = x.evaluate_ms,
        published_at = ${iso(publishedAt)}::timestamptz, ${CLEARED_FAILURE}
      from x where s.event_id = x.event_id and s.progress = 'pending'
      returning s.event_id, s.seq, s.user_id, s.symbol, s.source
    ), ${decidedOf(items)}`;
}

/**
 * The `decided` step of a statement whose `published` step returned the signals it published:
 * one decision row per model of each. The signal's seq, user, symbol and source are copied from
 * that row, so a decision is only ever written beside the publication of its signal.
 */
function decidedOf(items: readonly DecisionsRow[]) {
  const decisions = JSON.stringify(
    items.flatMap((i) =>
      i.decisions.map((d) => ({
        signal_id: d.signalId,
        model_id: d.modelId,
        kind: d.kind,
        status: d.status,
        action: d.verdict?.action ?? null,
        confidence: d.verdict?.confidence ?? null,
        size_pct: d.verdict?.sizePct ?? null,
        stop: d.verdict?.stop ?? null,
        take_profit: d.verdict?.takeProfit ?? null,
        reasoning: d.verdict?.reasoning ?? null,
        prompt_tokens: d.verdict?.tokens?.prompt ?? null,
        completion_tokens: d.verdict?.tokens?.completion ?? null,
        cost_usd: d.verdict?.costUsd ?? null,
        failure_code: d.failure?.code ?? null,
        failure_message: d.failure?.message ?? null,
        latency_ms: d.latencyMs,
        decided_at: iso(d.decidedAt),
      })),
    ),
  );
  const columns = sql.join(DECISION_COLUMNS.map((c) => sql.ref(c)));
  return sql`decided as (
      insert into signal_decisions (${columns})
      select d.signal_id, d.model_id, p.seq, p.user_id, p.symbol, p.source, d.kind, d.status,
        d.action, d.confidence, d.size_pct, d.stop, d.take_profit, d.reasoning, d.prompt_tokens,
        d.completion_tokens, d.cost_usd, d.failure_code, d.failure_message, d.latency_ms,
        d.decided_at
      from json_populate_recordset(null::signal_decisions, ${decisions}::json) d, published p
      where p.event_id = d.signal_id
      on conflict do nothing
    )`;
}

/**
 * Counts one failed attempt of a stage and reports whether it spent the last one, in one
 * statement. Only while the signal still waits for that stage: a late report about an attempt
 * that a retry has since overtaken changes nothing. The count restarts after a dead letter, so
 * a replayed event gets its full allowance again.
 */
export async function recordFailure(
  db: Executor,
  o: {
    eventId: string;
    stage: string;
    waiting: Progress;
    error: string;
    maxAttempts: number;
    at: number;
  },
): Promise<{ attempts: number; deadLettered: boolean } | undefined> {
  const res = await sql<{ failure_attempts: number; dead: boolean }>`
    update signals set
      failure_attempts = case
        when failure_stage = ${o.stage} and dead_lettered_at is null then failure_attempts + 1
        else 1 end,
      failure_stage = ${o.stage},
      failure_error = ${o.error},
      dead_lettered_at = case
        when (case when failure_stage = ${o.stage} and dead_lettered_at is null
                   then failure_attempts + 1 else 1 end) >= ${o.maxAttempts}::int
        then ${new Date(o.at)}::timestamptz else null end
    where event_id = ${o.eventId} and progress = ${o.waiting}
    returning failure_attempts, dead_lettered_at is not null as dead`.execute(db);
  const row = res.rows[0];
  return row ? { attempts: Number(row.failure_attempts), deadLettered: row.dead } : undefined;
}
