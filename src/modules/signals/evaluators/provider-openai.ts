import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { JsonMode } from './config.js';
import {
  httpFailure,
  UpstreamError,
  type Completion,
  type CompletionRequest,
  type Provider,
} from './provider.js';

export interface OpenAiOptions {
  model: string;
  /** Unset: OpenAI itself. */
  baseUrl?: string | undefined;
  /** Local servers (Ollama, llama.cpp) accept any key or none. */
  apiKey: string | undefined;
  jsonMode: JsonMode;
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
}

/** Sent when a local server needs no key: the SDK refuses to start without one. */
const NO_KEY = 'no-key';

/**
 * Chat completions through the official `openai` SDK, for OpenAI and the servers that speak
 * its API (Ollama, vLLM, llama.cpp). The answer is constrained by `response_format`: a strict
 * JSON Schema, or plain JSON mode (`json_object`) for servers without structured outputs. The
 * SDK's retries are off, so the deadline is the caller's alone.
 */
export class OpenAiProvider implements Provider {
  private readonly client: OpenAI;

  constructor(private readonly o: OpenAiOptions) {
    this.client = new OpenAI({
      apiKey: o.apiKey ?? NO_KEY,
      ...(o.baseUrl ? { baseURL: o.baseUrl } : {}),
      maxRetries: 0,
      // The SDK logs nothing of ours: requests carry the prompt and the key.
      logLevel: 'off',
    });
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.o.model,
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content: req.user },
      ],
      response_format:
        this.o.jsonMode === 'json_schema'
          ? {
              type: 'json_schema',
              json_schema: { name: req.schemaName, strict: true, schema: req.schema },
            }
          : { type: 'json_object' },
      ...(this.o.temperature !== undefined ? { temperature: this.o.temperature } : {}),
      ...(this.o.maxOutputTokens !== undefined
        ? { max_completion_tokens: this.o.maxOutputTokens }
        : {}),
    };
    let res: OpenAI.Chat.Completions.ChatCompletion;
    try {
      res = await this.client.chat.completions.create(body, {
        signal: req.signal,
        timeout: req.timeoutMs,
        maxRetries: 0,
      });
    } catch (err) {
      throw this.translate(err);
    }
    const choice = res.choices?.[0];
    const usage = res.usage;
    return {
      text: choice?.message?.content ?? '',
      tokens: { prompt: usage?.prompt_tokens ?? 0, completion: usage?.completion_tokens ?? 0 },
      finish: choice?.finish_reason ?? null,
      truncated: choice?.finish_reason === 'length',
      refusal:
        choice?.message?.refusal ??
        (choice?.finish_reason === 'content_filter' ? 'content filter' : null),
    };
  }

  private translate(err: unknown): UpstreamError {
    if (err instanceof OpenAI.APIUserAbortError) return new UpstreamError('aborted', 'aborted');
    if (err instanceof OpenAI.APIConnectionTimeoutError) {
      return new UpstreamError('timeout', 'the request timed out');
    }
    if (err instanceof OpenAI.APIConnectionError) {
      return new UpstreamError('connection', 'could not reach the server');
    }
    if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
      const body = err.error as { message?: unknown } | undefined;
      const text = typeof body?.message === 'string' ? body.message : undefined;
      const code = err.code ?? err.type ?? undefined;
      return httpFailure(err.status, code ?? undefined, text, this.secrets());
    }
    // Anything else (a body that is not JSON, a bug) is reported by its type, never its text,
    // which could quote the request.
    return new UpstreamError(
      'connection',
      `unexpected failure (${err instanceof Error ? err.name : typeof err})`,
    );
  }

  private secrets(): string[] {
    return this.o.apiKey ? [this.o.apiKey] : [];
  }
}
