import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import {
  checkCredentialPermissions,
  permissionPolicy,
  type CredentialPermissions,
} from './permissions.js';

const base: CredentialPermissions = {
  exchange: 'kraken',
  canRead: true,
  canTrade: true,
  canWithdraw: false,
  reported: false,
  detail: 'kraken does not report API key permissions; the key can read balances',
  notes: [],
};

describe('permissionPolicy', () => {
  it('accepts a key the exchange does not describe, warning that nothing could be verified', () => {
    const v = permissionPolicy(base);
    expect(v.accepted).toBe(true);
    const text = v.accepted ? v.warnings.join(' ') : '';
    expect(text).toContain('could not be verified');
    expect(text).toContain('"Withdraw Funds"');
  });

  it('refuses withdrawal before anything else, with how to make a trade-only key', () => {
    const v = permissionPolicy({
      ...base,
      exchange: 'okx',
      reported: true,
      canWithdraw: true,
      canTrade: false,
      detail: 'OKX reports perm="read_only,withdraw"',
    });
    expect(v).toMatchObject({ accepted: false, code: 'key_can_withdraw' });
    expect(v.accepted ? '' : v.reason).toContain('tick "Read" and "Trade" only');
  });

  it('refuses a key that cannot trade', () => {
    const v = permissionPolicy({ ...base, exchange: 'bybit', reported: true, canTrade: false });
    expect(v).toMatchObject({ accepted: false, code: 'key_cannot_trade' });
  });

  it('turns notes into warnings on an accepted key', () => {
    const v = permissionPolicy({
      ...base,
      exchange: 'binance',
      reported: true,
      notes: ['it is not restricted to IP addresses'],
    });
    expect(v).toEqual({
      accepted: true,
      warnings: ['Note: it is not restricted to IP addresses.'],
    });
  });
});

describe('Hyperliquid keys (no network: the check is on the key itself)', () => {
  const privateKey = '0x' + '11'.repeat(32);
  const own = new ccxt.hyperliquid().ethGetAddressFromPrivateKey(privateKey);

  it("refuses the account's own wallet key: it can withdraw", async () => {
    const p = await checkCredentialPermissions('hyperliquid', {
      exchange: 'hyperliquid',
      apiKey: own,
      secret: privateKey,
    });
    expect(p).toMatchObject({ canWithdraw: true, reported: true });
    expect(permissionPolicy(p)).toMatchObject({ accepted: false, code: 'key_can_withdraw' });
  });

  it('accepts an API (agent) wallet, which cannot withdraw by design, with a warning', async () => {
    const account = '0x' + 'ab'.repeat(20);
    const p = await checkCredentialPermissions('hyperliquid', {
      exchange: 'hyperliquid',
      apiKey: account,
      secret: privateKey,
    });
    expect(p).toMatchObject({ canWithdraw: false, reported: false });
    const v = permissionPolicy(p);
    expect(v.accepted).toBe(true);
    expect(v.accepted && v.warnings[0]).toContain('API wallet');
  });
});
