import { Decimal } from '../../../core/decimal.js';
import { assertValidInstrument, makeInstrument, type Instrument } from './instrument.js';

/** The simulated venue: synthetic or replayed data, paper matching. */
export const PAPER_VENUE = 'paper';

/**
 * An instrument as the synthetic market models it. The model parameters are floats because
 * they describe a random process, not amounts of money.
 */
export interface SyntheticInstrument {
  readonly instrument: Instrument;
  /** Mid price at the start of the simulation (rounded to the tick when quoted). */
  readonly startPrice: Decimal;
  /** Standard deviation of daily log returns in an average regime (0.03 ≈ 57 % a year). */
  readonly dailyVolatility: number;
  /** Typical quoted spread in basis points of the price (never less than one tick). */
  readonly spreadBps: number;
  /** Scale of trade sizes in quote currency; sizes follow a Pareto tail above it. */
  readonly tradeNotional: number;
  /** Overrides of the market-wide event rates for this instrument. */
  readonly tradesPerSecond?: number;
  readonly bookTopsPerSecond?: number;
}

interface Row {
  symbol: string;
  tickSize: string;
  lotSize: string;
  maxQuantity: string;
  startPrice: string;
  dailyVolatility: number;
  spreadBps: number;
  tradeNotional: number;
}

// Tick and lot sizes as Binance spot lists them; prices roughly where these markets traded
// in early 2026; volatilities near their realized one-year levels.
const ROWS: readonly Row[] = [
  {
    symbol: 'BTC/USDT',
    tickSize: '0.01',
    lotSize: '0.00001',
    maxQuantity: '9000',
    startPrice: '97000.00',
    dailyVolatility: 0.03,
    spreadBps: 0.001,
    tradeNotional: 60,
  },
  {
    symbol: 'ETH/USDT',
    tickSize: '0.01',
    lotSize: '0.0001',
    maxQuantity: '9000',
    startPrice: '3400.00',
    dailyVolatility: 0.04,
    spreadBps: 0.05,
    tradeNotional: 40,
  },
  {
    symbol: 'SOL/USDT',
    tickSize: '0.01',
    lotSize: '0.001',
    maxQuantity: '90000',
    startPrice: '190.00',
    dailyVolatility: 0.055,
    spreadBps: 0.6,
    tradeNotional: 20,
  },
  {
    symbol: 'BNB/USDT',
    tickSize: '0.01',
    lotSize: '0.001',
    maxQuantity: '90000',
    startPrice: '650.00',
    dailyVolatility: 0.035,
    spreadBps: 0.3,
    tradeNotional: 15,
  },
  {
    symbol: 'XRP/USDT',
    tickSize: '0.0001',
    lotSize: '0.1',
    maxQuantity: '9000000',
    startPrice: '2.3000',
    dailyVolatility: 0.05,
    spreadBps: 0.5,
    tradeNotional: 15,
  },
];

/** Fees of a retail spot account: 0.1 % both ways. */
const FEES = { makerFee: '0.001', takerFee: '0.001' } as const;
const MIN_NOTIONAL = '5';

/** The paper venue's default catalogue, validated. */
export function paperInstruments(venue = PAPER_VENUE): Instrument[] {
  return ROWS.map((r) =>
    assertValidInstrument(
      makeInstrument({
        venue,
        symbol: r.symbol,
        tickSize: r.tickSize,
        lotSize: r.lotSize,
        maxQuantity: r.maxQuantity,
        minNotional: MIN_NOTIONAL,
        ...FEES,
      }),
    ),
  );
}

/** The default catalogue with the synthetic model's parameters, in catalogue order. */
export function defaultSyntheticInstruments(venue = PAPER_VENUE): SyntheticInstrument[] {
  const instruments = paperInstruments(venue);
  return ROWS.map((r, i) => ({
    instrument: instruments[i]!,
    startPrice: Decimal.parse(r.startPrice),
    dailyVolatility: r.dailyVolatility,
    spreadBps: r.spreadBps,
    tradeNotional: r.tradeNotional,
  }));
}
