-- The status check (libs/notify/status-check.ts): a send the provider accepted whose last status
-- webhook never came (a provider posts a status callback once; one posted while the notifier was
-- down is gone) is asked about by its provider id. final_status_at: when its final status
-- (delivered, undelivered, failed, heard, completed, busy, no-answer, canceled) was recorded;
-- status_checked_at: when the check last asked. The partial index holds only the accepted sends
-- still waiting for a final status, so the check never reads the settled ones.
ALTER TABLE notify.attempts ADD COLUMN IF NOT EXISTS status_checked_at timestamptz;
ALTER TABLE notify.attempts ADD COLUMN IF NOT EXISTS final_status_at timestamptz;
-- Sends of the last day that already have their final status (older ones are past the check's window).
UPDATE notify.attempts a SET final_status_at = a.updated_at
WHERE a.state = 'sent' AND a.provider_sid IS NOT NULL AND a.sent_at > now() - interval '1 day'
  AND EXISTS (
    SELECT 1 FROM unnest(ARRAY['delivered', 'undelivered', 'failed', 'heard', 'completed', 'busy',
                               'no-answer', 'canceled']) AS f
    JOIN notify.webhook_events e ON e.event_id = a.provider_sid || ':' || f);
CREATE INDEX IF NOT EXISTS attempts_awaiting_status ON notify.attempts (sent_at)
  WHERE state = 'sent' AND final_status_at IS NULL;
