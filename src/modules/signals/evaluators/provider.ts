/**
 * What an LLM evaluator needs from a provider's SDK: one structured completion, its token
 * counts, and failures sorted into kinds it can act on. Adapters (OpenAI-compatible, Gemini)
 * translate their SDK's shapes and errors into these.
 */

export interface CompletionRequest {
  system: string;
  user: string;
  /** JSON Schema the answer must follow. */
  schema: Record<string, unknown>;
  schemaName: string;
  /** Aborted at the model's deadline or the pipeline's, whichever comes first. */
  signal: AbortSignal;
  timeoutMs: number;
}

export interface Completion {
  text: string;
  tokens: { prompt: number; completion: number };
  /** The provider's finish reason as it reported it (`stop`, `length`, `STOP`, `SAFETY`…). */
  finish: string | null;
  /** True when the provider cut the answer at the output-token limit. */
  truncated: boolean;
  /** Set when the model declined to answer (a refusal, a safety block). */
  refusal: string | null;
}

export interface Provider {
  complete(req: CompletionRequest): Promise<Completion>;
}

export type UpstreamKind = 'http' | 'connection' | 'timeout' | 'aborted';

/**
 * A call that got no usable HTTP answer. `message` is already safe to record: adapters build
 * it from the status and the provider's error code, scrubbed of the API key, never from the
 * request.
 */
export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/**
 * Text safe to keep from a provider's error: every secret replaced, one line, bounded. An
 * authentication failure's text is dropped entirely, since providers echo parts of the key.
 */
export function safeUpstreamText(
  status: number | undefined,
  text: string | undefined,
  secrets: readonly string[],
): string {
  if (!text || status === 401 || status === 403) return '';
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}

/** A readable sentence for an HTTP failure: status, provider code, scrubbed message. */
export function httpFailure(
  status: number,
  code: string | undefined,
  text: string | undefined,
  secrets: readonly string[],
): UpstreamError {
  const detail = safeUpstreamText(status, text, secrets);
  const what =
    status === 401 || status === 403
      ? 'the API key was refused'
      : status === 429
        ? 'rate limited or out of quota'
        : status >= 500
          ? 'the provider failed'
          : 'the request was refused';
  // The provider's code is shown only when it is a plain identifier naming no secret: a
  // provider (or a proxy) may echo the key inside it, as it may in its message.
  const shown =
    code &&
    /^[A-Za-z0-9_.-]{1,64}$/.test(code) &&
    !secrets.some((s) => s.length >= 4 && code.includes(s))
      ? code
      : undefined;
  const parts = [`HTTP ${status}`, shown ? `(${shown})` : '', `— ${what}`].filter(Boolean);
  return new UpstreamError('http', `${parts.join(' ')}${detail ? `: ${detail}` : ''}`, status);
}
