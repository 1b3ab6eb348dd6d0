import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TOPICS } from '../../contracts/topics';
import type {
  CalloutEvent,
  CalloutRequested,
  CalloutResponse,
  CoverageAlert,
  WarningMessage,
} from '../../contracts/generated';
import { Clock, systemClock } from '../common/clock';
import { Queryable } from '../db/db';
import { CLOCK } from '../infra/tokens';
import { Outbox } from '../kafka/outbox';
import {
  CALLOUT_STATES,
  CalloutEventKind,
  CalloutState,
  SETTLED_FOR_CLOSING,
  transition,
} from './callout-state';
import type { LadderStep } from '../directory/directory.types';
import { CalloutRow, PolicySnapshot, WarningRow } from './callout.types';
import { sendOrderOf } from './policy';
import { sendPriority } from './send-priority';
import { buildTemplateData, SubjectInfo } from './template-data';

export interface NewCallout {
  id: string;
  warningId: string;
  personId: string;
  personName: string;
  phone: string;
  role: string | null;
  areaCode: string | null;
  areaName: string | null;
  level: string;
  rung: number;
  subjectCalloutId: string | null;
}

export interface SendSpec {
  callout: CalloutRow;
  channel: 'sms' | 'voice';
  purpose: CalloutRequested['purpose'];
  subject?: SubjectInfo;
  note?: string;
}

/**
 * SQL of the call-out context's warnings, call-outs and sends. Every method takes the transaction it
 * runs in, so a state change, its event and the sends it asks for are committed together (the outbox
 * carries the events out).
 */
@Injectable()
export class CalloutRepository {
  readonly outbox = new Outbox('callout');

  constructor(@Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock) {}

  /**
   * The time a change is stamped with: the Clock's, never the database's now(), so that deadlines,
   * events and the rows' own timestamps agree when the clock is not the machine's (tests, rehearsals).
   */
  private at(): string {
    return this.clock.now().toISOString();
  }

  async lockWarning(tx: Queryable, id: string): Promise<WarningRow | undefined> {
    const r = await tx.query<WarningRow>(`SELECT * FROM callout.warnings WHERE id = $1 FOR NO KEY UPDATE`, [
      id,
    ]);
    return r.rows[0];
  }

  async warning(tx: Queryable, id: string): Promise<WarningRow | undefined> {
    const r = await tx.query<WarningRow>(`SELECT * FROM callout.warnings WHERE id = $1`, [id]);
    return r.rows[0];
  }

  async lockCallout(tx: Queryable, id: string): Promise<CalloutRow | undefined> {
    const r = await tx.query<CalloutRow>(`SELECT * FROM callout.callouts WHERE id = $1 FOR NO KEY UPDATE`, [
      id,
    ]);
    return r.rows[0];
  }

  async callout(tx: Queryable, id: string): Promise<CalloutRow | undefined> {
    const r = await tx.query<CalloutRow>(`SELECT * FROM callout.callouts WHERE id = $1`, [id]);
    return r.rows[0];
  }

  /** The warning row a message chain is applied to (keyed by its first id); a placeholder until then. */
  async ensureWarning(tx: Queryable, id: string): Promise<void> {
    await tx.query(
      `INSERT INTO callout.warnings (id, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT DO NOTHING`,
      [id, this.at()],
    );
  }

  /**
   * Writes a warning message onto its warning row. A dispatchable message makes it active with the
   * policy snapshot it keeps from then on; one that is not (no level, a test) only records it.
   */
  async applyMessage(
    tx: Queryable,
    id: string,
    w: WarningMessage,
    dispatchable: boolean,
    snapshot: PolicySnapshot,
  ): Promise<WarningRow> {
    const r = await tx.query<WarningRow>(
      `UPDATE callout.warnings SET hazard = $2, subtype = $3, level = $4, status = $5, drill = $6, headline = $7, sent_at = $8,
         effective = $9, expires = $10, area_codes = $11, content = $12,
         policy = CASE WHEN $13::boolean THEN COALESCE(policy, $14::jsonb) ELSE policy END,
         state = CASE WHEN $13::boolean THEN 'active' WHEN state = 'placeholder' THEN 'recorded' ELSE state END,
         updated_at = $15
       WHERE id = $1 RETURNING *`,
      [
        id,
        w.hazard,
        w.subtype,
        w.level ?? null,
        w.status,
        w.status === 'Exercise',
        w.headline,
        w.sentAt,
        w.effective,
        w.expires,
        w.areas.map((a) => a.code),
        JSON.stringify(w),
        dispatchable,
        JSON.stringify(snapshot),
        this.at(),
      ],
    );
    return r.rows[0];
  }

