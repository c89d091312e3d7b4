import { STATUS_CODES } from 'node:http';
import { AppError, type ErrorKind, type FieldIssue } from '../../core/errors.js';

/** RFC 9457 problem details, the body of every error response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldIssue[];
}

const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export const PROBLEM_BASE = 'https://obscura.dev/problems/';

export function problemFromAppError(err: AppError): Problem {
  const status = STATUS[err.kind];
  return {
    type: PROBLEM_BASE + err.code,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: err.message,
    code: err.code,
    ...(err.fields.length ? { errors: err.fields } : {}),
  };
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns Ajv's findings into field issues that name the field a person would recognise. */
export function fieldIssuesFromAjv(issues: AjvIssue[], part: string): FieldIssue[] {
  // A union of literals fails as one `const` error per literal plus an `anyOf`: report it as a
  // single "must be one of …" for the field instead.
  const allowed = new Map<string, unknown[]>();
  for (const i of issues) {
    if (i.keyword === 'const') {
      const list = allowed.get(i.instancePath) ?? [];
      list.push(i.params.allowedValue);
      allowed.set(i.instancePath, list);
    }
  }
  const out: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const i of issues) {
    let field = i.instancePath || '';
    let message = i.message ?? 'is invalid';
    if (allowed.has(i.instancePath) && (i.keyword === 'const' || i.keyword === 'anyOf')) {
      message = `must be one of ${allowed.get(i.instancePath)!.join(', ')}`;
    } else if (i.keyword === 'additionalProperties') {
      field += `/${String(i.params.additionalProperty)}`;
      message = 'is not a known field';
    } else if (i.keyword === 'required') {
      field += `/${String(i.params.missingProperty)}`;
      message = 'is required';
    } else if (i.keyword === 'enum' && Array.isArray(i.params.allowedValues)) {
      message = `must be one of ${(i.params.allowedValues as unknown[]).join(', ')}`;
    }
    const issue = { field: `${part}${field || '/'}`, message };
    const key = `${issue.field}|${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

/** Maps Fastify's own errors (bad JSON, size limits, content types) to problems. */
export function problemFromFastifyError(err: {
  code?: string;
  statusCode?: number;
  message: string;
}): Problem | undefined {
  const make = (status: number, code: string, detail: string): Problem => ({
    type: PROBLEM_BASE + code,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
  });
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return make(400, 'malformed_json', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return make(400, 'empty_body', 'The request declares JSON but the body is empty.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return make(413, 'body_too_large', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return make(415, 'unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return make(400, 'invalid_content_length', err.message);
    case 'FST_ERR_BAD_URL':
      return make(400, 'bad_url', 'The request URL is malformed.');
    default:
      if (/forbidden prototype property/i.test(err.message)) {
        return make(
          400,
          'forbidden_property',
          'The request body may not contain "__proto__" or "constructor.prototype".',
        );
      }
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return make(err.statusCode, 'bad_request', err.message);
      }
      return undefined;
  }
}
