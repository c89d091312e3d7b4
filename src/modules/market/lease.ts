import type { Database } from '../../platform/db/index.js';
import { AdvisoryLease as Advisory } from '../../platform/lease.js';
import type { Logger } from '../../platform/logging/logger.js';

export { SoleLease, type Lead, type Lease as SourceLease } from '../../platform/lease.js';

/** Advisory lock key of the market source: 'obscuMKT' as an int8 (the migrator uses another). */
const LOCK_KEY = '8026104356934601556';

/** The market source's lease on PostgreSQL: the next leader resumes after the last stored candle. */
export class AdvisoryLease extends Advisory {
  constructor(
    database: Database,
    logger: Logger,
    opts: { retryMs?: number; checkMs?: number } = {},
  ) {
    super(database, logger, { ...opts, key: LOCK_KEY, name: 'market source', at: 'market#lease' });
  }
}
