-- The W3C traceparent of the request a send was queued for: the send, its status events and the
-- answers to it continue the warning's trace although they run long after, outside that request.
ALTER TABLE notify.attempts ADD COLUMN IF NOT EXISTS traceparent text;
