-- Intake: every warning message received (published or recorded only), every rejection with its
-- reasons and source, unknown areas raised to the duty officer, the ids intake generated, and the
-- transactional outbox that publishes accepted warnings to their hazard topic.
CREATE SCHEMA IF NOT EXISTS intake;

-- One row per message received. The same warning id may arrive more than once (a feed resending,
-- the HTTP endpoint and the topic both); the dispatcher makes that one warning (idempotent), and
-- intake keeps every receipt for the record.
CREATE TABLE IF NOT EXISTS intake.received (
  id bigserial PRIMARY KEY,
  warning_id text NOT NULL,
  -- api (duty officer), cap-http, cap-kafka
  channel text NOT NULL CHECK (channel IN ('api', 'cap-http', 'cap-kafka')),
  -- Where it came from, e.g. "warnings.cap@2:118"; unique so a redelivered Kafka message is recorded once.
  source_ref text UNIQUE,
  -- published: queued for its hazard topic; record-only: CAP Test/Draft/System status or Ack/Error msgType.
  outcome text NOT NULL CHECK (outcome IN ('published', 'record-only')),
  note text,
  sender text,
  msg_type text NOT NULL,
  status text NOT NULL,
  hazard text,
  subtype text,
  level text,
  references_ids text[] NOT NULL DEFAULT '{}',
  -- The canonical warning (absent for CAP Ack / Error).
  content jsonb,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS received_warning_id ON intake.received (warning_id, id);

CREATE TABLE IF NOT EXISTS intake.rejections (
  id bigserial PRIMARY KEY,
  channel text NOT NULL CHECK (channel IN ('api', 'cap-http', 'cap-kafka')),
  -- topic@partition:offset for Kafka (a redelivered message is recorded once); null for HTTP.
  source_ref text UNIQUE,
  identifier text,
  reason text NOT NULL,
  reasons jsonb NOT NULL,
  raw_size integer,
  -- The first 64 KiB of what was sent, kept for the duty officer and the upstream bureau.
  raw bytea,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rejections_received_at ON intake.rejections (received_at);

-- Affected areas that map to no known division; each is also raised on alerts.coverage.
CREATE TABLE IF NOT EXISTS intake.unmapped_areas (
  id bigserial PRIMARY KEY,
  warning_id text NOT NULL,
  area_code text,
  area_name text,
  reason text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS unmapped_areas_warning ON intake.unmapped_areas (warning_id);

-- Identifiers intake generated (national pattern); the primary key makes the sequence digit unique.
CREATE TABLE IF NOT EXISTS intake.issued_ids (
  warning_id text PRIMARY KEY,
  issued_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS intake.outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