  async warnings(q: Queryable, ids: string[]): Promise<WarningRow[]> {
    const r = await q.query<WarningRow>(`SELECT * FROM callout.warnings WHERE id = ANY($1::text[])`, [ids]);
    return r.rows;
  }

  async setWarningState(tx: Queryable, id: string, state: WarningRow['state']): Promise<void> {
    await tx.query(`UPDATE callout.warnings SET state = $2, updated_at = $3 WHERE id = $1`, [
      id,
      state,
      this.at(),
    ]);
  }

  /** Active warnings with no call-out open any more (a crash between a change and its close check). */
  async activeWarningsWithNothingOpen(q: Queryable): Promise<string[]> {
    const r = await q.query<{ id: string }>(
      `SELECT w.id FROM callout.warnings w
       WHERE w.state = 'active' AND NOT EXISTS (
         SELECT 1 FROM callout.callouts c WHERE c.warning_id = w.id AND c.state = ANY($1::text[]))`,
      [CALLOUT_STATES.filter((s) => !SETTLED_FOR_CLOSING.includes(s))],
    );
    return r.rows.map((x) => x.id);
  }

  async callouts(q: Queryable, ids: string[]): Promise<CalloutRow[]> {
    const r = await q.query<CalloutRow>(`SELECT * FROM callout.callouts WHERE id = ANY($1::text[])`, [ids]);
    return r.rows;
  }

  /** Locks call-outs in id order (the order every writer follows, so two never deadlock). */
  async lockCallouts(tx: Queryable, ids: string[]): Promise<CalloutRow[]> {
    const r = await tx.query<CalloutRow>(
      `SELECT * FROM callout.callouts WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`,
      [ids],
    );
    return r.rows;
  }

  /** Every call-out of a warning, ladder steps and superseded ones included, locked in id order. */
  async lockCalloutsOfWarning(tx: Queryable, warningId: string): Promise<CalloutRow[]> {
    const r = await tx.query<CalloutRow>(
      `SELECT * FROM callout.callouts WHERE warning_id = $1 ORDER BY id FOR NO KEY UPDATE`,
      [warningId],
    );
    return r.rows;
  }

  /** The current first call-outs of a warning (rung 0, not superseded by a higher level), locked. */
  async lockCurrentFirstCallouts(tx: Queryable, warningId: string): Promise<CalloutRow[]> {
    const r = await tx.query<CalloutRow>(
      `SELECT * FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND NOT superseded FOR NO KEY UPDATE`,
      [warningId],
    );
    return r.rows;
  }

  /** Which of these persons have a current first call-out for the warning. */
  async personsWithCurrentCallout(
    tx: Queryable,
    warningId: string,
    personIds: string[],
  ): Promise<Set<string>> {
    const r = await tx.query<{ person_id: string }>(
      `SELECT person_id FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND NOT superseded AND person_id = ANY($2::text[])`,
      [warningId, personIds],
    );
    return new Set(r.rows.map((x) => x.person_id));
  }

  async markSuperseded(tx: Queryable, id: string): Promise<void> {
    await tx.query(`UPDATE callout.callouts SET superseded = true WHERE id = $1`, [id]);
  }

  /** Newly created first call-outs become SENT (their sends are requested with them). */
  async markFirstSent(tx: Queryable, ids: string[]): Promise<void> {
    await tx.query(
      `UPDATE callout.callouts SET state = 'SENT', state_reason = 'first call-out', updated_at = $2 WHERE id = ANY($1::text[])`,
      [ids, this.at()],
    );
  }

