-- Console context: its users and sessions, the recent coverage alerts and dead letters it shows the
-- duty officer, and directory uploads awaiting "apply" after a dry run. Nothing here is read by any
-- other context; the console reads theirs only through their HTTP APIs.
CREATE SCHEMA IF NOT EXISTS console;

CREATE TABLE console.users (
  username text PRIMARY KEY,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('duty-officer', 'auditor', 'directory-admin')),
  password_hash text NOT NULL,               -- scrypt$N$r$p$salt$hash (base64url)
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console.sessions (
  id text PRIMARY KEY,                       -- random; the cookie carries it signed with SIGNING_SECRET
  username text NOT NULL REFERENCES console.users (username) ON DELETE CASCADE,
  csrf text NOT NULL,                        -- synchronizer token for every POST of this session
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON console.sessions (expires_at);

-- Coverage alerts and dead letters (rejected inputs) as the console received them from Kafka.
CREATE TABLE console.recent_events (
  event_key text PRIMARY KEY,                -- alertId, or dlq:<topic>:<partition>:<offset>: redelivery is harmless
  kind text NOT NULL CHECK (kind IN ('alert', 'dlq')),
  warning_id text,
  drill boolean NOT NULL DEFAULT false,
  summary text NOT NULL,
  reason text,
  detail jsonb,
  at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recent_events_at ON console.recent_events (kind, at DESC);

-- A directory file the admin dry-ran; "apply" sends the same bytes.
CREATE TABLE console.uploads (
  id text PRIMARY KEY,
  session_id text NOT NULL,
  filename text,
  content bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
