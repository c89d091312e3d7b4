import { AppError } from '../../core/errors.js';
import type { SignalFieldError } from './domain/validate.js';

/**
 * One 400 for every field problem of a submission, each naming its field (`/sentAt`) with its
 * code; the problem's code is the field's when there is one, `invalid_signal` when several.
 */
export function signalProblem(errors: readonly SignalFieldError[]): AppError {
  const first = errors[0]!;
  return new AppError(
    'validation',
    errors.length === 1 ? first.code : 'invalid_signal',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    { fields: errors.map((e) => ({ field: e.field, message: `${e.code}: ${e.message}` })) },
  );
}

export const signalNotFound = () =>
  new AppError('not_found', 'signal_not_found', 'No such signal of yours.');

export const sourceNotFound = (name: string) =>
  new AppError('not_found', 'source_not_found', `You have no signal source named "${name}".`);

export const invalidSourceName = () =>
  new AppError(
    'validation',
    'invalid_source',
    'A source name is 1–64 letters, digits or . _ : - (starting with a letter or digit).',
    { fields: [{ field: 'params:/name', message: 'invalid_source: not a valid source name' }] },
  );

/** The same answer whether the source exists or not, so the webhook reveals nothing. */
export const webhookRefused = () =>
  new AppError(
    'unauthenticated',
    'invalid_webhook_secret',
    'The webhook secret is missing or wrong, or this webhook does not exist.',
  );

export const webhookBodyInvalid = () =>
  new AppError('validation', 'invalid_alert', 'The alert body must be a JSON object.', {
    fields: [{ field: '/', message: 'must be a JSON object' }],
  });

export const signalsRateLimited = (
  limit: { perMinute: number; burst: number },
  retryAfter: number,
) =>
  new AppError(
    'rate_limited',
    'rate_limited',
    `Signal rate limit of ${limit.perMinute} a minute (bursts of ${limit.burst}) exceeded; retry in ${retryAfter} s.`,
    { retryAfter },
  );

export const notPersisted = () =>
  new AppError(
    'unavailable',
    'signal_not_stored',
    'The signal could not be stored; nothing was accepted. Retry shortly.',
  );
