-- Intake context: every message it received (published or record-only), every rejection with its
-- reasons and source, the affected areas it could not map, and its transactional outbox.
CREATE SCHEMA IF NOT EXISTS intake;

-- One row per warning / CAP identifier: the same identifier received twice is one warning.
CREATE TABLE IF NOT EXISTS intake.received (
  id text PRIMARY KEY,
  sender text NOT NULL,
  msg_type text NOT NULL,
  status text NOT NULL,
  hazard text,
  subtype text,
  level text,
  reference_ids text[] NOT NULL DEFAULT '{}',
  -- published: sent to its hazard topic; record-only: Test/Draft/System status or Ack/Error msgType.
  outcome text NOT NULL CHECK (outcome IN ('published', 'record-only')),
  note text,
  channel text NOT NULL CHECK (channel IN ('api', 'http-cap', 'kafka-cap')),
  warning jsonb,
  raw_sha256 text,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS received_references ON intake.received USING gin (reference_ids);

CREATE TABLE IF NOT EXISTS intake.rejections (
  id bigserial PRIMARY KEY,
  channel text NOT NULL CHECK (channel IN ('api', 'http-cap', 'kafka-cap')),
  -- topic@partition:offset for Kafka (a redelivered message is recorded once); null for HTTP.
  source_ref text,
  identifier text,
  sender text,
  reasons text[] NOT NULL,
  byte_size integer NOT NULL,
  raw_sha256 text NOT NULL,
  -- The start of the rejected input, for the duty officer (NUL bytes removed).
  excerpt text,
  rejected_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS rejections_source_ref ON intake.rejections (channel, source_ref);

CREATE TABLE IF NOT EXISTS intake.unmapped_areas (
  id bigserial PRIMARY KEY,
  warning_id text NOT NULL REFERENCES intake.received (id),
  area_code text,
  area_name text,
  reason text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS unmapped_areas_warning ON intake.unmapped_areas (warning_id);

CREATE TABLE IF NOT EXISTS intake.outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
