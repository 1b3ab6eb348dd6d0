import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { CalloutResponse, CalloutStatus } from '../../contracts/generated';
import { Db, Queryable } from '../db/db';
import { GroupCommit } from '../db/group-commit';
import { TOPICS } from '../../contracts/topics';
import { Clock, systemClock } from '../common/clock';
import { CLOCK, DB } from '../infra/tokens';
import { observeConfirmed, observeDeliveryReport } from '../observability/metrics';
import { isFinal, isOpen } from './callout-state';
import { CalloutRepository } from './callout.repository';
import { CalloutRow, TARGET_DIRECTORY, TargetDirectory, WarningRow } from './callout.types';
import { CalloutOutboxRelay } from './callout-outbox.relay';
import { calloutDeadlines, DeadlineRepository, DueDeadline } from './deadline.repository';
import { LevelPolicy } from './policy';
import { endWarning } from './warning-end';
import type { LadderStep } from '../directory/directory.types';

/** What an alert about one call-out says of its person and area. */
const aboutCallout = (c: CalloutRow) => ({
  personId: c.person_id,
  calloutId: c.id,
  areaCode: c.area_code ?? undefined,
  areaName: c.area_name ?? undefined,
});

/** How far a send has got: a request's recorded status never moves back (callbacks race). */
const STATUS_RANK: Record<CalloutStatus['status'], number> = {
  submitted: 1,
  queued: 1,
  sent: 2,
  ringing: 2,
  answered: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  heard: 4,
  completed: 4,
  busy: 4,
  'no-answer': 4,
  canceled: 4,
};

/** Channel statuses that mean the voice call did not get through to a listening person. */
const VOICE_MISSED = new Set(['busy', 'no-answer', 'failed', 'canceled', 'completed']);

const rankedStatus = (s: CalloutStatus) => ({
  requestId: s.requestId,
  status: s.status,
  rank: STATUS_RANK[s.status],
  at: s.at,
});

/** Whether a status event can change its call-out's state (else it only records progress). */
const changesCallout = (s: CalloutStatus) =>
  s.status === 'delivered' || s.status === 'heard' || (s.channel === 'voice' && VOICE_MISSED.has(s.status));

/**
 * One change the tracker applies in a transaction shared with the changes that arrive with it.
 * Answers whether it did anything (a deadline fired) and which warning may now be settled.
 */
type ChangeResult = { applied: boolean; warningId?: string };
type Change = (tx: Queryable) => Promise<ChangeResult>;
/** A status event that may change its call-out: applied set-based with the others of its batch. */
type StatusChange = { status: CalloutStatus };
/** An answer: a batch's confirmations of first call-outs are applied set-based, the others one by one. */
type ResponseChange = { response: CalloutResponse };

/** A person whose ack deadline passed, with what escalating them to their first step needs. */
interface FirstStep {
  c: CalloutRow;
  w: WarningRow;
  lp: LevelPolicy;
  steps: LadderStep[];
}

/**
 * Tracks each call-out after it is sent: channel statuses, answers, redials, escalation up the
 * ladder, the not-woken list, closing the warning. Every handler is idempotent (event ids recorded
 * in callout.applied_events) and runs in one transaction with the events it announces.
 */
@Injectable()
export class TrackerService {
  private readonly logger = new Logger(TrackerService.name);

  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(TARGET_DIRECTORY) private readonly directory: TargetDirectory,
    private readonly relay: CalloutOutboxRelay,
    private readonly repo: CalloutRepository,
    private readonly deadlines: DeadlineRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /** Publishes what the last transactions wrote to the outbox. */
  nudge(): void {
    this.relay.nudge();
  }

