/**
 * Turns what a follower typed into `FollowSettings`, or into every problem at once, each with
 * the field it concerns and a stable code. Facts that need a database — who owns which
 * account, the leader, the user's other follows — come in as inputs, so this stays pure.
 *
 * Units: amounts are in the follow currency, as decimal strings; `ratio` is a multiplier;
 * every `…Pct` field is a percent ("0.5" = 0.5 %). Ranges are set so that a value given in
 * the wrong unit falls outside them: a slippage of "50" or a drawdown stop of "0.2" is refused
 * rather than obeyed.
 */
import { Decimal } from '../../../core/decimal.js';
import type {
  Allocation,
  AllocationMode,
  CopyMode,
  DrawdownStop,
  Follow,
  FollowSettings,
  Leader,
} from './types.js';
import { ALLOCATION_MODES, COPY_MODES } from './types.js';
import {
  flagField,
  integerField,
  oneOfField,
  percentField,
  positiveField,
  present,
  symbolListField,
  type FollowFieldError,
} from './validation-fields.js';

export {
  FOLLOW_VALIDATION_CODES,
  normalizeSymbol,
  type FollowFieldError,
  type FollowValidationCode,
} from './validation-fields.js';

/** Bounds of follow settings. */
export const FOLLOW_LIMITS = Object.freeze({
  maxRatio: Decimal.fromInt(100),
  /** Far above any real allocation; a larger number is a typo. */
  maxAmount: Decimal.fromInt(1_000_000_000_000),
  maxOpenPositions: [1, 100] as const,
  slippagePct: [Decimal.parse('0.01'), Decimal.fromInt(10)] as const,
  drawdownStopPct: [Decimal.ONE, Decimal.fromInt(99)] as const,
  equityCapPct: [Decimal.ONE, Decimal.fromInt(100)] as const,
  maxSymbols: 200,
});

/** How many leaders one user may follow at a time unless configured otherwise. */
export const DEFAULT_MAX_LEADERS = 10;

/** Follow input as received: amounts are decimal strings, everything else unchecked. */
export interface RawFollowInput {
  leaderId?: unknown;
  accountId?: unknown;
  mode?: unknown;
  /** `fixed_ratio` only. */
  ratio?: unknown;
  /** `fixed_amount` only: quote notional per copied trade. */
  amountPerTrade?: unknown;
  /** `equity_cap` only. */
  equityCapPct?: unknown;
  allocatedAmount?: unknown;
  maxOrderNotional?: unknown;
  maxOpenPositions?: unknown;
  drawdownStopPct?: unknown;
  closeOnDrawdownStop?: unknown;
  allow?: unknown;
  deny?: unknown;
  maxSlippagePct?: unknown;
  /** Default `both`. */
  copyMode?: unknown;
}

export interface FollowValidationContext {
  userId: string;
  /** Accounts the user owns, as decided by the caller. */
  ownedAccountIds: readonly string[];
  /** The leader named by `leaderId`; undefined when there is none. */
  leader: Pick<Leader, 'id' | 'userId' | 'status' | 'accountIds'> | undefined;
  /** The user's follows in any status; ended ones do not count. */
  follows: ReadonlyArray<Pick<Follow, 'id' | 'leaderId' | 'accountId' | 'status'>>;
  /** The follow whose settings are being changed; absent when creating one. */
  editingFollowId?: string;
  maxLeaders?: number;
  /** The account's equity, when known: an allocation above it is refused. */
  accountEquity?: Decimal;
}

export type FollowValidation =
  | { ok: true; leaderId: string; accountId: string; settings: FollowSettings }
  | { ok: false; errors: FollowFieldError[] };

const MODE_FIELDS: Readonly<Record<AllocationMode, keyof RawFollowInput | undefined>> = {
  fixed_ratio: 'ratio',
  proportional: undefined,
  fixed_amount: 'amountPerTrade',
  equity_cap: 'equityCapPct',
};

