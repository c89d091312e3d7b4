/**
 * The WebSocket protocol: what a client may send, what the server answers, and how a
 * subscription request becomes a feed channel. Pure functions, no sockets; see README.md.
 */
import { channels } from '../../core/topics.js';
import { TIMEFRAMES, type Timeframe } from '../market/index.js';

export const PUBLIC_KINDS = ['ticker', 'trades', 'book', 'candles'] as const;
export const PRIVATE_KINDS = ['orders', 'fills', 'positions', 'balances'] as const;
/** The caller's evaluated signals, filtered per subscription by model, symbol and source. */
export const DECISIONS = 'decisions';
export type PublicKind = (typeof PUBLIC_KINDS)[number];
export type PrivateKind = (typeof PRIVATE_KINDS)[number];
export type ChannelKind = PublicKind | PrivateKind | typeof DECISIONS;

/** What one `decisions` subscription lets through; an absent field matches anything. */
export interface DecisionFilter {
  model?: string;
  symbol?: string;
  source?: string;
}

// The market module's candle timeframes, so the edge refuses a typo before subscribing.
export { TIMEFRAMES, type Timeframe } from '../market/index.js';

export const DEFAULT_VENUE = 'paper';
/** Client frames are a few hundred bytes; anything far bigger is a mistake or an attack. */
export const MAX_FRAME_BYTES = 4096;

// Neither may contain '.', the channel separator, or a filter could reach another channel.
const VENUE = /^[a-z0-9][a-z0-9_:-]{0,31}$/;
const SYMBOL = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const SOURCE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export type RequestId = number | string;

/** A subscription request, validated: public channels always carry their instrument. */
export type ChannelRequest =
  | { channel: Exclude<PublicKind, 'candles'>; venue: string; symbol: string }
  | { channel: 'candles'; venue: string; symbol: string; timeframe: Timeframe }
  | { channel: PrivateKind }
  | { channel: typeof DECISIONS; filter: DecisionFilter };

export type ClientFrame =
  | { op: 'auth'; id?: RequestId; token: string }
  | { op: 'auth'; id?: RequestId; apiKey: string }
  | ({ op: 'subscribe' | 'unsubscribe'; id?: RequestId } & ChannelRequest)
  | { op: 'ping'; id?: RequestId };

export type ErrorCode =
  | 'frame_too_large'
  | 'binary_not_supported'
  | 'invalid_json'
  | 'invalid_frame'
  | 'unknown_op'
  | 'unknown_field'
  | 'missing_field'
  | 'invalid_field'
  | 'unknown_channel'
  | 'unauthenticated'
  | 'insufficient_scope'
  | 'too_many_subscriptions'
  | 'user_mismatch'
  | 'internal';

export interface ErrorFrame {
  type: 'error';
  id?: RequestId;
  /** One of `ErrorCode`, or an identity code such as `invalid_token` or `token_expired`. */
  code: ErrorCode | (string & {});
  message: string;
  /** The offending field of the client's frame, when one is to blame. */
  field?: string;
}

export type ServerFrame =
  | { type: 'authenticated'; id?: RequestId; userId: string; via: 'jwt' | 'api_key' }
  | { type: 'subscribed'; id?: RequestId; channel: string; filter?: DecisionFilter }
  | { type: 'unsubscribed'; id?: RequestId; channel: string; filter?: DecisionFilter }
  | { type: 'pong'; id?: RequestId }
  | ErrorFrame
  | { type: ChannelKind; channel: string; data: unknown };

export type Parsed = { ok: true; frame: ClientFrame } | { ok: false; error: ErrorFrame };

const fail = (
  code: ErrorCode,
  message: string,
  field?: string,
  id?: RequestId,
): { ok: false; error: ErrorFrame } => ({
  ok: false,
  error: {
    type: 'error',
    ...(id === undefined ? {} : { id }),
    code,
    message,
    ...(field ? { field } : {}),
  },
});

const ALLOWED: Record<ClientFrame['op'], readonly string[]> = {
  auth: ['op', 'id', 'token', 'apiKey'],
  subscribe: ['op', 'id', 'channel', 'venue', 'symbol', 'timeframe', 'model', 'source'],
  unsubscribe: ['op', 'id', 'channel', 'venue', 'symbol', 'timeframe', 'model', 'source'],
  ping: ['op', 'id'],
};