  async countRedial(tx: Queryable, id: string): Promise<void> {
    await tx.query(`UPDATE callout.callouts SET redials_used = redials_used + 1 WHERE id = $1`, [id]);
  }

  /** Stores the ladder a person is escalated up (read from the directory when their deadline passed). */
  async storeLadder(tx: Queryable, id: string, ladder: LadderStep[]): Promise<void> {
    await tx.query(`UPDATE callout.callouts SET ladder = $2 WHERE id = $1`, [id, JSON.stringify(ladder)]);
  }

  /** storeLadder for many persons whose first step is called at once: their position moves past it. */
  async storeLaddersAtFirstStep(tx: Queryable, list: { id: string; ladder: LadderStep[] }[]): Promise<void> {
    await tx.query(
      `UPDATE callout.callouts c SET ladder = x.ladder::jsonb, ladder_pos = c.ladder_pos + 1
       FROM unnest($1::text[], $2::text[]) AS x(id, ladder) WHERE c.id = x.id`,
      [list.map((x) => x.id), list.map((x) => JSON.stringify(x.ladder))],
    );
  }

  /** Where a subject stands on their ladder: the next step to call and the round of the walk. */
  async moveOnLadder(tx: Queryable, id: string, pos: number, round: number): Promise<void> {
    await tx.query(`UPDATE callout.callouts SET ladder_pos = $2, round = $3 WHERE id = $1`, [id, pos, round]);
  }

  /**
   * Moves requests' recorded statuses forward: a status ranked below the recorded one changes nothing.
   * The first status other than failed says the provider accepted the send (accepted_at), the first
   * delivered or heard that it reached the person (reached_at), each at the status's own time.
   */
  async advanceRequestStatuses(
    q: Queryable,
    list: { requestId: string; status: string; rank: number; at?: string }[],
  ): Promise<void> {
    await q.query(
      `UPDATE callout.requests r SET status = x.status, status_rank = x.rank, updated_at = $4,
         accepted_at = COALESCE(r.accepted_at, CASE WHEN x.status <> 'failed' THEN x.at END),
         reached_at = COALESCE(r.reached_at, CASE WHEN x.status IN ('delivered', 'heard') THEN x.at END)
       FROM unnest($1::text[], $2::text[], $3::int[], $5::timestamptz[]) AS x(request_id, status, rank, at)
       WHERE r.request_id = x.request_id AND r.status_rank <= x.rank`,
      [
        list.map((s) => s.requestId),
        list.map((s) => s.status),
        list.map((s) => s.rank),
        this.at(),
        list.map((s) => s.at ?? null),
      ],
    );
  }

