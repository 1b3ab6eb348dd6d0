-- Revoked role tokens (libs/common/auth.ts), read by every service's role guard: one token by its id
-- (jti), or every token of an actor issued before a moment. Rows of single tokens are kept until the
-- token would have expired anyway.
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.revoked_tokens (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL,          -- after this the token is refused as expired anyway
  reason text NOT NULL,
  revoked_by text NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.revoked_actors (
  actor text PRIMARY KEY,
  revoked_before timestamptz NOT NULL,      -- tokens of this actor issued before are refused
  reason text NOT NULL,
  revoked_by text NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now()
);
