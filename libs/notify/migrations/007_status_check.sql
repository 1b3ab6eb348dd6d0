-- The status check (libs/notify/status-check.ts): a send the provider accepted whose last status
-- webhook never came (a provider posts a status callback once; one posted while the notifier was
-- down is gone) is asked about by its provider id. status_checked_at: when it was last asked. The
-- partial index keeps the look for such sends to the accepted ones of the last hours.
ALTER TABLE notify.attempts ADD COLUMN IF NOT EXISTS status_checked_at timestamptz;
CREATE INDEX IF NOT EXISTS attempts_sent_at ON notify.attempts (sent_at) WHERE state = 'sent';