const isKind = (v: unknown): v is ChannelKind =>
  (PUBLIC_KINDS as readonly unknown[]).includes(v) ||
  (PRIVATE_KINDS as readonly unknown[]).includes(v) ||
  v === DECISIONS;

export const isPrivateKind = (k: ChannelKind): k is PrivateKind =>
  (PRIVATE_KINDS as readonly string[]).includes(k);

/**
 * Parses and validates one text frame. Every refusal names what is wrong and, where it can,
 * the field and the request id, so a client can fix its frame without guessing.
 */
export function parseClientFrame(text: string): Parsed {
  if (Buffer.byteLength(text) > MAX_FRAME_BYTES)
    return fail('frame_too_large', `frames are limited to ${MAX_FRAME_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('invalid_json', 'the frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('invalid_frame', 'a frame must be a JSON object');
  const o = value as Record<string, unknown>;

  let id: RequestId | undefined;
  if (o.id !== undefined) {
    const ok =
      (typeof o.id === 'number' && Number.isSafeInteger(o.id)) ||
      (typeof o.id === 'string' && o.id.length > 0 && o.id.length <= 64);
    if (!ok)
      return fail('invalid_field', 'id must be an integer or a string of 1 to 64 characters', 'id');
    id = o.id as RequestId;
  }
  if (o.op === undefined) return fail('missing_field', 'op is required', 'op', id);
  if (typeof o.op !== 'string' || !Object.hasOwn(ALLOWED, o.op))
    return fail('unknown_op', `op must be one of ${Object.keys(ALLOWED).join(', ')}`, 'op', id);
  const op = o.op as ClientFrame['op'];
  for (const key of Object.keys(o)) {
    if (!ALLOWED[op].includes(key))
      return fail('unknown_field', `${key} is not a field of ${op}`, key, id);
  }
  const withId = id === undefined ? {} : { id };

  switch (op) {
    case 'ping':
      return { ok: true, frame: { op, ...withId } };
    case 'auth': {
      if (o.token !== undefined && o.apiKey !== undefined)
        return fail('invalid_field', 'send either token or apiKey, not both', 'apiKey', id);
      const [field, v] = o.token !== undefined ? ['token', o.token] : ['apiKey', o.apiKey];
      if (v === undefined) return fail('missing_field', 'token or apiKey is required', 'token', id);
      if (typeof v !== 'string' || v.length === 0 || v.length > 2048)
        return fail('invalid_field', `${field} must be a non-empty string`, field, id);
      return {
        ok: true,
        frame: field === 'token' ? { op, ...withId, token: v } : { op, ...withId, apiKey: v },
      };
    }
    case 'subscribe':
    case 'unsubscribe': {
      const req = parseChannelRequest(o, id);
      return req.ok ? { ok: true, frame: { op, ...withId, ...req.value } } : req;
    }
  }
}

function parseChannelRequest(
  o: Record<string, unknown>,
  id: RequestId | undefined,
): { ok: true; value: ChannelRequest } | { ok: false; error: ErrorFrame } {
  const kinds = [...PUBLIC_KINDS, ...PRIVATE_KINDS, DECISIONS].join(', ');
  if (o.channel === undefined) return fail('missing_field', 'channel is required', 'channel', id);
  if (!isKind(o.channel))
    return fail('unknown_channel', `channel must be one of ${kinds}`, 'channel', id);
  const channel = o.channel;
  if (channel === DECISIONS) return parseDecisionFilter(o, id);
  for (const f of ['model', 'source'])
    if (o[f] !== undefined)
      return fail('invalid_field', `${f} applies to the decisions channel only`, f, id);
  if (isPrivateKind(channel)) {
    // Private channels are always the caller's own; they take no filters, least of all a user.
    for (const f of ['venue', 'symbol', 'timeframe'])
      if (o[f] !== undefined)
        return fail('invalid_field', `${channel} is private and takes no ${f}`, f, id);
    return { ok: true, value: { channel } };
  }
  const venue = o.venue ?? DEFAULT_VENUE;
  if (typeof venue !== 'string' || !VENUE.test(venue))
    return fail('invalid_field', 'venue must look like "paper" or "ccxt:binance"', 'venue', id);
  if (o.symbol === undefined)
    return fail('missing_field', `symbol is required for ${channel}`, 'symbol', id);
  if (typeof o.symbol !== 'string' || !SYMBOL.test(o.symbol))
    return fail('invalid_field', 'symbol must look like "BTC/USDT" (upper case)', 'symbol', id);
  if (channel !== 'candles') {
    if (o.timeframe !== undefined)
      return fail('invalid_field', 'timeframe applies to candles only', 'timeframe', id);
    return { ok: true, value: { channel, venue, symbol: o.symbol } };
  }
  if (o.timeframe === undefined)
    return fail('missing_field', 'timeframe is required for candles', 'timeframe', id);
  if (!(TIMEFRAMES as readonly unknown[]).includes(o.timeframe))
    return fail(
      'invalid_field',
      `timeframe must be one of ${TIMEFRAMES.join(', ')}`,
      'timeframe',
      id,
    );
  return {
    ok: true,
    value: { channel, venue, symbol: o.symbol, timeframe: o.timeframe as Timeframe },
  };
}

/** A `decisions` subscription: the channel is always the caller's own; filters are optional. */
function parseDecisionFilter(
  o: Record<string, unknown>,
  id: RequestId | undefined,
): { ok: true; value: ChannelRequest } | { ok: false; error: ErrorFrame } {
  for (const f of ['venue', 'timeframe'])
    if (o[f] !== undefined)
      return fail(
        'invalid_field',
        `decisions takes no ${f}; filter by model, symbol or source`,
        f,
        id,
      );
  const filter: DecisionFilter = {};
  const rules: Array<[keyof DecisionFilter, RegExp, string]> = [
    ['model', MODEL, 'model must be an evaluator id such as "quant.trend_alignment"'],
    ['symbol', SYMBOL, 'symbol must look like "BTC/USDT" (upper case)'],
    ['source', SOURCE, 'source must be 1–64 letters, digits or . _ : -'],
  ];
  for (const [field, pattern, message] of rules) {
    const v = o[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !pattern.test(v)) return fail('invalid_field', message, field, id);
    filter[field] = v;
  }
  return { ok: true, value: { channel: DECISIONS, filter } };
}

/** A stable text of a filter, so the same filter sent twice is one subscription. */
export const filterKey = (f: DecisionFilter): string =>
  `${f.model ?? ''}\u0000${f.symbol ?? ''}\u0000${f.source ?? ''}`;

/**
 * Whether a `decisions` message (a SignalDecidedPayload: the signal, every model's decision
 * and the consensus) passes a filter: its signal's symbol and source, and for `model`, a
 * decision of that model among those it carries.
 */
export function decisionMatches(f: DecisionFilter, data: unknown): boolean {
  const d = data as {
    signal?: { symbol?: unknown; source?: unknown };
    decisions?: Array<{ modelId?: unknown }>;
  } | null;
  if (!d || typeof d !== 'object') return false;
  if (f.symbol !== undefined && d.signal?.symbol !== f.symbol) return false;
  if (f.source !== undefined && d.signal?.source !== f.source) return false;
  if (f.model !== undefined)
    return Array.isArray(d.decisions) && d.decisions.some((x) => x?.modelId === f.model);
  return true;
}

/**
 * The feed channel a request names. Private channels are built from the authenticated user's
 * id only, so no frame can reach another user's messages.
 */
export function feedChannel(req: ChannelRequest, userId: string): string {
  switch (req.channel) {
    case 'ticker':
      return channels.ticker(req.venue, req.symbol);
    case 'trades':
      return channels.trades(req.venue, req.symbol);
    case 'book':
      return channels.book(req.venue, req.symbol);
    case 'candles':
      return channels.candles(req.venue, req.symbol, req.timeframe);
    case DECISIONS:
      return channels.user(userId, 'decisions');
    default:
      return channels.user(userId, req.channel);
  }
}

/**
 * The data frame for one feed message, serialised once for every subscriber. `type` and
 * `channel` are fixed text, so only `data` goes through JSON.stringify.
 */
export function encodeData(type: ChannelKind, channel: string, data: unknown): Buffer {
  return Buffer.from(
    `{"type":"${type}","channel":${JSON.stringify(channel)},"data":${JSON.stringify(data) ?? 'null'}}`,
  );
}

export const encode = (frame: ServerFrame): string => JSON.stringify(frame);
