import { describe, expect, it } from 'vitest';
import {
  decisionMatches,
  encodeData,
  feedChannel,
  MAX_FRAME_BYTES,
  parseClientFrame,
} from './protocol.js';

const ok = (text: unknown) => {
  const r = parseClientFrame(typeof text === 'string' ? text : JSON.stringify(text));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.frame;
};
const refusal = (text: unknown) => {
  const r = parseClientFrame(typeof text === 'string' ? text : JSON.stringify(text));
  if (r.ok) throw new Error(`accepted ${JSON.stringify(r.frame)}`);
  return r.error;
};

describe('client frames', () => {
  it('accepts each op with its documented fields, defaulting the venue to paper', () => {
    expect(ok({ op: 'ping' })).toEqual({ op: 'ping' });
    expect(ok({ op: 'auth', id: 'a', token: 't' })).toEqual({ op: 'auth', id: 'a', token: 't' });
    expect(ok({ op: 'auth', apiKey: 'obs_x_y' })).toEqual({ op: 'auth', apiKey: 'obs_x_y' });
    expect(ok({ op: 'subscribe', id: 1, channel: 'ticker', symbol: 'BTC/USDT' })).toEqual({
      op: 'subscribe',
      id: 1,
      channel: 'ticker',
      venue: 'paper',
      symbol: 'BTC/USDT',
    });
    expect(
      ok({
        op: 'unsubscribe',
        channel: 'candles',
        venue: 'ccxt:binance',
        symbol: 'ETH/BTC',
        timeframe: '4h',
      }),
    ).toMatchObject({ venue: 'ccxt:binance', timeframe: '4h' });
    expect(ok({ op: 'subscribe', channel: 'balances' })).toEqual({
      op: 'subscribe',
      channel: 'balances',
    });
  });

  it('names the field and echoes the id of every refusal', () => {
    expect(refusal('nope')).toMatchObject({ code: 'invalid_json' });
    expect(refusal('null')).toMatchObject({ code: 'invalid_frame' });
    expect(refusal({ id: 3.5, op: 'ping' })).toMatchObject({ code: 'invalid_field', field: 'id' });
    expect(refusal({ id: 'x'.repeat(65), op: 'ping' })).toMatchObject({ field: 'id' });
    expect(refusal({ id: 9, op: 'subscribe', channel: 'orders', userId: 'someone-else' })).toEqual({
      type: 'error',
      id: 9,
      code: 'unknown_field',
      message: 'userId is not a field of subscribe',
      field: 'userId',
    });
    expect(refusal({ op: 'auth' })).toMatchObject({ code: 'missing_field', field: 'token' });
    expect(refusal({ op: 'auth', token: 'a', apiKey: 'b' })).toMatchObject({
      code: 'invalid_field',
    });
    expect(refusal({ op: 'auth', token: 5 })).toMatchObject({ field: 'token' });
    expect(refusal({ op: 'subscribe' })).toMatchObject({ code: 'missing_field', field: 'channel' });
    expect(
      refusal({ op: 'subscribe', channel: 'ticker', symbol: 'BTC/USDT', venue: 'a.b' }),
    ).toMatchObject({ field: 'venue' });
    expect(refusal({ op: 'subscribe', channel: 'ticker', symbol: 'BTC.X/USDT' })).toMatchObject({
      field: 'symbol',
    });
    expect(
      refusal({ op: 'subscribe', channel: 'ticker', symbol: 'BTC/USDT', timeframe: '1m' }),
    ).toMatchObject({ field: 'timeframe' });
    expect(refusal({ op: 'subscribe', channel: 'fills', venue: 'paper' })).toMatchObject({
      field: 'venue',
    });
    expect(refusal({ op: 'ping', pad: 'x'.repeat(MAX_FRAME_BYTES) })).toMatchObject({
      code: 'frame_too_large',
    });
    expect(refusal({ op: 'toString' })).toMatchObject({ code: 'unknown_op' });
  });
});

describe('feed channels', () => {
  it('builds public channels from the filters and private ones from the user alone', () => {
    expect(feedChannel({ channel: 'trades', venue: 'paper', symbol: 'BTC/USDT' }, 'u1')).toBe(
      'md.trades.paper.BTC/USDT',
    );
    expect(feedChannel({ channel: 'book', venue: 'paper', symbol: 'BTC/USDT' }, 'u1')).toBe(
      'md.book.paper.BTC/USDT',
    );
    expect(
      feedChannel(
        { channel: 'candles', venue: 'paper', symbol: 'BTC/USDT', timeframe: '1m' },
        'u1',
      ),
    ).toBe('md.candles.paper.BTC/USDT.1m');
    expect(feedChannel({ channel: 'positions' }, 'u1')).toBe('user.u1.positions');
  });

  it('serialises a data frame as the documented JSON', () => {
    const frame = encodeData('ticker', 'md.ticker.paper.BTC/USDT', { last: '1.5' });
    expect(JSON.parse(frame.toString())).toEqual({
      type: 'ticker',
      channel: 'md.ticker.paper.BTC/USDT',
      data: { last: '1.5' },
    });
    expect(JSON.parse(encodeData('fills', 'user.u.fills', undefined).toString()).data).toBeNull();
  });
});

describe('the decisions channel', () => {
  it('takes optional model, symbol and source filters and nothing else', () => {
    expect(ok({ op: 'subscribe', id: 1, channel: 'decisions' })).toEqual({
      op: 'subscribe',
      id: 1,
      channel: 'decisions',
      filter: {},
    });
    expect(
      ok({
        op: 'subscribe',
        channel: 'decisions',
        model: 'quant.trend_alignment',
        symbol: 'BTC/USDT',
        source: 'tv-main',
      }),
    ).toMatchObject({
      filter: { model: 'quant.trend_alignment', symbol: 'BTC/USDT', source: 'tv-main' },
    });
    expect(refusal({ op: 'subscribe', channel: 'decisions', venue: 'paper' })).toMatchObject({
      code: 'invalid_field',
      field: 'venue',
    });
    expect(refusal({ op: 'subscribe', channel: 'decisions', symbol: 'btc' })).toMatchObject({
      code: 'invalid_field',
      field: 'symbol',
    });
    expect(refusal({ op: 'subscribe', channel: 'decisions', source: 'a b' })).toMatchObject({
      field: 'source',
    });
    expect(refusal({ op: 'subscribe', channel: 'fills', model: 'x' })).toMatchObject({
      code: 'invalid_field',
      field: 'model',
    });
    expect(feedChannel({ channel: 'decisions', filter: {} }, 'u1')).toBe('user.u1.decisions');
  });

  it('lets a message through when its signal and decisions match every field given', () => {
    const msg = {
      signal: { symbol: 'BTC/USDT', source: 'tv' },
      decisions: [{ modelId: 'quant.a' }, { modelId: 'llm.b' }],
      consensus: { action: 'long' },
    };
    expect(decisionMatches({}, msg)).toBe(true);
    expect(decisionMatches({ symbol: 'BTC/USDT', source: 'tv', model: 'llm.b' }, msg)).toBe(true);
    expect(decisionMatches({ symbol: 'ETH/USDT' }, msg)).toBe(false);
    expect(decisionMatches({ source: 'bot' }, msg)).toBe(false);
    expect(decisionMatches({ model: 'llm.c' }, msg)).toBe(false);
    expect(decisionMatches({}, null)).toBe(false);
  });
});
