-- Transactional outbox: a module writes its state and the events it causes in one transaction;
-- the relay publishes rows after commit and stamps published_at.
create table outbox (
  id bigserial primary key,
  event_id uuid not null unique,
  topic text not null,
  type text not null,
  key text,
  payload jsonb not null,
  ts_event timestamptz not null,
  ts_init timestamptz not null default now(),
  published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
create index outbox_published_at on outbox (published_at) where published_at is not null;

-- Inbox of idempotent consumers: a row per (consumer, event) written in the same transaction as
-- the consumer's effects, so a redelivered event is recognised and skipped.
create table processed_events (
  consumer text not null,
  event_id uuid not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

-- Dead letters of the embedded bus (the distributed bus keeps them in a Redis stream).
create table dead_letters (
  id uuid primary key,
  consumer text not null,
  topic text not null,
  event_id uuid not null,
  type text not null,
  payload jsonb not null,
  error text not null,
  attempts integer not null,
  failed_at timestamptz not null default now(),
  replayed_at timestamptz
);
create index dead_letters_pending on dead_letters (failed_at) where replayed_at is null;
