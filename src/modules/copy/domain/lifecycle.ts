/**
 * Status changes of leaders and follows, as tables: a command that does not apply to the
 * current status is refused as a value, so a repeated or late command changes nothing.
 *
 * Leader: active ⇄ paused; either → stopped, which is final (a leader who comes back
 * publishes a new profile, and followers choose again).
 * Follow: active ⇄ paused; active or paused → drawdown_stopped (by the stop, not by a
 * person); anything not ended → ended. A drawdown stop is not resumed: the loss it measured
 * would stop the follow again at once, so the follower starts a new follow instead.
 */
import type { FollowStatus, LeaderStatus } from './types.js';

export type LeaderCommand = 'pause' | 'resume' | 'stop';
export type FollowCommand = 'pause' | 'resume' | 'drawdown_stop' | 'end';

export type Transition<S> =
  { ok: true; status: S } | { ok: false; code: 'invalid_transition'; message: string };

const LEADER: Readonly<Record<LeaderStatus, Partial<Record<LeaderCommand, LeaderStatus>>>> = {
  active: { pause: 'paused', stop: 'stopped' },
  paused: { resume: 'active', stop: 'stopped' },
  stopped: {},
};

const FOLLOW: Readonly<Record<FollowStatus, Partial<Record<FollowCommand, FollowStatus>>>> = {
  active: { pause: 'paused', drawdown_stop: 'drawdown_stopped', end: 'ended' },
  paused: { resume: 'active', drawdown_stop: 'drawdown_stopped', end: 'ended' },
  drawdown_stopped: { end: 'ended' },
  ended: {},
};

function step<S extends string, C extends string>(
  table: Readonly<Record<S, Partial<Record<C, S>>>>,
  what: string,
  status: S,
  command: C,
): Transition<S> {
  const next = table[status][command];
  if (next !== undefined) return { ok: true, status: next };
  const state = status.replace('_', ' ');
  return {
    ok: false,
    code: 'invalid_transition',
    message: `${/^[aeiou]/.test(state) ? 'an' : 'a'} ${state} ${what} cannot ${command.replace('_', ' ')}`,
  };
}

export const leaderTransition = (status: LeaderStatus, command: LeaderCommand) =>
  step(LEADER, 'leader', status, command);

export const followTransition = (status: FollowStatus, command: FollowCommand) =>
  step(FOLLOW, 'follow', status, command);