function idField(field: string, value: unknown, errors: FollowFieldError[]): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  errors.push({ field, code: 'required', message: `${field} is required` });
  return undefined;
}

function allocationOf(
  raw: RawFollowInput,
  allocated: Decimal | undefined,
  errors: FollowFieldError[],
): Allocation | undefined {
  if (!present(raw.mode)) {
    errors.push({ field: 'mode', code: 'required', message: 'mode is required' });
    return undefined;
  }
  const mode = oneOfField('mode', raw.mode, ALLOCATION_MODES, 'invalid_allocation_mode', errors);
  if (!mode) return undefined;
  for (const [m, field] of Object.entries(MODE_FIELDS)) {
    if (field && m !== mode && present(raw[field])) {
      errors.push({ field, code: 'not_allowed_for_mode', message: `${field} applies to ${m}` });
    }
  }
  const need = MODE_FIELDS[mode];
  if (need && !present(raw[need])) {
    errors.push({ field: need, code: 'required', message: `${mode} needs ${need}` });
    return undefined;
  }
  switch (mode) {
    case 'proportional':
      return { mode };
    case 'fixed_ratio': {
      const ratio = positiveField('ratio', raw.ratio, FOLLOW_LIMITS.maxRatio, errors);
      return ratio && { mode, ratio };
    }
    case 'fixed_amount': {
      const amount = positiveField(
        'amountPerTrade',
        raw.amountPerTrade,
        FOLLOW_LIMITS.maxAmount,
        errors,
      );
      if (amount && allocated && amount.gt(allocated)) {
        errors.push({
          field: 'amountPerTrade',
          code: 'fixed_amount_exceeds_allocation',
          message: `${amount} per trade is more than the ${allocated} allocated`,
        });
        return undefined;
      }
      return amount && { mode, amount };
    }
    case 'equity_cap': {
      const capPct = percentField(
        'equityCapPct',
        raw.equityCapPct,
        FOLLOW_LIMITS.equityCapPct,
        errors,
      );
      return capPct && { mode, capPct };
    }
  }
}

/** Who may follow whom from where: self, ownership, the leader's state, how many leaders. */
function checkParties(
  leaderId: string | undefined,
  accountId: string | undefined,
  ctx: FollowValidationContext,
  errors: FollowFieldError[],
): void {
  const leader = ctx.leader;
  if (leaderId !== undefined && (!leader || leader.id !== leaderId)) {
    errors.push({ field: 'leaderId', code: 'unknown_leader', message: `no leader ${leaderId}` });
  }
  if (accountId !== undefined && !ctx.ownedAccountIds.includes(accountId)) {
    errors.push({
      field: 'accountId',
      code: 'account_not_owned',
      message: 'you can only copy into an account you own',
    });
  }
  if (!leader || leader.id !== leaderId) return;
  if (leader.userId === ctx.userId) {
    errors.push({
      field: 'leaderId',
      code: 'cannot_follow_self',
      message: 'you lead this profile',
    });
  } else if (accountId !== undefined && leader.accountIds.includes(accountId)) {
    errors.push({
      field: 'accountId',
      code: 'cannot_follow_self',
      message: "this account is one of the leader's copied accounts",
    });
  }
  const creating = ctx.editingFollowId === undefined;
  if (creating && leader.status !== 'active') {
    errors.push({
      field: 'leaderId',
      code: leader.status === 'paused' ? 'leader_paused' : 'leader_stopped',
      message: `the leader is ${leader.status} and takes no new followers`,
    });
  }
  const live = ctx.follows.filter((f) => f.status !== 'ended' && f.id !== ctx.editingFollowId);
  if (live.some((f) => f.leaderId === leader.id && f.accountId === accountId)) {
    errors.push({
      field: 'leaderId',
      code: 'already_following',
      message: 'this account already follows this leader',
    });
  }
  const leaders = new Set(live.map((f) => f.leaderId));
  const max = ctx.maxLeaders ?? DEFAULT_MAX_LEADERS;
  if (!leaders.has(leader.id) && leaders.size >= max) {
    errors.push({
      field: 'leaderId',
      code: 'too_many_leaders',
      message: `you already follow ${leaders.size} leaders; the limit is ${max}`,
    });
  }
}

