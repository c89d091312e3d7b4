import type { Exchange } from 'ccxt';
import type { ExchangeCredentials } from '../../vault/index.js';
import { toVenueError } from './errors.js';
import { createExchange, type ExchangeSetup } from './exchange.js';

/** What an API key may do, as far as the exchange tells. */
export interface CredentialPermissions {
  exchange: string;
  canRead: boolean;
  canTrade: boolean;
  canWithdraw: boolean;
  /**
   * Whether the exchange reported these permissions. When false, `canTrade` and
   * `canWithdraw` are what the key is assumed to allow, not facts.
   */
  reported: boolean;
  /** What was found, in words (never the key). */
  detail: string;
  /** Other powers worth knowing (transfers between accounts, futures, no IP restriction). */
  notes: string[];
}

export type PermissionVerdict =
  | { accepted: true; warnings: string[] }
  | { accepted: false; code: 'key_can_withdraw' | 'key_cannot_trade'; reason: string };

/** How each named exchange reports a key's permissions, for documentation and the UI. */
export const PERMISSION_REPORTING: Readonly<Record<string, string>> = {
  binance:
    'GET /sapi/v1/account/apiRestrictions (enableReading, enableSpotAndMarginTrading, enableWithdrawals, …)',
  bybit: 'GET /v5/user/query-api (readOnly, permissions.Spot, permissions.Wallet incl. "Withdraw")',
  okx: 'GET /api/v5/account/config (perm: "read_only,trade,withdraw")',
  coinbase: 'GET /api/v3/brokerage/key_permissions (can_view, can_trade, can_transfer)',
  kraken: 'not reported: Kraken has no API call that lists a key’s permissions',
  hyperliquid:
    'not reported; an API (agent) wallet cannot withdraw by design, and a key whose address is the account’s own is refused',
};

/** How to make a key that can trade and cannot withdraw, per exchange. */
const TRADE_ONLY_HOWTO: Record<string, string> = {
  binance:
    'In Binance, Account → API Management, edit the key and untick "Enable Withdrawals" (keep "Enable Reading" and "Enable Spot & Margin Trading"), or create a new key with only those two.',
  bybit:
    'In Bybit, API Management → Create New Key → System-generated, choose "Read-Write", tick Spot trading (Unified Trading → Trade) and leave Assets → "Withdrawal" unticked.',
  okx: 'In OKX, API → Create V5 API key, tick "Read" and "Trade" only; do not tick "Withdraw".',
  coinbase:
    'In the Coinbase Developer Platform (API keys), create a key with the "View" and "Trade" permissions and without "Transfer".',
  kraken:
    'In Kraken, Settings → API → Create API key with "Query Funds", "Query Open/Closed Orders & Trades", "Create & Modify Orders" and "Cancel/Close Orders", and without "Withdraw Funds".',
  hyperliquid:
    'In Hyperliquid, More → API, create an API wallet and give its private key with your account address; never the private key of the account itself.',
};

const howTo = (exchange: string) =>
  TRADE_ONLY_HOWTO[exchange] ??
  'Create a key with read and trade permissions only, without withdrawal or transfer rights.';

type Probe = (
  ex: Exchange,
  c: ExchangeCredentials,
) => Promise<Omit<CredentialPermissions, 'exchange'>>;

const flag = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

