-- Audit context: the append-only, hash-chained ledger of every event the system saw (invariant 7).
-- One chain per warning (chain_id = warning id); 'system' holds events tied to no warning and
-- 'access' records every read of personal data by an auditor.
CREATE SCHEMA IF NOT EXISTS audit;

-- Head of each chain: its last seq and hash. Appends lock this row (SELECT … FOR UPDATE), so concurrent
-- appends to one chain are serialised and seq has no gaps; the verifier also compares it with the
-- entries to notice a removed tail or an appended forgery.
CREATE TABLE audit.chains (
  chain_id text PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0,
  last_hash text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit.entries (
  id bigserial PRIMARY KEY,
  chain_id text NOT NULL,
  seq bigint NOT NULL,                     -- 1, 2, 3 … within the chain
  event_key text NOT NULL,                 -- the event's own idempotency id (not topic/partition/offset)
  topic text NOT NULL,                     -- un-prefixed topic, or audit.access for reads
  occurred_at timestamptz NOT NULL,        -- when the event says it happened
  recorded_at timestamptz NOT NULL,        -- when the ledger took it
  actor text,
  subject jsonb NOT NULL DEFAULT '{}',     -- warningId, calloutId, personId, requestId …
  drill boolean NOT NULL DEFAULT false,    -- a drill (演练) event: reported apart from real ones
  content jsonb NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  CONSTRAINT entries_event_key_unique UNIQUE (event_key),
  CONSTRAINT entries_chain_seq_unique UNIQUE (chain_id, seq)
);
CREATE INDEX entries_topic_idx ON audit.entries (topic);
CREATE INDEX entries_chain_occurred_idx ON audit.entries (chain_id, occurred_at);

-- Append-only: no role of the application may change or remove an entry. A trigger (not only grants)
-- so the rule also holds on PGlite and for a connection that happens to own the table.
CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit.entries is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER entries_append_only
  BEFORE UPDATE OR DELETE ON audit.entries
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();

CREATE TRIGGER entries_no_truncate
  BEFORE TRUNCATE ON audit.entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
