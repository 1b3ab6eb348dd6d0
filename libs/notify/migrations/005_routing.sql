-- Routing and failover: which provider carries an attempt (NOTIFY_ROUTES picks the first on accept;
-- a circuit breaker or a per-callee refusal may move it to the next), and what a move needs to
-- render the message again for the provider that takes over (its capabilities differ: links,
-- replies). routed_note says why an attempt was moved; it goes with the send's status event, so the
-- call-out's timeline shows it.
ALTER TABLE notify.attempts ADD COLUMN provider text;
ALTER TABLE notify.attempts ADD COLUMN attempt_no integer;
ALTER TABLE notify.attempts ADD COLUMN drill boolean;
ALTER TABLE notify.attempts ADD COLUMN routed_note text;