/**
 * @example
 *   validateFollowSettings({ leaderId, accountId, mode: 'fixed_ratio', ratio: '0.5',
 *     allocatedAmount: '1000', maxSlippagePct: '0.5' }, ctx)
 */
export function validateFollowSettings(
  raw: RawFollowInput,
  ctx: FollowValidationContext,
): FollowValidation {
  const errors: FollowFieldError[] = [];
  const leaderId = idField('leaderId', raw.leaderId, errors);
  const accountId = idField('accountId', raw.accountId, errors);
  checkParties(leaderId, accountId, ctx, errors);

  let allocatedAmount: Decimal | undefined;
  if (!present(raw.allocatedAmount)) {
    errors.push({
      field: 'allocatedAmount',
      code: 'required',
      message: 'allocatedAmount is required',
    });
  } else {
    allocatedAmount = positiveField(
      'allocatedAmount',
      raw.allocatedAmount,
      FOLLOW_LIMITS.maxAmount,
      errors,
    );
    if (allocatedAmount && ctx.accountEquity && allocatedAmount.gt(ctx.accountEquity)) {
      errors.push({
        field: 'allocatedAmount',
        code: 'allocation_exceeds_equity',
        message: `${allocatedAmount} is more than the account's equity of ${ctx.accountEquity}`,
      });
    }
  }
  const allocation = allocationOf(raw, allocatedAmount, errors);

  const settings: Partial<FollowSettings> = {};
  if (present(raw.maxOrderNotional)) {
    const v = positiveField(
      'maxOrderNotional',
      raw.maxOrderNotional,
      FOLLOW_LIMITS.maxAmount,
      errors,
    );
    if (v) settings.maxOrderNotional = v;
  }
  if (present(raw.maxOpenPositions)) {
    const v = integerField(
      'maxOpenPositions',
      raw.maxOpenPositions,
      FOLLOW_LIMITS.maxOpenPositions,
      errors,
    );
    if (v !== undefined) settings.maxOpenPositions = v;
  }
  const closePositions = flagField('closeOnDrawdownStop', raw.closeOnDrawdownStop, errors);
  if (present(raw.drawdownStopPct)) {
    const pct = percentField(
      'drawdownStopPct',
      raw.drawdownStopPct,
      FOLLOW_LIMITS.drawdownStopPct,
      errors,
    );
    if (pct) settings.drawdownStop = { pct, closePositions } satisfies DrawdownStop;
  } else if (closePositions) {
    errors.push({
      field: 'closeOnDrawdownStop',
      code: 'requires_drawdown_stop',
      message: 'set drawdownStopPct for positions to be closed at it',
    });
  }
  if (present(raw.maxSlippagePct)) {
    const v = percentField('maxSlippagePct', raw.maxSlippagePct, FOLLOW_LIMITS.slippagePct, errors);
    if (v) settings.maxSlippagePct = v;
  }
  const copyMode: CopyMode | undefined = present(raw.copyMode)
    ? oneOfField('copyMode', raw.copyMode, COPY_MODES, 'invalid_copy_mode', errors)
    : 'both';

  const allow = symbolListField('allow', raw.allow, FOLLOW_LIMITS.maxSymbols, errors);
  const deny = symbolListField('deny', raw.deny, FOLLOW_LIMITS.maxSymbols, errors);
  for (const s of deny.filter((x) => allow.includes(x))) {
    errors.push({
      field: 'deny',
      code: 'instrument_in_both_lists',
      message: `${s} is on both the allow and the deny list`,
    });
  }

  if (
    errors.length > 0 ||
    !leaderId ||
    !accountId ||
    !allocation ||
    !allocatedAmount ||
    !copyMode
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    leaderId,
    accountId,
    settings: { ...settings, allocation, allocatedAmount, allow, deny, copyMode },
  };
}
