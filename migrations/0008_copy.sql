-- Copy trading (src/modules/copy). Amounts are exact and in the follow currency (the follower
-- account's valuation currency); every percentage is a percent ("0.5" = 0.5 %).

-- A trader's public profile. One live (not stopped) profile per user; stopping is final, and
-- the exits of a stopped leader are still copied until each follower leaves.
create table leaders (
  id uuid primary key,
  user_id uuid not null references users (id),
  status text not null check (status in ('active', 'paused', 'stopped')),
  display_name text not null,
  description text,
  payout_account_id uuid not null references trading_accounts (id),
  performance_fee_pct numeric not null check (performance_fee_pct >= 0 and performance_fee_pct <= 50),
  subscription_amount numeric check (subscription_amount > 0),
  subscription_period_ms bigint check (subscription_period_ms > 0),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create unique index leaders_live_user on leaders (user_id) where status <> 'stopped';

-- The accounts whose fills a leader's followers copy.
create table leader_accounts (
  leader_id uuid not null references leaders (id),
  account_id uuid not null references trading_accounts (id),
  primary key (leader_id, account_id)
);
create index leader_accounts_account on leader_accounts (account_id);

-- One follower account copying one leader. Settings are columns (the planner reads every one
-- for every fill); the fee terms are those the follower accepted, copied from the leader when
-- the follow began, so a leader raising fees changes nothing for existing followers.
create table follows (
  id uuid primary key,
  leader_id uuid not null references leaders (id),
  follower_user_id uuid not null references users (id),
  account_id uuid not null references trading_accounts (id),
  venue text not null,
  currency text not null,
  status text not null check (status in ('active', 'paused', 'drawdown_stopped', 'ended')),
  mode text not null check (mode in ('fixed_ratio', 'proportional', 'fixed_amount', 'equity_cap')),
  ratio numeric,
  amount_per_trade numeric,
  equity_cap_pct numeric,
  allocated_amount numeric not null check (allocated_amount > 0),
  max_order_notional numeric,
  max_open_positions integer,
  drawdown_stop_pct numeric,
  close_on_drawdown_stop boolean not null default false,
  allow_symbols jsonb not null default '[]',
  deny_symbols jsonb not null default '[]',
  max_slippage_pct numeric,
  copy_mode text not null check (copy_mode in ('both', 'opens_only', 'closes_only')),
  performance_fee_pct numeric not null default 0,
  subscription_amount numeric,
  subscription_period_ms bigint,
  -- Fee state: the high-water mark of cumulative realized PnL already charged, and the time up
  -- to which the subscription is paid; `fees_settled_at` is the last scheduled settlement.
  fee_high_water_mark numeric not null default 0,
  fee_performance_charged numeric not null default 0,
  fee_performance_settlements integer not null default 0,
  fee_subscription_paid_through timestamptz not null,
  fee_subscription_charged numeric not null default 0,
  fee_subscription_settlements integer not null default 0,
  fees_settled_at timestamptz,
  close_on_end boolean not null default false,
  started_at timestamptz not null,
  ended_at timestamptz,
  final_settled_at timestamptz,
  updated_at timestamptz not null
);
create unique index follows_live on follows (leader_id, account_id) where status <> 'ended';
create index follows_leader on follows (leader_id, id) where status <> 'ended';
create index follows_user on follows (follower_user_id, started_at desc);
create index follows_unsettled on follows (ended_at) where status = 'ended' and final_settled_at is null;

-- What a follow holds through its copies, per instrument, by weighted average cost as the
-- portfolio keeps positions: closes are sized against it, and allocation, the drawdown stop and
-- the performance fee are measured on its PnL.
create table copy_positions (
  follow_id uuid not null references follows (id),
  symbol text not null,
  quantity numeric not null,
  cost numeric not null,
  realized_pnl numeric not null,
  fees numeric not null,
  updated_at timestamptz not null,
  primary key (follow_id, symbol)
);

-- A leader fill to fan out, with the leader's position before it, written in the transaction
-- that records its event as consumed. `completed_at` is set once every follow has its
-- copy_trades row, so a fan-out a crash cut short is found and finished.
create table copy_fanouts (
  leader_fill_id text not null,
  leader_id uuid not null references leaders (id),
  leader_account_id uuid not null,
  venue text not null,
  symbol text not null,
  side text not null check (side in ('buy', 'sell')),
  price numeric not null,
  quantity numeric not null,
  fill_ts timestamptz not null,
  position_before numeric not null,
  leader_equity numeric,
  created_at timestamptz not null default now(),
  progress_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (leader_fill_id, leader_id)
);
create index copy_fanouts_open on copy_fanouts (progress_at) where completed_at is null;

-- What became of each (leader fill, follow): copied (an order that filled), skipped (with the
-- planner's reason) or failed (an order the venue refused or that did not fill). Closes the
-- platform makes on its own (drawdown stop, unfollow) are rows too, without a leader fill.
create table copy_trades (
  id uuid primary key,
  follow_id uuid not null references follows (id),
  leader_id uuid not null,
  kind text not null check (kind in ('copy', 'drawdown_close', 'unfollow_close')),
  leader_fill_id text,
  action text not null check (action in ('open', 'close')),
  symbol text not null,
  side text not null check (side in ('buy', 'sell')),
  leader_price numeric,
  leader_quantity numeric,
  leader_ts timestamptz,
  status text not null check (status in ('copied', 'skipped', 'failed')),
  reason text,
  message text,
  capped_by text,
  target_quantity numeric,
  client_order_id text,
  order_id uuid,
  quantity numeric,
  limit_price numeric,
  filled_quantity numeric,
  average_price numeric,
  fees numeric,
  slippage_pct numeric,
  latency_ms integer,
  created_at timestamptz not null
);
create unique index copy_trades_fill on copy_trades (leader_fill_id, follow_id);
create unique index copy_trades_order on copy_trades (follow_id, client_order_id)
  where client_order_id is not null;
create index copy_trades_follow on copy_trades (follow_id, created_at desc, id desc);

-- Fees charged: one row per ledger transfer from the follower to the leader.
create table fee_settlements (
  id text primary key,
  follow_id uuid not null references follows (id),
  leader_id uuid not null references leaders (id),
  kind text not null check (kind in ('performance', 'subscription')),
  currency text not null,
  amount numeric not null check (amount > 0),
  from_account_id uuid not null,
  to_account_id uuid not null,
  cumulative_pnl numeric,
  high_water_mark numeric,
  paid_through timestamptz,
  final boolean not null,
  settled_at timestamptz not null
);
create index fee_settlements_follow on fee_settlements (follow_id, settled_at desc);
create index fee_settlements_leader on fee_settlements (leader_id, settled_at desc);
