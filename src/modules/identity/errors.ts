import { AppError } from '../../core/errors.js';

export const invalidCredentials = () =>
  new AppError('unauthenticated', 'invalid_credentials', 'Email or password is incorrect.');
export const accountDisabled = () =>
  new AppError('forbidden', 'account_disabled', 'This account is disabled.');
export const missingAuth = () =>
  new AppError(
    'unauthenticated',
    'authentication_required',
    'Send an access token (Authorization: Bearer …) or an API key (X-API-Key).',
  );
export const tokenInvalid = (why: string) =>
  new AppError('unauthenticated', 'invalid_token', `The access token is invalid: ${why}.`);
export const tokenExpired = () =>
  new AppError('unauthenticated', 'token_expired', 'The access token has expired; refresh it.');
export const sessionEnded = () =>
  new AppError('unauthenticated', 'session_revoked', 'This session has ended; log in again.');
export const apiKeyInvalid = (code: string, why: string) =>
  new AppError('unauthenticated', code, why);
export const refreshInvalid = () =>
  new AppError('unauthenticated', 'invalid_refresh_token', 'The refresh token is not recognised.');
export const refreshExpired = () =>
  new AppError(
    'unauthenticated',
    'refresh_token_expired',
    'The refresh token has expired; log in again.',
  );
export const refreshRevoked = () =>
  new AppError('unauthenticated', 'refresh_token_revoked', 'This session has ended; log in again.');
export const refreshReused = () =>
  new AppError(
    'unauthenticated',
    'refresh_token_reused',
    'This refresh token was already used. The session has been ended for safety; log in again.',
  );
export const insufficientScope = (scope: string) =>
  new AppError('forbidden', 'insufficient_scope', `This API key lacks the "${scope}" scope.`);
export const sessionRequired = () =>
  new AppError(
    'forbidden',
    'session_required',
    'This action needs a logged-in session; API keys cannot perform it.',
  );
export const insufficientRole = (roles: string[]) =>
  new AppError(
    'forbidden',
    'insufficient_role',
    `This action needs the role ${roles.join(' or ')}.`,
  );
export const emailTaken = () =>
  new AppError('conflict', 'email_taken', 'An account with this email already exists.', {
    fields: [{ field: '/email', message: 'is already registered' }],
  });
export const tooManyLogins = (retryAfter: number) =>
  new AppError(
    'rate_limited',
    'too_many_failed_logins',
    `Too many failed logins; try again in ${retryAfter} s.`,
    { retryAfter },
  );
