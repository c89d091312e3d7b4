import { describe, expect, it } from 'vitest';
import {
  followTransition,
  leaderTransition,
  type FollowCommand,
  type LeaderCommand,
} from './lifecycle.js';
import type { FollowStatus, LeaderStatus } from './types.js';

const LEADER_COMMANDS: LeaderCommand[] = ['pause', 'resume', 'stop'];
const FOLLOW_COMMANDS: FollowCommand[] = ['pause', 'resume', 'drawdown_stop', 'end'];

const leaderTable = (from: LeaderStatus) =>
  LEADER_COMMANDS.map((c) => {
    const t = leaderTransition(from, c);
    return `${c}:${t.ok ? t.status : '-'}`;
  });
const followTable = (from: FollowStatus) =>
  FOLLOW_COMMANDS.map((c) => {
    const t = followTransition(from, c);
    return `${c}:${t.ok ? t.status : '-'}`;
  });

describe('leaderTransition', () => {
  it('pauses and resumes; stopping is final', () => {
    expect(leaderTable('active')).toEqual(['pause:paused', 'resume:-', 'stop:stopped']);
    expect(leaderTable('paused')).toEqual(['pause:-', 'resume:active', 'stop:stopped']);
    expect(leaderTable('stopped')).toEqual(['pause:-', 'resume:-', 'stop:-']);
  });

  it('refuses as a value with a readable message', () => {
    expect(leaderTransition('stopped', 'resume')).toEqual({
      ok: false,
      code: 'invalid_transition',
      message: 'a stopped leader cannot resume',
    });
  });
});

describe('followTransition', () => {
  it('pauses and resumes; a drawdown stop only ends; ended is final', () => {
    expect(followTable('active')).toEqual([
      'pause:paused',
      'resume:-',
      'drawdown_stop:drawdown_stopped',
      'end:ended',
    ]);
    expect(followTable('paused')).toEqual([
      'pause:-',
      'resume:active',
      'drawdown_stop:drawdown_stopped',
      'end:ended',
    ]);
    expect(followTable('drawdown_stopped')).toEqual([
      'pause:-',
      'resume:-',
      'drawdown_stop:-',
      'end:ended',
    ]);
    expect(followTable('ended')).toEqual(['pause:-', 'resume:-', 'drawdown_stop:-', 'end:-']);
    const t = followTransition('ended', 'drawdown_stop');
    expect(!t.ok && t.message).toBe('an ended follow cannot drawdown stop');
    const u = followTransition('drawdown_stopped', 'resume');
    expect(!u.ok && u.message).toBe('a drawdown stopped follow cannot resume');
  });
});
