import { describe, expect, it } from 'vitest';
import { decimalText, mapTradingViewAlert, tradingViewTicker } from './tradingview.js';

describe('TradingView alerts', () => {
  it('maps a templated alert onto the signal fields, keeping the rest as payload', () => {
    const alert = mapTradingViewAlert({
      secret: 's3cret',
      ticker: 'BINANCE:BTCUSDT',
      action: 'buy',
      price: 64250.5,
      interval: '15',
      timenow: '2024-03-01T12:00:00Z',
      strategy: 'ema-cross',
      position_size: 3,
    });
    expect(alert).toEqual({
      secret: 's3cret',
      fields: {
        symbol: 'BTCUSDT',
        direction: 'long',
        timeframe: '15m',
        entry: '64250.5',
        strategy: 'ema-cross',
        sentAt: '2024-03-01T12:00:00Z',
        payload: { position_size: 3 },
      },
    });
  });

  it('understands the usual tickers, actions and intervals', () => {
    expect(tradingViewTicker('BINANCE:ETHUSDT.P')).toBe('ETHUSDT');
    expect(tradingViewTicker('BTCUSDTPERP')).toBe('BTCUSDT');
    expect(tradingViewTicker('BTC/USDT')).toBe('BTC/USDT');
    const dir = (d: string) => mapTradingViewAlert({ direction: d })!.fields.direction;
    expect([dir('sell'), dir('Short'), dir('exit'), dir('long'), dir('up')]).toEqual([
      'short',
      'short',
      'close',
      'long',
      'up',
    ]);
    const tf = (i: unknown) => mapTradingViewAlert({ interval: i })!.fields.timeframe;
    expect([tf('60'), tf(240), tf('1D'), tf('D'), tf('5m')]).toEqual([
      '1h',
      '4h',
      '1d',
      '1d',
      '5m',
    ]);
  });

  it('refuses bodies that are not objects and leaves a missing secret undefined', () => {
    expect(mapTradingViewAlert('buy BTC')).toBeUndefined();
    expect(mapTradingViewAlert([1])).toBeUndefined();
    expect(mapTradingViewAlert({ symbol: 'BTCUSDT' })!.secret).toBeUndefined();
  });

  it('writes rendered numbers as plain decimal text', () => {
    expect(decimalText(0.1)).toBe('0.1');
    expect(decimalText(1e-7)).toBe('0.0000001');
    expect(decimalText(1.5e-7)).toBe('0.00000015');
    expect(decimalText(1e21)).toBe('1000000000000000000000');
    expect(decimalText(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(decimalText(' 12.5 ')).toBe('12.5');
  });
});
