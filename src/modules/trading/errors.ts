import { AppError } from '../../core/errors.js';

export const orderNotFound = () =>
  new AppError('not_found', 'order_not_found', 'No such order on your accounts.');
export const accountNotFound = () =>
  new AppError('not_found', 'account_not_found', 'No such trading account of yours.', {
    fields: [{ field: '/accountId', message: 'is not one of your accounts' }],
  });
export const clientOrderIdReused = (clientOrderId: string) =>
  new AppError(
    'conflict',
    'client_order_id_reused',
    `clientOrderId ${clientOrderId} was already used for a different order; use a new id, or resend the same body to get the existing order`,
    { fields: [{ field: '/clientOrderId', message: 'already used with a different body' }] },
  );
export const orderNotOpen = (message: string) =>
  new AppError('conflict', 'order_not_open', message);
export const amendRefused = (code: string, message: string, field: string) =>
  new AppError('validation', code, message, {
    fields: [{ field, message: `${code}: ${message}` }],
  });
export const insufficientBalance = (message: string) =>
  new AppError('conflict', 'insufficient_balance', message);
export const venueUnavailable = () =>
  new AppError(
    'unavailable',
    'venue_unavailable',
    'The paper venue runs in the process that serves every role (--role all); this process cannot place, cancel or amend orders.',
  );
export const credentialNotFound = () =>
  new AppError('not_found', 'credential_not_found', 'No such exchange credential of yours.', {
    fields: [{ field: '/credentialId', message: 'is not one of your credentials' }],
  });
export const credentialLinked = (accountId: string) =>
  new AppError(
    'conflict',
    'credential_already_linked',
    `This credential is already linked to trading account ${accountId}.`,
    { fields: [{ field: '/credentialId', message: 'is already linked' }] },
  );
/** The exchange or the permission policy refused the key the credential holds. */
export const credentialRefused = (code: string, message: string) =>
  new AppError('validation', code, message, {
    fields: [{ field: '/credentialId', message: code }],
  });
export const exchangeDisconnected = () =>
  new AppError(
    'conflict',
    'exchange_disconnected',
    'The exchange credential of this account was deleted; link a new one to trade.',
  );
export const liveAccountNotBatched = () =>
  new AppError(
    'validation',
    'live_account_not_batched',
    'Orders on an exchange account are placed one at a time (POST /api/v1/trading/execute), not in a batch.',
    { fields: [{ field: '/accountId', message: 'is an exchange account' }] },
  );
