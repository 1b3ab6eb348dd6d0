import type { TemplateData } from '../../contracts/generated';
import { Queryable } from '../db/db';
import { REJECTED_PER_MINUTE, WebhookExcerpt } from './rejected-webhook';

export interface AttemptRow {
  request_id: string;
  callout_id: string;
  warning_id: string;
  person_id: string;
  channel: 'sms' | 'voice';
  purpose: string;
  to_number: string;
  from_number: string | null;
  warning_seq: number | null;
  language: string;
  data: TemplateData;
  body: string;
  twiml: string | null;
  state: 'queued' | 'sending' | 'sent' | 'failed';
  provider_sid: string | null;
  error_code: number | null;
  error_reason: string | null;
  created_at: Date;
  /** When the send worker took the attempt from the queue (null while 'queued'). */
  claimed_at: Date | null;
  /** When the provider accepted it. */
  sent_at: Date | null;
  /** The trace of the request it was queued for (W3C traceparent). */
  traceparent: string | null;
  /** The provider that carries it (null: recorded before routing, Twilio's). */
  provider: string | null;
  /** The request's attempt number and drill flag: what a reroute renders the message again from. */
  attempt_no: number | null;
  drill: boolean | null;
  /** Why the send was moved to another provider or channel (said with its status event). */
  routed_note: string | null;
  /** Claim order when rate-bound, the lowest first (libs/callout/send-priority.ts). */
  priority: number;
  /** When the status check last asked the provider about it (status-check.ts). */
  status_checked_at?: Date | null;
  /** When its final status (the last webhook, or the status check's answer) was recorded. */
  final_status_at?: Date | null;
  /** Said by the claim only: other calls to this call's number are queued behind it. */
  calls_waiting?: boolean;
}

/** An attempt moved to another provider or channel, rendered again for it. */
export interface Reroute {
  provider: string;
  channel: 'sms' | 'voice';
  from_number: string;
  body: string;
  twiml: string | null;
  note: string;
}

export type NewAttempt = Pick<
  AttemptRow,
  | 'request_id'
  | 'callout_id'
  | 'warning_id'
  | 'person_id'
  | 'channel'
  | 'purpose'
  | 'to_number'
  | 'from_number'
  | 'warning_seq'
  | 'language'
  | 'data'
  | 'body'
  | 'twiml'
  | 'traceparent'
  | 'provider'
  | 'attempt_no'
  | 'drill'
  | 'priority'
>;

/** Purposes a person's reply can confirm (a reply to a "lifted" notice confirms nothing new). */
const CONFIRMABLE = ['callout', 'redial', 'escalation', 'update'];

/**
 * The claim. The choice walks the partial index attempts_queued_priority in its order (one index
 * scan however long the backlog); each queued call on the way is checked against the two small
 * indexes of migration 008 (a call to its number 'sending'; the first queued call to its number,
 * by the claim's own order).
 * SKIP LOCKED lets two notifier replicas claim side by side without ever taking the same attempt:
 * a call another replica is claiming at that moment is still 'queued' to this statement, so the
 * calls after it to that number wait too. The choice is a MATERIALIZED CTE: as `IN (SELECT … LIMIT
 * n)` the planner may evaluate the subquery more than once and claim more than n. Each claimed call
 * says whether other calls to its number are queued behind it (`calls_waiting`; the statement sees
 * the claimed rows still 'queued', hence the request id): once it is placed, the worker claims again
 * at once rather than at its next poll.
 */
export const CLAIM_QUEUED_SQL = `WITH next AS MATERIALIZED (
     SELECT q.request_id FROM notify.attempts q
     WHERE q.state = 'queued'
       AND (q.channel <> 'voice' OR (
         NOT EXISTS (SELECT 1 FROM notify.attempts s
                     WHERE s.state = 'sending' AND s.channel = 'voice' AND s.to_number = q.to_number)
         AND q.request_id = (SELECT e.request_id FROM notify.attempts e
                             WHERE e.state = 'queued' AND e.channel = 'voice' AND e.to_number = q.to_number
                             ORDER BY e.priority, e.created_at, e.request_id LIMIT 1)))
     ORDER BY q.priority, q.created_at LIMIT $1 FOR UPDATE OF q SKIP LOCKED),
   claimed AS (
     UPDATE notify.attempts a SET state = 'sending', claimed_at = now(), updated_at = now()
     FROM next WHERE a.request_id = next.request_id AND a.state = 'queued'
     RETURNING a.*)
   SELECT c.*, c.channel = 'voice' AND EXISTS (
       SELECT 1 FROM notify.attempts m
       WHERE m.state = 'queued' AND m.channel = 'voice' AND m.to_number = c.to_number
         AND m.request_id <> c.request_id) AS calls_waiting
   FROM claimed c ORDER BY priority, created_at`;

