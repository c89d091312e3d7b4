import type { Clock } from '../../../core/clock.js';
import { Decimal } from '../../../core/decimal.js';
import { ConfigError, readEnvironment } from '../../../platform/config/index.js';
import type { Database } from '../../../platform/db/index.js';
import type { Logger } from '../../../platform/logging/logger.js';
import type { Metrics } from '../../../platform/metrics/metrics.js';
import type { Evaluator } from '../domain/types.js';
import { ModelBreaker } from './breaker.js';
import {
  DEFAULT_PROMPT,
  type EvaluatorsConfig,
  type ModelConfig,
  type QuantModel,
} from './config.js';
import { LlmEvaluator, type LlmModel } from './llm-evaluator.js';
import { EvaluatorMetrics } from './metrics.js';
import { loadPrompt, PROMPTS_DIR, type PromptTemplate } from './prompt.js';
import type { Provider } from './provider.js';
import { GeminiProvider } from './provider-gemini.js';
import { OpenAiProvider } from './provider-openai.js';
import { momentumRegime } from './quant-regime.js';
import { riskReward } from './quant-risk.js';
import { trendAlignment } from './quant-trend.js';

const QUANT: Record<QuantModel, Evaluator> = {
  trend_alignment: trendAlignment,
  momentum_regime: momentumRegime,
  risk_reward: riskReward,
};

export interface EvaluatorDeps {
  config: Pick<
    EvaluatorsConfig,
    | 'signalsQuantEvaluators'
    | 'signalsModels'
    | 'signalsModelsFile'
    | 'signalsEvaluatorTimeoutMs'
    | 'signalsModelBreakerFailures'
    | 'signalsModelBreakerCooldownMs'
  >;
  database: Database;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics | undefined;
  /**
   * Where the variables named by `apiKeyEnv` are read; the environment (and .env) by default.
   */
  secrets?: Record<string, string | undefined>;
  /** Folder of the prompt files; the shipped prompts/ by default. */
  promptsDir?: string;
}

/**
 * The evaluators the configuration asks for: the built-in quant models named in
 * SIGNALS_QUANT_EVALUATORS, then one `llm.<id>` per model of SIGNALS_MODELS and
 * SIGNALS_MODELS_FILE. Nothing configured means the three quant models and no network.
 * A model whose key variable is empty, whose prompt file is missing, or whose id repeats
 * stops start-up with a `ConfigError` naming it.
 */
export function createEvaluators(deps: EvaluatorDeps): Evaluator[] {
  const c = deps.config;
  const quant = c.signalsQuantEvaluators.map((name) => QUANT[name]);
  const configured = [...c.signalsModels, ...c.signalsModelsFile];
  if (!configured.length) return quant;

  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of configured) {
    if (seen.has(m.id)) problems.push(`LLM model id "${m.id}" is configured twice`);
    seen.add(m.id);
  }
  const secrets = deps.secrets ?? readEnvironment();
  const prompts = new Map<string, PromptTemplate>();
  const metrics = deps.metrics ? new EvaluatorMetrics(deps.metrics) : undefined;
  const llms: Evaluator[] = [];
  for (const m of configured) {
    const key = m.apiKeyEnv ? secrets[m.apiKeyEnv] : undefined;
    if (m.apiKeyEnv && !key) {
      problems.push(`${m.apiKeyEnv} is empty, but model "${m.id}" reads its API key from it`);
      continue;
    }
    const version = m.prompt ?? DEFAULT_PROMPT;
    let prompt = prompts.get(version);
    if (!prompt) {
      try {
        prompt = loadPrompt(version, deps.promptsDir ?? PROMPTS_DIR);
        prompts.set(version, prompt);
      } catch (e) {
        problems.push(`model "${m.id}": ${(e as Error).message}`);
        continue;
      }
    }
    llms.push(
      new LlmEvaluator({
        model: resolveModel(m, c.signalsEvaluatorTimeoutMs),
        provider: providerFor(m, key),
        prompt,
        breaker: new ModelBreaker({
          clock: deps.clock,
          failureThreshold: c.signalsModelBreakerFailures,
          cooldownMs: c.signalsModelBreakerCooldownMs,
        }),
        database: deps.database,
        clock: deps.clock,
        logger: deps.logger,
        metrics,
      }),
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return [...quant, ...llms];
}

export function resolveModel(m: ModelConfig, defaultTimeoutMs: number): LlmModel {
  const price = (s: string | undefined) => (s === undefined ? undefined : Decimal.parse(s));
  const input = price(m.inputPricePerMTok);
  const output = price(m.outputPricePerMTok);
  return {
    id: `llm.${m.id}`,
    provider: m.provider,
    model: m.model,
    baseUrl: m.baseUrl,
    timeoutMs: m.timeoutMs ?? defaultTimeoutMs,
    dailyTokenBudget: m.dailyTokenBudget ?? null,
    dailyCostBudgetUsd: price(m.dailyCostBudgetUsd) ?? null,
    // One price given means the other is free, not unknown.
    prices:
      input || output ? { input: input ?? Decimal.ZERO, output: output ?? Decimal.ZERO } : null,
  };
}

function providerFor(m: ModelConfig, apiKey: string | undefined): Provider {
  const common = {
    model: m.model,
    baseUrl: m.baseUrl,
    temperature: m.temperature,
    maxOutputTokens: m.maxOutputTokens,
  };
  if (m.provider === 'gemini') return new GeminiProvider({ ...common, apiKey: apiKey ?? '' });
  return new OpenAiProvider({ ...common, apiKey, jsonMode: m.jsonMode ?? 'json_schema' });
}
