-- Call-out context: warnings as dispatched, one call-out per person and rung, the sends the engine
-- asked for, the answers it received, and the deadlines that drive redials and escalation.
CREATE SCHEMA IF NOT EXISTS callout;

-- One row per warning aggregate (keyed by the id of the first message of its chain).
CREATE TABLE callout.warnings (
  id text PRIMARY KEY,
  seq serial UNIQUE,                       -- short number people can quote in an SMS reply
  hazard text,
  subtype text,
  level text,
  status text,                             -- CAP status: Actual, Exercise (drill), Test, Draft, System
  drill boolean NOT NULL DEFAULT false,
  headline text,
  sent_at timestamptz,                     -- sentAt of the newest message applied
  effective timestamptz,
  expires timestamptz,
  area_codes text[] NOT NULL DEFAULT '{}',
  content jsonb,                           -- the newest canonical message applied
  policy jsonb,                            -- level policy snapshotted when dispatch started
  state text NOT NULL DEFAULT 'placeholder' CHECK (state IN ('placeholder', 'recorded', 'active', 'cancelled', 'expired', 'closed')),
  closed_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every warning message applied once (idempotent consumption); also the audit of what arrived when.
CREATE TABLE callout.warning_messages (
  message_key text PRIMARY KEY,            -- id|msgType|sentAt
  warning_id text NOT NULL,
  msg_type text NOT NULL,
  sent_at timestamptz NOT NULL,
  outcome text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE callout.callouts (
  id text PRIMARY KEY,                     -- deterministic: warning/level/person or subject/e<step>
  warning_id text NOT NULL REFERENCES callout.warnings (id),
  person_id text NOT NULL,
  person_name text NOT NULL,
  phone text NOT NULL,
  role text,
  area_code text,
  area_name text,
  level text NOT NULL,                     -- warning level this call-out was made for
  rung int NOT NULL DEFAULT 0,             -- 0 = the person; n = n-th step of their escalation ladder
  subject_callout_id text REFERENCES callout.callouts (id),
  state text NOT NULL,
  state_reason text,
  late boolean NOT NULL DEFAULT false,
  handled_by text,                         -- ladder call-out that took over ("I am handling it")
  ladder jsonb,                            -- rung 0: the escalation ladder snapshotted at escalation start
  ladder_pos int NOT NULL DEFAULT 0,       -- rung 0: ladder steps already called
  round int NOT NULL DEFAULT 1,            -- rung 0: how many times the ladder has been walked
  attempts int NOT NULL DEFAULT 0,         -- sends requested (first + redials)
  redials_used int NOT NULL DEFAULT 0,
  superseded boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  confirmed_at timestamptz
);
CREATE INDEX callouts_warning ON callout.callouts (warning_id, state);
CREATE INDEX callouts_subject ON callout.callouts (subject_callout_id);
CREATE INDEX callouts_person ON callout.callouts (person_id);

-- Each send the engine asked the notifier for.
CREATE TABLE callout.requests (
  request_id text PRIMARY KEY,
  callout_id text NOT NULL REFERENCES callout.callouts (id),
  channel text NOT NULL,
  purpose text NOT NULL,
  attempt int NOT NULL,
  status text NOT NULL DEFAULT 'requested',
  requested_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_callout ON callout.requests (callout_id);

-- Status and response events already applied (idempotent consumption).
CREATE TABLE callout.applied_events (
  event_id text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE callout.responses (
  response_id text PRIMARY KEY,
  callout_id text NOT NULL REFERENCES callout.callouts (id),
  via text NOT NULL,
  kind text NOT NULL,
  action text,
  count int,
  note text,
  text text,
  actor text,
  late boolean NOT NULL DEFAULT false,
  at timestamptz NOT NULL
);
CREATE INDEX responses_callout ON callout.responses (callout_id);

-- Durable deadlines (invariant 4): claimed by the scanner with FOR UPDATE SKIP LOCKED.
CREATE TABLE callout.deadlines (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('ack', 'redial', 'voice-fallback', 'expire')),
  callout_id text REFERENCES callout.callouts (id),
  warning_id text NOT NULL,
  due_at timestamptz NOT NULL,
  ref text NOT NULL,                       -- what it belongs to; unique so a deadline is set once
  fired_at timestamptz,
  fired_by text,
  UNIQUE (kind, ref)
);
CREATE INDEX deadlines_due ON callout.deadlines (due_at) WHERE fired_at IS NULL;

CREATE TABLE callout.outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