  /** Records an answer (once per response id); `late` when it came after the person was escalated. */
  async recordResponse(tx: Queryable, r: CalloutResponse, calloutId: string, late: boolean): Promise<void> {
    await tx.query(
      `INSERT INTO callout.responses (response_id, callout_id, via, kind, action, count, note, text, actor, late, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
      [
        r.responseId,
        calloutId,
        r.via,
        r.kind,
        r.feedback?.action ?? null,
        r.feedback?.count ?? null,
        r.feedback?.note ?? null,
        r.text ?? null,
        r.actor ?? null,
        late,
        r.at,
      ],
    );
  }

  /** recordResponse for many answers: one statement. */
  async recordResponses(
    tx: Queryable,
    list: { r: CalloutResponse; calloutId: string; late: boolean }[],
  ): Promise<void> {
    if (list.length === 0) return;
    const col = <T>(f: (x: (typeof list)[number]) => T) => list.map(f);
    await tx.query(
      `INSERT INTO callout.responses (response_id, callout_id, via, kind, action, count, note, text, actor, late, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::timestamptz[])
       ON CONFLICT DO NOTHING`,
      [
        col((x) => x.r.responseId),
        col((x) => x.calloutId),
        col((x) => x.r.via),
        col((x) => x.r.kind),
        col((x) => x.r.feedback?.action ?? null),
        col((x) => x.r.feedback?.count ?? null),
        col((x) => x.r.feedback?.note ?? null),
        col((x) => x.r.text ?? null),
        col((x) => x.r.actor ?? null),
        col((x) => x.late),
        col((x) => x.r.at),
      ],
    );
  }

  /** Of these call-outs, those with ladder steps (call-outs whose subject they are). */
  async withLadderSteps(q: Queryable, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const r = await q.query<{ id: string }>(
      `SELECT DISTINCT subject_callout_id AS id FROM callout.callouts WHERE subject_callout_id = ANY($1::text[]) ORDER BY 1`,
      [ids],
    );
    return r.rows.map((x) => x.id);
  }

  /** Records an event id; false when it was applied before (redelivery). */
  async firstTime(tx: Queryable, eventId: string): Promise<boolean> {
    const r = await tx.query(
      `INSERT INTO callout.applied_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING`,
      [eventId],
    );
    return r.rowCount === 1;
  }

  /** Records many event ids at once; answers those recorded now (the others were applied before). */
  async firstTimes(tx: Queryable, eventIds: string[]): Promise<Set<string>> {
    const r = await tx.query<{ event_id: string }>(
      `INSERT INTO callout.applied_events (event_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING event_id`,
      [eventIds],
    );
    return new Set(r.rows.map((x) => x.event_id));
  }

  async insertCallouts(tx: Queryable, list: NewCallout[], state: CalloutState): Promise<CalloutRow[]> {
    if (list.length === 0) return [];
    const col = <K extends keyof NewCallout>(k: K) => list.map((c) => c[k]);
    const r = await tx.query<CalloutRow>(
      `INSERT INTO callout.callouts (id, warning_id, person_id, person_name, phone, role, area_code, area_name, level, rung, subject_callout_id, state, created_at, updated_at)
       SELECT *, $12::text, $13::timestamptz, $13::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[])
       ON CONFLICT (id) DO NOTHING
       RETURNING *`,
      [
        col('id'),
        col('warningId'),
        col('personId'),
        col('personName'),
        col('phone'),
        col('role'),
        col('areaCode'),
        col('areaName'),
        col('level'),
        col('rung'),
        col('subjectCalloutId'),
        state,
        this.at(),
      ],
    );
    return r.rows;
  }

  /**
   * Applies one transition to a locked call-out row and announces it. Returns the updated row, or
   * undefined when the state machine refuses (the caller decides whether that is worth recording).
   */
  async apply(
    tx: Queryable,
    c: CalloutRow,
    event: CalloutEventKind,
    reason: string,
    opts: { details?: Record<string, unknown>; drill: boolean; handledBy?: string },
  ): Promise<CalloutRow | undefined> {
    const t = transition(c.state, event, c.rung);
    if (!t.ok) return undefined;
    const r = await tx.query<CalloutRow>(
      `UPDATE callout.callouts SET state = $2, state_reason = $3, late = late OR $4, updated_at = $6,
         confirmed_at = CASE WHEN $2 = 'CONFIRMED' THEN $6 ELSE confirmed_at END,
         handled_by = COALESCE($5, handled_by)
       WHERE id = $1 RETURNING *`,
      [c.id, t.to, reason, t.late, opts.handledBy ?? null, this.at()],
    );
    await this.announce(
      tx,
      [{ from: c, to: r.rows[0], reason, details: { ...opts.details, late: t.late || undefined } }],
      opts.drill,
    );
    return r.rows[0];
  }

  /**
   * `apply` for many call-outs of one warning at once: one UPDATE and one outbox write. Returns the
   * updated rows in the order given, undefined where the state machine refuses.
   */
  async applyMany(
    tx: Queryable,
    list: { c: CalloutRow; event: CalloutEventKind; reason: string; details?: Record<string, unknown> }[],
    drill: boolean,
  ): Promise<(CalloutRow | undefined)[]> {
    const moves = list.map((x) => ({ ...x, t: transition(x.c.state, x.event, x.c.rung) }));
    const ok = moves.filter((m) => m.t.ok);
    if (ok.length === 0) return list.map(() => undefined);
    const to = (m: (typeof moves)[number]) => (m.t.ok ? m.t : undefined)!;
    const r = await tx.query<CalloutRow>(
      `UPDATE callout.callouts c SET state = x.state, state_reason = x.reason, late = c.late OR x.late, updated_at = $5,
         confirmed_at = CASE WHEN x.state = 'CONFIRMED' THEN $5 ELSE c.confirmed_at END
       FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS x(id, state, reason, late)
       WHERE c.id = x.id RETURNING c.*`,
      [
        ok.map((m) => m.c.id),
        ok.map((m) => to(m).to),
        ok.map((m) => m.reason),
        ok.map((m) => to(m).late),
        this.at(),
      ],
    );
    const byId = new Map(r.rows.map((row) => [row.id, row]));
    await this.announce(
      tx,
      ok.map((m) => ({
        from: m.c,
        to: byId.get(m.c.id)!,
        reason: m.reason,
        details: { ...m.details, late: to(m).late || undefined },
      })),
      drill,
    );
    return moves.map((m) => (m.t.ok ? byId.get(m.c.id) : undefined));
  }

  /** Writes callouts.events for state changes (from null = created). */
  async announce(
    tx: Queryable,
    changes: { from: CalloutRow | null; to: CalloutRow; reason: string; details?: Record<string, unknown> }[],
    drill: boolean,
  ): Promise<void> {
    const at = this.at();
    await this.outbox.add(
      tx,
      TOPICS.calloutsEvents.name,
      changes.map(({ from, to, reason, details }) => {
        const e: CalloutEvent = {
          schemaVersion: 1,
          eventId: randomUUID(),
          calloutId: to.id,
          warningId: to.warning_id,
          personId: to.person_id,
          personName: to.person_name,
          ...(to.role ? { role: to.role } : {}),
          ...(to.area_code ? { areaCode: to.area_code } : {}),
          ...(to.area_name ? { areaName: to.area_name } : {}),
          rung: to.rung,
          subjectCalloutId: to.subject_callout_id,
          from: from ? from.state : null,
          to: to.state,
          reason,
          drill,
          details: Object.fromEntries(Object.entries(details ?? {}).filter(([, v]) => v !== undefined)),
          at,
        };
        return { key: to.id, value: e };
      }),
    );
  }

  /** Asks the notifier for sends: one callouts.requested per spec, recorded in callout.requests. */
  async requestSends(tx: Queryable, warning: WarningRow, specs: SendSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const now = this.at();
    // Attempt numbers count every send of a call-out, whatever the channel.
    const attemptOf = new Map<string, number>();
    const msgs: CalloutRequested[] = specs.map((s) => {
      const attempt = (attemptOf.get(s.callout.id) ?? s.callout.attempts) + 1;
      attemptOf.set(s.callout.id, attempt);
      return {
        schemaVersion: 1,
        requestId: `${s.callout.id}#${attempt}:${s.channel}:${s.purpose}`,
        calloutId: s.callout.id,
        warningId: warning.id,
        personId: s.callout.person_id,
        to: s.callout.phone,
        channel: s.channel,
        purpose: s.purpose,
        attempt,
        drill: warning.drill,
        language: 'zh-CN',
        data: buildTemplateData(warning, s.callout, s.subject, s.note),
        priority: sendPriority(
          {
            purpose: s.purpose,
            level: s.callout.level,
            drill: warning.drill,
            role: s.callout.role,
            areaCode: s.callout.area_code,
          },
          sendOrderOf(warning.policy ?? {}),
        ),
        requestedAt: now,
      };
    });
    await tx.query(
      `INSERT INTO callout.requests (request_id, callout_id, channel, purpose, attempt, requested_at, updated_at)
       SELECT *, $6::timestamptz, $6::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) ON CONFLICT DO NOTHING`,
      [
        msgs.map((m) => m.requestId),
        msgs.map((m) => m.calloutId),
        msgs.map((m) => m.channel),
        msgs.map((m) => m.purpose),
        msgs.map((m) => m.attempt),
        now,
      ],
    );
    const ids = [...attemptOf.keys()];
    await tx.query(
      `UPDATE callout.callouts c SET attempts = x.n, updated_at = $3
       FROM unnest($1::text[], $2::int[]) AS x(id, n) WHERE c.id = x.id`,
      [ids, ids.map((i) => attemptOf.get(i)), now],
    );
    await this.outbox.add(
      tx,
      TOPICS.calloutsRequested.name,
      msgs.map((m) => ({ key: m.calloutId, value: m })),
    );
  }

  async alert(
    tx: Queryable,
    alerts: Omit<CoverageAlert, 'schemaVersion' | 'alertId' | 'at'>[],
  ): Promise<void> {
    const at = this.at();
    await this.outbox.add(
      tx,
      TOPICS.coverageAlerts.name,
      alerts.map((a) => {
        // An alert about a fact (an area, a call-out) has a deterministic id, so the intake and the
        // dispatcher raising the same unmapped area, or a redelivered message, make one alert for
        // the consumers, which dedupe by id.
        const subject = a.calloutId ?? a.areaCode ?? randomUUID();
        const alertId = `${a.warningId}:${a.kind === 'unmapped-area' ? 'unmapped' : a.kind}:${subject}`;
        return { key: a.warningId, value: { schemaVersion: 1, alertId, at, ...a } satisfies CoverageAlert };
      }),
    );
  }

  /** Closes an active warning whose every call-out is settled; announces warnings.closed with counts. */
  async closeIfSettled(
    tx: Queryable,
    warningId: string,
    reason: 'all-settled' | 'cancelled' | 'expired',
  ): Promise<boolean> {
    // Lock first, then look: a concurrent transaction that settled the last other call-out has
    // committed by the time the lock is ours, so exactly one of them sees "nothing open".
    await tx.query(`SELECT 1 FROM callout.warnings WHERE id = $1 FOR NO KEY UPDATE`, [warningId]);
    const open = await tx.query<{ open: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM callout.callouts WHERE warning_id = $1 AND state = ANY($2::text[])) AS open`,
      [warningId, CALLOUT_STATES.filter((s) => !SETTLED_FOR_CLOSING.includes(s))],
    );
    if (open.rows[0].open) return false;
    if (reason === 'all-settled') {
      // A message still 'pending' has call-outs yet to create (the dispatcher writes them chunk by
      // chunk, or a crash cut it short and the redelivery will resume it): those already called may
      // all have answered, but the warning is not settled. Looked at only when nothing is open.
      const planning = await tx.query<{ pending: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM callout.warning_messages WHERE warning_id = $1 AND outcome = 'pending') AS pending`,
        [warningId],
      );
      if (planning.rows[0].pending) return false;
    }
    const w = await tx.query<WarningRow>(
      `UPDATE callout.warnings SET state = CASE WHEN state = 'active' THEN 'closed' ELSE state END, closed_reason = $2, updated_at = $3
       WHERE id = $1 AND state IN ('active', 'cancelled', 'expired') AND closed_reason IS NULL RETURNING *`,
      [warningId, reason, this.at()],
    );
    if (w.rowCount === 0) return false;
    const counts = await tx.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM callout.callouts WHERE warning_id = $1 GROUP BY state`,
      [warningId],
    );
    await this.outbox.add(tx, TOPICS.warningsClosed.name, [
      {
        key: warningId,
        value: {
          schemaVersion: 1,
          warningId,
          reason,
          drill: w.rows[0].drill,
          counts: Object.fromEntries(counts.rows.map((c) => [c.state, Number(c.n)])),
          at: this.at(),
        },
      },
    ]);
    return true;
  }

  /** Stops the escalation call-outs of a subject (its ladder) and tells those already called. */
  async settleLadder(
    tx: Queryable,
    w: WarningRow,
    subjectId: string,
    purpose: 'settled' | 'lift',
  ): Promise<void> {
    const ladder = (
      await tx.query<CalloutRow>(
        `SELECT * FROM callout.callouts WHERE subject_callout_id = $1 ORDER BY id FOR NO KEY UPDATE`,
        [subjectId],
      )
    ).rows;
    const sends: SendSpec[] = [];
    for (const c of ladder) {
      const reason = purpose === 'lift' ? 'warning lifted for the area' : 'subject settled';
      const after = (await this.apply(tx, c, 'settle', reason, { drill: w.drill })) ?? c;
      sends.push({ callout: after, channel: 'sms', purpose });
    }
    await this.requestSends(tx, w, sends);
  }
}
