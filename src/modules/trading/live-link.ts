import type { Clock } from '../../core/clock.js';
import { AppError, validationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { topics } from '../../core/topics.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import { auditEvent } from '../identity/index.js';
import type { ExchangeCredentials, Vault } from '../vault/index.js';
import { accountSettingsView, type Actor } from './accounts.js';
import type { TradingConfig } from './config.js';
import type { Decimal } from '../../core/decimal.js';
import * as E from './errors.js';
import {
  CcxtVenueConnector,
  checkCredentialPermissions,
  permissionPolicy,
  type ExchangeSetup,
} from './live/index.js';
import { isLedgerCurrency, syncPostings } from './live-ledger.js';
import { accountOfCredential, insertLiveAccount, isUniqueViolation } from './live-store.js';
import * as S from './store.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// As account names elsewhere: printable characters and plain spaces only.
const NAME_RE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u;

export interface LinkDeps {
  database: Database;
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  vault: Pick<Vault, 'decryptForExecution'>;
  config: Pick<TradingConfig, 'exchangeUrls'>;
}

/** Where CCXT reaches an exchange: its own URLs unless EXCHANGE_URLS overrides them. */
export const exchangeSetup = (
  config: Pick<TradingConfig, 'exchangeUrls'>,
  exchange: string,
): ExchangeSetup => {
  const urls = config.exchangeUrls[exchange];
  return urls ? { urls } : {};
};

/**
 * Links an exchange account: the credential must be the caller's, its key must be able to
 * trade and unable to withdraw (the exchange is asked), and the new account's ledger opens
 * with the exchange's balances. Nothing is written unless all of that succeeds; the account,
 * its opening entry, its event and its audit record then commit together.
 */
export class ExchangeLinker {
  constructor(private readonly deps: LinkDeps) {}

  async link(actor: Actor, input: { credentialId: string; name?: string | undefined }) {
    const name = input.name?.trim();
    if (name !== undefined && (name.length === 0 || name.length > 64 || !NAME_RE.test(name)))
      throw validationError('/name', 'must be 1 to 64 printable characters', 'invalid_name');
    if (!UUID_RE.test(input.credentialId)) throw E.credentialNotFound();
    const credentialId = input.credentialId.toLowerCase();
    const db = this.deps.database.db;
    const credentials = await this.credentials(actor.userId, credentialId);
    const exchange = credentials.exchange;
    const linked = await accountOfCredential(db, credentialId);
    if (linked) throw E.credentialLinked(linked.id);

    const setup = exchangeSetup(this.deps.config, exchange);
    const permissions = await checkCredentialPermissions(exchange, credentials, setup).catch(
      (err: unknown) => {
        throw refusal(err);
      },
    );
    const verdict = permissionPolicy(permissions);
    if (!verdict.accepted) throw E.credentialRefused(verdict.code, verdict.reason);
    const balances = await this.balances(exchange, credentials, setup);

    const id = newId();
    const ts = this.deps.clock.now();
    const opening = balances.filter((b) => isLedgerCurrency(b.currency));
    let row: S.AccountRow;
    try {
      row = await this.deps.outbox.transaction(async (tx, emit) => {
        const created = await insertLiveAccount(tx, {
          id,
          userId: actor.userId,
          venue: exchange,
          name: name ?? exchange.charAt(0).toUpperCase() + exchange.slice(1),
          credentialId,
          now: new Date(ts),
        });
        if (opening.length) {
          await S.insertLedgerEntry(tx, {
            id: `exchange_sync:${id}:opening`,
            accountId: id,
            kind: 'exchange_sync',
            reference: 'opening',
            postings: syncPostings(
              id,
              opening.map((b) => ({ currency: b.currency, delta: b.total })),
            ),
            ts,
          });
          await S.bumpJournal(tx, id);
        }
        await emit(
          {
            topic: topics.tradingAccounts,
            type: 'ExchangeAccountLinked',
            key: id,
            tsEvent: ts,
            payload: {
              accountId: id,
              userId: actor.userId,
              venue: exchange,
              credentialId,
              balances: opening.map((b) => ({ currency: b.currency, total: b.total.toString() })),
              permissions: {
                canRead: permissions.canRead,
                canTrade: permissions.canTrade,
                canWithdraw: permissions.canWithdraw,
                reported: permissions.reported,
              },
              warnings: verdict.warnings,
            },
          },
          auditEvent({
            action: 'trading.exchange_linked',
            userId: actor.userId,
            actorId: actor.userId,
            ip: actor.ip ?? null,
            details: {
              accountId: id,
              credentialId,
              exchange,
              ...(actor.keyId ? { keyId: actor.keyId } : {}),
            },
          }),
        );
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        const other = await accountOfCredential(db, credentialId);
        throw E.credentialLinked(other?.id ?? 'another account');
      }
      throw err;
    }
    this.deps.logger.info(
      { at: 'trading#link', accountId: id, userId: actor.userId, exchange, credentialId },
      'exchange account linked',
    );
    return {
      ...accountSettingsView(row),
      credentialId,
      balances: opening.map((b) => ({ currency: b.currency, total: b.total.toString() })),
      permissions: {
        canRead: permissions.canRead,
        canTrade: permissions.canTrade,
        canWithdraw: permissions.canWithdraw,
        reported: permissions.reported,
        detail: permissions.detail,
      },
      warnings: verdict.warnings,
    };
  }

  /** The plaintext, for the exchange calls below only; another user's id is a 404. */
  private async credentials(userId: string, credentialId: string): Promise<ExchangeCredentials> {
    try {
      return await this.deps.vault.decryptForExecution(credentialId, userId);
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') throw E.credentialNotFound();
      throw err;
    }
  }

  private async balances(
    exchange: string,
    credentials: ExchangeCredentials,
    setup: ExchangeSetup,
  ): Promise<Array<{ currency: string; total: Decimal }>> {
    const connector = await CcxtVenueConnector.create(exchange, credentials, {
      ...setup,
      logger: this.deps.logger,
      clock: this.deps.clock,
      stream: false,
      reconcileEveryMs: 0,
    }).catch((err: unknown) => {
      throw refusal(err);
    });
    try {
      return (await connector.balances()).map((b) => ({ currency: b.currency, total: b.total }));
    } catch (err) {
      throw refusal(err);
    } finally {
      await connector.close();
    }
  }
}

/**
 * What the exchange said about the key, as an answer about the request: a key it refuses (or
 * an exchange CCXT does not know) is the credential's fault, a 400 naming it; an exchange that
 * is down or rate limiting stays a 503 or 429. Messages carry no credential (the connector
 * scrubs them).
 */
function refusal(err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  if (err.kind === 'forbidden' || err.kind === 'unauthenticated' || err.kind === 'validation')
    return E.credentialRefused(err.code, err.message);
  return err;
}
