-- Roster context: what really happened when persons were called, for their number health
-- (libs/roster/number-health.ts). Fed from callouts.events and callouts.status only; it reads no
-- other context's tables.
CREATE SCHEMA IF NOT EXISTS roster;

-- Who each call-out called, as the tracker announced it (the first event of a call-out names them).
CREATE TABLE roster.callouts (
  callout_id  text PRIMARY KEY,
  warning_id  text NOT NULL,
  person_id   text NOT NULL,
  person_name text,
  role        text,
  area_code   text,
  area_name   text,
  drill       boolean NOT NULL DEFAULT false,
  first_at    timestamptz NOT NULL
);
CREATE INDEX callouts_person ON roster.callouts (person_id);
CREATE INDEX callouts_area ON roster.callouts (area_code text_pattern_ops);

-- One row per outcome that says something about a number (observationFromStatus / FromEvent).
-- Keyed by the event's own id, so a redelivered event is recorded once. A status can arrive before
-- the call-out's first event (different topics): the join happens when the list is read.
CREATE TABLE roster.observations (
  event_id   text PRIMARY KEY,
  callout_id text NOT NULL,
  warning_id text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('reached', 'line-fault', 'voicemail', 'unanswered')),
  line_fault text,
  channel    text,
  detail     text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX observations_callout ON roster.observations (callout_id);
