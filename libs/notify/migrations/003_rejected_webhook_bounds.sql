-- A refused webhook is unauthenticated: what is kept of it is bounded. params holds an excerpt of at
-- most 2 KiB; params_bytes is the size of all parameters as received, params_omitted how many were
-- left out. Past a limit per source address and minute nothing more is stored: the requests are
-- only counted in rejected_webhook_overflow (one row per address and minute).
ALTER TABLE notify.rejected_webhooks ADD COLUMN IF NOT EXISTS params_bytes integer;
ALTER TABLE notify.rejected_webhooks ADD COLUMN IF NOT EXISTS params_omitted integer;
CREATE INDEX IF NOT EXISTS rejected_webhooks_source ON notify.rejected_webhooks (remote_addr, received_at);
CREATE TABLE IF NOT EXISTS notify.rejected_webhook_overflow (
  remote_addr text NOT NULL,
  minute timestamptz NOT NULL,
  requests bigint NOT NULL,
  PRIMARY KEY (remote_addr, minute)
);
