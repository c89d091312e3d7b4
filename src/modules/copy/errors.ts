import { AppError, type ErrorKind } from '../../core/errors.js';
import type { FollowFieldError, FollowValidationCode } from './domain/index.js';

export const leaderNotFound = () =>
  new AppError('not_found', 'leader_not_found', 'No such leader.', {
    fields: [{ field: '/leaderId', message: 'unknown_leader: no such leader' }],
  });
export const notALeader = () =>
  new AppError('not_found', 'not_a_leader', 'You have no leader profile; create one first.');
export const alreadyLeader = () =>
  new AppError(
    'conflict',
    'already_leader',
    'You already have a leader profile; change it, or stop it before creating another.',
  );
export const followNotFound = () =>
  new AppError('not_found', 'follow_not_found', 'No such follow of yours.');
export const invalidTransition = (message: string) =>
  new AppError('conflict', 'invalid_transition', message);

/** Field errors of a leader profile, with the same shape as follow validation's. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/**
 * One problem for a request's field errors, its status chosen by what is wrong: an unknown
 * leader is a 404, someone else's account a 403, a malformed value a 400, and a state that
 * forbids the change (a paused leader, an existing follow, the leader limit) a 409. Every
 * error is listed, each naming its field (`/ratio`, `/allow/0`) with its code.
 */
export function fieldsProblem(errors: readonly FieldProblem[], summaryCode: string): AppError {
  const kindOf = (code: string): ErrorKind =>
    code === 'unknown_leader'
      ? 'not_found'
      : code === 'account_not_owned'
        ? 'forbidden'
        : CONFLICTS.has(code)
          ? 'conflict'
          : 'validation';
  const kinds = errors.map((e) => kindOf(e.code));
  const kind: ErrorKind = (['not_found', 'forbidden', 'validation', 'conflict'] as const).find(
    (k) => kinds.includes(k),
  )!;
  const first = errors.find((e) => kindOf(e.code) === kind)!;
  return new AppError(
    kind,
    errors.length === 1 ? first.code : summaryCode,
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    {
      fields: errors.map((e) => ({
        field: `/${e.field.replace(/^\//, '')}`,
        message: `${e.code}: ${e.message}`,
      })),
    },
  );
}

const CONFLICTS: ReadonlySet<FollowValidationCode | string> = new Set([
  'leader_paused',
  'leader_stopped',
  'already_following',
  'too_many_leaders',
  'account_already_led',
]);

export const followProblem = (errors: readonly FollowFieldError[]) =>
  fieldsProblem(errors, 'invalid_follow');
