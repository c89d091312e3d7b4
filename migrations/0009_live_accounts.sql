-- Live trading accounts: an exchange account linked through a stored credential. Its venue is
-- the CCXT exchange id ('binance'); orders placed on it go to that exchange, and its ledger is
-- seeded from, and kept in line with, the exchange's balances.
alter table trading_accounts drop constraint trading_accounts_venue_check;
alter table trading_accounts add constraint trading_accounts_venue_check
  check (venue ~ '^[a-z][a-z0-9]{0,31}$');

-- Deleting the credential leaves the account and its history; it can no longer trade.
alter table trading_accounts add column credential_id uuid references credentials (id) on delete set null;

-- Only paper accounts are default accounts, so the partial unique index on (user_id, venue)
-- where is_default keeps meaning one default paper account per user.
alter table trading_accounts add constraint trading_accounts_default_is_paper
  check (not is_default or venue = 'paper');

-- One account per credential: two accounts on one exchange account would count its balance twice.
create unique index trading_accounts_credential on trading_accounts (credential_id)
  where credential_id is not null;

-- The health of each live account's connection, written by the process that runs the venues,
-- so that every process can show it.
create table live_connections (
  account_id uuid primary key references trading_accounts (id),
  status jsonb not null,
  updated_at timestamptz not null
);
