import { AppError } from '../../core/errors.js';

export const unknownInstrument = (
  venue: string,
  symbol: string,
  field: string,
  known: readonly string[],
) =>
  new AppError(
    'not_found',
    'unknown_instrument',
    `No instrument "${symbol}" on venue "${venue}"${known.length ? ` (listed: ${known.join(', ')})` : ''}.`,
    { fields: [{ field, message: `is not an instrument of venue ${venue}` }] },
  );

export const unknownVenue = (venue: string, field: string, known: readonly string[]) =>
  new AppError(
    'not_found',
    'unknown_venue',
    `No venue "${venue}" (known: ${known.join(', ') || 'none'}).`,
    { fields: [{ field, message: 'is not a known venue' }] },
  );

/** A known instrument with nothing seen yet: no trade for a ticker, no quote for a book. */
export const noMarketData = (code: 'no_ticker' | 'no_book_top', venue: string, symbol: string) =>
  new AppError(
    'not_found',
    code,
    code === 'no_ticker'
      ? `${symbol} on ${venue} has not traded yet.`
      : `No best bid and ask has been seen for ${symbol} on ${venue} yet.`,
  );
