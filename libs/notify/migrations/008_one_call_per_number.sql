-- One call to a number at a time, decided at the claim (libs/notify/notify.repository.ts CLAIM_QUEUED_SQL):
-- a queued call is claimed only when it is the oldest queued call to its number and no call to that
-- number is 'sending' (in this process or another replica). A call found at the provider cannot be
-- told apart from another call to the same number by its content, so the reconciler may adopt one
-- only while no other call to that number is being placed; and a call that would only wait for the
-- one before it never holds a send slot that an SMS or a call to another number could use.
-- Both indexes are small: they hold only the calls in flight and the calls queued.
CREATE INDEX IF NOT EXISTS attempts_voice_sending_to ON notify.attempts (to_number)
  WHERE state = 'sending' AND channel = 'voice';
CREATE INDEX IF NOT EXISTS attempts_voice_queued_to ON notify.attempts (to_number, priority, created_at, request_id)
  WHERE state = 'queued' AND channel = 'voice';
