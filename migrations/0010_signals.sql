-- The signal pipeline (src/modules/signals). Prices a sender stated are exact (NUMERIC);
-- indicator values and confidences are float64, as the architecture allows.

-- What a user configures per source name: its own staleness limit and, for TradingView, a
-- webhook secret (only its SHA-256 is kept). Signals of a source without a row use the defaults.
create table signal_sources (
  id uuid primary key,
  user_id uuid not null references users (id),
  name text not null,
  max_lag_ms integer check (max_lag_ms > 0),
  secret_hash text,
  secret_set_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create unique index signal_sources_user_name on signal_sources (user_id, name);

-- One accepted signal. `seq` orders every signal ever accepted, so a stream of signals can be
-- replayed later in the order it arrived; `progress` is the last stage that completed, and the
-- failure columns describe the stage that is failing now (cleared when it succeeds).
create table signals (
  event_id uuid primary key,
  seq bigint generated always as identity unique,
  user_id uuid not null references users (id),
  key_id uuid,
  source text not null,
  venue text not null,
  symbol text not null,
  direction text not null check (direction in ('long', 'short', 'close')),
  timeframe text,
  entry numeric,
  stop numeric,
  take_profit numeric,
  strategy text,
  profile text not null,
  sent_at timestamptz not null,
  received_at timestamptz not null,
  payload jsonb,
  progress text not null default 'pending' check (progress in ('pending', 'enriched', 'published')),
  -- Enrichment: market context, features and quality flags (written by the enrich stage), and
  -- the time the stage's own work took.
  market jsonb,
  features jsonb,
  quality jsonb,
  enriched_at timestamptz,
  enrich_ms double precision,
  -- Consensus of the decisions (written with them, when the signal is published).
  consensus jsonb,
  evaluated_at timestamptz,
  evaluate_ms double precision,
  published_at timestamptz,
  failure_stage text,
  failure_attempts integer not null default 0,
  failure_error text,
  dead_lettered_at timestamptz,
  -- Set when a process takes over an evaluation another left unfinished.
  recovered_at timestamptz
);
create index signals_user_seq on signals (user_id, seq);
create index signals_user_source_seq on signals (user_id, source, seq);
-- Queue depth and the recovery of unfinished evaluations read only the signals in flight.
create index signals_in_flight on signals (progress, enriched_at) where progress <> 'published';

-- One model's decision on one signal. A signal is judged once per model: the primary key makes a
-- repeated evaluation (a redelivery, a recovery) write nothing twice. `signal_seq` keeps the
-- signal's order beside its decisions, for replays; user, symbol and source are copied so the
-- decision history can be searched without a join.
create table signal_decisions (
  signal_id uuid not null references signals (event_id),
  model_id text not null,
  signal_seq bigint not null,
  user_id uuid not null,
  symbol text not null,
  source text not null,
  kind text not null check (kind in ('quant', 'llm')),
  status text not null check (status in ('ok', 'failed')),
  action text check (action in ('long', 'short', 'close', 'hold')),
  confidence double precision,
  size_pct double precision,
  stop numeric,
  take_profit numeric,
  reasoning text,
  prompt_tokens integer,
  completion_tokens integer,
  cost_usd numeric,
  failure_code text,
  failure_message text,
  latency_ms double precision not null,
  decided_at timestamptz not null,
  primary key (signal_id, model_id)
);
create index signal_decisions_user_seq on signal_decisions (user_id, signal_seq);

-- What befell a signal besides its stages, whose times are columns of the signal itself (so a
-- stage costs no extra row): each failed attempt, a dead letter, a takeover of an unfinished
-- evaluation. Failures roll their stage back, so they are written right after it.
create table signal_timeline (
  id bigint generated always as identity primary key,
  signal_id uuid not null references signals (event_id),
  stage text not null check (stage in ('failed', 'dead_lettered', 'recovered')),
  at timestamptz not null,
  work_ms double precision,
  detail jsonb
);
create index signal_timeline_signal on signal_timeline (signal_id, id);
