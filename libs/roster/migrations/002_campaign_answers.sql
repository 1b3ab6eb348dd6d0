-- Who answered a call-out themselves, and where it stands: the verification campaign's non-responders
-- (libs/roster/roster.service.ts nonResponders). Filled from callouts.events like the rest.
ALTER TABLE roster.callouts
  ADD COLUMN rung integer,
  ADD COLUMN confirmed_at timestamptz,
  ADD COLUMN last_state text,
  ADD COLUMN last_at timestamptz;
CREATE INDEX callouts_warning ON roster.callouts (warning_id);