const PROBES: Record<string, Probe> = {
  async binance(ex) {
    const r = (await (ex as unknown as Implicit).sapiGetAccountApiRestrictions()) as Record<
      string,
      unknown
    >;
    const notes: string[] = [];
    if (flag(r.enableInternalTransfer))
      notes.push('it can transfer funds between your Binance master account and sub-accounts');
    if (flag(r.permitsUniversalTransfer))
      notes.push('it can move funds between the account’s wallets');
    if (flag(r.enableFutures) || flag(r.enableMargin))
      notes.push('it can also trade margin or futures');
    if (!flag(r.ipRestrict)) notes.push('it is not restricted to IP addresses');
    return {
      canRead: flag(r.enableReading),
      canTrade: flag(r.enableSpotAndMarginTrading),
      canWithdraw: flag(r.enableWithdrawals),
      reported: true,
      detail: `Binance reports enableReading=${flag(r.enableReading)}, enableSpotAndMarginTrading=${flag(r.enableSpotAndMarginTrading)}, enableWithdrawals=${flag(r.enableWithdrawals)}`,
      notes,
    };
  },
  async bybit(ex) {
    const body = (await (ex as unknown as Implicit).privateGetV5UserQueryApi()) as {
      result?: { readOnly?: unknown; permissions?: Record<string, unknown>; ips?: unknown };
    };
    const r = body.result ?? {};
    const perms = r.permissions ?? {};
    const list = (k: string) =>
      Array.isArray(perms[k]) ? (perms[k] as unknown[]).map(String) : [];
    const readOnly = flag(r.readOnly);
    const trading = ['Spot', 'ContractTrade', 'Derivatives', 'Options'].some(
      (k) => list(k).length > 0,
    );
    const wallet = list('Wallet');
    const notes: string[] = [];
    if (wallet.includes('AccountTransfer') || wallet.includes('SubMemberTransfer'))
      notes.push(
        `it can transfer funds between accounts (${wallet.filter((w) => w !== 'Withdraw').join(', ')})`,
      );
    const ips = Array.isArray(r.ips) ? r.ips.map(String) : [];
    if (ips.includes('*') || !ips.length) notes.push('it is not restricted to IP addresses');
    return {
      canRead: true,
      canTrade: !readOnly && trading,
      canWithdraw: wallet.includes('Withdraw'),
      reported: true,
      detail: `Bybit reports readOnly=${readOnly}, Spot=[${list('Spot').join(', ')}], Wallet=[${wallet.join(', ')}]`,
      notes,
    };
  },
  async okx(ex) {
    const body = (await (ex as unknown as Implicit).privateGetAccountConfig()) as {
      data?: Array<{ perm?: string; ip?: string }>;
    };
    const perm = (body.data?.[0]?.perm ?? '').split(',').map((p) => p.trim());
    return {
      canRead: perm.includes('read_only'),
      canTrade: perm.includes('trade'),
      canWithdraw: perm.includes('withdraw'),
      reported: true,
      detail: `OKX reports perm="${perm.join(',')}"`,
      notes: body.data?.[0]?.ip ? [] : ['it is not restricted to IP addresses'],
    };
  },
  async coinbase(ex) {
    const r = (await (ex as unknown as Implicit).v3PrivateGetBrokerageKeyPermissions()) as Record<
      string,
      unknown
    >;
    return {
      canRead: flag(r.can_view),
      canTrade: flag(r.can_trade),
      canWithdraw: flag(r.can_transfer),
      reported: true,
      detail: `Coinbase reports can_view=${flag(r.can_view)}, can_trade=${flag(r.can_trade)}, can_transfer=${flag(r.can_transfer)}`,
      notes: [],
    };
  },
  async hyperliquid(ex, c) {
    const own = (ex as unknown as Implicit).ethGetAddressFromPrivateKey(c.secret).toLowerCase();
    if (own === c.apiKey.toLowerCase()) {
      return {
        canRead: true,
        canTrade: true,
        canWithdraw: true,
        reported: true,
        detail: 'the private key is the account’s own wallet key, which can withdraw',
        notes: [],
      };
    }
    return {
      canRead: true,
      canTrade: true,
      canWithdraw: false,
      reported: false,
      detail:
        'an API (agent) wallet: Hyperliquid lets it trade for the account and never withdraw; whether the account approved it is not checked here',
      notes: [],
    };
  },
};

/** CCXT's implicit endpoint methods used here (generated per exchange, untyped on Exchange). */
interface Implicit {
  sapiGetAccountApiRestrictions(): Promise<unknown>;
  privateGetV5UserQueryApi(): Promise<unknown>;
  privateGetAccountConfig(): Promise<unknown>;
  v3PrivateGetBrokerageKeyPermissions(): Promise<unknown>;
  ethGetAddressFromPrivateKey(key: string): string;
}

/**
 * Asks the exchange what the key may do. Exchanges that report it (Binance, Bybit, OKX,
 * Coinbase Advanced) are asked directly; for others a balance read proves the key works and
 * the rest is reported as unverified. An authentication failure rejects with
 * `venue_auth_failed`, its message free of any credential.
 *
 * @example
 * const perms = await checkCredentialPermissions('binance', credentials);
 * const verdict = permissionPolicy(perms);
 * if (!verdict.accepted) throw forbidden(verdict.code, verdict.reason);
 */
export async function checkCredentialPermissions(
  exchange: string,
  credentials: ExchangeCredentials,
  setup: ExchangeSetup = {},
): Promise<CredentialPermissions> {
  const ex = await createExchange(exchange, credentials, setup);
  const secrets = [credentials.secret, credentials.apiKey, credentials.passphrase];
  try {
    const probe = PROBES[exchange];
    if (probe) return { exchange, ...(await probe(ex, credentials)) };
    await ex.fetchBalance();
    return {
      exchange,
      canRead: true,
      canTrade: true,
      canWithdraw: false,
      reported: false,
      detail: `${exchange} does not report API key permissions; the key can read balances`,
      notes: [],
    };
  } catch (err) {
    throw toVenueError(err, exchange, secrets);
  } finally {
    await ex.close().catch(() => undefined);
  }
}

/**
 * Whether Obscura takes the key: never one that can withdraw (a leaked key must not be able
 * to move funds out), never one that cannot trade; a key whose permissions the exchange does
 * not report is taken with a warning saying so.
 */
export function permissionPolicy(p: CredentialPermissions): PermissionVerdict {
  const name = p.exchange;
  if (p.canWithdraw) {
    return {
      accepted: false,
      code: 'key_can_withdraw',
      reason: `This ${name} API key can withdraw funds (${p.detail}). Obscura only accepts keys that cannot withdraw, so that a leaked key cannot move your funds out. ${howTo(name)}`,
    };
  }
  if (!p.canTrade) {
    return {
      accepted: false,
      code: 'key_cannot_trade',
      reason: `This ${name} API key cannot trade (${p.detail}). ${howTo(name)}`,
    };
  }
  const warnings = p.notes.map((n) => `Note: ${n}.`);
  if (!p.reported) {
    warnings.unshift(
      `${name} does not report what an API key may do, so its trading and withdrawal permissions could not be verified (${p.detail}). Make sure the key cannot withdraw. ${howTo(name)}`,
    );
  }
  return { accepted: true, warnings };
}
