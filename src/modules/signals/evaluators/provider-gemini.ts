import { ApiError, GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import {
  httpFailure,
  UpstreamError,
  type Completion,
  type CompletionRequest,
  type Provider,
} from './provider.js';

export interface GeminiOptions {
  model: string;
  /** Unset: Google's endpoint. */
  baseUrl?: string | undefined;
  apiKey: string;
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
}

/** Finish reasons that mean the model declined rather than answered. */
const BLOCKED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
]);

/**
 * `models.generateContent` through the official `@google/genai` SDK, with the answer
 * constrained to JSON (`responseMimeType`) following the verdict's JSON Schema
 * (`responseJsonSchema`). The SDK retries only when asked to, and is not.
 */
export class GeminiProvider implements Provider {
  private readonly client: GoogleGenAI;

  constructor(private readonly o: GeminiOptions) {
    this.client = new GoogleGenAI({
      apiKey: o.apiKey,
      ...(o.baseUrl ? { httpOptions: { baseUrl: o.baseUrl } } : {}),
    });
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    let res: GenerateContentResponse;
    try {
      res = await this.client.models.generateContent({
        model: this.o.model,
        contents: [{ role: 'user', parts: [{ text: req.user }] }],
        config: {
          systemInstruction: req.system,
          responseMimeType: 'application/json',
          responseJsonSchema: req.schema,
          ...(this.o.temperature !== undefined ? { temperature: this.o.temperature } : {}),
          ...(this.o.maxOutputTokens !== undefined
            ? { maxOutputTokens: this.o.maxOutputTokens }
            : {}),
          abortSignal: req.signal,
          httpOptions: { timeout: req.timeoutMs },
        },
      });
    } catch (err) {
      throw this.translate(err, req.signal);
    }
    const candidate = res.candidates?.[0];
    const text = (candidate?.content?.parts ?? [])
      .filter((p) => typeof p.text === 'string' && !p.thought)
      .map((p) => p.text)
      .join('');
    const usage = res.usageMetadata;
    const finish = candidate?.finishReason ?? null;
    const blocked = res.promptFeedback?.blockReason;
    return {
      text,
      tokens: {
        prompt: usage?.promptTokenCount ?? 0,
        // Thinking tokens are billed as output.
        completion: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
      },
      finish,
      truncated: finish === 'MAX_TOKENS',
      refusal: blocked
        ? `prompt blocked (${blocked})`
        : finish && BLOCKED.has(finish)
          ? `answer blocked (${finish})`
          : null,
    };
  }

  private translate(err: unknown, signal: AbortSignal): UpstreamError {
    if (err instanceof ApiError) {
      // The SDK's message is the error body as JSON: read the provider's own words from it.
      let status: string | undefined;
      let text: string | undefined;
      try {
        const body = JSON.parse(err.message) as { error?: { message?: string; status?: string } };
        status = body.error?.status;
        text = body.error?.message;
      } catch {
        text = undefined;
      }
      return httpFailure(err.status, status, text, [this.o.apiKey]);
    }
    if (signal.aborted || (err instanceof Error && err.name === 'AbortError')) {
      return new UpstreamError('aborted', 'aborted');
    }
    return new UpstreamError(
      'connection',
      `could not reach the server (${err instanceof Error ? err.name : typeof err})`,
    );
  }
}
