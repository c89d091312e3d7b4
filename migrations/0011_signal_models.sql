-- Usage of the signal pipeline's LLM evaluators (src/modules/signals/evaluators): one row per
-- model and UTC day, upserted after every call that reached the provider, so that daily token
-- and cost budgets hold across processes and restarts. Refused calls (breaker open, budget
-- spent) never reach the provider and are not counted here.
create table signal_model_usage (
  -- The evaluator id, e.g. `llm.gpt-4o-mini`.
  model_id text not null,
  day date not null,
  calls integer not null default 0 check (calls >= 0),
  -- Calls that timed out, failed upstream or answered outside the verdict schema.
  failures integer not null default 0 check (failures >= 0),
  prompt_tokens bigint not null default 0 check (prompt_tokens >= 0),
  completion_tokens bigint not null default 0 check (completion_tokens >= 0),
  -- Exact, from the model's prices per million tokens; 0 for unpriced (local) models.
  cost_usd numeric not null default 0 check (cost_usd >= 0),
  updated_at timestamptz not null,
  primary key (model_id, day)
);
