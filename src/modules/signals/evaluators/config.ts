import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { Decimal } from '../../../core/decimal.js';
import { int, type ConfigOf, type Field } from '../../../platform/config/index.js';

/** The built-in quant models, by the name SIGNALS_QUANT_EVALUATORS lists them. */
export const QUANT_MODELS = ['trend_alignment', 'momentum_regime', 'risk_reward'] as const;
export type QuantModel = (typeof QUANT_MODELS)[number];

export const PROVIDERS = ['openai', 'gemini'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
export const JSON_MODES = ['json_schema', 'json_object'] as const;
export type JsonMode = (typeof JSON_MODES)[number];

export const DEFAULT_PROMPT = 'evaluate_signal.v1';

/**
 * One LLM judging signals, as an operator declares it in SIGNALS_MODELS (or the file
 * SIGNALS_MODELS_FILE names). The API key is never part of it: `apiKeyEnv` names the variable
 * that holds it.
 */
export interface ModelConfig {
  /** The evaluator becomes `llm.<id>`. */
  id: string;
  provider: ProviderName;
  /** The provider's model name, e.g. `gpt-4o-mini`, `llama3.1:8b`, `gemini-2.5-flash`. */
  model: string;
  /** OpenAI-compatible server (`http://127.0.0.1:11434/v1` for Ollama) or Gemini endpoint. */
  baseUrl?: string;
  apiKeyEnv?: string;
  timeoutMs?: number;
  /** Prompt plus completion tokens per UTC day; unset for no limit. */
  dailyTokenBudget?: number;
  /** US dollars per UTC day (decimal string); unset for no limit. */
  dailyCostBudgetUsd?: string;
  /** US dollars per million input / output tokens (decimal strings); unset: no cost. */
  inputPricePerMTok?: string;
  outputPricePerMTok?: string;
  /** OpenAI-compatible only: `json_object` for servers without structured outputs. */
  jsonMode?: JsonMode;
  /** Prompt file under prompts/, without `.md`. */
  prompt?: string;
  temperature?: number;
  maxOutputTokens?: number;
}

// At most 12 decimals: a token count times a price, over a million, then fits NUMERIC's and
// Decimal's 18 places exactly.
const DECIMAL = '^[0-9]{1,12}(\\.[0-9]{1,12})?$';

const MODEL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'provider', 'model'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    provider: { type: 'string', enum: PROVIDERS },
    model: { type: 'string', minLength: 1, maxLength: 200 },
    baseUrl: { type: 'string', pattern: '^https?://', maxLength: 2000 },
    apiKeyEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600_000 },
    dailyTokenBudget: { type: 'integer', minimum: 1, maximum: 1e13 },
    dailyCostBudgetUsd: { type: 'string', pattern: DECIMAL },
    inputPricePerMTok: { type: 'string', pattern: DECIMAL },
    outputPricePerMTok: { type: 'string', pattern: DECIMAL },
    jsonMode: { type: 'string', enum: JSON_MODES },
    prompt: { type: 'string', pattern: '^[a-z0-9_]+\\.v[0-9]+$' },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    maxOutputTokens: { type: 'integer', minimum: 16, maximum: 100_000 },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateModels = ajv.compile<unknown[]>({
  type: 'array',
  maxItems: 64,
  items: MODEL_SCHEMA,
});

function describeIssue(e: ErrorObject): string {
  const [, index, field] = /^\/(\d+)(?:\/(.+))?$/.exec(e.instancePath) ?? [];
  const where = index === undefined ? '' : `model ${index}`;
  const at = (f: string | undefined) => [where, f].filter(Boolean).join(': ');
  if (e.keyword === 'additionalProperties') {
    const name = String(e.params.additionalProperty);
    const hint = /key|secret|token/i.test(name)
      ? ' (put the key in an environment variable and name it in apiKeyEnv)'
      : '';
    return `${at(undefined)}: unknown field "${name}"${hint}`;
  }
  if (e.keyword === 'required')
    return `${at(undefined)}: "${String(e.params.missingProperty)}" is required`;
  if (e.keyword === 'enum') {
    return `${at(field)} must be one of ${(e.params.allowedValues as string[]).join(', ')}`;
  }
  if (e.keyword === 'pattern' && field && /Usd|PerMTok/.test(field)) {
    return `${at(field)} must be a non-negative decimal string with at most 12 decimals, such as "0.15"`;
  }
  return `${at(field) || 'the value'} ${e.message ?? 'is invalid'}`;
}

