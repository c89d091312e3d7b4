-- Signal bindings (src/modules/signals/bindings): a user lets the decided signals of one of
-- their sources trade one of their accounts, within rules. Notionals in the rules are decimal
-- strings in the instrument's quote currency.

-- The rules are one JSON document (see bindings/rules.ts): they are read and written whole,
-- checked by the domain on the way in, and never queried field by field. A deleted binding
-- keeps its row, so that the actions it took stay explained.
create table signal_bindings (
  id uuid primary key,
  user_id uuid not null references users (id),
  source text not null,
  account_id uuid not null references trading_accounts (id),
  status text not null check (status in ('active', 'paused', 'deleted')),
  rules jsonb not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create unique index signal_bindings_live on signal_bindings (user_id, source, account_id)
  where status <> 'deleted';
create index signal_bindings_user on signal_bindings (user_id, created_at desc)
  where status <> 'deleted';
create index signal_bindings_active on signal_bindings (user_id, source) where status = 'active';

-- What one decided signal did through one binding, exactly once: the primary key is the pair.
-- `pending` is recorded with the consumed decision and becomes `placed` (the order the venue
-- took, whatever became of it), `skipped` (the planner's reason) or `failed` (the venue's
-- refusal) once the order step ran; a row still pending after a crash is finished by the
-- recovery pass, the client order id making a second placement return the first.
-- The decision's inputs are copied here, so that finishing it never needs the signal again.
create table signal_binding_actions (
  signal_event_id uuid not null,
  binding_id uuid not null references signal_bindings (id),
  user_id uuid not null references users (id),
  account_id uuid not null references trading_accounts (id),
  symbol text not null,
  direction text not null check (direction in ('long', 'short', 'close')),
  entry numeric,
  consensus_action text not null check (consensus_action in ('long', 'short', 'close', 'hold')),
  confidence double precision not null,
  agreeing integer not null,
  suggested_size_pct double precision,
  status text not null check (status in ('pending', 'placed', 'skipped', 'failed')),
  reason text,
  message text,
  client_order_id text,
  order_id uuid,
  side text check (side in ('buy', 'sell')),
  order_type text check (order_type in ('market', 'limit')),
  quantity numeric,
  limit_price numeric,
  reference_price numeric,
  notional numeric,
  capped_by text,
  order_status text,
  decided_at timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  -- Database time of the last attempt to finish the row: what the recovery pass measures idleness by.
  attempted_at timestamptz not null default now(),
  primary key (signal_event_id, binding_id)
);
create index signal_binding_actions_binding on signal_binding_actions (binding_id, created_at desc, signal_event_id desc);
create index signal_binding_actions_pending on signal_binding_actions (attempted_at)
  where status = 'pending';
