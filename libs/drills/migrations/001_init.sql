-- Drills context: the duty officer's drill schedules and every time one fired. A run row is the claim:
-- the replica whose INSERT creates it issues the drill, so two replicas never issue one fire twice.
CREATE SCHEMA IF NOT EXISTS drills;

CREATE TABLE drills.schedules (
  id          text PRIMARY KEY,
  -- The validated schedule (libs/drills/drill-schedule.ts): cron, time zone, scope, level, text.
  spec        jsonb NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  version     integer NOT NULL DEFAULT 1,
  created_by  text NOT NULL,
  updated_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

CREATE TABLE drills.runs (
  schedule_id text NOT NULL REFERENCES drills.schedules (id),
  fire_at     timestamptz NOT NULL,
  warning_id  text NOT NULL,
  -- null until intake accepted the drill warning; a run left null (a crash) is issued again at start,
  -- with the same warning id and body, which intake takes as a repeat.
  issued_at   timestamptz,
  outcome     text,
  PRIMARY KEY (schedule_id, fire_at)
);
