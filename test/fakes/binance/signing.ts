import { createHmac, timingSafeEqual } from 'node:crypto';

/** What Binance reports for a key at GET /sapi/v1/account/apiRestrictions. */
export interface ApiRestrictions {
  ipRestrict: boolean;
  createTime: number;
  enableReading: boolean;
  enableSpotAndMarginTrading: boolean;
  enableWithdrawals: boolean;
  enableInternalTransfer: boolean;
  enableMargin: boolean;
  enableFutures: boolean;
  permitsUniversalTransfer: boolean;
  enableVanillaOptions: boolean;
  enableFixApiTrade: boolean;
  enableFixReadOnly: boolean;
  enablePortfolioMarginTrading: boolean;
}

/** A key as Binance creates it by default: reading only. */
export const READ_ONLY: ApiRestrictions = {
  ipRestrict: false,
  createTime: Date.UTC(2025, 0, 1),
  enableReading: true,
  enableSpotAndMarginTrading: false,
  enableWithdrawals: false,
  enableInternalTransfer: false,
  enableMargin: false,
  enableFutures: false,
  permitsUniversalTransfer: false,
  enableVanillaOptions: false,
  enableFixApiTrade: false,
  enableFixReadOnly: true,
  enablePortfolioMarginTrading: false,
};

export const TRADE_ONLY: ApiRestrictions = { ...READ_ONLY, enableSpotAndMarginTrading: true };

export interface ApiKey {
  apiKey: string;
  secret: string;
  account: string;
  restrictions: ApiRestrictions;
}

/** A refusal in Binance's own shape and with the HTTP status it comes with. */
export class BinanceError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly msg: string,
    readonly data?: unknown,
  ) {
    super(msg);
  }
  body() {
    return {
      code: this.code,
      msg: this.msg,
      ...(this.data === undefined ? {} : { data: this.data }),
    };
  }
}

export const ERR = {
  keyFormat: () => new BinanceError(401, -2014, 'API-key format invalid.'),
  keyInvalid: () => new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  signature: () => new BinanceError(400, -1022, 'Signature for this request is not valid.'),
  recvWindow: () =>
    new BinanceError(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  ahead: () =>
    new BinanceError(
      400,
      -1021,
      "Timestamp for this request was 1000ms ahead of the server's time.",
    ),
  mandatory: (name: string) =>
    new BinanceError(
      400,
      -1102,
      `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
    ),
};

const hmac = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(payload).digest('hex');

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Removes `signature=…` from a raw query or body, returning what remains and the value. */
function takeSignature(raw: string): { rest: string; signature: string | undefined } {
  let signature: string | undefined;
  const rest = raw
    .split('&')
    .filter((part) => {
      if (!part.startsWith('signature=')) return true;
      signature = decodeURIComponent(part.slice('signature='.length));
      return false;
    })
    .join('&');
  return { rest, signature };
}

function checkTimestamp(params: URLSearchParams | Map<string, string>, now: number): void {
  const ts = Number(params.get('timestamp'));
  if (!params.get('timestamp') || !Number.isSafeInteger(ts)) throw ERR.mandatory('timestamp');
  const recvWindow = Number(params.get('recvWindow') ?? 5000);
  if (ts > now + 1000) throw ERR.ahead();
  if (now - ts > recvWindow) throw ERR.recvWindow();
}

/**
 * A SIGNED REST request, checked as Binance does: the key first (-2014 missing, -2015
 * unknown), then HMAC-SHA256 over the query string followed by the body, then the time.
 */
export function verifyRest(
  keys: ReadonlyMap<string, ApiKey>,
  apiKeyHeader: string | undefined,
  rawQuery: string,
  rawBody: string,
  now: number,
): { key: ApiKey; params: URLSearchParams } {
  if (!apiKeyHeader) throw ERR.keyFormat();
  const key = keys.get(apiKeyHeader);
  if (!key) throw ERR.keyInvalid();
  const q = takeSignature(rawQuery);
  const b = takeSignature(rawBody);
  const signature = q.signature ?? b.signature;
  if (!signature) throw ERR.mandatory('signature');
  if (!sameHex(hmac(key.secret, q.rest + b.rest), signature.toLowerCase())) throw ERR.signature();
  const params = new URLSearchParams(q.rest);
  for (const [k, v] of new URLSearchParams(b.rest)) params.set(k, v);
  checkTimestamp(params, now);
  return { key, params };
}

/** WebSocket API: the payload is every parameter but `signature`, sorted by name. */
export function verifyWsParams(
  keys: ReadonlyMap<string, ApiKey>,
  params: Record<string, unknown>,
  now: number,
): ApiKey {
  const apiKey = typeof params.apiKey === 'string' ? params.apiKey : undefined;
  if (!apiKey) throw ERR.keyFormat();
  const key = keys.get(apiKey);
  if (!key) throw ERR.keyInvalid();
  const payload = Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&');
  const signature = typeof params.signature === 'string' ? params.signature : '';
  if (!sameHex(hmac(key.secret, payload), signature.toLowerCase())) throw ERR.signature();
  const asMap = new Map(Object.entries(params).map(([k, v]) => [k, String(v)]));
  checkTimestamp(asMap, now);
  return key;
}