/** Parses and checks a JSON array of model configurations; `source` names it in errors. */
export function parseModels(text: string, source: string): ModelConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not valid JSON`);
  }
  if (!validateModels(value)) {
    const issues = (validateModels.errors ?? []).slice(0, 5).map(describeIssue);
    throw new Error(`${source}: ${issues.join('; ')}`);
  }
  const models = value as ModelConfig[];
  const seen = new Set<string>();
  models.forEach((m, i) => {
    if (seen.has(m.id)) throw new Error(`${source}: model ${i}: id "${m.id}" is used twice`);
    seen.add(m.id);
    if (m.jsonMode && m.provider !== 'openai') {
      throw new Error(`${source}: model ${i}: jsonMode applies to provider openai only`);
    }
    if (m.provider === 'gemini' && !m.apiKeyEnv) {
      throw new Error(`${source}: model ${i}: a Gemini model needs apiKeyEnv`);
    }
    for (const f of ['dailyCostBudgetUsd', 'inputPricePerMTok', 'outputPricePerMTok'] as const) {
      const v = m[f];
      if (v !== undefined && !Decimal.tryParse(v)) {
        throw new Error(`${source}: model ${i}: ${f} is not a decimal number`);
      }
    }
    if (m.baseUrl) {
      try {
        new URL(m.baseUrl);
      } catch {
        throw new Error(`${source}: model ${i}: baseUrl is not a valid URL`);
      }
    }
  });
  return models;
}

const quantList = (env: string): Field<QuantModel[]> => ({
  env,
  doc: `Built-in quant evaluators to run, comma-separated (${QUANT_MODELS.join(', ')}), or none`,
  example: QUANT_MODELS.join(','),
  defaultValue: QUANT_MODELS.join(','),
  parse(raw) {
    if (raw === undefined || raw.trim() === '') return [...QUANT_MODELS];
    if (raw.trim().toLowerCase() === 'none') return [];
    const names = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !(QUANT_MODELS as readonly string[]).includes(n));
    if (unknown.length) {
      throw new Error(
        `${env} has unknown evaluators: ${unknown.join(', ')} (known: ${QUANT_MODELS.join(', ')}, or none)`,
      );
    }
    return [...new Set(names)] as QuantModel[];
  },
});

const modelsInline = (env: string): Field<ModelConfig[]> => ({
  env,
  doc: 'LLM evaluators as a JSON array of { id, provider: openai|gemini, model, baseUrl?, apiKeyEnv?, timeoutMs?, dailyTokenBudget?, dailyCostBudgetUsd?, inputPricePerMTok?, outputPricePerMTok?, jsonMode?, prompt?, temperature?, maxOutputTokens? } (see src/modules/signals/evaluators/README.md); unset runs none',
  example:
    '[{"id":"local-llama","provider":"openai","baseUrl":"http://127.0.0.1:11434/v1","model":"llama3.1:8b","jsonMode":"json_object"}]',
  parse: (raw) => (raw === undefined || raw.trim() === '' ? [] : parseModels(raw, env)),
});

const modelsFile = (env: string): Field<ModelConfig[]> => ({
  env,
  doc: 'Path of a JSON file holding more LLM evaluators in the format of SIGNALS_MODELS',
  example: './signal-models.json',
  parse(raw) {
    if (raw === undefined || raw.trim() === '') return [];
    let text: string;
    try {
      text = readFileSync(raw, 'utf8');
    } catch (e) {
      throw new Error(
        `${env}: cannot read ${raw} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    return parseModels(text, `${env} (${raw})`);
  },
});

/** The evaluators' fragment of the configuration. */
export const evaluatorsConfig = {
  signalsQuantEvaluators: quantList('SIGNALS_QUANT_EVALUATORS'),
  signalsModels: modelsInline('SIGNALS_MODELS'),
  signalsModelsFile: modelsFile('SIGNALS_MODELS_FILE'),
  signalsEvaluatorTimeoutMs: int('SIGNALS_EVALUATOR_TIMEOUT_MS', {
    doc: 'Deadline of one LLM call when its model sets no timeoutMs; the HTTP request is aborted then',
    default: 15_000,
    min: 100,
    max: 600_000,
  }),
  signalsModelBreakerFailures: int('SIGNALS_MODEL_BREAKER_FAILURES', {
    doc: 'Consecutive failed calls (timeouts, HTTP errors, invalid answers) that open a model’s circuit breaker',
    default: 5,
    min: 1,
    max: 1000,
  }),
  signalsModelBreakerCooldownMs: int('SIGNALS_MODEL_BREAKER_COOLDOWN_MS', {
    doc: 'How long an open breaker refuses calls before one probe is let through; doubles after each failed probe, up to 16×',
    default: 60_000,
    min: 100,
    max: 86_400_000,
  }),
};

export type EvaluatorsConfig = ConfigOf<typeof evaluatorsConfig>;
