import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { WarningMessage } from '../../contracts/generated';
import { Db, Queryable } from '../db/db';
import { Clock, systemClock } from '../common/clock';
import { CLOCK, DB } from '../infra/tokens';
import { checkWarning, expiryErrors } from '../intake/warning-rules';
import { outsideWindow, verificationWindow, VerificationSettings } from '../drills/verification-window';
import type { Resolution, TargetRule } from '../directory/directory.types';
import { isOpen } from './callout-state';
import { CalloutRepository, NewCallout, SendSpec } from './callout.repository';
import {
  CALLOUT_POLICY,
  PolicySnapshot,
  TARGET_DIRECTORY,
  TargetDirectory,
  WarningRow,
} from './callout.types';
import { levelPolicy, levelRank, LevelPolicy, Policy, sendOrderOf, verificationPolicy } from './policy';
import { CalloutOutboxRelay } from './callout-outbox.relay';
import { calloutDeadlines, DeadlineRepository } from './deadline.repository';
import { endWarning } from './warning-end';
import { CapacityPlanRepository } from './capacity-plan.repository';
import { CAPACITY_PREDICTOR, CapacityPredictor, plannedEvent } from './capacity-progress';
import { WarningMessageRepository } from './warning-message.repository';
import { Conflict, RejectedInput } from '../common/domain-errors';

export type DispatchOutcome =
  'duplicate' | 'stale' | 'recorded' | 'dispatched' | 'updated' | 'cancelled' | 'ignored-after-end';

const DISPATCHED_STATUSES = new Set(['Actual', 'Exercise']);

const DEFAULT_PLAN_CHUNK_SIZE = 1000;

export interface DispatcherOptions {
  /** Persons whose first call-outs are created per transaction (default 1000). */
  planChunkSize?: number;
  /**
   * Awaited before each chunk's transaction (index from 0); tests use it to crash between two
   * chunks (throw) or to let another message arrive between them.
   */
  beforePlanChunk?: (index: number, warningId: string) => Promise<void> | void;
  /**
   * The verification campaign's window (VERIFY_REFILING_DATE, VERIFY_LEAD_DAYS): a warning with
   * purpose verification that arrives outside it (from a feed on a hazard topic: intake issues the
   * campaign only inside it) is rejected, since it calls every person at any level. Absent: not checked.
   */
  verification?: VerificationSettings;
}

/** Options of the DispatcherService (DispatcherOptions); defaults when not provided. */
export const DISPATCHER_OPTIONS = Symbol('DISPATCHER_OPTIONS');

/**
 * Turns a warning into call-outs (invariant 1): validate, apply once, resolve the persons, snapshot
 * the policy, then write the plan and the sends. Updates call the newly affected, tell the
 * no-longer-affected it is lifted, and re-call the confirmed only when the level rises. A cancel
 * stops everything and tells everyone already called. Messages may arrive out of order: the warning
 * aggregate is keyed by the first id of its chain and only a newer sentAt changes it.
 *
 * The warning itself (its row, alerts, what happens to call-outs that already exist) changes in one
 * transaction; the new call-outs are then created in chunks of planChunkSize persons, one transaction
 * each. A city-wide warning held in a single transaction kept every row, send and outbox message in
 * memory at once, and nobody was called before the last of them was written. Until the last chunk
 * the message's outcome stays 'pending': a redelivery of a pending message resumes the plan (see
 * handle), and the warning cannot close as settled (CalloutRepository.closeIfSettled).
 */
