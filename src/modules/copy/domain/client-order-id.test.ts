import { describe, expect, it } from 'vitest';
import {
  COPY_CLIENT_ORDER_ID_LENGTH,
  copyClientOrderId,
  isCopyClientOrderId,
} from './client-order-id.js';

// What venues accept: Binance and Bybit (≤ 36 of [A-Za-z0-9_-]), OKX (≤ 32 alphanumerics),
// and the trading module's own OMS (≤ 64 of [A-Za-z0-9._:-]).
const BINANCE_BYBIT = /^[A-Za-z0-9_-]{1,36}$/;
const OKX = /^[A-Za-z0-9]{1,32}$/;
const OMS = /^[A-Za-z0-9._:-]{1,64}$/;

describe('copyClientOrderId', () => {
  it('is a fixed, pinned function of the pair (changing it would re-place redelivered copies)', () => {
    expect(copyClientOrderId('fill-1', 'follow-1')).toBe('cpfadddd100ebc8ad39154eb6e25e03f');
    expect(copyClientOrderId('fill-1', 'follow-1')).toBe(copyClientOrderId('fill-1', 'follow-1'));
  });

  it('fits every venue and is recognised as a copy', () => {
    const id = copyClientOrderId('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 'x'.repeat(500));
    expect(id).toHaveLength(COPY_CLIENT_ORDER_ID_LENGTH);
    expect(COPY_CLIENT_ORDER_ID_LENGTH).toBe(32);
    for (const re of [BINANCE_BYBIT, OKX, OMS]) expect(id).toMatch(re);
    expect(isCopyClientOrderId(id)).toBe(true);
    expect(isCopyClientOrderId('my-order-1')).toBe(false);
    expect(isCopyClientOrderId(id.toUpperCase())).toBe(false);
  });

  it('tells apart pairs that plain concatenation would confuse', () => {
    const pairs: Array<[string, string]> = [
      ['a|b', 'c'],
      ['a', 'b|c'],
      ['ab', ''],
      ['a', 'b'],
      ['', 'ab'],
      ['x', 'y'],
      ['y', 'x'],
      ['a:b', 'c'],
      ['a', ':b:c'],
      ['\ud800', 'x'], // lone surrogates would both become U+FFFD in UTF-8
      ['\udfff', 'x'],
    ];
    const ids = pairs.map(([f, g]) => copyClientOrderId(f, g));
    expect(new Set(ids).size).toBe(pairs.length);
  });
});
