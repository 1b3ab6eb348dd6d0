-- Warnings held for mapping: a valid warning to dispatch (Actual / Exercise) none of whose areas
-- maps to a known division, or the part of one that did not map. It waits, at the top of the duty
-- officer's board, for the officer to name its divisions; then it is published (a held whole
-- warning) or an Update adds the divisions (a warning whose other areas were dispatched at once).
ALTER TABLE intake.received DROP CONSTRAINT IF EXISTS received_outcome_check;
ALTER TABLE intake.received ADD CONSTRAINT received_outcome_check
  CHECK (outcome IN ('published', 'record-only', 'held'));

CREATE TABLE IF NOT EXISTS intake.held_warnings (
  warning_id  text PRIMARY KEY,
  channel     text NOT NULL CHECK (channel IN ('api', 'cap-http', 'cap-kafka')),
  state       text NOT NULL CHECK (state IN ('needs-mapping', 'mapped')),
  -- true: the areas that mapped were dispatched at once; this holds only the rest.
  partial     boolean NOT NULL,
  -- The warning as received (areas: what mapped, possibly none).
  content     jsonb NOT NULL,
  -- What did not map: [{code, name, reason, candidates?}], with the raw areaDesc and shapes.
  unmapped    jsonb NOT NULL,
  held_at     timestamptz NOT NULL DEFAULT now(),
  mapped_at   timestamptz,
  mapped_by   text,
  mapped_areas jsonb
);
CREATE INDEX IF NOT EXISTS held_warnings_open ON intake.held_warnings (held_at) WHERE state = 'needs-mapping';
