-- A replayed dead letter should reach its consumer as the event it was, so the embedded bus
-- keeps the event's key and timestamps beside the payload.
alter table dead_letters add column key text;
alter table dead_letters add column ts_event timestamptz;
alter table dead_letters add column ts_init timestamptz;

-- The relay's retention sweep deletes inbox rows by age; rows arrive in time order, so a BRIN
-- index serves that range scan at almost no cost to the hot insert path.
create index processed_events_processed_at on processed_events using brin (processed_at);
