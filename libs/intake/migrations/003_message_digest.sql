-- A warning id names one message. The SHA-256 of what was received (CAP bytes, or the duty officer's
-- request body) tells a redelivery (same digest: nothing new) from a second message that reuses the
-- id (refused with 409 / dead-lettered, recorded in intake.rejections). Rows received before this
-- column existed have none: a message reusing their id is refused unless it is the same Kafka position.
ALTER TABLE intake.received ADD COLUMN IF NOT EXISTS message_sha256 text;
