import { randomBytes } from 'node:crypto';
import {
  answer,
  estimateTokens,
  FakeLlmServer,
  GOOD_VERDICT,
  type Answering,
  type RecordedRequest,
  type Reply,
} from '../openai/script.js';

export interface FakeGeminiOptions {
  /** The key every request must carry (`x-goog-api-key` header or `key` query parameter). */
  apiKey: string;
}

const CALL = /^\/v1beta\/models\/([^/:]+):generateContent$/;

const err = (code: number, status: string, message: string, details?: unknown[]): Reply => ({
  status: code,
  body: { error: { code, message, status, ...(details ? { details } : {}) } },
});

/** Google's bodies for the statuses tests use. */
function errorFor(status: number): Reply {
  switch (status) {
    case 400:
      return err(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');
    case 429:
      return err(
        429,
        'RESOURCE_EXHAUSTED',
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.RetryInfo',
            retryDelay: '20s',
          },
        ],
      );
    case 503:
      return err(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    default:
      return err(
        status,
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
  }
}

/**
 * A local stand-in for the Gemini API's `models.generateContent` that the official
 * `@google/genai` SDK talks to unchanged: `POST /v1beta/models/{model}:generateContent` with
 * the key in `x-goog-api-key`, Google's checks on JSON output (a response schema needs
 * `responseMimeType: application/json`), `candidates` with `usageMetadata`, and Google's error
 * bodies (`{ error: { code, message, status } }`).
 *
 * @example
 * const fake = await FakeGemini.start({ apiKey: 'gm-test' });
 * const ai = new GoogleGenAI({ apiKey: 'gm-test', httpOptions: { baseUrl: fake.baseUrl } });
 */
export class FakeGemini extends FakeLlmServer {
  private constructor(private readonly o: FakeGeminiOptions) {
    super(answer(GOOD_VERDICT));
  }

  static async start(o: FakeGeminiOptions): Promise<FakeGemini> {
    const fake = new FakeGemini(o);
    await fake.listen();
    return fake;
  }

  /** The SDK's `httpOptions.baseUrl`. */
  get baseUrl(): string {
    return this.origin;
  }

  protected isModelCall(path: string): boolean {
    return CALL.test(path);
  }

  protected precheck(r: RecordedRequest): Reply | undefined {
    if (r.method !== 'POST' || !CALL.test(r.path)) {
      return err(404, 'NOT_FOUND', `Method not found: ${r.method} ${r.path}`);
    }
    const key = r.headers['x-goog-api-key'] ?? r.query.key;
    if (!key) {
      return err(
        403,
        'PERMISSION_DENIED',
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    if (key !== this.o.apiKey) {
      return err(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
      ]);
    }
    return this.validate(r.body);
  }

  private validate(body: unknown): Reply | undefined {
    const bad = (message: string) => err(400, 'INVALID_ARGUMENT', message);
    if (!body || typeof body !== 'object') return bad('Invalid JSON payload received.');
    const b = body as Record<string, unknown>;
    if (!Array.isArray(b.contents) || b.contents.length === 0) {
      return bad('* GenerateContentRequest.contents: contents is not specified\n');
    }
    const gc = (b.generationConfig ?? {}) as Record<string, unknown>;
    const schema = gc.responseJsonSchema ?? gc.responseSchema;
    if (schema !== undefined && gc.responseMimeType !== 'application/json') {
      return bad(
        '* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `application/json` and `text/x.enum` when response_schema is set.\n',
      );
    }
    if (gc.responseJsonSchema !== undefined && gc.responseSchema !== undefined) {
      return bad('response_schema and response_json_schema cannot both be set.');
    }
    return undefined;
  }

  protected render(b: Answering, r: RecordedRequest): Reply {
    const model = CALL.exec(r.path)![1]!;
    if (b.kind === 'error')
      return b.body !== undefined ? { status: b.status, body: b.body } : errorFor(b.status);
    const prompt = estimateTokens(JSON.stringify(r.body));
    const usage = b.usage ?? {
      prompt,
      completion: b.kind === 'answer' ? estimateTokens(b.content) : 0,
    };
    const candidate =
      b.kind === 'refuse'
        ? {
            finishReason: 'SAFETY',
            index: 0,
            safetyRatings: [
              { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
            ],
          }
        : {
            content: { parts: [{ text: b.content }], role: 'model' },
            finishReason: b.finish ?? 'STOP',
            index: 0,
          };
    return {
      status: 200,
      body: {
        candidates: [candidate],
        usageMetadata: {
          promptTokenCount: usage.prompt,
          candidatesTokenCount: usage.completion,
          totalTokenCount: usage.prompt + usage.completion,
          promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.prompt }],
        },
        modelVersion: model,
        responseId: randomBytes(12).toString('base64url'),
      },
    };
  }
}
