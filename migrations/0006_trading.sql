-- Trading accounts. Each user gets one default paper account; other venues and extra accounts
-- (bots, assessments) add rows later. `journal_seq` counts ledger entries written for the
-- account, so a process that caches the account's balances can tell when another wrote.
create table trading_accounts (
  id uuid primary key,
  user_id uuid not null references users (id),
  venue text not null check (venue in ('paper')),
  name text not null,
  is_default boolean not null default false,
  trading_state text not null default 'active' check (trading_state in ('active', 'reducing', 'halted')),
  journal_seq bigint not null default 0,
  created_at timestamptz not null default now()
);
create unique index trading_accounts_default on trading_accounts (user_id, venue) where is_default;
create index trading_accounts_user on trading_accounts (user_id);

-- Orders keep every field of the domain `Order`; `version` grows with each transition.
-- `request_hash` is the hash of the placement body, so reusing a client order id with another
-- body is told apart from a retry. `hold_*` is what the ledger still reserves for the order,
-- so balances rebuild with their holds after a restart.
create table orders (
  id uuid primary key,
  account_id uuid not null references trading_accounts (id),
  client_order_id text not null,
  request_hash text not null,
  venue text not null,
  symbol text not null,
  side text not null check (side in ('buy', 'sell')),
  type text not null check (type in ('market', 'limit', 'stop_market', 'stop_limit')),
  time_in_force text not null check (time_in_force in ('GTC', 'IOC', 'FOK')),
  post_only boolean not null,
  reduce_only boolean not null,
  quantity numeric not null check (quantity > 0),
  price numeric,
  stop_price numeric,
  status text not null,
  filled_quantity numeric not null default 0,
  filled_notional numeric not null default 0,
  average_price numeric not null default 0,
  fees numeric not null default 0,
  reason text,
  reason_message text,
  triggered_at timestamptz,
  hold_currency text,
  hold_remaining numeric not null default 0,
  version integer not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create unique index orders_client_id on orders (account_id, client_order_id);
create index orders_account on orders (account_id, id desc);
create index orders_open on orders (venue, status)
  where status in ('accepted', 'partially_filled', 'pending_trigger');

create table fills (
  id text primary key,
  order_id uuid not null references orders (id),
  account_id uuid not null references trading_accounts (id),
  venue text not null,
  symbol text not null,
  side text not null check (side in ('buy', 'sell')),
  price numeric not null check (price > 0),
  quantity numeric not null check (quantity > 0),
  fee numeric not null check (fee >= 0),
  fee_currency text not null,
  liquidity text not null check (liquidity in ('maker', 'taker')),
  ts timestamptz not null
);
create index fills_account on fills (account_id, ts desc);
create index fills_order on fills (order_id);

-- The ledger journal: every applied transaction in order, with its balanced postings for
-- audit. Balances and positions are not stored: they are rebuilt by replaying this journal
-- (fills through the portfolio, so positions and PnL come back too). `id` is the ledger's
-- idempotency key (the fill id, or `paper-funding:<account>`), so nothing posts twice.
create table ledger_entries (
  seq bigserial primary key,
  id text not null unique,
  account_id uuid not null references trading_accounts (id),
  kind text not null,
  reference text,
  fill_id text references fills (id),
  currency text,
  amount numeric,
  postings jsonb not null,
  ts timestamptz not null
);
create index ledger_entries_account on ledger_entries (account_id, seq);

-- Per-account overrides of the configured risk limits; a null column keeps the default.
create table risk_limits (
  account_id uuid primary key references trading_accounts (id),
  max_order_notional numeric,
  max_position numeric,
  max_open_orders integer,
  price_band_pct numeric,
  updated_at timestamptz not null default now()
);
