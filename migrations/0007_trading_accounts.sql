-- Loss in the quote currency at which an account's opening orders stop for the rest of the UTC
-- day; null keeps the default (no limit). The check mirrors the API's, for writes that bypass it.
alter table risk_limits add column max_daily_loss numeric check (max_daily_loss > 0);

-- Each account's equity over time, one row per snapshot interval, written by the process that
-- runs the paper venue: balances marked at the venue's last prices. Amounts are exact and in
-- `currency` (the valuation currency); equity = cash + positions_value, and
-- equity − net_contributions = realized_pnl + unrealized_pnl, so returns can tell money paid
-- in from money made. `complete` is false when a held currency had no price, its value then
-- being left out.
create table equity_snapshots (
  account_id uuid not null references trading_accounts (id),
  ts timestamptz not null,
  currency text not null,
  equity numeric not null,
  cash numeric not null,
  positions_value numeric not null,
  realized_pnl numeric not null,
  unrealized_pnl numeric not null,
  net_contributions numeric not null,
  complete boolean not null,
  primary key (account_id, ts)
);
