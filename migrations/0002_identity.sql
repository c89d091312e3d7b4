create table users (
  id uuid primary key,
  email text not null,
  display_name text not null,
  password_hash text not null,
  role text not null check (role in ('admin', 'trader', 'follower')),
  disabled_at timestamptz,
  login_count bigint not null default 0,
  last_login_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_email on users (email);

-- A session is one login: its refresh tokens form a family, and access tokens name it (sid),
-- so logging out or detecting refresh-token reuse ends the session for every token at once.
create table sessions (
  id uuid primary key,
  user_id uuid not null references users (id),
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  revoked_reason text
);
create index sessions_user on sessions (user_id);

-- Refresh tokens are opaque and stored as SHA-256 hashes. Each login starts a family; each
-- refresh spends one token and issues its successor. Presenting a spent token revokes the family.
create table refresh_tokens (
  id uuid primary key,
  user_id uuid not null references users (id),
  family_id uuid not null references sessions (id),
  token_hash text not null unique,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  spent_at timestamptz,
  revoked_at timestamptz
);
create index refresh_tokens_family on refresh_tokens (family_id);
create index refresh_tokens_user on refresh_tokens (user_id);

create table api_keys (
  id uuid primary key,
  user_id uuid not null references users (id),
  name text not null,
  prefix text not null unique,
  key_hash text not null,
  scopes text[] not null,
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz not null default now()
);
create index api_keys_user on api_keys (user_id);

create table audit_log (
  id uuid primary key,
  user_id uuid,
  actor_id uuid,
  action text not null,
  ip text,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null
);
create index audit_log_user on audit_log (user_id, created_at desc);
create index audit_log_created on audit_log (created_at desc);
