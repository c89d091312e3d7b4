-- Foreign keys stay on the tables people configure (accounts, leaders, follows, sources,
-- bindings). They go from the append-only journals written on every order, copy and signal:
-- each check is a lookup with a row lock on the parent, about 4.5 µs of the server's CPU per
-- row here, and an order wrote five of them (order, fill and ledger entry). Every one of these
-- rows is written by its module's single writer in the same transaction as its parent, or
-- after it, and no parent row is ever deleted, so the checks could only catch a bug in that
-- writer; the property-based ledger tests and the fan-out crash tests check those writers.
alter table orders drop constraint orders_account_id_fkey;
alter table fills drop constraint fills_order_id_fkey;
alter table fills drop constraint fills_account_id_fkey;
alter table ledger_entries drop constraint ledger_entries_account_id_fkey;
alter table ledger_entries drop constraint ledger_entries_fill_id_fkey;
alter table copy_trades drop constraint copy_trades_follow_id_fkey;
alter table copy_positions drop constraint copy_positions_follow_id_fkey;
alter table signal_decisions drop constraint signal_decisions_signal_id_fkey;
alter table signal_timeline drop constraint signal_timeline_signal_id_fkey;
