import { describe, expect, it } from 'vitest';
import { statusOf, timelineOf } from './timeline.js';

const T = Date.UTC(2025, 0, 6, 12);

describe('timelineOf', () => {
  it('starts at reception and times each step from the one before', () => {
    const entries = timelineOf({ sentAt: T - 40, receivedAt: T }, [
      { stage: 'enriched', at: T + 12, workMs: 0.4567, detail: { quality: [] } },
      { stage: 'evaluated', at: T + 20, workMs: 3, detail: null },
      { stage: 'published', at: T + 20, workMs: null, detail: null },
    ]);
    expect(entries).toEqual([
      { stage: 'received', at: new Date(T).toISOString(), durationMs: 40 },
      {
        stage: 'enriched',
        at: new Date(T + 12).toISOString(),
        durationMs: 12,
        workMs: 0.457,
        detail: { quality: [] },
      },
      { stage: 'evaluated', at: new Date(T + 20).toISOString(), durationMs: 8, workMs: 3 },
      { stage: 'published', at: new Date(T + 20).toISOString(), durationMs: 0 },
    ]);
  });
});

describe('statusOf', () => {
  it('shows a failing stage over the progress made, dead-lettered once retries are spent', () => {
    expect(statusOf({ progress: 'enriched', failureStage: null, deadLettered: false })).toBe(
      'enriched',
    );
    expect(statusOf({ progress: 'pending', failureStage: 'enrich', deadLettered: false })).toBe(
      'failed',
    );
    expect(statusOf({ progress: 'pending', failureStage: 'enrich', deadLettered: true })).toBe(
      'dead_lettered',
    );
  });
});