@Injectable()
export class DispatcherService {
  private readonly logger = new Logger(DispatcherService.name);
  private readonly planChunkSize: number;
  private readonly beforePlanChunk?: DispatcherOptions['beforePlanChunk'];
  private readonly verification?: VerificationSettings;
  private readonly plans = new CapacityPlanRepository();

  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(TARGET_DIRECTORY) private readonly directory: TargetDirectory,
    @Inject(CALLOUT_POLICY) private readonly policy: Policy,
    private readonly relay: CalloutOutboxRelay,
    private readonly repo: CalloutRepository,
    private readonly messages: WarningMessageRepository,
    private readonly deadlines: DeadlineRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
    @Optional() @Inject(DISPATCHER_OPTIONS) options: DispatcherOptions = {},
    @Optional() @Inject(CAPACITY_PREDICTOR) private readonly predict?: CapacityPredictor,
  ) {
    this.planChunkSize = Math.max(1, options.planChunkSize ?? DEFAULT_PLAN_CHUNK_SIZE);
    this.beforePlanChunk = options.beforePlanChunk;
    this.verification = options.verification;
  }

  async handle(w: WarningMessage, topic?: string): Promise<DispatchOutcome> {
    const now = this.clock.now();
    const { errors, unmappedAreas } = checkWarning(w, topic);
    errors.push(...expiryErrors(w, now));
    if (w.purpose === 'verification' && w.msgType !== 'Cancel' && this.verification) {
      const closed = outsideWindow(verificationWindow(this.verification, now), this.verification);
      if (closed) errors.push(`purpose verification outside the campaign window: ${closed}`);
    }
    if (errors.length > 0) throw new RejectedInput(`warning ${w.id} rejected`, errors);

    const rootId = w.msgType === 'Alert' ? w.id : (w.references?.[0] ?? w.id);
    const expired = new Date(w.expires) <= now;
    const dispatchable =
      w.msgType !== 'Cancel' &&
      DISPATCHED_STATUSES.has(w.status) &&
      w.level !== null &&
      w.level !== undefined &&
      !expired;

    // The policy snapshot decides who is called; read it (or the current policy) before resolving.
    const existing = await this.repo.warning(this.db, rootId);
    const snapshot: PolicySnapshot = existing?.policy ?? this.snapshot(w);
    const lp = w.level ? snapshot.levels[w.level] : undefined;
    // Resolution reads the directory outside the transaction (PGlite has one connection).
    const resolution =
      dispatchable && lp
        ? await this.directory.resolve({
            hazard: w.hazard,
            areaCodes: w.areas.map((a) => a.code),
            alsoHoldersOf: divisionsAbovePolygonVillages(w),
            rules: lp.targets as TargetRule[],
            at: now,
          })
        : null;

    const key = `${w.id}|${w.msgType}|${w.sentAt}`;
    const digest = createHash('sha256').update(JSON.stringify(w)).digest('hex');
    const step = await this.db.transaction(async (tx): Promise<DispatchOutcome | NewCallout[]> => {
      await this.refuseReusedId(tx, w, key, digest);
      const first = await this.messages.recordPending(tx, { key, warningId: rootId, message: w, digest });
      if (!first) {
        if ((await this.messages.outcome(tx, key)) !== 'pending') return 'duplicate';
        // Resume: a delivery that applied the message to the warning stopped before its last chunk.
        // The warning's changes (row, alerts, supersede, lift and update SMS to those already
        // called) committed with the first transaction and are not run again: doing them twice
        // would send the update and lift SMS twice. Only the creation is redone, for everyone the
        // directory names now; createChunk skips whoever already has a call-out.
        return resolution && w.level
          ? resolution.targets.map((t) => this.newCallout(rootId, w.level!, t))
          : [];
      }
      await this.repo.ensureWarning(tx, rootId);
      const row = (await this.repo.lockWarning(tx, rootId))!;
      const result = await this.apply(tx, row, w, snapshot, resolution, unmappedAreas, dispatchable);
      if (Array.isArray(result) && result.length > 0 && lp)
        await this.recordPlan(tx, rootId, w, key, lp, result.length);
      // A plan to carry out keeps the outcome pending until its last chunk (finish).
      if (typeof result === 'string') await this.messages.setOutcome(tx, key, result);
      return result;
    });
    this.relay.nudge();

    let outcome: DispatchOutcome;
    if (typeof step === 'string') outcome = step;
    else {
      await this.createInChunks(rootId, w, step);
      outcome = await this.finish(rootId, w, key);
    }
    this.logger.log(
      `warning ${w.id} (${w.msgType}, ${w.hazard}/${w.subtype} ${w.level ?? 'no level'}): ${outcome}`,
    );
    return outcome;
  }

  /**
   * A message id names one message. The same message again (same key, and the same content where
   * its digest is known) is a redelivery, handled as before; a different message under an id already
   * applied would overwrite the warning people were called for, so it is dead-lettered with the
   * reason (the audit records dead letters). Changes come as an Update or Cancel with an id of its own.
   */
  private async refuseReusedId(tx: Queryable, w: WarningMessage, key: string, digest: string): Promise<void> {
    const prior = await this.messages.messagesWithId(tx, w.id);
    if (prior.length === 0) return;
    if (prior.some((p) => p.messageKey === key && (p.digest === null || p.digest === digest))) return;
    throw new Conflict(`warning ${w.id} refused: its id names another message`, [
      `message id ${w.id} was applied before (${prior[0].messageKey}, received ${prior[0].receivedAt}) with other content; a change is an Update or Cancel with an id of its own that references ${w.id}`,
    ]);
  }

  /**
   * Creates the new call-outs chunk by chunk. Each chunk locks the warning first (the order every
   * writer of the warning follows) and looks again: a cancel or expiry between two chunks stops the
   * rest, and so does a newer message applied meanwhile, whose own plan has called whoever it still
   * names. Each chunk is nudged out at once, so the first sends leave while later chunks are planned.
   */
  private async createInChunks(warningId: string, w: WarningMessage, toCreate: NewCallout[]): Promise<void> {
    const size = this.planChunkSize;
    for (let i = 0; i < toCreate.length; i += size) {
      await this.beforePlanChunk?.(i / size, warningId);
      const goOn = await this.db.transaction(async (tx) => {
        const row = await this.repo.lockWarning(tx, warningId);
        if (!row || row.state !== 'active') return false;
        if (row.sent_at && new Date(row.sent_at) > new Date(w.sentAt)) return false;
        const lp = row.policy?.levels[w.level!];
        if (!lp) return false;
        await this.createChunk(tx, row, lp, toCreate.slice(i, i + size));
        return true;
      });
      this.relay.nudge();
      if (!goOn) {
        this.logger.log(`warning ${w.id}: planning stopped after ${i} of ${toCreate.length} persons`);
        return;
      }
    }
  }

  /**
   * The capacity planner's prediction for the first call-outs about to be created (one per person,
   * on each of the level's channels), recorded with the plan: the board and the audit report set
   * what happens against it. Without a predictor (a test's engine) nothing is recorded.
   */
  private async recordPlan(
    tx: Queryable,
    warningId: string,
    w: WarningMessage,
    key: string,
    lp: LevelPolicy,
    persons: number,
  ): Promise<void> {
    if (!this.predict) return;
    const on = (ch: 'sms' | 'voice') => (lp.channels.includes(ch) ? persons : 0);
    const plan = this.predict({ sms: on('sms'), voice: on('voice') });
    await this.plans.record(
      tx,
      plannedEvent(plan, {
        warningId,
        messageKey: key,
        messageId: w.id,
        level: w.level!,
        drill: w.status === 'Exercise',
        persons,
        at: this.clock.now(),
      }),
    );
  }

  /** After the last chunk: the expiry deadline, closing when nothing is open, and the final outcome. */
  private async finish(warningId: string, w: WarningMessage, key: string): Promise<DispatchOutcome> {
    const outcome = w.msgType === 'Update' ? 'updated' : 'dispatched';
    await this.db.transaction(async (tx) => {
      const row = (await this.repo.lockWarning(tx, warningId))!;
      // Final before closeIfSettled, which does not close a warning while a message is pending.
      await this.messages.setOutcome(tx, key, outcome, true);
      // A warning cancelled or expired between the chunks has been closed by that; nothing to add.
      if (row.state !== 'active') return;
      await this.deadlines.add(tx, [
        {
          kind: 'expire',
          calloutId: null,
          warningId,
          dueAt: new Date(w.expires),
          ref: `${warningId}@${w.expires}`,
        },
      ]);
      await this.repo.closeIfSettled(tx, warningId, 'all-settled');
    });
    this.relay.nudge();
    return outcome;
  }

  /** A verification campaign calls everyone the policy's verification section names, at any level. */
  private snapshot(w: WarningMessage): PolicySnapshot {
    const levels = Object.fromEntries(
      ['blue', 'yellow', 'orange', 'red'].map((l) => [
        l,
        w.purpose === 'verification'
          ? verificationPolicy(this.policy)
          : levelPolicy(this.policy, w.hazard, l)!,
      ]),
    );
    return { version: this.policy.version, levels, sendOrder: sendOrderOf(this.policy) };
  }

  private async apply(
    tx: Queryable,
    row: WarningRow,
    w: WarningMessage,
    snapshot: PolicySnapshot,
    resolution: Resolution | null,
    unmappedAreas: string[],
    dispatchable: boolean,
  ): Promise<DispatchOutcome | NewCallout[]> {
    if (row.sent_at && new Date(w.sentAt) < new Date(row.sent_at)) return 'stale';
    if (row.state === 'cancelled' || row.state === 'expired') return 'ignored-after-end';

    if (w.msgType === 'Cancel') {
      await this.cancel(tx, row, `cancelled by ${w.id}`);
      return 'cancelled';
    }

    const updated = await this.repo.applyMessage(tx, row.id, w, dispatchable, snapshot);

    if (unmappedAreas.length > 0) {
      await this.repo.alert(
        tx,
        unmappedAreas.map((code) => ({
          warningId: row.id,
          kind: 'unmapped-area' as const,
          areaCode: code,
          message: `区划代码 ${code} 不在区划库中，无法确定责任人 / area ${code} maps to no known division`,
        })),
      );
    }
    if (!dispatchable || !resolution) return 'recorded';

    return this.plan(tx, updated, resolution, w.msgType === 'Update');
  }

  /**
   * The first transaction's part of a plan: coverage alerts and the call-outs that already exist
   * (superseded when the level rises, lifted when out of scope, told of the update). Returns the
   * call-outs to create, which createInChunks writes.
   */
  private async plan(
    tx: Queryable,
    w: WarningRow,
    resolution: Resolution,
    isUpdate: boolean,
  ): Promise<NewCallout[]> {
    // Coverage first: the duty officer hears of an uncovered area before any call is placed.
    const alerts: Parameters<CalloutRepository['alert']>[1] = [
      ...resolution.gaps.map((g) => ({
        warningId: w.id,
        kind: 'no-reachable-person' as const,
        areaCode: g.areaCode,
        areaName: g.areaName,
        message: `${g.areaName} 无可叫应的责任人（${g.reason}）/ no reachable person in ${g.areaName} (${g.reason})`,
        details: { reason: g.reason, roles: g.roles },
      })),
      ...resolution.unknownAreas.map((code) => ({
        warningId: w.id,
        kind: 'unmapped-area' as const,
        areaCode: code,
        message: `区划 ${code} 不在责任人名录中 / area ${code} is not in the directory`,
      })),
    ];
    if (resolution.targets.length === 0) {
      alerts.push({
        warningId: w.id,
        kind: 'no-reachable-person',
        areaCode: w.area_codes[0],
        areaName: '',
        message: `预警 ${w.id} 没有任何可叫应的责任人 / warning ${w.id} reaches nobody`,
        details: { reason: 'no-targets', roles: [] },
      });
    }
    await this.repo.alert(tx, alerts);

    const level = w.level!;
    const existing = await this.repo.lockCurrentFirstCallouts(tx, w.id);
    const byPerson = new Map(existing.map((c) => [c.person_id, c]));
    const inScope = new Set(resolution.targets.map((t) => t.personId));
    const sends: SendSpec[] = [];
    const toCreate: NewCallout[] = [];

    for (const t of resolution.targets) {
      const ex = byPerson.get(t.personId);
      const fresh = this.newCallout(w.id, level, t);
      if (!ex) toCreate.push(fresh);
      else if (levelRank(level) > levelRank(ex.level)) {
        // The level rose: everyone is called again at the new level, confirmed or not.
        await this.repo.markSuperseded(tx, ex.id);
        // A call-out already settled stays as it is (the state machine refuses cancelling it).
        await this.repo.apply(tx, ex, 'cancel', `superseded by level ${level}`, { drill: w.drill });
        toCreate.push(fresh);
      } else if (isUpdate && isOpen(ex.state)) {
        sends.push({ callout: ex, channel: 'sms', purpose: 'update' });
      }
    }
    for (const ex of existing) {
      if (inScope.has(ex.person_id)) continue;
      // No longer in scope: stop and tell them it is lifted for their area.
      const stopped = await this.repo.apply(tx, ex, 'cancel', 'area no longer affected', { drill: w.drill });
      await this.repo.markSuperseded(tx, ex.id);
      sends.push({ callout: stopped ?? ex, channel: 'sms', purpose: 'lift' });
      await this.repo.settleLadder(tx, w, ex.id, 'lift');
    }

    await this.repo.requestSends(tx, w, sends);
    return toCreate;
  }

  private newCallout(warningId: string, level: string, t: Resolution['targets'][number]): NewCallout {
    return {
      id: `${warningId}/${level}/${t.personId}`,
      warningId,
      personId: t.personId,
      personName: t.name,
      phone: t.phone,
      role: t.role,
      areaCode: t.areaCode,
      areaName: t.areaName,
      level,
      rung: 0,
      subjectCalloutId: null,
    };
  }

  /**
   * One chunk of first call-outs: created, sent, announced, with their deadlines. Only rows this
   * chunk actually creates get sends and deadlines, so running a chunk again (a resumed or
   * concurrent delivery) calls nobody twice.
   */
  private async createChunk(
    tx: Queryable,
    w: WarningRow,
    lp: LevelPolicy,
    chunk: NewCallout[],
  ): Promise<void> {
    // A person who has a current call-out (this level's, or a higher level's when the message lowered
    // it) is not called again; on a first delivery plan() left them out already, on a resume not.
    const taken = await this.repo.personsWithCurrentCallout(
      tx,
      w.id,
      chunk.map((c) => c.personId),
    );
    const created = await this.repo.insertCallouts(
      tx,
      chunk.filter((c) => !taken.has(c.personId)),
      'PLANNED',
    );
    if (created.length === 0) return;
    const sent = created.map((c) => ({ ...c, state: 'SENT' as const }));
    await this.repo.markFirstSent(
      tx,
      created.map((c) => c.id),
    );
    await this.repo.announce(
      tx,
      created.map((c, i) => ({
        from: c,
        to: sent[i],
        reason: 'first call-out',
        details: { channels: lp.channels },
      })),
      w.drill,
    );
    const sends: SendSpec[] = [];
    for (const c of sent)
      for (const channel of lp.channels) sends.push({ callout: c, channel, purpose: 'callout' });
    await this.repo.requestSends(tx, w, sends);

    const now = this.clock.now();
    const after = (afterSec: number) => sent.map((c) => ({ calloutId: c.id, afterSec }));
    await this.deadlines.add(tx, [
      ...calloutDeadlines('ack', w.id, now, after(lp.ackDeadlineSec)),
      ...(lp.voiceFallbackAfterSec !== null && !lp.channels.includes('voice')
        ? calloutDeadlines('voice-fallback', w.id, now, after(lp.voiceFallbackAfterSec))
        : []),
    ]);
  }

  /** Cancels the whole warning: pending call-outs and escalations stop; those already called hear it is lifted. */
  async cancel(tx: Queryable, w: WarningRow, reason: string): Promise<void> {
    await endWarning(tx, { callouts: this.repo, deadlines: this.deadlines }, w, { as: 'cancelled', reason });
  }
}

/**
 * A CAP polygon reaches villages; the policy also calls their townships' and counties' holders
 * (party-government heads, flood control), so those divisions' own holders are resolved too.
 */
export function divisionsAbovePolygonVillages(w: WarningMessage): string[] {
  const out = new Set<string>();
  for (const a of w.areas)
    if (a.how === 'polygon' && /^\d{12}$/.test(a.code)) {
      out.add(`${a.code.slice(0, 9)}000`);
      out.add(`${a.code.slice(0, 6)}000000`);
    }
  return [...out].filter((c) => !w.areas.some((a) => a.code === c));
}
