-- Notify context: every send attempt (recorded before the provider is called, so a redelivered
-- request or a restart never sends twice), the provider callbacks already applied, webhook calls
-- refused for a bad signature, and the outbox that carries callouts.status / callouts.responses.
CREATE SCHEMA IF NOT EXISTS notify;

CREATE TABLE notify.attempts (
  request_id text PRIMARY KEY,                -- idempotency key of the send (callouts.requested)
  callout_id text NOT NULL,
  warning_id text NOT NULL,
  person_id text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('sms', 'voice')),
  purpose text NOT NULL,
  to_number text NOT NULL,
  from_number text,
  warning_seq integer,                        -- short number a person may quote in an SMS reply
  language text NOT NULL DEFAULT 'zh-CN',
  data jsonb NOT NULL,                        -- the render context (ack page shows the warning from it)
  body text NOT NULL,                         -- the SMS text or the spoken script
  twiml text,                                 -- voice: what /twilio/voice/twiml returns for this call
  state text NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
  provider_sid text UNIQUE,
  error_code integer,
  error_reason text,
  tries integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attempts_to_recent ON notify.attempts (to_number, created_at DESC);
CREATE INDEX attempts_callout ON notify.attempts (callout_id, created_at DESC);
CREATE INDEX attempts_sending ON notify.attempts (created_at) WHERE state = 'sending';

-- Callbacks, inbound messages, key presses and web confirmations applied once each (Twilio retries).
CREATE TABLE notify.webhook_events (
  event_id text PRIMARY KEY,                  -- sid:status, MessageSid, CallSid:digits, web:…
  kind text NOT NULL,
  request_id text,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Webhook calls refused (bad or missing X-Twilio-Signature): kept for the duty officer and auditors.
CREATE TABLE notify.rejected_webhooks (
  id bigserial PRIMARY KEY,
  path text NOT NULL,
  reason text NOT NULL,
  remote_addr text,
  signature text,
  params jsonb,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS notify.outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
