import { Ajv, type ErrorObject } from 'ajv';
import { Decimal } from '../../../core/decimal.js';
import { DECISION_ACTIONS, type Verdict } from '../domain/types.js';

const PRICE = {
  type: ['string', 'null'],
  pattern: '^[0-9]+(\\.[0-9]+)?$',
} as const;

/**
 * The JSON Schema a model's answer must follow, as sent to the providers: OpenAI's strict
 * structured outputs (every property required, no others, nullable through type arrays) and
 * Gemini's `responseJsonSchema` both accept it.
 */
export const VERDICT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'confidence', 'sizePct', 'stop', 'takeProfit', 'reasoning'],
  properties: {
    action: {
      type: 'string',
      enum: [...DECISION_ACTIONS],
      description:
        'long or short to take that side, close to exit the position, hold to stay out or keep it',
    },
    confidence: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'How sure you are of the action, from 0 to 1',
    },
    sizePct: {
      type: ['number', 'null'],
      minimum: 0,
      maximum: 100,
      description: 'Suggested position size in percent of account equity, or null',
    },
    stop: { ...PRICE, description: 'Stop-loss price as a decimal string, or null' },
    takeProfit: { ...PRICE, description: 'Take-profit price as a decimal string, or null' },
    reasoning: {
      type: 'string',
      description: 'One or two sentences naming the numbers that decided',
    },
  },
} as const;

export const VERDICT_SCHEMA_NAME = 'signal_verdict';

/** Longest reasoning kept; a model that rambles past it is not following the prompt. */
export const MAX_REASONING = 2000;

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile<Record<string, unknown>>({
  ...VERDICT_SCHEMA,
  properties: {
    ...VERDICT_SCHEMA.properties,
    reasoning: { type: 'string', pattern: '\\S', maxLength: MAX_REASONING },
  },
});

export type ParsedAnswer =
  | {
      ok: true;
      verdict: Pick<
        Verdict,
        'action' | 'confidence' | 'sizePct' | 'stop' | 'takeProfit' | 'reasoning'
      >;
    }
  | { ok: false; reason: string };

const FENCE = /^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i;

function issue(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '') || 'the answer';
  if (e.keyword === 'required') return `"${String(e.params.missingProperty)}" is missing`;
  if (e.keyword === 'additionalProperties') {
    return `unknown field "${String(e.params.additionalProperty)}"`;
  }
  if (e.keyword === 'enum') return `${field} must be one of ${DECISION_ACTIONS.join(', ')}`;
  return `${field} ${e.message ?? 'is invalid'}`;
}

const excerpt = (s: string): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 60)}…` : one;
};

/**
 * Reads a model's answer into a verdict, or says precisely why it cannot: not JSON, fields
 * missing or unknown, a confidence outside 0 … 1, an action outside the four, a price that is
 * not a positive decimal. Some local servers wrap JSON in a Markdown fence; that one wrapper is
 * tolerated, nothing else.
 */
export function parseAnswer(text: string): ParsedAnswer {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, reason: 'the answer is empty' };
  const body = FENCE.exec(trimmed)?.[1] ?? trimmed;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, reason: `the answer is not JSON: "${excerpt(body)}"` };
  }
  if (!validate(value)) {
    const issues = [...new Set((validate.errors ?? []).map(issue))].slice(0, 4);
    return { ok: false, reason: `the answer breaks the verdict schema: ${issues.join('; ')}` };
  }
  const prices: Record<'stop' | 'takeProfit', string | null> = { stop: null, takeProfit: null };
  for (const f of ['stop', 'takeProfit'] as const) {
    const raw = value[f] as string | null;
    if (raw === null) continue;
    const d = Decimal.tryParse(raw);
    if (!d || !d.isPositive()) {
      return { ok: false, reason: `${f} "${excerpt(raw)}" is not a positive decimal price` };
    }
    prices[f] = d.toString();
  }
  return {
    ok: true,
    verdict: {
      action: value.action as Verdict['action'],
      confidence: value.confidence as number,
      sizePct: value.sizePct as number | null,
      ...prices,
      reasoning: (value.reasoning as string).trim(),
    },
  };
}
