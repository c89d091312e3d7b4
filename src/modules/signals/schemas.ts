import { Type } from '@sinclair/typebox';
import { FEATURE_PROFILES } from './domain/types.js';

/**
 * Request schemas of the signal routes. They check shapes; the domain (domain/validate.ts)
 * checks meaning, reporting every field at once.
 */

const closed = { additionalProperties: false } as const;
const Price = (description: string) =>
  Type.String({ maxLength: 64, description, examples: ['64250.5'] });

export const SignalBody = Type.Object(
  {
    symbol: Type.String({
      maxLength: 64,
      description: 'BTC/USDT, BTC-USDT or BTCUSDT; an instrument of the venue',
      examples: ['BTC/USDT'],
    }),
    direction: Type.Union([Type.Literal('long'), Type.Literal('short'), Type.Literal('close')]),
    timeframe: Type.Optional(
      Type.String({
        maxLength: 8,
        description: 'Candles the features use: 1m, 5m, 15m, 1h, 4h or 1d (default 15m)',
      }),
    ),
    entry: Type.Optional(Price('Entry price, a positive decimal string')),
    stop: Type.Optional(Price('Stop: below the entry of a long, above that of a short')),
    takeProfit: Type.Optional(Price('Target: above the entry of a long, below that of a short')),
    source: Type.String({
      maxLength: 64,
      description: 'Who sent it: 1–64 letters, digits or . _ : -',
      examples: ['tradingview-main'],
    }),
    strategy: Type.Optional(Type.String({ maxLength: 64 })),
    sentAt: Type.Union([Type.String({ maxLength: 40 }), Type.Integer({ minimum: 0 })], {
      description:
        'When the sender sent it: ISO-8601 with a zone, or epoch milliseconds; refused when older than the source’s max lag (SIGNALS_MAX_LAG_MS)',
      examples: ['2025-01-06T12:00:00Z'],
    }),
    payload: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: 'Free-form, kept as is' }),
    ),
    venue: Type.Optional(
      Type.String({ maxLength: 32, description: 'Venue of the instrument (default paper)' }),
    ),
    profile: Type.Optional(
      Type.String({
        maxLength: 32,
        description: `Feature profile: ${FEATURE_PROFILES.join(', ')} (default trend_follow_v1)`,
      }),
    ),
  },
  closed,
);

export const Accepted = Type.Object({
  eventId: Type.String(),
  status: Type.Literal('pending'),
  seq: Type.Integer(),
  receivedAt: Type.String(),
});

export const EventParams = Type.Object({ eventId: Type.String({ maxLength: 64 }) }, closed);
export const WebhookParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, closed);
export const SourceParams = Type.Object({ name: Type.String({ maxLength: 64 }) }, closed);

export const SignalsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Newest first, below this seq (the next page)',
      }),
    ),
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Oldest first, above this seq: read a stream of signals in order (replays)',
      }),
    ),
    source: Type.Optional(Type.String({ maxLength: 64 })),
    symbol: Type.Optional(Type.String({ maxLength: 64 })),
  },
  closed,
);

export const DecisionsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    model: Type.Optional(Type.String({ maxLength: 128 })),
    symbol: Type.Optional(Type.String({ maxLength: 64 })),
    source: Type.Optional(Type.String({ maxLength: 64 })),
  },
  closed,
);

export const SourceBody = Type.Object(
  {
    maxLagMs: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1000, maximum: 86_400_000 }), Type.Null()], {
        description: 'This source’s staleness limit in ms; null: SIGNALS_MAX_LAG_MS',
      }),
    ),
    webhook: Type.Optional(
      Type.Boolean({
        description:
          'true: give the source a TradingView webhook (a secret is made and shown once); false: remove it',
      }),
    ),
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'Replace the webhook secret (shown once)' }),
    ),
  },
  closed,
);
