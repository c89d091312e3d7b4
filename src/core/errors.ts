/**
 * Typed errors thrown by domain and infrastructure code. One mapper at the HTTP and WebSocket
 * edge turns them into problem+json or error frames; nothing below the edge knows about HTTP.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface FieldIssue {
  /** JSON-pointer-like path of the offending field, e.g. `/email` or `/scopes/0`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** Stable machine-readable code, e.g. `refresh_token_reused`. */
  readonly code: string;
  readonly fields: FieldIssue[];
  /** Seconds a client should wait before retrying, for `rate_limited`. */
  readonly retryAfter: number | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { fields?: FieldIssue[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.fields = opts.fields ?? [];
    this.retryAfter = opts.retryAfter;
  }
}

export const validationError = (field: string, message: string, code = 'invalid_field') =>
  new AppError('validation', code, `${field}: ${message}`, { fields: [{ field, message }] });

export const notFound = (what: string, code = 'not_found') =>
  new AppError('not_found', code, `${what} not found`);

export const conflict = (code: string, message: string) => new AppError('conflict', code, message);

export const unauthenticated = (code: string, message: string) =>
  new AppError('unauthenticated', code, message);

export const forbidden = (code: string, message: string) =>
  new AppError('forbidden', code, message);