/** SQL of the notify context. Every method takes the connection or transaction it runs in. */
export class NotifyRepository {
  /**
   * Decide: records rendered attempts 'queued' for the send worker (several at once: the accept
   * group commit). Answers the request ids it recorded: one that already exists (a redelivered
   * request) is left alone, so a redelivery never queues a second send.
   */
  async enqueue(q: Queryable, list: NewAttempt[]): Promise<Set<string>> {
    if (list.length === 0) return new Set();
    const col = <K extends keyof NewAttempt>(k: K) => list.map((a) => a[k]);
    const r = await q.query<{ request_id: string }>(
      `INSERT INTO notify.attempts (request_id, callout_id, warning_id, person_id, channel, purpose, to_number,
         from_number, warning_seq, language, data, body, twiml, traceparent, provider, attempt_no, drill, priority,
         state)
       SELECT *, 'queued' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::text[], $8::text[], $9::int[], $10::text[], $11::jsonb[], $12::text[], $13::text[], $14::text[],
         $15::text[], $16::int[], $17::boolean[], $18::int[])
       ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
      [
        col('request_id'),
        col('callout_id'),
        col('warning_id'),
        col('person_id'),
        col('channel'),
        col('purpose'),
        col('to_number'),
        col('from_number'),
        col('warning_seq'),
        col('language'),
        list.map((a) => JSON.stringify(a.data)),
        col('body'),
        col('twiml'),
        col('traceparent'),
        col('provider'),
        col('attempt_no'),
        col('drill'),
        col('priority'),
      ],
    );
    return new Set(r.rows.map((x) => x.request_id));
  }

  /**
   * Send: takes up to `limit` queued attempts, by priority and then oldest first, and marks them
   * 'sending' in one statement (CLAIM_QUEUED_SQL); they come back in that order, which is the order
   * they are sent in. A call is taken only when no call to its number is 'sending' and it is the
   * oldest queued to that number, so one number's calls go one after another without holding send
   * slots while they wait, across replicas too.
   */
  async claimQueued(q: Queryable, limit: number): Promise<AttemptRow[]> {
    if (limit <= 0) return [];
    const r = await q.query<AttemptRow>(CLAIM_QUEUED_SQL, [limit]);
    return r.rows;
  }

  /** Records sends the API accepted (several at once: the send worker's group commit). */
  async markSent(q: Queryable, sent: { requestId: string; sid: string; tries: number }[]): Promise<void> {
    if (sent.length === 0) return;
    await q.query(
      `UPDATE notify.attempts a SET state = 'sent', provider_sid = COALESCE(a.provider_sid, x.sid), tries = x.tries,
         sent_at = COALESCE(a.sent_at, now()), updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::int[]) AS x(request_id, sid, tries) WHERE a.request_id = x.request_id`,
      [sent.map((x) => x.requestId), sent.map((x) => x.sid), sent.map((x) => x.tries)],
    );
  }

  /**
   * Moves an attempt this process is sending to another provider or channel, with its message
   * rendered again for it; the note accumulates (a send may move twice).
   */
  async reroute(q: Queryable, requestId: string, r: Reroute): Promise<AttemptRow | undefined> {
    return (
      await q.query<AttemptRow>(
        `UPDATE notify.attempts SET provider = $2, channel = $3, from_number = $4, body = $5, twiml = $6,
           routed_note = CASE WHEN routed_note IS NULL THEN $7 ELSE routed_note || '; ' || $7 END, updated_at = now()
         WHERE request_id = $1 AND state = 'sending' RETURNING *`,
        [requestId, r.provider, r.channel, r.from_number, r.body, r.twiml, r.note.slice(0, 500)],
      )
    ).rows[0];
  }

  async markFailed(
    q: Queryable,
    requestId: string,
    code: number | null,
    reason: string,
    tries: number,
  ): Promise<void> {
    await q.query(
      `UPDATE notify.attempts SET state = 'failed', error_code = $2, error_reason = $3, tries = $4, updated_at = now()
       WHERE request_id = $1 AND state = 'sending'`,
      [requestId, code, reason.slice(0, 1000), tries],
    );
  }

  async byRequestId(q: Queryable, requestId: string): Promise<AttemptRow | undefined> {
    return (await q.query<AttemptRow>(`SELECT * FROM notify.attempts WHERE request_id = $1`, [requestId]))
      .rows[0];
  }

  async byRequestIds(q: Queryable, requestIds: string[]): Promise<Map<string, AttemptRow>> {
    if (requestIds.length === 0) return new Map();
    const r = await q.query<AttemptRow>(`SELECT * FROM notify.attempts WHERE request_id = ANY($1::text[])`, [
      requestIds,
    ]);
    return new Map(r.rows.map((a) => [a.request_id, a]));
  }

  async bySid(q: Queryable, sid: string): Promise<AttemptRow | undefined> {
    return (await q.query<AttemptRow>(`SELECT * FROM notify.attempts WHERE provider_sid = $1`, [sid]))
      .rows[0];
  }

  /** Of these provider ids, those recorded on an attempt other than `requestId`. */
  async sidsOwnedByOthers(q: Queryable, sids: string[], requestId: string): Promise<Set<string>> {
    const r = await q.query<{ provider_sid: string }>(
      `SELECT provider_sid FROM notify.attempts WHERE provider_sid = ANY($1::text[]) AND request_id <> $2`,
      [sids, requestId],
    );
    return new Set(r.rows.map((x) => x.provider_sid));
  }

  async latestForCallout(q: Queryable, calloutId: string): Promise<AttemptRow | undefined> {
    return (
      await q.query<AttemptRow>(
        `SELECT * FROM notify.attempts WHERE callout_id = $1 ORDER BY created_at DESC LIMIT 1`,
        [calloutId],
      )
    ).rows[0];
  }

  /**
   * The send an SMS reply answers: the most recent confirmable one sent to that number, or the one of
   * the warning whose short code the person quoted. A send still queued cannot have been answered.
   */
  async answeredBy(q: Queryable, from: string, shortCode?: number): Promise<AttemptRow | undefined> {
    const r = await q.query<AttemptRow>(
      `SELECT * FROM notify.attempts
       WHERE to_number = $1 AND state IN ('sending', 'sent') AND ($2::int IS NULL OR warning_seq = $2)
       ORDER BY (purpose = ANY($3::text[])) DESC, created_at DESC LIMIT 1`,
      [from, shortCode ?? null, CONFIRMABLE],
    );
    return r.rows[0];
  }

  /**
   * Renews this process's claim on an attempt it is about to send: claimed_at = now, but only while
   * the claim is still the one taken at `claimedAt` (not re-claimed since by a reconciler, here or in
   * another replica; claimed_at is compared to the millisecond a Date holds). Answers the new claim
   * time, or undefined when the claim was lost: the attempt is someone else's to send.
   */
  async renewClaim(q: Queryable, requestId: string, claimedAt: Date): Promise<Date | undefined> {
    const r = await q.query<{ claimed_at: Date }>(
      `UPDATE notify.attempts SET claimed_at = now()
       WHERE request_id = $1 AND state = 'sending' AND claimed_at < $2::timestamptz + interval '1 millisecond'
       RETURNING claimed_at`,
      [requestId, claimedAt],
    );
    return r.rows[0]?.claimed_at;
  }

  /** An attempt still 'sending' counts as claimed from now (the reconciler's clock starts again). */
  async touchClaim(q: Queryable, requestId: string): Promise<void> {
    await q.query(
      `UPDATE notify.attempts SET claimed_at = now() WHERE request_id = $1 AND state = 'sending'`,
      [requestId],
    );
  }

  /**
   * Attempts 'sending' since longer than `olderThanMs` (their sender crashed mid-send), re-claimed
   * (claimed_at = now) in the same statement, so two reconcilers, here or in another replica, never
   * take the same one. `skip`: attempts this process is still sending.
   */
  async reclaimStuck(q: Queryable, olderThanMs: number, skip: string[]): Promise<AttemptRow[]> {
    return (
      await q.query<AttemptRow>(
        `WITH stuck AS MATERIALIZED (
           SELECT request_id FROM notify.attempts
           WHERE state = 'sending' AND claimed_at < now() - ($1::int * interval '1 millisecond')
             AND NOT (request_id = ANY($2::text[]))
           ORDER BY claimed_at LIMIT 500 FOR UPDATE SKIP LOCKED)
         UPDATE notify.attempts a SET claimed_at = now(), updated_at = now()
         FROM stuck WHERE a.request_id = stuck.request_id AND a.state = 'sending'
         RETURNING a.*`,
        [olderThanMs, skip],
      )
    ).rows;
  }

  /**
   * Accepted sends with no final status recorded (final_status_at), accepted between `maxAgeMs` and
   * `afterMs` ago, and due again: a send is asked about `afterMs` after acceptance, then each time
   * once it has waited as long again as it was old at the last ask (its age doubles between asks:
   * 10, 20, 40 … minutes), so an SMS whose carrier never returns a delivery receipt is asked about 8
   * times in a day, not 144. Marked asked (status_checked_at = now) in the same statement, so two
   * replicas never ask about the same one.
   */
  async claimStatusChecks(
    q: Queryable,
    o: { afterMs: number; maxAgeMs: number; limit: number },
  ): Promise<AttemptRow[]> {
    return (
      await q.query<AttemptRow>(
        `WITH due AS MATERIALIZED (
           SELECT request_id FROM notify.attempts
           WHERE state = 'sent' AND final_status_at IS NULL AND provider_sid IS NOT NULL
             AND sent_at < now() - ($1::int * interval '1 millisecond')
             AND sent_at > now() - ($2::int * interval '1 millisecond')
             AND (status_checked_at IS NULL
                  OR status_checked_at < now() - GREATEST($1::int * interval '1 millisecond', status_checked_at - sent_at))
           ORDER BY sent_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE notify.attempts a SET status_checked_at = now()
         FROM due WHERE a.request_id = due.request_id
         RETURNING a.*`,
        [o.afterMs, o.maxAgeMs, o.limit],
      )
    ).rows;
  }

  /** The sends whose final status (the last webhook) has just been recorded. */
  async markFinalStatus(q: Queryable, requestIds: string[]): Promise<void> {
    if (requestIds.length === 0) return;
    await q.query(
      `UPDATE notify.attempts SET final_status_at = now()
       WHERE request_id = ANY($1::text[]) AND final_status_at IS NULL`,
      [requestIds],
    );
  }

  /** Applies a webhook event once: false when this event id was seen before (a Twilio retry). */
  async firstTime(
    q: Queryable,
    eventId: string,
    kind: string,
    requestId: string | null,
    payload: unknown,
  ): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO notify.webhook_events (event_id, kind, request_id, payload) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [eventId, kind, requestId, JSON.stringify(payload)],
    );
    return r.rowCount > 0;
  }

  /** firstTime for a batch of webhook events: the ids seen for the first time. */
  async firstTimes(
    q: Queryable,
    events: { eventId: string; kind: string; requestId: string | null; payload: unknown }[],
  ): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const r = await q.query<{ event_id: string }>(
      `INSERT INTO notify.webhook_events (event_id, kind, request_id, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [
        events.map((e) => e.eventId),
        events.map((e) => e.kind),
        events.map((e) => e.requestId),
        events.map((e) => JSON.stringify(e.payload)),
      ],
    );
    return new Set(r.rows.map((x) => x.event_id));
  }

  /**
   * Records a refused webhook, unless its source address has had REJECTED_PER_MINUTE recorded in the
   * last minute: then it is only counted (one row per address and minute), so forged requests cannot
   * grow the database without bound. Returns whether it was stored.
   */
  async recordRejected(
    q: Queryable,
    r: {
      path: string;
      reason: string;
      remoteAddr?: string;
      signature?: string;
      excerpt: WebhookExcerpt;
    },
  ): Promise<boolean> {
    const addr = r.remoteAddr ?? 'unknown';
    const recent = await q.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM notify.rejected_webhooks WHERE remote_addr = $1 AND received_at > now() - interval '1 minute'`,
      [addr],
    );
    if (Number(recent.rows[0].n) >= REJECTED_PER_MINUTE) {
      await q.query(
        `INSERT INTO notify.rejected_webhook_overflow (remote_addr, minute, requests) VALUES ($1, date_trunc('minute', now()), 1)
         ON CONFLICT (remote_addr, minute) DO UPDATE SET requests = notify.rejected_webhook_overflow.requests + 1`,
        [addr],
      );
      return false;
    }
    const excerpt = r.excerpt;
    await q.query(
      `INSERT INTO notify.rejected_webhooks (path, reason, remote_addr, signature, params, params_bytes, params_omitted)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)`,
      [
        r.path.slice(0, 200),
        r.reason,
        addr,
        r.signature?.slice(0, 200) ?? null,
        JSON.stringify(excerpt.params),
        excerpt.bytes,
        excerpt.omitted,
      ],
    );
    return true;
  }
}
