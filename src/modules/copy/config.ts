import { int, type ConfigOf } from '../../platform/config/index.js';
import { DEFAULT_MAX_LEADERS, WEEK_MS } from './domain/index.js';

/** Copy trading's fragment of the configuration. */
export const copyConfig = {
  copyMaxLeaders: int('COPY_MAX_LEADERS', {
    doc: 'Leaders one user may follow at a time',
    default: DEFAULT_MAX_LEADERS,
    min: 1,
    max: 1000,
  }),
  copyFeePeriodMs: int('COPY_FEE_PERIOD_MS', {
    doc: 'Period of the performance-fee settlement, counted from Monday 00:00 UTC (default weekly); fees are also settled when a follow ends. Taken by the process that runs the paper venue',
    default: WEEK_MS,
    min: 60_000,
    max: 366 * 86_400_000,
  }),
  copyFanoutChunk: int('COPY_FANOUT_CHUNK', {
    doc: 'Follows planned, placed and recorded together while one leader fill is fanned out (the first chunk is smaller, so the first copy leaves at once)',
    default: 1024,
    min: 1,
    max: 100_000,
  }),
  copyRecoveryMs: int('COPY_RECOVERY_MS', {
    doc: 'A fan-out that has made no progress for this long (its process died) is finished by the process that runs the paper venue',
    default: 5000,
    min: 100,
    max: 3_600_000,
  }),
  copyDrawdownCheckMs: int('COPY_DRAWDOWN_CHECK_MS', {
    doc: 'How often every drawdown stop is checked against the last prices, beside the check made on each copied fill',
    default: 60_000,
    min: 100,
    max: 86_400_000,
  }),
  copyLeaderboardCacheMs: int('COPY_LEADERBOARD_CACHE_MS', {
    doc: 'How long a computed leaderboard is served before it is computed again from the equity snapshots',
    default: 30_000,
    min: 0,
    max: 86_400_000,
  }),
  copyDirectoryRefreshMs: int('COPY_DIRECTORY_REFRESH_MS', {
    doc: 'How often each process rereads which accounts are copied, besides when told of a change',
    default: 5000,
    min: 100,
    max: 3_600_000,
  }),
};

export type CopyConfig = ConfigOf<typeof copyConfig>;
