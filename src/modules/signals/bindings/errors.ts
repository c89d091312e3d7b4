import { AppError } from '../../../core/errors.js';
import type { FieldProblem } from './rules.js';

export const bindingNotFound = () =>
  new AppError('not_found', 'binding_not_found', 'No such signal binding of yours.');

export const accountNotFound = () =>
  new AppError('not_found', 'account_not_found', 'No such trading account.', {
    fields: [{ field: '/accountId', message: 'account_not_found: no such account' }],
  });

export const accountNotOwned = () =>
  new AppError(
    'forbidden',
    'account_not_owned',
    'A signal binding can only trade an account you own.',
    { fields: [{ field: '/accountId', message: 'account_not_owned: is not your account' }] },
  );

export const bindingExists = (id: string) =>
  new AppError(
    'conflict',
    'binding_exists',
    `This source is already bound to this account (binding ${id}); change that binding instead.`,
    { fields: [{ field: '/accountId', message: 'binding_exists: already bound to this source' }] },
  );

export const tooManyBindings = (max: number) =>
  new AppError(
    'conflict',
    'too_many_bindings',
    `You have ${max} signal bindings, the most allowed; delete one first.`,
  );

/** One 400 naming every field that is wrong (`/rules/maxOrderNotional`), each with its code. */
export function rulesProblem(errors: readonly FieldProblem[]): AppError {
  const first = errors[0]!;
  return new AppError(
    'validation',
    errors.length === 1 ? first.code : 'invalid_rules',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    {
      fields: errors.map((e) => ({
        field: `/${e.field.replace(/^\//, '')}`,
        message: `${e.code}: ${e.message}`,
      })),
    },
  );
}
