-- Predicted vs actual: the capacity planner's prediction for a warning's first call-outs, recorded
-- when the dispatcher plans them (the latest plan; each one is also published on callouts.plans for
-- the ledger), and when each send was accepted by the provider and reached its person, taken from the
-- channel status events (the first status after the API's answer; the first delivered or heard).
ALTER TABLE callout.warnings ADD COLUMN IF NOT EXISTS capacity_plan jsonb;
ALTER TABLE callout.requests ADD COLUMN IF NOT EXISTS accepted_at timestamptz;
ALTER TABLE callout.requests ADD COLUMN IF NOT EXISTS reached_at timestamptz;
