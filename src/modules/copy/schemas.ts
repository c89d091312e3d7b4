import { Type } from '@sinclair/typebox';
import { STATS_WINDOWS } from './domain/index.js';
import { SORT_KEYS } from './leaderboard.js';

/** Request schemas of the copy-trading routes. Values are checked again by the domain, per field. */

const closed = { additionalProperties: false } as const;
const Dec = (description: string, examples?: string[]) =>
  Type.String({ minLength: 1, maxLength: 64, description, ...(examples ? { examples } : {}) });
const NullableDec = (description: string) =>
  Type.Union([Dec(description), Type.Null()], { description });
const Id = Type.String({ maxLength: 64 });

export const LeaderBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200, examples: ['Steady BTC swings'] })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    accountId: Type.Optional(
      Type.String({ maxLength: 64, description: 'The one account copied (or accountIds)' }),
    ),
    accountIds: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: 50,
        description: 'Your accounts whose fills are copied; default your default account',
      }),
    ),
    payoutAccountId: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'Account fees are paid into; default the first copied',
      }),
    ),
    performanceFeePct: Type.Optional(
      Dec('Share of followers’ realized profit above the high-water mark, percent 0–50', ['20']),
    ),
    subscription: Type.Optional(
      Type.Union([
        Type.Object(
          {
            amount: Dec('Charged per period in arrears, in the follow currency', ['10']),
            periodDays: Type.Integer({ description: 'Period in days, 1–366' }),
          },
          closed,
        ),
        Type.Null(),
      ]),
    ),
  },
  closed,
);

const followFields = {
  mode: Type.Optional(
    Type.String({
      maxLength: 32,
      description:
        'fixed_ratio, proportional (alias equity_proportional), fixed_amount or equity_cap',
    }),
  ),
  ratio: Type.Optional(Dec('fixed_ratio: leader quantity × ratio, in (0, 100]', ['0.5'])),
  amountPerTrade: Type.Optional(Dec('fixed_amount: notional of each copy (alias amount)', ['100'])),
  amount: Type.Optional(Dec('Alias of amountPerTrade')),
  equityCapPct: Type.Optional(Dec('equity_cap: largest copied position, percent of equity 1–100')),
  allocatedAmount: Type.Optional(
    Dec('Capital the follow may use, in the follow currency', ['1000']),
  ),
  maxOrderNotional: Type.Optional(NullableDec('Largest notional of one copy; null: none')),
  maxOpenPositions: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], {
      description: 'Copied positions open at once, 1–100',
    }),
  ),
  drawdownStopPct: Type.Optional(
    NullableDec('Loss of the copies, percent of the allocation (1–99), at which copying stops'),
  ),
  closeOnDrawdownStop: Type.Optional(Type.Boolean()),
  allow: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 })),
  deny: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 })),
  maxSlippagePct: Type.Optional(
    NullableDec('Worst price against the leader’s, percent 0.01–10; default 0.5 (BTC, ETH), 1.5'),
  ),
  copyMode: Type.Optional(
    Type.String({ maxLength: 32, description: 'both, opens_only or closes_only' }),
  ),
};

export const FollowBody = Type.Object(
  {
    leaderId: Type.Optional(Id),
    accountId: Type.Optional(
      Type.String({ maxLength: 64, description: 'Default: your default account' }),
    ),
    ...followFields,
  },
  closed,
);

export const FollowPatchBody = Type.Object(
  { leaderId: Type.Optional(Id), accountId: Type.Optional(Id), ...followFields },
  closed,
);

export const UnfollowBody = Type.Object(
  {
    closePositions: Type.Optional(
      Type.Boolean({ description: 'Sell the copied positions now (reduce-only market orders)' }),
    ),
  },
  closed,
);

export const IdParams = Type.Object({ id: Id }, closed);

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    before: Type.Optional(
      Type.String({ maxLength: 64, description: 'Id of the last row of the page before' }),
    ),
  },
  closed,
);

export const LeadersQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    after: Type.Optional(
      Type.String({ maxLength: 64, description: 'Id of the last leader of the page before' }),
    ),
  },
  closed,
);

export const LeaderboardQuery = Type.Object(
  {
    window: Type.Optional(
      Type.Union(
        Object.keys(STATS_WINDOWS).map((w) => Type.Literal(w)),
        { default: '30d' },
      ),
    ),
    sort: Type.Optional(
      Type.Union(
        SORT_KEYS.map((k) => Type.Literal(k)),
        { default: 'return' },
      ),
    ),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  closed,
);
