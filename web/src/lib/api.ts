/**
 * The HTTP client. Errors arrive as RFC 9457 problem+json; an `ApiError` keeps the server's
 * words and maps each `errors[].field` (a JSON pointer such as `/quantity`, or
 * `querystring:/symbol`) to the form field it names, so a form can show the message beside it.
 */

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Messages by field name: `quantity`, `price`, … ('' for the body as a whole). */
    readonly fields: Record<string, string> = {},
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `/quantity` → `quantity`; `querystring:/symbol` → `symbol`; `/scopes/0` → `scopes`. */
export const fieldName = (pointer: string) =>
  pointer
    .replace(/^[a-z]+:/, '')
    .split('/')
    .filter(Boolean)[0] ?? '';

interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  requestId?: string;
  errors?: FieldIssue[];
}

function toError(status: number, body: unknown): ApiError {
  const p = (typeof body === 'object' && body !== null ? body : {}) as Problem;
  const fields: Record<string, string> = {};
  for (const issue of p.errors ?? []) {
    const name = fieldName(issue.field);
    fields[name] = fields[name] ? `${fields[name]}; ${issue.message}` : issue.message;
  }
  const message = p.detail ?? p.title ?? `The server answered ${status}.`;
  return new ApiError(status, p.code ?? 'http_error', message, fields, p.requestId);
}

export interface TokenSource {
  /** The current access token, if signed in. */
  token(): string | undefined;
  /** Gets a new access token after a 401; false when the session is over. */
  refresh(): Promise<boolean>;
}

export type Api = ReturnType<typeof createApi>;

export function createApi(auth: TokenSource) {
  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    retry = true,
  ): Promise<T> {
    const token = auth.token();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'The server cannot be reached. Is it running?');
    }
    // An expired access token: refresh once and repeat. Orders carry a clientOrderId, so a
    // repeated placement returns the first order instead of placing a second one.
    if (res.status === 401 && token && retry && (await auth.refresh()))
      return request<T>(method, path, body, false);
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) throw toError(res.status, data);
    return data as T;
  }
  return {
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
    patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
    put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
    del: <T = void>(path: string) => request<T>('DELETE', path),
  };
}

/** Worth trying again shortly: unreachable, rate-limited or failing server. */
export const isTransient = (err: unknown) =>
  err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);

/** A message for anything thrown, preferring the server's own words. */
export const messageOf = (err: unknown) =>
  err instanceof Error ? err.message : 'Something went wrong.';
