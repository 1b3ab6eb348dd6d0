import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { CalloutRequested, CalloutResponse, FieldTaskEvent } from '../../contracts/generated';
import { TOPICS } from '../../contracts/topics';
import { codePrefix, DIVISION_CODE, levelOfCode } from '../common/divisions';
import { Db, Queryable } from '../db/db';
import type { ResolvedTarget } from '../directory/directory.types';
import { Clock, systemClock } from '../common/clock';
import { CLOCK, DB } from '../infra/tokens';
import { Conflict, NotFound, RejectedInput } from '../common/domain-errors';
import { CalloutOutboxRelay } from './callout-outbox.relay';
import { CalloutRepository } from './callout.repository';
import { CalloutRow, TARGET_DIRECTORY, TargetDirectory, WarningRow } from './callout.types';
import { FieldOutcome, FieldTaskRepository, FieldTaskRow } from './field-task.repository';
import { buildTemplateData } from './template-data';

/** Persons named one by one in the message; the rest are counted (the printed list has everyone). */
export const HANDOFF_LIST_MAX = 30;

/** "13800001234" from "+8613800001234": what someone dials by hand. */
const dialable = (phone: string) => phone.replace(/^\+86/, '');

/** The list a head or grid worker receives: name, village and number of each person, then a count. */
export function handoffNote(persons: Pick<CalloutRow, 'person_name' | 'area_name' | 'phone'>[]): string {
  const named = persons
    .slice(0, HANDOFF_LIST_MAX)
    .map((p, i) =>
      `${i + 1}.${p.person_name} ${p.area_name ?? ''} ${dialable(p.phone)}`.replace(/\s+/g, ' '),
    );
  const rest = persons.length - named.length;
  return `共${persons.length}人未叫醒，请立即上门叫应：${named.join('；')}${rest > 0 ? `；另有${rest}人见打印名单` : ''}。`;
}

/**
 * Who goes to the doors: the township's party/government head (a village's grid worker), or the other
 * of the two when that one cannot be reached now. Only holders of the area itself, not of areas under it.
 */
export function chooseAssignee(areaCode: string, targets: ResolvedTarget[]): ResolvedTarget | undefined {
  const order =
    levelOfCode(areaCode) === 'village'
      ? ['grid-worker', 'party-gov-head']
      : ['party-gov-head', 'grid-worker'];
  const own = targets.filter((t) => t.areaCode === areaCode && order.includes(t.role));
  return own.sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role))[0];
}

/**
 * Door-to-door hand-offs: a township's (or village's) not-woken persons of one warning are sent, as a
 * list, to its head or grid worker through the normal send path (callouts.requested on the policy's
 * channels), and a field task tracks each person's door until every outcome is reported. Every step
 * is a fieldtasks.events message written with the change, so the audit chains it.
 */
@Injectable()
export class FieldTaskService {
  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(TARGET_DIRECTORY) private readonly directory: TargetDirectory,
    private readonly relay: CalloutOutboxRelay,
    private readonly repo: FieldTaskRepository,
    private readonly callouts: CalloutRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async handOff(
    warningId: string,
    areaCode: string,
    actor: string,
  ): Promise<{ taskId: string; persons: number }> {
    if (!DIVISION_CODE.test(areaCode) || !['township', 'village'].includes(levelOfCode(areaCode)))
      throw new RejectedInput(`a hand-off is for a township or a village, not ${areaCode}`);
    const w = await this.callouts.warning(this.db, warningId);
    if (!w) throw new NotFound(`no warning ${warningId}`);
    // The directory is read outside the transaction (PGlite has one connection).
    const resolved = await this.directory.resolve({
      hazard: w.hazard ?? '',
      areaCodes: [areaCode],
      rules: [{ role: 'party-gov-head' }, { role: 'grid-worker' }],
      at: this.clock.now(),
    });
    const assignee = chooseAssignee(areaCode, resolved.targets);
    if (!assignee)
      throw new Conflict(`nobody in ${areaCode} to hand off to (no reachable head or grid worker)`);
    const taskId = randomUUID();
    const persons = await this.db.transaction(async (tx) => {
      const list = await this.repo.lockNotWokenUnder(tx, warningId, codePrefix(areaCode));
      if (list.length === 0) throw new Conflict(`nobody left not woken in ${areaCode}`);
      const task = {
        id: taskId,
        warning_id: warningId,
        area_code: areaCode,
        area_name: assignee.areaName,
        assignee_person_id: assignee.personId,
        assignee_name: assignee.name,
        assignee_role: assignee.role,
        assignee_phone: assignee.phone,
        opened_by: actor,
      };
      await this.repo.insert(
        tx,
        task,
        list.map((c) => c.id),
      );
      const channels = this.channelsFor(w, list[0]);
      await this.sendList(tx, w, task, list, channels);
      await this.announce(tx, w, task, 'opened', actor, { calloutIds: list.map((c) => c.id), channels });
      return list.length;
    });
    this.relay.nudge();
    return { taskId, persons };
  }

