-- Priority when rate-bound: the send worker claims queued attempts by priority, then oldest first
-- (libs/callout/send-priority.ts: real before drill, follow-ups such as redials and escalations before
-- fan-outs, the higher warning level first, then the policy's send order). The value is fixed when
-- the attempt is queued, so the claim stays one scan of this partial index, whatever the backlog.
-- Attempts queued before this migration keep 0 and go first, as the oldest did before.
ALTER TABLE notify.attempts ADD COLUMN IF NOT EXISTS priority integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS attempts_queued_priority ON notify.attempts (priority, created_at) WHERE state = 'queued';
DROP INDEX IF EXISTS notify.attempts_queued;
