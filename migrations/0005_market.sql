-- What each venue trades and the rules every order on it must satisfy. Amounts are exact;
-- fee rates are fractions (0.001 = 0.1 %). Seeded from the configured catalogue on start.
create table instruments (
  venue text not null,
  symbol text not null,
  base text not null,
  quote text not null,
  tick_size numeric not null check (tick_size > 0),
  lot_size numeric not null check (lot_size > 0),
  min_quantity numeric not null,
  max_quantity numeric not null,
  min_notional numeric not null,
  maker_fee numeric not null,
  taker_fee numeric not null,
  price_precision integer not null,
  quantity_precision integer not null,
  active boolean not null default true,
  updated_at timestamptz not null default now(),
  primary key (venue, symbol)
);

-- Closed candles only: a running candle lives in memory until its period ends, so a stored
-- row never changes once written (a replay of the same file writes the same values again).
-- No foreign key to instruments: history stays readable after an instrument is delisted.
-- The primary key serves both history ranges and "latest candle per series" on start.
create table candles (
  venue text not null,
  symbol text not null,
  timeframe text not null check (timeframe in ('1m', '5m', '15m', '1h', '4h', '1d')),
  open_time timestamptz not null,
  open numeric not null,
  high numeric not null,
  low numeric not null,
  close numeric not null,
  volume numeric not null,
  quote_volume numeric not null,
  trades integer not null,
  primary key (venue, symbol, timeframe, open_time)
);