  /** One person's door: visited and reached, not found, or moved away; "reached" also settles the call-out. */
  async report(
    taskId: string,
    calloutId: string,
    outcome: FieldOutcome,
    note: string | null,
    actor: string,
  ): Promise<{ closed: boolean }> {
    const closed = await this.db.transaction(async (tx) => {
      const task = await this.repo.lockTask(tx, taskId);
      if (!task) throw new NotFound(`no field task ${taskId}`);
      if (task.closed_at) throw new Conflict(`field task ${taskId} is closed`);
      if (!(await this.repo.report(tx, taskId, calloutId, { outcome, note, actor })))
        throw new Conflict(`${calloutId} is not open in field task ${taskId}`);
      const w = (await this.callouts.warning(tx, task.warning_id))!;
      await this.announce(tx, w, task, 'outcome', actor, { calloutId, outcome, ...(note ? { note } : {}) });
      if (outcome === 'reached') {
        // Settled the way every "reached in person" is: a response the tracker applies, with the actor.
        const response: CalloutResponse = {
          schemaVersion: 1,
          responseId: `fieldtask:${taskId}:${calloutId}`,
          calloutId,
          warningId: task.warning_id,
          via: 'duty-officer',
          kind: 'feedback',
          feedback: {
            action: 'reached-in-person',
            note: `上门叫应（${task.assignee_name}）${note ? `：${note}` : ''}`,
          },
          actor,
          at: this.clock.now().toISOString(),
        };
        await this.callouts.outbox.add(tx, TOPICS.calloutsResponses.name, [
          { key: calloutId, value: response },
        ]);
      }
      const done = await this.repo.closeIfDone(tx, taskId);
      if (done) await this.announce(tx, w, task, 'closed', actor, {});
      return done;
    });
    this.relay.nudge();
    return { closed };
  }

  list(opts: { open: boolean; warningId?: string }) {
    return this.repo.list(this.db, opts);
  }

  async detail(taskId: string) {
    const task = await this.repo.task(this.db, taskId);
    if (!task) throw new NotFound(`no field task ${taskId}`);
    return { task, items: await this.repo.items(this.db, taskId) };
  }

  /** The level policy's first-call channels for the persons' level (SMS when the snapshot has none). */
  private channelsFor(w: WarningRow, c: CalloutRow): ('sms' | 'voice')[] {
    return w.policy?.levels[c.level]?.channels ?? ['sms'];
  }

  private async sendList(
    tx: Queryable,
    w: WarningRow,
    task: Omit<FieldTaskRow, 'opened_at' | 'closed_at'>,
    list: CalloutRow[],
    channels: ('sms' | 'voice')[],
  ): Promise<void> {
    const recipient = {
      ...list[0],
      person_id: task.assignee_person_id,
      person_name: task.assignee_name,
      role: task.assignee_role,
      area_name: task.area_name,
      phone: task.assignee_phone,
    };
    const data = buildTemplateData(w, recipient, undefined, handoffNote(list));
    const now = this.clock.now().toISOString();
    const msgs: CalloutRequested[] = channels.map((channel) => ({
      schemaVersion: 1,
      requestId: `fieldtask:${task.id}#1:${channel}:handoff`,
      // No call-out of its own: the task id stands in, so statuses and replies name the task.
      calloutId: `fieldtask:${task.id}`,
      warningId: w.id,
      personId: task.assignee_person_id,
      to: task.assignee_phone,
      channel,
      purpose: 'handoff',
      attempt: 1,
      drill: w.drill,
      language: 'zh-CN',
      data,
      requestedAt: now,
    }));
    await this.callouts.outbox.add(
      tx,
      TOPICS.calloutsRequested.name,
      msgs.map((m) => ({ key: m.calloutId, value: m })),
    );
  }

  private async announce(
    tx: Queryable,
    w: WarningRow,
    task: Omit<FieldTaskRow, 'opened_at' | 'closed_at'>,
    kind: FieldTaskEvent['kind'],
    actor: string,
    extra: Partial<FieldTaskEvent>,
  ): Promise<void> {
    const e: FieldTaskEvent = {
      schemaVersion: 1,
      eventId: randomUUID(),
      taskId: task.id,
      warningId: w.id,
      kind,
      areaCode: task.area_code,
      ...(task.area_name ? { areaName: task.area_name } : {}),
      assignee: { personId: task.assignee_person_id, name: task.assignee_name, role: task.assignee_role },
      ...extra,
      actor: actor.slice(0, 200),
      drill: w.drill,
      at: this.clock.now().toISOString(),
    };
    await this.callouts.outbox.add(tx, TOPICS.fieldTasksEvents.name, [{ key: task.id, value: e }]);
  }
}