  private async inTx<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const r = await this.db.transaction(fn);
    this.relay.nudge();
    return r;
  }

  /**
   * Changes (answers, status events, due deadlines) are applied in group commits: those that
   * arrive together share one transaction, and each warning they touch gets one close check after
   * it commits instead of one per change. Every change is idempotent (event ids, deadline claims),
   * so the one-by-one retry after a failed batch applies each at most once.
   */
  private readonly changes = new GroupCommit<Change | StatusChange | ResponseChange, { applied: boolean }>(
    async (list) => {
      const results = await this.db.transaction(async (tx) => {
        const out: ChangeResult[] = new Array<ChangeResult>(list.length);
        /** Applies the items of one kind together and puts their results in place. */
        const together = async <T>(
          pick: (c: (typeof list)[number]) => T | undefined,
          apply: (tx: Queryable, xs: T[]) => Promise<ChangeResult[]>,
        ) => {
          const at = list.flatMap((c, i) => (pick(c) === undefined ? [] : [i]));
          if (at.length === 0) return;
          const r = await apply(
            tx,
            at.map((i) => pick(list[i])!),
          );
          at.forEach((i, k) => (out[i] = r[k]));
        };
        // The batch's status events and answers first, each kind together: a handful of statements
        // for all of them (they commute with the other changes of the batch: each is a transition
        // the state machine refuses once the call-out is past it).
        await together(
          (c) => (typeof c !== 'function' && 'status' in c ? c.status : undefined),
          (t, xs) => this.applyStatuses(t, xs),
        );
        await together(
          (c) => (typeof c !== 'function' && 'response' in c ? c.response : undefined),
          (t, xs) => this.applyResponses(t, xs),
        );
        for (let i = 0; i < list.length; i++) {
          const change = list[i];
          if (typeof change === 'function') out[i] = await change(tx);
        }
        return out;
      });
      this.relay.nudge();
      for (const id of new Set(results.flatMap((r) => (r.warningId ? [r.warningId] : []))))
        await this.closeIfSettled(id).catch((e: Error) =>
          this.logger.warn(`close check of ${id} failed (the sweep will retry): ${e.message}`),
        );
      return results;
    },
    { maxBatch: 200, maxConcurrent: 1 },
  );

  /** Progress-only statuses, written in group commits too: one statement per batch. */
  private readonly progress = new GroupCommit<CalloutStatus>(
    async (list) => {
      // Several statuses of one request in a batch: the furthest wins, as it would one by one.
      const furthest = new Map<string, CalloutStatus>();
      for (const s of list) {
        const seen = furthest.get(s.requestId);
        if (!seen || STATUS_RANK[s.status] >= STATUS_RANK[seen.status]) furthest.set(s.requestId, s);
      }
      await this.repo.advanceRequestStatuses(this.db, [...furthest.values()].map(rankedStatus));
      return list.map(() => undefined);
    },
    { maxBatch: 500, maxConcurrent: 1 },
  );

  /** Applies a change in the next group commit; resolves once it is committed. */
  applyChange(change: Change): Promise<{ applied: boolean }> {
    return this.changes.add(change);
  }

  async onStatus(s: CalloutStatus): Promise<void> {
    if (!changesCallout(s)) {
      // Progress only (submitted, sent, ringing, answered, an SMS not delivered): the request's
      // recorded status moves forward, nothing else changes. One statement, idempotent by the rank,
      // instead of a transaction that locks the call-out: most of a call-out's status events are these.
      await this.progress.add(s);
      return;
    }
    await this.changes.add({ status: s });
  }

  /** The positions of the items seen for the first time (event ids recorded now), each id once. */
  private async firstOnes<T>(tx: Queryable, list: T[], idOf: (x: T) => string): Promise<number[]> {
    const first = await this.repo.firstTimes(tx, list.map(idOf));
    const taken = new Set<string>();
    return list.flatMap((x, i) => {
      const id = idOf(x);
      if (!first.has(id) || taken.has(id)) return [];
      taken.add(id);
      return [i];
    });
  }

  /** Call-outs locked in id order, by id, and their warnings, by id. */
  private async lockWithWarnings(tx: Queryable, ids: string[]) {
    const callouts = new Map((await this.repo.lockCallouts(tx, [...new Set(ids)])).map((c) => [c.id, c]));
    const warningIds = [...new Set([...callouts.values()].map((c) => c.warning_id))];
    const warnings = new Map((await this.repo.warnings(tx, warningIds)).map((w) => [w.id, w]));
    return { callouts, warnings };
  }

  /**
   * Status events that may change their call-outs, many at once: each applied once (event ids), the
   * requests' recorded statuses moved forward, the call-outs locked in id order and moved with one
   * UPDATE and one outbox write per warning. Several events of one call-out in the batch are applied
   * in arrival order, one round each.
   */
  private async applyStatuses(tx: Queryable, list: CalloutStatus[]): Promise<ChangeResult[]> {
    const out: ChangeResult[] = list.map(() => ({ applied: false }));
    const fresh = (await this.firstOnes(tx, list, (s) => `status:${s.eventId}`)).map((i) => list[i]);
    if (fresh.length === 0) return out;
    const furthest = new Map<string, CalloutStatus>();
    for (const s of fresh) {
      const seen = furthest.get(s.requestId);
      if (!seen || STATUS_RANK[s.status] >= STATUS_RANK[seen.status]) furthest.set(s.requestId, s);
    }
    await this.repo.advanceRequestStatuses(tx, [...furthest.values()].map(rankedStatus));
    const { callouts, warnings } = await this.lockWithWarnings(
      tx,
      fresh.map((s) => s.calloutId),
    );
    const index = new Map(list.map((s, i) => [s, i]));
    let pending = fresh;
    while (pending.length) {
      const round: CalloutStatus[] = [];
      const later: CalloutStatus[] = [];
      const inRound = new Set<string>();
      for (const s of pending) {
        if (inRound.has(s.calloutId)) later.push(s);
        else {
          inRound.add(s.calloutId);
          round.push(s);
        }
      }
      const moves = new Map<string, { c: CalloutRow; s: CalloutStatus }[]>();
      for (const s of round) {
        const c = callouts.get(s.calloutId);
        if (!c) {
          this.logger.warn(`status for unknown call-out ${s.calloutId}`);
          continue;
        }
        out[index.get(s)!] = { applied: true };
        const w = warnings.get(c.warning_id)!;
        if (s.status === 'delivered' || s.status === 'heard') {
          observeDeliveryReport(c, s.at);
          moves.set(w.id, [...(moves.get(w.id) ?? []), { c, s }]);
        } else if (s.channel === 'voice' && VOICE_MISSED.has(s.status)) {
          const after = await this.voiceMissed(tx, w, c, s);
          if (after) callouts.set(c.id, after);
        }
      }
      for (const [warningId, list] of moves) {
        const w = warnings.get(warningId)!;
        const after = await this.repo.applyMany(
          tx,
          list.map(({ c, s }) => ({
            c,
            event: s.status === 'delivered' ? ('delivered' as const) : ('heard' as const),
            reason: s.status === 'delivered' ? 'SMS delivered' : 'voice message heard',
            details: { channel: s.channel, status: s.status, requestId: s.requestId, reason: s.reason },
          })),
          w.drill,
        );
        after.forEach((row) => row && callouts.set(row.id, row));
      }
      pending = later;
    }
    return out;
  }

  /** A voice call that did not get through: redial while the policy allows, after its interval. */
  private async voiceMissed(
    tx: Queryable,
    w: WarningRow,
    c: CalloutRow,
    s: CalloutStatus,
  ): Promise<CalloutRow | undefined> {
    const lp = this.levelPolicy(w, c);
    if (!lp || c.redials_used >= lp.redials) return undefined;
    const after = await this.repo.apply(tx, c, 'voice-failed', `voice ${s.status}`, {
      drill: w.drill,
      details: { channel: 'voice', status: s.status, redial: c.redials_used + 1, of: lp.redials },
    });
    if (!after) return;
    await this.deadlines.add(tx, [
      {
        kind: 'redial',
        calloutId: c.id,
        warningId: w.id,
        dueAt: new Date(this.clock.now().getTime() + lp.redialIntervalSec * 1000),
        ref: `${c.id}#r${c.redials_used + 1}`,
      },
    ]);
    return after;
  }

  async onResponse(r: CalloutResponse): Promise<void> {
    await this.changes.add({ response: r });
  }

  /**
   * Answers, many at once: each recorded once (response ids), their call-outs locked in id order;
   * a person's confirmation of their first call-out (most of them) is written with one multi-row
   * statement per step for the whole batch, with the ladders of those confirmed settled; any other
   * answer (feedback, a ladder step's, a second answer of one call-out in the batch) one by one.
   */
  private async applyResponses(tx: Queryable, list: CalloutResponse[]): Promise<ChangeResult[]> {
    const out: ChangeResult[] = list.map(() => ({ applied: false }));
    const fresh = await this.firstOnes(tx, list, (r) => `response:${r.responseId}`);
    if (fresh.length === 0) return out;
    const { callouts, warnings } = await this.lockWithWarnings(
      tx,
      fresh.map((i) => list[i].calloutId),
    );
    const perCallout = new Map<string, number>();
    for (const i of fresh) perCallout.set(list[i].calloutId, (perCallout.get(list[i].calloutId) ?? 0) + 1);
    const together: number[] = [];
    const oneByOne: number[] = [];
    for (const i of fresh) {
      const r = list[i];
      const c = callouts.get(r.calloutId);
      if (!c) {
        this.logger.warn(`response for unknown call-out ${r.calloutId}`);
        continue;
      }
      if (r.kind === 'confirm' && c.rung === 0 && perCallout.get(r.calloutId) === 1) together.push(i);
      else oneByOne.push(i);
    }
    const late = (c: CalloutRow) => c.state === 'ESCALATED' || c.state === 'NOT_WOKEN';
    await this.repo.recordResponses(
      tx,
      together.map((i) => {
        const c = callouts.get(list[i].calloutId)!;
        return { r: list[i], calloutId: c.id, late: late(c) };
      }),
    );
    const byWarning = new Map<string, number[]>();
    for (const i of together) {
      const w = callouts.get(list[i].calloutId)!.warning_id;
      byWarning.set(w, [...(byWarning.get(w) ?? []), i]);
    }
    const confirmed: CalloutRow[] = [];
    for (const [warningId, items] of byWarning) {
      const w = warnings.get(warningId)!;
      const after = await this.repo.applyMany(
        tx,
        items.map((i) => ({
          c: callouts.get(list[i].calloutId)!,
          event: 'confirm' as const,
          reason: `confirmed by ${list[i].via}`,
          details: { via: list[i].via, responseId: list[i].responseId },
        })),
        w.drill,
      );
      items.forEach((i, k) => {
        out[i] = { applied: true, warningId };
        const c = callouts.get(list[i].calloutId)!;
        if (after[k]) {
          observeConfirmed(c);
          confirmed.push(c);
        }
      });
    }
    // The person answered: stop their ladder (if one was started) and tell everyone on it.
    for (const subject of await this.repo.withLadderSteps(
      tx,
      confirmed.map((c) => c.id),
    ))
      await this.repo.settleLadder(tx, warnings.get(callouts.get(subject)!.warning_id)!, subject, 'settled');
    for (const i of oneByOne) out[i] = await this.applyRecordedResponse(tx, list[i]);
    return out;
  }

  /**
   * A response reported through the tracker's own API (a duty officer's "reached in person"): applied
   * and announced on callouts.responses in one transaction, the announcement through the outbox like
   * every other change, so nothing is lost when the process dies after answering. The announcement
   * comes back to the tracker from Kafka and is skipped there as already applied.
   */
  reportResponse(r: CalloutResponse): Promise<{ applied: boolean }> {
    return this.applyChange(async (tx) => {
      await this.repo.outbox.add(tx, TOPICS.calloutsResponses.name, [{ key: r.calloutId, value: r }]);
      return this.applyResponse(tx, r);
    });
  }

  /**
   * A duty officer reports persons reached in person: one response each (with the actor), applied
   * and announced like reportResponse. Returns each id's response id, '' where the call-out is unknown.
   */
  async reportReachedInPerson(ids: string[], note: string | undefined, actor: string): Promise<string[]> {
    const warningOf = new Map((await this.repo.callouts(this.db, ids)).map((c) => [c.id, c.warning_id]));
    const at = this.clock.now().toISOString();
    const responses: CalloutResponse[] = ids
      .filter((id) => warningOf.has(id))
      .map((id) => ({
        schemaVersion: 1,
        responseId: `duty:${randomUUID()}`,
        calloutId: id,
        warningId: warningOf.get(id)!,
        via: 'duty-officer',
        kind: 'feedback',
        feedback: { action: 'reached-in-person', ...(note ? { note } : {}) },
        actor,
        at,
      }));
    // Each applied and announced through the outbox in a group commit: once this resolves they are recorded.
    await Promise.all(responses.map((r) => this.reportResponse(r)));
    const byId = new Map(responses.map((r) => [r.calloutId, r.responseId]));
    return ids.map((id) => byId.get(id) ?? '');
  }

  /**
   * "Call again now" for persons not yet settled: one more voice call and SMS each, in one
   * transaction. true: called again; false: already settled; undefined: no such call-out.
   */
  async callAgain(ids: string[]): Promise<(boolean | undefined)[]> {
    return this.inTx(async (tx) => {
      const out: (boolean | undefined)[] = [];
      for (const id of ids) {
        const c = await this.repo.lockCallout(tx, id);
        if (!c || isFinal(c.state)) {
          out.push(c ? false : undefined);
          continue;
        }
        const w = (await this.repo.warning(tx, c.warning_id))!;
        await this.repo.requestSends(tx, w, [
          { callout: c, channel: 'voice', purpose: 'redial' },
          { callout: c, channel: 'sms', purpose: 'redial' },
        ]);
        out.push(true);
      }
      return out;
    });
  }

  private async applyResponse(tx: Queryable, r: CalloutResponse): Promise<ChangeResult> {
    if (!(await this.repo.firstTime(tx, `response:${r.responseId}`))) return { applied: false };
    return this.applyRecordedResponse(tx, r);
  }

  /** Applies an answer whose response id was just recorded as new. */
  private async applyRecordedResponse(tx: Queryable, r: CalloutResponse): Promise<ChangeResult> {
    const c = await this.repo.lockCallout(tx, r.calloutId);
    if (!c) {
      this.logger.warn(`response for unknown call-out ${r.calloutId}`);
      return { applied: false };
    }
    const w = (await this.repo.warning(tx, c.warning_id))!;
    const late = c.state === 'ESCALATED' || c.state === 'NOT_WOKEN';
    await this.repo.recordResponse(tx, r, c.id, late);
    if (r.kind === 'confirm') await this.confirm(tx, w, c, r);
    else if (r.kind === 'feedback' && r.feedback) await this.feedback(tx, w, c, r);
    return { applied: true, warningId: w.id };
  }

  /**
   * Closes the warning when nothing is open any more, in a short transaction of its own after the
   * change committed: every transaction that settles a call-out runs it, so the last one to commit
   * sees everything settled, and the warning row is locked only for this check, not for the whole
   * change (thousands of confirmations of one warning would otherwise queue on that one row). A crash
   * between the two is caught by the scanner's sweep (closeSettledWarnings).
   */
  async closeIfSettled(warningId: string): Promise<void> {
    await this.inTx((tx) => this.repo.closeIfSettled(tx, warningId, 'all-settled'));
  }

  /** Active warnings with nothing open left (a crash between a change and its close check). */
  async closeSettledWarnings(): Promise<number> {
    const ids = await this.repo.activeWarningsWithNothingOpen(this.db);
    for (const id of ids) await this.closeIfSettled(id);
    return ids.length;
  }

  private async confirm(tx: Queryable, w: WarningRow, c: CalloutRow, r: CalloutResponse): Promise<void> {
    const confirmed = await this.repo.apply(tx, c, 'confirm', `confirmed by ${r.via}`, {
      drill: w.drill,
      details: { via: r.via, responseId: r.responseId },
    });
    if (!confirmed) return; // already settled (or cancelled): the answer is recorded, nothing changes
    observeConfirmed(c);
    if (c.rung === 0) {
      // The person answered: stop their ladder and tell everyone on it.
      await this.repo.settleLadder(tx, w, c.id, 'settled');
    } else if (c.subject_callout_id) {
      // A ladder step confirmed: "I am handling it". The subject stays not woken until they confirm
      // themselves or are reported reached in person; no higher step is called.
      const subject = await this.repo.lockCallout(tx, c.subject_callout_id);
      if (subject) {
        await this.repo.apply(tx, subject, 'step-confirmed', `${c.person_name} is handling it`, {
          drill: w.drill,
          handledBy: c.id,
          details: { handledBy: c.person_id },
        });
      }
    }
  }

  private async feedback(tx: Queryable, w: WarningRow, c: CalloutRow, r: CalloutResponse): Promise<void> {
    const action = r.feedback!.action;
    if (action === 'need-help') {
      await this.repo.alert(tx, [
        {
          warningId: w.id,
          kind: 'need-help',
          ...aboutCallout(c),
          message: `${c.person_name}（${c.area_name ?? ''}）请求支援：${r.feedback!.note ?? r.text ?? ''}`,
        },
      ]);
    }
    if (action === 'reached-in-person') {
      // From a ladder step about their subject, or from the duty officer about the person themselves.
      const subjectId = c.rung > 0 ? c.subject_callout_id : c.id;
      const subject = subjectId ? await this.repo.lockCallout(tx, subjectId) : undefined;
      if (subject) {
        const reached = await this.repo.apply(
          tx,
          subject,
          'reached',
          `reached in person (${r.actor ?? c.person_name})`,
          {
            drill: w.drill,
            details: { by: r.actor ?? c.person_id, note: r.feedback!.note },
          },
        );
        if (reached) await this.repo.settleLadder(tx, w, subject.id, 'settled');
      }
    }
  }

  /**
   * Fires a batch of due deadlines in one transaction: claims them (SKIP LOCKED: another scanner's
   * are left to it), escalates the persons whose ack deadline passed to the first step of their
   * ladder together (a handful of statements for the whole batch, see escalateToFirstStep), and
   * fires every other deadline one by one as `fire` does. Returns how many it fired and the warnings
   * to check for closing.
   */
  async fireDue(
    due: DueDeadline[],
    ladders: Map<string, LadderStep[]>,
    firedBy: string,
  ): Promise<{ fired: number; warningIds: string[] }> {
    const r = await this.inTx(async (tx) => {
      const claimed = await this.deadlines.claim(
        tx,
        due.map((d) => d.id),
        firedBy,
      );
      const mine = due.filter((d) => claimed.has(String(d.id)));
      const ackIds = mine.filter((d) => d.kind === 'ack').map((d) => d.callout_id!);
      const callouts = new Map((await this.repo.lockCallouts(tx, ackIds)).map((c) => [c.id, c]));
      const warnings = new Map(
        (await this.repo.warnings(tx, [...new Set(mine.map((d) => d.warning_id))])).map((w) => [w.id, w]),
      );
      // Escalated together only when nothing else of the same call-out or warning is due in this
      // pass: otherwise due order decides (a redial due before the ack deadline is sent first; an
      // expiry due first means nobody is escalated), so those go one by one, in due order.
      const perCallout = new Map<string, number>();
      for (const d of mine)
        if (d.callout_id) perCallout.set(d.callout_id, (perCallout.get(d.callout_id) ?? 0) + 1);
      const expiring = new Set(mine.filter((d) => d.kind === 'expire').map((d) => d.warning_id));
      const firstSteps: FirstStep[] = [];
      const others: DueDeadline[] = [];
      for (const d of mine) {
        const alone = perCallout.get(d.callout_id ?? '') === 1 && !expiring.has(d.warning_id);
        const c = d.kind === 'ack' && alone ? callouts.get(d.callout_id!) : undefined;
        const w = warnings.get(d.warning_id);
        const lp = c && w ? this.levelPolicy(w, c) : undefined;
        const steps = (ladders.get(String(d.id)) ?? []).slice(0, lp?.escalationSteps ?? 0);
        if (c && w && lp && c.rung === 0 && isOpen(c.state) && c.ladder_pos < steps.length)
          firstSteps.push({ c, w, lp, steps });
        else others.push(d);
      }
      await this.escalateToFirstStep(tx, firstSteps);
      for (const d of others) await this.fire(d, tx, ladders.get(String(d.id)));
      return {
        fired: mine.length,
        warningIds: [...new Set(mine.filter((d) => d.kind !== 'expire').map((d) => d.warning_id))],
      };
    });
    return r;
  }

  /**
   * The common case of a deadline firing, for many persons at once: each (rung 0, still open, with a
   * ladder) becomes ESCALATED with the ladder stored, and the first step is created and called
   * (SENT, its sends requested, its own ack deadline set): the same changes and events as `fire` and
   * `nextStep` make one by one.
   */
  private async escalateToFirstStep(tx: Queryable, list: FirstStep[]): Promise<void> {
    const byWarning = new Map<string, FirstStep[]>();
    for (const x of list) {
      const same = byWarning.get(x.w.id);
      if (same) same.push(x);
      else byWarning.set(x.w.id, [x]);
    }
    for (const items of byWarning.values()) {
      const w = items[0].w;
      const escalated = await this.repo.applyMany(
        tx,
        items.map((x) => ({
          c: x.c,
          event: 'deadline',
          reason: `not confirmed within ${x.lp.ackDeadlineSec} s`,
        })),
        w.drill,
      );
      const going = items.filter((_, i) => escalated[i]);
      if (going.length === 0) continue;
      await this.repo.storeLaddersAtFirstStep(
        tx,
        going.map((x) => ({ id: x.c.id, ladder: x.steps })),
      );
      await this.callSteps(
        tx,
        w,
        going.map(({ c, lp, steps }) => ({
          subject: c,
          lp,
          step: steps[c.ladder_pos],
          pos: c.ladder_pos,
          round: c.round,
        })),
      );
    }
  }

  /** Fires one due deadline; stale ones (the call-out moved on) are ignored. */
  async fire(d: DueDeadline, tx: Queryable, ladder: LadderStep[] | undefined): Promise<void> {
    if (d.kind === 'expire') return this.expire(tx, (await this.repo.lockWarning(tx, d.warning_id))!);
    const w = (await this.repo.warning(tx, d.warning_id))!;
    const c = await this.repo.lockCallout(tx, d.callout_id!);
    if (!c) return;
    const lp = this.levelPolicy(w, c);
    if (!lp) return;
    if (d.kind === 'redial') {
      const after = await this.repo.apply(tx, c, 'redial', `redial ${c.redials_used + 1} of ${lp.redials}`, {
        drill: w.drill,
      });
      if (!after) return;
      await this.repo.countRedial(tx, c.id);
      await this.repo.requestSends(tx, w, [{ callout: after, channel: 'voice', purpose: 'redial' }]);
    } else if (d.kind === 'voice-fallback') {
      if (isOpen(c.state) && c.state !== 'HEARD')
        await this.repo.requestSends(tx, w, [{ callout: c, channel: 'voice', purpose: 'callout' }]);
    } else if (c.rung === 0) {
      const escalated = await this.repo.apply(
        tx,
        c,
        'deadline',
        `not confirmed within ${lp.ackDeadlineSec} s`,
        { drill: w.drill },
      );
      if (!escalated) return;
      const steps = (ladder ?? []).slice(0, lp.escalationSteps);
      await this.repo.storeLadder(tx, c.id, steps);
      await this.nextStep(tx, w, { ...escalated, ladder: steps }, lp);
    } else {
      const gaveUp = await this.repo.apply(
        tx,
        c,
        'deadline',
        `ladder step not confirmed within ${lp.escalationAckDeadlineSec} s`,
        { drill: w.drill },
      );
      if (!gaveUp || !c.subject_callout_id) return;
      const subject = await this.repo.lockCallout(tx, c.subject_callout_id);
      if (subject && subject.state === 'ESCALATED') await this.nextStep(tx, w, subject, lp);
    }
  }

  /** Calls the next step of a subject's ladder, walks it again up to the repeat limit, or gives up. */
  private async nextStep(tx: Queryable, w: WarningRow, subject: CalloutRow, lp: LevelPolicy): Promise<void> {
    const ladder = subject.ladder ?? [];
    let pos = subject.ladder_pos;
    let round = subject.round;
    if (pos >= ladder.length && ladder.length > 0 && round < lp.repeatLimit) {
      pos = 0;
      round += 1;
    }
    if (pos >= ladder.length) {
      await this.repo.apply(
        tx,
        subject,
        'ladder-exhausted',
        ladder.length
          ? `no one on the ladder confirmed (${round} round(s))`
          : 'no backup or superior to escalate to',
        { drill: w.drill },
      );
      await this.repo.alert(tx, [
        {
          warningId: w.id,
          kind: 'not-woken',
          ...aboutCallout(subject),
          message: `未叫醒：${subject.person_name}（${subject.area_name ?? ''}）/ not woken: ${subject.person_name}`,
        },
      ]);
      return;
    }
    const step = ladder[pos];
    await this.repo.moveOnLadder(tx, subject.id, pos + 1, round);
    await this.callSteps(tx, w, [{ subject, lp, step, pos, round }]);
  }

  /**
   * Calls ladder steps of one warning: each step's call-out is created (id by subject, round and
   * position, so a repeat creates nothing), made SENT, its escalation sends requested and its own ack
   * deadline set. One person's (nextStep) or a whole scan pass's (escalateToFirstStep) at once.
   */
  private async callSteps(
    tx: Queryable,
    w: WarningRow,
    list: { subject: CalloutRow; lp: LevelPolicy; step: LadderStep; pos: number; round: number }[],
  ): Promise<void> {
    const idOf = (x: (typeof list)[number]) => `${x.subject.id}/e${x.round}.${x.pos + 1}`;
    const created = await this.repo.insertCallouts(
      tx,
      list.map((x) => ({
        id: idOf(x),
        warningId: w.id,
        personId: x.step.personId,
        personName: x.step.name,
        phone: x.step.phone,
        role: x.step.role,
        areaCode: x.step.areaCode,
        areaName: x.step.areaName,
        level: x.subject.level,
        rung: x.pos + 1,
        subjectCalloutId: x.subject.id,
      })),
      'PLANNED',
    );
    const byId = new Map(list.map((x) => [idOf(x), x]));
    const steps = created.map((c) => ({ c, x: byId.get(c.id)! }));
    const sent = await this.repo.applyMany(
      tx,
      steps.map(({ c, x }) => ({
        c,
        event: 'send' as const,
        reason: `escalation step ${x.pos + 1} (${x.step.kind})`,
        details: { step: x.step.kind, subject: x.subject.person_id, round: x.round },
      })),
      w.drill,
    );
    await this.repo.requestSends(
      tx,
      w,
      steps.flatMap(({ x }, i) =>
        x.lp.escalationChannels.map((channel) => ({
          callout: sent[i]!,
          channel,
          purpose: 'escalation' as const,
          subject: { name: x.subject.person_name, role: x.subject.role, areaName: x.subject.area_name },
        })),
      ),
    );
    await this.deadlines.add(
      tx,
      calloutDeadlines(
        'ack',
        w.id,
        this.clock.now(),
        steps.map(({ c, x }) => ({ calloutId: c.id, afterSec: x.lp.escalationAckDeadlineSec })),
      ),
    );
  }

  private async expire(tx: Queryable, w: WarningRow): Promise<void> {
    if (w.state !== 'active' && w.state !== 'recorded') return;
    await endWarning(tx, { callouts: this.repo, deadlines: this.deadlines }, w, { as: 'expired' });
  }

  private levelPolicy(w: WarningRow, c: CalloutRow): LevelPolicy | undefined {
    return w.policy?.levels[c.level];
  }

  /**
   * The ladders a batch of deadlines will need (rung-0 ack deadlines of open call-outs), read before
   * their transaction (PGlite has one connection), `concurrency` at a time.
   */
  async laddersFor(due: DueDeadline[], concurrency = 32): Promise<Map<string, LadderStep[]>> {
    const acks = due.filter((d) => d.kind === 'ack' && d.callout_id);
    const callouts = new Map(
      (
        await this.repo.callouts(
          this.db,
          acks.map((d) => d.callout_id!),
        )
      ).map((c) => [c.id, c]),
    );
    const out = new Map<string, LadderStep[]>();
    const queue = acks.filter((d) => {
      const c = callouts.get(d.callout_id!);
      return c && c.rung === 0 && isOpen(c.state) && c.role && c.area_code;
    });
    const worker = async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const c = callouts.get(d.callout_id!)!;
        out.set(
          String(d.id),
          await this.directory.ladder(c.person_id, c.role!, c.area_code!, this.clock.now(), 6),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    return out;
  }

  /** The ladder a rung-0 deadline will need, read before its transaction (PGlite has one connection). */
  async ladderFor(d: DueDeadline): Promise<LadderStep[] | undefined> {
    return (await this.laddersFor([d])).get(String(d.id));
  }
}
