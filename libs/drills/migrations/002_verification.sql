-- The yearly roster verification campaigns started (libs/drills/verification.service.ts): one row per
-- campaign warning, written once intake accepted it (a repeat start keeps the first row).
CREATE TABLE drills.verification_campaigns (
  warning_id  text PRIMARY KEY,
  year        integer NOT NULL,
  area_codes  text[] NOT NULL,
  started_by  text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now()
);
