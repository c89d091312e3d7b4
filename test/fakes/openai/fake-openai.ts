import { randomBytes } from 'node:crypto';
import {
  estimateTokens,
  FakeLlmServer,
  GOOD_VERDICT,
  answer,
  type Answering,
  type RecordedRequest,
  type Reply,
} from './script.js';

export interface FakeOpenAiOptions {
  /** The key every request must carry as `Authorization: Bearer …`; unset accepts any (as Ollama). */
  apiKey?: string;
  /** False answers `json_schema` response formats with a 400, as servers without structured outputs. */
  jsonSchema?: boolean;
  /** Echo the caller's key verbatim in error messages, as a careless proxy would. */
  leakKeyInErrors?: boolean;
}

const err = (
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
  headers?: Record<string, string>,
): Reply => ({
  status,
  body: { error: { message, type, param, code } },
  ...(headers ? { headers } : {}),
});

/** OpenAI's bodies for the statuses tests use. */
function errorFor(status: number, model: string): Reply {
  switch (status) {
    case 400:
      return err(400, 'Bad request.', 'invalid_request_error');
    case 401:
      return err(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    case 429:
      return err(
        429,
        `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`,
        'requests',
        'rate_limit_exceeded',
        null,
        {
          'retry-after': '20',
          'x-ratelimit-limit-requests': '3',
          'x-ratelimit-remaining-requests': '0',
        },
      );
    case 503:
      return err(503, 'The engine is currently overloaded, please try again later', 'server_error');
    default:
      return err(
        status,
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
      );
  }
}

const maskKey = (k: string): string =>
  k.length > 8 ? `${k.slice(0, 3)}${'*'.repeat(Math.min(20, k.length - 7))}${k.slice(-4)}` : '***';

/**
 * A local stand-in for OpenAI's chat completions (and the servers that copy its API: Ollama,
 * vLLM, llama.cpp) that the official `openai` SDK talks to unchanged: `POST
 * /v1/chat/completions` with Bearer authentication, the request checks OpenAI makes on
 * `response_format` (strict schemas must close every object; JSON mode needs the word "json"
 * in the messages), `chat.completion` bodies with `usage`, and OpenAI's error bodies.
 *
 * @example
 * const fake = await FakeOpenAI.start({ apiKey: 'sk-test' });
 * fake.script(answer(GOOD_VERDICT, { usage: { prompt: 1200, completion: 80 } }), hang());
 * const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseUrl });
 */
export class FakeOpenAI extends FakeLlmServer {
  private constructor(private readonly o: FakeOpenAiOptions) {
    super(answer(GOOD_VERDICT));
  }

  static async start(o: FakeOpenAiOptions = {}): Promise<FakeOpenAI> {
    const fake = new FakeOpenAI(o);
    await fake.listen();
    return fake;
  }

  /** The SDK's `baseURL`: `http://127.0.0.1:<port>/v1`. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  protected isModelCall(path: string): boolean {
    return path === '/v1/chat/completions';
  }

  protected precheck(r: RecordedRequest): Reply | undefined {
    if (r.method !== 'POST' || !this.isModelCall(r.path)) {
      return err(404, `Invalid URL (${r.method} ${r.path})`, 'invalid_request_error');
    }
    const auth = r.headers.authorization;
    const key = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (this.o.apiKey !== undefined) {
      if (!key) {
        return err(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          'invalid_request_error',
        );
      }
      if (key !== this.o.apiKey) {
        const shown = this.o.leakKeyInErrors ? key : maskKey(key);
        return err(
          401,
          `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_request_error',
          'invalid_api_key',
        );
      }
    }
    return this.validate(r.body);
  }

  private validate(body: unknown): Reply | undefined {
    const bad = (message: string, param: string | null = null) =>
      err(400, message, 'invalid_request_error', null, param);
    if (!body || typeof body !== 'object') {
      return bad(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      );
    }
    const b = body as Record<string, unknown>;
    if (typeof b.model !== 'string') return bad('you must provide a model parameter');
    if (!Array.isArray(b.messages) || b.messages.length === 0) {
      return bad("[] is too short - 'messages'", 'messages');
    }
    for (const m of b.messages as Array<Record<string, unknown>>) {
      if (!['system', 'user', 'assistant', 'developer', 'tool'].includes(String(m?.role))) {
        return bad(`Invalid value: '${String(m?.role)}'.`, 'messages.[0].role');
      }
    }
    const rf = b.response_format as Record<string, unknown> | undefined;
    if (rf === undefined) return undefined;
    if (rf.type === 'json_object') {
      const text = JSON.stringify(b.messages).toLowerCase();
      if (!text.includes('json')) {
        return bad(
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
          'messages',
        );
      }
      return undefined;
    }
    if (rf.type === 'json_schema') {
      if (this.o.jsonSchema === false) {
        return bad(
          "Invalid value: 'json_schema'. Supported values are: 'json_object' and 'text'.",
          'response_format.type',
        );
      }
      const js = rf.json_schema as Record<string, unknown> | undefined;
      if (!js || typeof js.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(js.name)) {
        return bad(
          "Missing required parameter: 'response_format.json_schema.name'.",
          'response_format.json_schema.name',
        );
      }
      if (js.strict === true) {
        const problem = strictProblem(js.schema, '()');
        if (problem) {
          return bad(
            `Invalid schema for response_format '${js.name}': ${problem}`,
            'response_format',
          );
        }
      }
      return undefined;
    }
    if (rf.type !== 'text')
      return bad(`Invalid value: '${String(rf.type)}'.`, 'response_format.type');
    return undefined;
  }

  protected render(b: Answering, r: RecordedRequest): Reply {
    const model = String((r.body as Record<string, unknown>).model);
    if (b.kind === 'error') {
      if (b.body !== undefined) return { status: b.status, body: b.body };
      const reply = errorFor(b.status, model);
      if (this.o.leakKeyInErrors) {
        const e = (reply.body as { error: { message: string } }).error;
        e.message += ` (request made with key ${r.headers.authorization?.slice(7) ?? 'none'})`;
      }
      return reply;
    }
    const prompt = estimateTokens(JSON.stringify((r.body as Record<string, unknown>).messages));
    const content = b.kind === 'answer' ? b.content : null;
    const usage = b.usage ?? {
      prompt,
      completion: estimateTokens(content ?? (b.kind === 'refuse' ? b.text : '')),
    };
    return {
      status: 200,
      body: {
        id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content,
              refusal: b.kind === 'refuse' ? b.text : null,
              annotations: [],
            },
            logprobs: null,
            finish_reason: b.kind === 'answer' ? (b.finish ?? 'stop') : 'stop',
          },
        ],
        usage: {
          prompt_tokens: usage.prompt,
          completion_tokens: usage.completion,
          total_tokens: usage.prompt + usage.completion,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        service_tier: 'default',
        system_fingerprint: 'fp_fake',
      },
    };
  }
}

/**
 * What OpenAI's strict mode refuses in a schema: an object that does not set
 * `additionalProperties: false` or does not require every property.
 */
function strictProblem(schema: unknown, context: string): string | undefined {
  if (!schema || typeof schema !== 'object')
    return `In context=${context}, schema must be a JSON Schema object.`;
  const s = schema as Record<string, unknown>;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('object')) {
    if (s.additionalProperties !== false) {
      return `In context=${context}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const props = Object.keys((s.properties as Record<string, unknown>) ?? {});
    const required = new Set((s.required as string[]) ?? []);
    const missing = props.filter((p) => !required.has(p));
    if (missing.length) {
      return `In context=${context}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`;
    }
    for (const p of props) {
      const inner = strictProblem(
        (s.properties as Record<string, unknown>)[p],
        `('properties', '${p}')`,
      );
      if (inner) return inner;
    }
  }
  return undefined;
}
