-- A warning id names one message: a second, different message under an id already applied is
-- dead-lettered instead of overwriting the warning. The digest (SHA-256 of the message as decoded)
-- tells a redelivery from such a message; message_id is the message's own id (message_key's first part).
ALTER TABLE callout.warning_messages ADD COLUMN IF NOT EXISTS message_id text;
ALTER TABLE callout.warning_messages ADD COLUMN IF NOT EXISTS message_sha256 text;
UPDATE callout.warning_messages SET message_id = split_part(message_key, '|', 1) WHERE message_id IS NULL;
CREATE INDEX IF NOT EXISTS warning_messages_message_id ON callout.warning_messages (message_id);
