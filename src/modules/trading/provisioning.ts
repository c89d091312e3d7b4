import type { Clock } from '../../core/clock.js';
import type { Decimal } from '../../core/decimal.js';
import { newId } from '../../core/ids.js';
import { topics } from '../../core/topics.js';
import type { ConsumerSpec, NewEvent } from '../../platform/bus/index.js';
import type { Tx } from '../../platform/db/index.js';
import { depositsAccount, userAccount } from './domain/ledger-accounts.js';
import * as S from './store.js';
import { PAPER } from './venue.js';

const FUNDING_CURRENCY = 'USDT';

/**
 * Opens the user's default paper account and funds it with the demo balance. Safe to repeat:
 * the partial unique index allows one default account per user and venue, and the deposit's
 * ledger id is derived from the account, so however often this runs the money arrives once.
 * Returns the events to record, empty when the account already existed.
 */
export async function provisionPaperAccount(
  tx: Tx,
  userId: string,
  amount: Decimal,
  clock: Clock,
): Promise<NewEvent[]> {
  const id = newId();
  const opened = await S.insertDefaultAccount(tx, { id, userId, venue: PAPER, now: clock.date() });
  if (!opened) return [];
  const ts = clock.now();
  const depositId = `paper-funding:${id}`;
  await S.insertLedgerEntry(tx, {
    id: depositId,
    accountId: id,
    kind: 'deposit',
    reference: 'paper-funding',
    currency: FUNDING_CURRENCY,
    amount,
    postings: [
      { ledgerAccount: userAccount(id, FUNDING_CURRENCY), currency: FUNDING_CURRENCY, amount },
      {
        ledgerAccount: depositsAccount(FUNDING_CURRENCY),
        currency: FUNDING_CURRENCY,
        amount: amount.neg(),
      },
    ],
    ts,
  });
  await S.bumpJournal(tx, id);
  return [
    {
      topic: topics.tradingAccounts,
      type: 'AccountOpened',
      key: id,
      payload: { accountId: id, userId, venue: PAPER },
    },
    {
      topic: topics.tradingAccounts,
      type: 'FundsDeposited',
      key: id,
      payload: { accountId: id, userId, currency: FUNDING_CURRENCY, amount, depositId },
    },
  ];
}

/**
 * Funds every new user's paper account, once, whatever the delivery count. Its events go through
 * the consumer transaction's `emit`, so the relay is handed them at commit.
 */
export function paperAccountConsumer(deps: { amount: Decimal; clock: Clock }): ConsumerSpec {
  return {
    name: 'trading.paper-accounts',
    topics: [topics.identityUsers],
    async handle(event, tx, emit) {
      if (event.type !== 'UserRegistered') return;
      const { userId } = event.payload as { userId: string };
      const events = await provisionPaperAccount(tx, userId, deps.amount, deps.clock);
      await emit(...events);
    },
  };
}
