-- Send queue: the Kafka handler only records an attempt 'queued' (render + insert, so the offset
-- commits at once); the notifier's send worker claims queued attempts in batches (FOR UPDATE SKIP
-- LOCKED, so two replicas never take the same one), marks them 'sending' with claimed_at and calls
-- the provider. Reconciliation of attempts stuck in 'sending' counts from claimed_at, not from
-- created_at, since an attempt may wait in the queue before it is claimed.
ALTER TABLE notify.attempts DROP CONSTRAINT IF EXISTS attempts_state_check;
ALTER TABLE notify.attempts
  ADD CONSTRAINT attempts_state_check CHECK (state IN ('queued', 'sending', 'sent', 'failed'));
ALTER TABLE notify.attempts ADD COLUMN claimed_at timestamptz;
-- Attempts recorded before this migration were claimed when they were created.
UPDATE notify.attempts SET claimed_at = created_at WHERE claimed_at IS NULL;

-- The worker's claim: oldest queued first.
CREATE INDEX attempts_queued ON notify.attempts (created_at) WHERE state = 'queued';
-- The reconciler's scan: 'sending' by claim time.
DROP INDEX IF EXISTS notify.attempts_sending;
CREATE INDEX attempts_sending ON notify.attempts (claimed_at) WHERE state = 'sending';
