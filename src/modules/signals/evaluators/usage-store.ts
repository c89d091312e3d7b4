import { sql } from 'kysely';
import { Decimal } from '../../../core/decimal.js';
import type { Executor } from '../../../platform/db/index.js';

/** One model's spend on one UTC day. */
export interface DailyUsage {
  modelId: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  calls: number;
  failures: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: Decimal;
}

export interface UsageDelta {
  modelId: string;
  day: string;
  failed: boolean;
  promptTokens: number;
  completionTokens: number;
  costUsd: Decimal;
  at: Date;
}

/** The UTC day of an epoch-ms instant, as YYYY-MM-DD. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export const emptyUsage = (modelId: string, day: string): DailyUsage => ({
  modelId,
  day,
  calls: 0,
  failures: 0,
  promptTokens: 0,
  completionTokens: 0,
  costUsd: Decimal.ZERO,
});

interface UsageRow {
  model_id: string;
  day: string | Date;
  calls: number | string;
  failures: number | string;
  prompt_tokens: number | string;
  completion_tokens: number | string;
  cost_usd: string;
}

const dayText = (d: string | Date): string =>
  typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10);

const fromRow = (r: UsageRow): DailyUsage => ({
  modelId: r.model_id,
  day: dayText(r.day),
  calls: Number(r.calls),
  failures: Number(r.failures),
  promptTokens: Number(r.prompt_tokens),
  completionTokens: Number(r.completion_tokens),
  costUsd: Decimal.parse(r.cost_usd),
});

/** Adds one call to its model's row of the day, creating the row on the day's first call. */
export async function recordUsage(db: Executor, d: UsageDelta): Promise<void> {
  await db
    .insertInto('signal_model_usage')
    .values({
      model_id: d.modelId,
      day: d.day,
      calls: 1,
      failures: d.failed ? 1 : 0,
      prompt_tokens: d.promptTokens,
      completion_tokens: d.completionTokens,
      cost_usd: d.costUsd.toString(),
      updated_at: d.at,
    })
    .onConflict((oc) =>
      oc.columns(['model_id', 'day']).doUpdateSet({
        calls: sql`signal_model_usage.calls + 1`,
        failures: sql`signal_model_usage.failures + excluded.failures`,
        prompt_tokens: sql`signal_model_usage.prompt_tokens + excluded.prompt_tokens`,
        completion_tokens: sql`signal_model_usage.completion_tokens + excluded.completion_tokens`,
        cost_usd: sql`signal_model_usage.cost_usd + excluded.cost_usd`,
        updated_at: sql`greatest(signal_model_usage.updated_at, excluded.updated_at)`,
      }),
    )
    .execute();
}

/** Usage of the given models on one day; models without a row are absent from the map. */
export async function usageOn(
  db: Executor,
  modelIds: readonly string[],
  day: string,
): Promise<Map<string, DailyUsage>> {
  if (!modelIds.length) return new Map();
  const rows = (await db
    .selectFrom('signal_model_usage')
    .select([
      'model_id',
      sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'),
      'calls',
      'failures',
      'prompt_tokens',
      'completion_tokens',
      'cost_usd',
    ])
    .where('model_id', 'in', [...modelIds])
    .where('day', '=', day)
    .execute()) as UsageRow[];
  return new Map(rows.map((r) => [r.model_id, fromRow(r)]));
}
