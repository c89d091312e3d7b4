import { Type } from '@sinclair/typebox';
import { SOURCE_PATTERN } from '../domain/validate.js';
import { MAX_SYMBOLS } from './rules.js';

/**
 * Request schemas of the binding routes: they fix the shape; the domain (rules.ts) checks the
 * values again, per field, with the ranges that make sense for money.
 */

const closed = { additionalProperties: false } as const;
const Dec = (description: string, examples?: string[]) =>
  Type.String({ minLength: 1, maxLength: 64, description, ...(examples ? { examples } : {}) });
const Uuid = Type.String({ maxLength: 64 });

const Sizing = Type.Union(
  [
    Type.Object(
      {
        mode: Type.Literal('fixed_notional'),
        notional: Dec('Notional of each order, quote currency', ['250']),
      },
      closed,
    ),
    Type.Object(
      {
        mode: Type.Literal('equity_pct'),
        pct: Dec('Percent of the account equity per order, (0, 100]', ['2']),
      },
      closed,
    ),
    Type.Object(
      {
        mode: Type.Literal('model_suggested'),
        capPct: Dec(
          'The mean size the agreeing models suggested (percent of equity), at most this',
          ['5'],
        ),
      },
      closed,
    ),
  ],
  { description: 'How large each order is, before the limits' },
);

const ruleFields = {
  minConfidence: Type.Number({
    description: 'Least consensus confidence acted on, 0–1',
    examples: [0.6],
  }),
  minAgreeing: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Least number of models agreeing with the consensus (1–100); null: none',
  }),
  maxOrderNotional: Dec('Largest notional of one order, quote currency, at most 1e12', ['1000']),
  maxPositionNotional: Type.Union(
    [Dec('Largest value a buy may take the holding to'), Type.Null()],
    {
      description: 'Largest value of the holding after a buy, quote currency; null: none',
    },
  ),
  sizing: Sizing,
  allowedSymbols: Type.Array(Type.String({ maxLength: 64 }), {
    maxItems: MAX_SYMBOLS,
    description: 'Symbols acted on (BTC/USDT); empty: all',
  }),
  directions: Type.Array(
    Type.Union([Type.Literal('long'), Type.Literal('short'), Type.Literal('close')]),
    {
      maxItems: 3,
      description:
        'Directions acted on. Spot: long buys, short sells part of the holding, close sells all of it',
    },
  ),
  entryOrder: Type.Union([Type.Literal('limit'), Type.Literal('market')], {
    description: "limit: a limit order at the signal's entry when it has one (else market)",
  }),
};

const Status = Type.Union([Type.Literal('active'), Type.Literal('paused')]);

/** Every field optional here: missing required ones are named by the domain, with the rest. */
const Rules = Type.Partial(Type.Object(ruleFields, closed));

export const CreateBody = Type.Object(
  {
    source: Type.String({
      pattern: SOURCE_PATTERN.source,
      description: 'The signal source bound, as signals name it',
      examples: ['tradingview'],
    }),
    accountId: Type.String({ maxLength: 64, description: 'One of your trading accounts' }),
    rules: Rules,
    status: Type.Optional(Status),
  },
  closed,
);

export const PatchBody = Type.Object(
  {
    rules: Type.Optional(Rules),
    status: Type.Optional(Status),
  },
  closed,
);

export const IdParams = Type.Object({ id: Uuid }, closed);

export const ActionsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
        description: 'Signal event id of the last action of the page before',
      }),
    ),
  },
  closed,
);
