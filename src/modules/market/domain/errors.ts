import { AppError } from '../../../core/errors.js';

/**
 * A line of a market-data file that cannot be trusted. It carries the line number and the
 * column so that an operator can fix the file, and is a validation error at the HTTP edge.
 */
export class CsvLineError extends AppError {
  constructor(
    readonly line: number,
    readonly column: string | undefined,
    readonly reason: string,
    readonly text: string,
  ) {
    const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
    super('validation', 'csv_invalid_line', `${where}: ${reason}`, {
      fields: [
        { field: `/line/${line}${column === undefined ? '' : `/${column}`}`, message: reason },
      ],
    });
    this.name = 'CsvLineError';
  }
}

/** A replay source that went back in time: a broken input invariant, not a recoverable state. */
export class OutOfOrderError extends AppError {
  constructor(
    readonly previousTs: number,
    readonly ts: number,
  ) {
    super(
      'validation',
      'events_out_of_order',
      `event at ${ts} comes after an event at ${previousTs}`,
    );
    this.name = 'OutOfOrderError';
  }
}
