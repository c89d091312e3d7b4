-- Exchange credentials under envelope encryption: the secret material is sealed with a random
-- per-record data key (AES-256-GCM); the data key is sealed with a master key named by kid.
-- Both sealed values are base64 of iv(12) | ciphertext | tag(16).
create table credentials (
  id uuid primary key,
  user_id uuid not null references users (id),
  exchange text not null,
  label text not null,
  key_last4 text not null,
  master_kid text not null,
  wrapped_key text not null,
  sealed text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index credentials_user on credentials (user_id);
create unique index credentials_user_label on credentials (user_id, exchange, label);
create index credentials_kid on credentials (master_kid);
