/**
 * The evaluators of the signal pipeline: built-in quant models and LLMs (OpenAI-compatible
 * servers, Gemini) behind one `Evaluator` interface, with breakers, daily budgets and usage
 * accounting (see README.md). The module wires them with `createEvaluators`, merges
 * `evaluatorsConfig` into its configuration and mounts `evaluatorRoutes`.
 */
export {
  evaluatorsConfig,
  parseModels,
  QUANT_MODELS,
  type EvaluatorsConfig,
  type ModelConfig,
  type QuantModel,
} from './config.js';
export { createEvaluators, type EvaluatorDeps } from './factory.js';
export { listModels, type ModelAvailability, type ModelView } from './models.js';
export { evaluatorRoutes } from './routes.js';
export { LlmEvaluator, type LlmModelStatus } from './llm-evaluator.js';
export { judgeTrend, trendAlignment, TREND_ALIGNMENT_ID } from './quant-trend.js';
export { judgeRegime, momentumRegime, MOMENTUM_REGIME_ID } from './quant-regime.js';
export { judgeRisk, riskReward, RISK_REWARD_ID, RISK_RULES } from './quant-risk.js';
export { VERDICT_SCHEMA, parseAnswer } from './verdict-schema.js';
export { loadPrompt, renderPrompt, type PromptTemplate } from './prompt.js';
