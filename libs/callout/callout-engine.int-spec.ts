import type {
  CalloutResponse,
  CalloutStatus,
  CapacityPlanned,
  WarningMessage,
} from '../../contracts/generated';
import { validateContract } from '../../contracts/validate';
import { createTestDatabase, TestDatabase } from '../../test/support/infra';
import { ManualClock } from '../common/clock';
import { planCapacity } from '../notify/providers/capacity-planner';
import { TWILIO_TO_MAINLAND } from '../notify/providers/provider-capabilities';
import { DirectoryService } from '../directory/directory.service';
import { Conflict, RejectedInput } from '../common/domain-errors';
import { calloutEngine, floodWarning } from '../../test/support/callout-engine';
import { CalloutQueryController } from './callout-query.controller';
import { DeadlineScanner } from './deadline-scanner';
import { DispatcherService } from './dispatcher.service';
import { DEFAULT_POLICY, parsePolicy, Policy } from './policy';
import { TrackerService } from './tracker.service';

/**
 * The call-out engine against the real PostgreSQL and the real directory, without Kafka: it reads
 * what the engine wrote (call-outs, outbox messages, deadlines). Time is a ManualClock the spec moves
 * by the policy's own intervals (a redial after 60 s, an ack deadline after 300 s), so each step fires
 * what is due at that moment and nothing else; after each test the clock passes every warning's
 * expiry, so the next one starts with nothing pending.
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
const VILLAGE = '140212100201';
const EMPTY_VILLAGE = '140212100202';

const directoryDoc = {
  divisions: [
    { code: VILLAGE, name: '杏花峪村', parentCode: TOWNSHIP },
    { code: EMPTY_VILLAGE, name: '石沟村', parentCode: TOWNSHIP },
  ],
  persons: [
    {
      id: 'V1',
      name: '王建国',
      mobile: '+8613800000001',
      roles: [{ role: 'flood-control', areaCode: VILLAGE }],
      backupPersonId: 'B1',
    },
    {
      id: 'V2',
      name: '李秀英',
      mobile: '+8613800000002',
      roles: [{ role: 'flood-control', areaCode: VILLAGE }],
    },
    {
      id: 'B1',
      name: '张海军',
      mobile: '+8613800000003',
      roles: [{ role: 'shelter-manager', areaCode: VILLAGE }],
    },
    {
      id: 'T1',
      name: '刘志强',
      mobile: '+8613800000004',
      roles: [{ role: 'flood-control', areaCode: TOWNSHIP }],
    },
    {
      id: 'C1',
      name: '陈红梅',
      mobile: '+8613800000005',
      roles: [{ role: 'flood-control', areaCode: '140212000000' }],
    },
  ],
};

function testPolicy(): Policy {
  const p = structuredClone(DEFAULT_POLICY);
  for (const level of ['red', 'orange'] as const) {
    p.hazards.flood[level] = {
      ...p.hazards.flood[level],
      targets: [{ role: 'flood-control', levels: ['village'] }],
      channels: ['voice', 'sms'],
      ackDeadlineSec: 300,
      redials: 1,
      redialIntervalSec: 60,
      escalationSteps: 3,
      escalationAckDeadlineSec: 300,
      escalationChannels: ['voice', 'sms'],
      repeatLimit: 1,
    };
  }
  return parsePolicy(p);
}

const clock = new ManualClock(Date.now());
/** The capacity planner at 10 SMS and 1 call a second through Twilio. */
const predict = (sends: { sms: number; voice: number }) =>
  planCapacity({
    sends,
    rates: {
      sms: { configuredPerSecond: 10, providers: [TWILIO_TO_MAINLAND] },
      voice: { configuredPerSecond: 1, providers: [TWILIO_TO_MAINLAND] },
    },
    accountPerSecond: 30,
  });
const warning = (over: Partial<WarningMessage> = {}) =>
  floodWarning({ areas: [{ code: TOWNSHIP, name: '新荣镇' }], ...over }, clock.now());
/** An ISO time `sec` seconds from the clock's now. */
const fromNow = (sec: number) => new Date(clock.now().getTime() + sec * 1000).toISOString();

describe('call-out engine on PostgreSQL', () => {
  let tdb: TestDatabase;
  let dispatcher: DispatcherService;
  let tracker: TrackerService;
  let scanner: DeadlineScanner;
  let controller: CalloutQueryController;
  let engine: ReturnType<typeof calloutEngine>;
  let q: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

  beforeAll(async () => {
    tdb = await createTestDatabase('engine');
    q = async (sql, params) => (await tdb.db.query(sql, params)).rows as never;
    const directory = new DirectoryService(tdb.db);
    const report = await directory.import(JSON.stringify(directoryDoc), { format: 'json' });
    expect(report.errors).toEqual([]);
    // No Kafka here: the relay is never started, so the outbox keeps what the engine wrote.
    engine = calloutEngine(tdb.db, directory, testPolicy(), { clock, predict });
    ({ dispatcher, tracker, scanner, controller } = engine);
  }, 60_000);
  afterAll(() => tdb?.drop());
  // Past every warning's expiry (six hours): what a test left pending fires and closes now.
  afterEach(async () => {
    clock.advance(7 * 3600_000);
    while ((await scanner.scanOnce()) > 0);
  });

  const callouts = (warningId: string) =>
    q<{
      id: string;
      person_id: string;
      state: string;
      rung: number;
      late: boolean;
      handled_by: string | null;
      subject_callout_id: string | null;
    }>(
      `SELECT id, person_id, state, rung, late, handled_by, subject_callout_id FROM callout.callouts WHERE warning_id = $1 ORDER BY rung, id`,
      [warningId],
    );
  const outbox = (topic: string, key?: string) =>
    q<{ value: Record<string, unknown> }>(
      `SELECT value FROM callout.outbox WHERE topic = $1 AND ($2::text IS NULL OR key = $2) ORDER BY id`,
      [topic, key ?? null],
    ).then((r) => r.map((x) => x.value));
  const requests = (calloutId: string) =>
    outbox('callouts.requested', calloutId) as Promise<
      { channel: string; purpose: string; attempt: number; requestId: string; priority: number }[]
    >;
  /** Moves the clock on by `sec` seconds and fires what is due then; returns how many fired. */
  const pass = async (sec: number) => {
    clock.advance(sec * 1000);
    return scanner.scanOnce();
  };
  /**
   * A red flood warning whose V1 did not answer within the ack deadline (V2 confirmed): the
   * deadline fired, the ladder is called.
   */
  const escalatedV1 = async () => {
    const w = warning();
    await dispatcher.handle(w, 'warnings.flood');
    const [v1, v2] = await callouts(w.id);
    await tracker.onResponse(confirm(v2.id, w.id, `SM-${w.id}-v2`));
    // Both ack deadlines fire; V2's changes nothing, V2 having confirmed.
    expect(await pass(300)).toBe(2);
    return { w, v1 };
  };
  const status = (
    calloutId: string,
    warningId: string,
    s: CalloutStatus['status'],
    channel: 'sms' | 'voice',
    n = 1,
  ): CalloutStatus => ({
    schemaVersion: 1,
    eventId: `${calloutId}:${channel}:${s}:${n}`,
    requestId: `${calloutId}#${n}:${channel}:callout`,
    calloutId,
    warningId,
    channel,
    status: s,
    at: clock.now().toISOString(),
  });
  const confirm = (
    calloutId: string,
    warningId: string,
    id: string,
    over: Partial<CalloutResponse> = {},
  ): CalloutResponse => ({
    schemaVersion: 1,
    responseId: id,
    calloutId,
    warningId,
    via: 'sms',
    kind: 'confirm',
    text: '收到',
    at: clock.now().toISOString(),
    ...over,
  });

  it('plans one call-out per village person, sends voice and SMS, sets deadlines, and raises the uncovered village', async () => {
    const w = warning();
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('dispatched');
    const cs = await callouts(w.id);
    expect(cs.map((c) => [c.person_id, c.state])).toEqual([
      ['V1', 'SENT'],
      ['V2', 'SENT'],
    ]);
    const req = await requests(cs[0].id);
    expect(req.map((r) => [r.channel, r.purpose, r.attempt])).toEqual([
      ['voice', 'callout', 1],
      ['sms', 'callout', 2],
    ]);
    const deadlines = await q<{ kind: string }>(
      `SELECT kind FROM callout.deadlines WHERE warning_id = $1 ORDER BY kind, callout_id`,
      [w.id],
    );
    expect(deadlines.map((d) => d.kind)).toEqual(['ack', 'ack', 'expire']);
    const alerts = (await outbox('alerts.coverage', w.id)) as { kind: string; areaCode: string }[];
    expect(alerts).toEqual([
      expect.objectContaining({ kind: 'no-reachable-person', areaCode: EMPTY_VILLAGE }),
    ]);
    // The alert is written before any send, so the relay publishes it first.
    const order = await q<{ topic: string }>(
      `SELECT topic FROM callout.outbox WHERE key IN ($1, $2) OR topic = 'alerts.coverage' ORDER BY id`,
      [w.id, cs[0].id],
    );
    expect(order[0].topic).toBe('alerts.coverage');

    // Each state change is announced with the person and the area's name (villages are the directory's own).
    const events = (await outbox('callouts.events', cs[0].id)) as {
      to: string;
      personName: string;
      areaName: string;
    }[];
    expect(events).toEqual([
      expect.objectContaining({ to: 'SENT', personName: '王建国', areaName: '杏花峪村' }),
    ]);

    // Consuming the same message again changes nothing.
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('duplicate');
    expect(await callouts(w.id)).toHaveLength(2);
  });

  it("records the planner's prediction with the plan, and counts the first round's actual against it", async () => {
    const w = warning();
    const plannedAt = clock.now();
    await dispatcher.handle(w, 'warnings.flood');
    const [plan] = (await outbox('callouts.plans', w.id)) as unknown as CapacityPlanned[];
    expect(plan).toMatchObject({
      warningId: w.id,
      messageId: w.id,
      level: 'red',
      persons: 2,
      voiceAllPlacedSec: 2,
      meetsVoiceTarget: true,
      at: plannedAt.toISOString(),
    });
    expect(plan.channels.map((c) => [c.channel, c.sends])).toEqual([
      ['sms', 2],
      ['voice', 2],
    ]);
    expect(validateContract('capacity-plan', plan).ok).toBe(true);
    const [stored] = await q<{ capacity_plan: CapacityPlanned }>(
      `SELECT capacity_plan FROM callout.warnings WHERE id = $1`,
      [w.id],
    );
    expect(stored.capacity_plan).toEqual(plan);

    const [v1, v2] = await callouts(w.id);
    const at = (sec: number) => new Date(plannedAt.getTime() + sec * 1000).toISOString();
    // Voice: both calls accepted, the last 150 s after the plan; SMS: one of two so far.
    await tracker.onStatus({ ...status(v1.id, w.id, 'submitted', 'voice'), at: at(10) });
    await tracker.onStatus({ ...status(v2.id, w.id, 'submitted', 'voice'), at: at(150) });
    await tracker.onStatus({ ...status(v1.id, w.id, 'heard', 'voice'), at: at(200) });
    await tracker.onStatus({ ...status(v1.id, w.id, 'submitted', 'sms', 2), at: at(5) });
    clock.advance(250_000);
    const { capacity } = await controller.capacity(w.id);
    const ch = (c: string) => capacity!.channels.find((x) => x.channel === c)!.actual;
    expect(ch('voice')).toMatchObject({
      requested: 2,
      accepted: 2,
      done: true,
      lastAcceptedSec: 150,
      reached: 1,
    });
    expect(ch('sms')).toMatchObject({ requested: 2, accepted: 1, done: false, elapsedSec: 250 });
    expect(capacity!.actual).toMatchObject({
      voiceAllPlacedSec: 150,
      meetsVoiceTarget: true,
      running: true,
      // One call heard, the other still ringing: everyone woken is not known yet, but 250 s is in time.
      meetsWokenTarget: null,
    });
    // A warning planned before plans were recorded (or without a predictor) has none.
    expect((await controller.capacity('no-such-warning')).capacity).toBeNull();
  });

  it('delivered is not confirmed; a confirmation is; the warning closes when everyone is settled', async () => {
    const w = warning();
    await dispatcher.handle(w, 'warnings.flood');
    const [v1, v2] = await callouts(w.id);
    await tracker.onStatus(status(v1.id, w.id, 'delivered', 'sms'));
    expect((await callouts(w.id))[0].state).toBe('DELIVERED');
    await tracker.onResponse(confirm(v1.id, w.id, 'SM-a'));
    await tracker.onResponse(confirm(v1.id, w.id, 'SM-a')); // redelivered: applied once
    expect((await callouts(w.id))[0].state).toBe('CONFIRMED');
    expect(await outbox('warnings.closed', w.id)).toEqual([]);
    await tracker.onResponse(confirm(v2.id, w.id, 'call-1:1', { via: 'voice', text: undefined }));
    const closed = await outbox('warnings.closed', w.id);
    expect(closed).toEqual([expect.objectContaining({ reason: 'all-settled', counts: { CONFIRMED: 2 } })]);
  });

  it("a request's recorded status never moves back when callbacks race", async () => {
    const w = warning();
    await dispatcher.handle(w, 'warnings.flood');
    const [v1] = await callouts(w.id);
    const sms = (await requests(v1.id)).find((r) => r.channel === 'sms')!;
    const at = (s: CalloutStatus['status'], n: number): CalloutStatus => ({
      ...status(v1.id, w.id, s, 'sms', n),
      requestId: sms.requestId,
    });
    await tracker.onStatus(at('delivered', 1));
    await tracker.onStatus(at('submitted', 2)); // the API's answer, recorded after the callback
    const r = await q<{ status: string }>(`SELECT status FROM callout.requests WHERE request_id = $1`, [
      sms.requestId,
    ]);
    expect(r[0].status).toBe('delivered');
  });

  it('a missed voice call is redialled once, then the deadline escalates up the ladder to the not-woken list', async () => {
    const w = warning();
    await dispatcher.handle(w, 'warnings.flood');
    const [v1, v2] = await callouts(w.id);
    await tracker.onResponse(confirm(v2.id, w.id, `SM-${w.id}-v2`));
    await tracker.onStatus(status(v1.id, w.id, 'no-answer', 'voice'));
    expect((await callouts(w.id)).find((c) => c.id === v1.id)!.state).toBe('REDIAL_PENDING');
    // A second short of the redial interval nothing is due; at 60 s the redial alone is.
    expect(await pass(59)).toBe(0);
    expect(await pass(1)).toBe(1);
    expect((await requests(v1.id)).map((r) => r.purpose)).toEqual(['callout', 'callout', 'redial']);
    expect((await callouts(w.id)).find((c) => c.id === v1.id)!.state).not.toBe('ESCALATED');
    // The ack deadline (300 s from the first call-out) escalates to the backup.
    // (V2's fires with it and changes nothing, V2 having confirmed.)
    expect(await pass(239)).toBe(0);
    expect(await pass(1)).toBe(2);
    const after = (await callouts(w.id)).filter((c) => c.id === v1.id || c.subject_callout_id === v1.id);
    const reqs = await requests(v1.id);
    expect(reqs.map((r) => r.purpose)).toEqual(['callout', 'callout', 'redial']);
    // Rate-bound, the redial goes before every first call-out (send-priority.ts).
    expect(reqs[2].priority).toBeLessThan(Math.min(reqs[0].priority, reqs[1].priority));
    expect(after.map((c) => [c.person_id, c.rung, c.state])).toEqual([
      ['V1', 0, 'ESCALATED'],
      ['B1', 1, 'SENT'],
    ]);
    const b1 = after[1];
    const escalationSms = (await requests(b1.id)).find((r) => r.channel === 'sms') as unknown as {
      purpose: string;
      priority: number;
      data: { subject: { name: string } };
    };
    expect(escalationSms.purpose).toBe('escalation');
    expect(escalationSms.priority).toBeLessThan(reqs[0].priority);
    expect(escalationSms.data.subject.name).toBe('王建国');
    // A second missed voice status after the redials are used does not redial again.
    await tracker.onStatus(status(v1.id, w.id, 'busy', 'voice', 3));
    expect((await requests(v1.id)).length).toBe(3);

    // Each ladder step has the escalation ack deadline (300 s) before the next is called.
    expect(await pass(299)).toBe(0);
    expect(await pass(1)).toBe(1);
    const t1 = (await callouts(w.id)).find((c) => c.subject_callout_id === v1.id && c.rung === 2)!;
    expect(t1.person_id).toBe('T1');
    expect(await pass(300)).toBe(1);
    const c1 = (await callouts(w.id)).find((c) => c.subject_callout_id === v1.id && c.rung === 3)!;
    expect(c1.person_id).toBe('C1');
    expect(await pass(300)).toBe(1);
    const final = (await callouts(w.id)).filter((c) => c.id === v1.id || c.subject_callout_id === v1.id);
    expect(final.map((c) => [c.person_id, c.state])).toEqual([
      ['V1', 'NOT_WOKEN'],
      ['B1', 'GIVEN_UP'],
      ['T1', 'GIVEN_UP'],
      ['C1', 'GIVEN_UP'],
    ]);
    const alerts = (await outbox('alerts.coverage', w.id)) as { kind: string; personId?: string }[];
    expect(alerts.filter((a) => a.kind === 'not-woken')).toEqual([
      expect.objectContaining({ personId: 'V1' }),
    ]);

    // Late confirmation by the person: confirmed, marked late.
    await tracker.onResponse(confirm(v1.id, w.id, 'SM-late'));
    const v1Final = (await callouts(w.id)).find((c) => c.id === v1.id)!;
    expect([v1Final.state, v1Final.late]).toEqual(['CONFIRMED', true]);
  });

  it('a superior who confirms is handling it: the person stays not woken until reached in person; the ladder is told', async () => {
    const { w, v1 } = await escalatedV1();
    const b1 = (await callouts(w.id)).find((c) => c.subject_callout_id === v1.id)!;
    await tracker.onResponse(confirm(b1.id, w.id, 'SM-b1'));
    let rows = await callouts(w.id);
    expect(rows.find((c) => c.id === v1.id)).toMatchObject({ state: 'NOT_WOKEN', handled_by: b1.id });
    expect(rows.find((c) => c.id === b1.id)!.state).toBe('CONFIRMED');
    // Its deadline no longer escalates: when it falls due, nothing is called.
    await pass(300);
    expect((await callouts(w.id)).filter((c) => c.subject_callout_id === v1.id)).toHaveLength(1);

    await tracker.onResponse(
      confirm(b1.id, w.id, 'SM-b1-fb', {
        kind: 'feedback',
        feedback: { action: 'reached-in-person', note: '已上门叫醒' },
      }),
    );
    rows = await callouts(w.id);
    expect(rows.find((c) => c.id === v1.id)!.state).toBe('REACHED');
    const settled = (await requests(b1.id)).filter((r) => r.purpose === 'settled');
    expect(settled).toHaveLength(1);
  });

  it('POST reached: the state change and its callouts.responses event commit together in the outbox', async () => {
    const { w, v1 } = await escalatedV1();
    const before = (await outbox('callouts.responses', v1.id)).length;
    const caller = { role: 'duty-officer', actor: 'console:duty' } as never;
    const r = await controller.reached(v1.id, { note: '已上门叫醒' }, caller);
    expect(r.accepted).toBe(true);
    // The relay never runs here: what is in the outbox survives a crash before any publish.
    const announced = (await outbox('callouts.responses', v1.id)).slice(before);
    expect(announced).toEqual([
      expect.objectContaining({
        responseId: r.responseId,
        calloutId: v1.id,
        via: 'duty-officer',
        kind: 'feedback',
        feedback: { action: 'reached-in-person', note: '已上门叫醒' },
        actor: 'console:duty',
      }),
    ]);
    expect((await callouts(w.id)).find((c) => c.id === v1.id)!.state).toBe('REACHED');
    const events = (await outbox('callouts.events', v1.id)) as { type?: string; event?: string }[];
    expect(JSON.stringify(events)).toContain('reached in person (console:duty)');
    // The announcement coming back from Kafka is recognised as applied.
    await tracker.onResponse(announced[0] as unknown as CalloutResponse);
    const responses = await q(`SELECT 1 FROM callout.responses WHERE response_id = $1`, [r.responseId]);
    expect(responses).toHaveLength(1);
  });

  it('cancel in the middle of escalation stops everything and tells everyone already called', async () => {
    const w = warning();
    await dispatcher.handle(w, 'warnings.flood');
    const v1 = (await callouts(w.id)).find((c) => c.person_id === 'V1')!;
    expect(await pass(300)).toBe(2); // V1 and V2 escalated
    const cancel = warning({
      id: `${w.id}-c`,
      msgType: 'Cancel',
      references: [w.id],
      sentAt: fromNow(0),
    });
    expect(await dispatcher.handle(cancel, 'warnings.flood')).toBe('cancelled');
    const rows = await callouts(w.id);
    expect(new Set(rows.map((c) => c.state))).toEqual(new Set(['CANCELLED']));
    const pending = await q(`SELECT 1 FROM callout.deadlines WHERE warning_id = $1 AND fired_at IS NULL`, [
      w.id,
    ]);
    expect(pending).toHaveLength(0);
    for (const c of rows) expect((await requests(c.id)).filter((r) => r.purpose === 'lift')).toHaveLength(1);
    expect(await outbox('warnings.closed', w.id)).toEqual([expect.objectContaining({ reason: 'cancelled' })]);
    // A confirmation after the cancel is recorded but changes nothing.
    await tracker.onResponse(confirm(v1.id, w.id, 'SM-after-cancel'));
    expect((await callouts(w.id)).find((c) => c.id === v1.id)!.state).toBe('CANCELLED');
  });

  it('an update before its original is applied; the original arriving later is stale', async () => {
    const original = warning({ level: 'orange' });
    const update = warning({
      id: `${original.id}-u`,
      msgType: 'Update',
      references: [original.id],
      level: 'red',
      sentAt: fromNow(0),
    });
    expect(await dispatcher.handle(update, 'warnings.flood')).toBe('updated');
    expect(await dispatcher.handle(original, 'warnings.flood')).toBe('stale');
    const rows = await callouts(original.id);
    expect(rows.map((c) => c.id)).toEqual([`${original.id}/red/V1`, `${original.id}/red/V2`]);
  });

  it('an update that raises the level calls the confirmed again; one that does not, does not', async () => {
    const w = warning({ level: 'orange' });
    await dispatcher.handle(w, 'warnings.flood');
    const [v1] = await callouts(w.id);
    await tracker.onResponse(confirm(v1.id, w.id, 'SM-o'));
    const same = warning({
      id: `${w.id}-u1`,
      msgType: 'Update',
      references: [w.id],
      level: 'orange',
      sentAt: fromNow(-1),
    });
    await dispatcher.handle(same, 'warnings.flood');
    expect((await requests(v1.id)).filter((r) => r.purpose === 'update')).toHaveLength(0);
    const raised = warning({
      id: `${w.id}-u2`,
      msgType: 'Update',
      references: [w.id],
      level: 'red',
      sentAt: fromNow(0),
    });
    await dispatcher.handle(raised, 'warnings.flood');
    const rows = await callouts(w.id);
    expect(rows.filter((c) => c.id.includes('/red/')).map((c) => [c.person_id, c.state])).toEqual([
      ['V1', 'SENT'],
      ['V2', 'SENT'],
    ]);
  });

  it('expiry stops escalation by itself and closes the warning', async () => {
    // Expiring ten minutes on: when the ladder's first step would escalate further, at that very
    // instant, the warning has expired (an expiry fires before the deadlines due with it).
    const w = warning({ expires: fromNow(600) });
    await dispatcher.handle(w, 'warnings.flood');
    const v1 = (await callouts(w.id)).find((c) => c.person_id === 'V1')!;
    expect(await pass(300)).toBe(2);
    expect((await callouts(w.id)).find((c) => c.id === v1.id)!.state).toBe('ESCALATED');
    await pass(300);
    expect((await callouts(w.id)).filter((c) => c.rung > 1)).toEqual([]);
    const rows = await callouts(w.id);
    expect(new Set(rows.map((c) => c.state))).toEqual(new Set(['EXPIRED']));
    expect(
      await q(`SELECT 1 FROM callout.deadlines WHERE warning_id = $1 AND fired_at IS NULL`, [w.id]),
    ).toHaveLength(0);
    expect(await outbox('warnings.closed', w.id)).toEqual([expect.objectContaining({ reason: 'expired' })]);
  });

  it('feedback is kept with the call-out, and "need help" alerts the duty officer at once', async () => {
    const w = warning();
    await dispatcher.handle(w, 'warnings.flood');
    const [v1] = await callouts(w.id);
    await tracker.onResponse(confirm(v1.id, w.id, 'SM-c'));
    await tracker.onResponse(
      confirm(v1.id, w.id, 'SM-f1', {
        kind: 'feedback',
        feedback: { action: 'evacuated', count: 12 },
        text: '已转移12人',
      }),
    );
    await tracker.onResponse(
      confirm(v1.id, w.id, 'SM-f2', {
        kind: 'feedback',
        feedback: { action: 'need-help', note: '桥被冲断' },
        text: '求助 桥被冲断',
      }),
    );
    const fb = await q<{ action: string; count: number | null }>(
      `SELECT action, count FROM callout.responses WHERE callout_id = $1 AND kind = 'feedback' ORDER BY at, response_id`,
      [v1.id],
    );
    expect(fb).toEqual([
      { action: 'evacuated', count: 12 },
      { action: 'need-help', count: null },
    ]);
    const help = ((await outbox('alerts.coverage', w.id)) as { kind: string; message: string }[]).filter(
      (a) => a.kind === 'need-help',
    );
    expect(help).toHaveLength(1);
    expect(help[0].message).toContain('桥被冲断');
  });

  it('rejects a warning the rules refuse, with the reason', async () => {
    await expect(
      dispatcher.handle(
        warning({ hazard: 'meteorological', subtype: 'frost', level: 'red' }),
        'warnings.meteorological',
      ),
    ).rejects.toBeInstanceOf(RejectedInput);
  });

  it('refuses a different Alert under a known id (nothing overwritten); the same Alert again is a duplicate', async () => {
    const w = warning({ level: 'orange' });
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('dispatched');
    expect(await dispatcher.handle(structuredClone(w), 'warnings.flood')).toBe('duplicate');
    const before = await q(`SELECT level, headline, content FROM callout.warnings WHERE id = $1`, [w.id]);
    for (const other of <WarningMessage[]>[
      // Newer, lower, other text: before, it overwrote the warning.
      { ...w, level: 'blue', headline: '改写', sentAt: fromNow(0) },
      // The same sentAt (same message key) with other content: before, it was taken for a redelivery.
      { ...w, headline: '改写' },
    ]) {
      const e = await dispatcher.handle(other, 'warnings.flood').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Conflict);
      expect((e as Conflict).details.join(' ')).toMatch(/was applied before .*Update or Cancel/);
    }
    expect(await q(`SELECT level, headline, content FROM callout.warnings WHERE id = $1`, [w.id])).toEqual(
      before,
    );
    expect((await callouts(w.id)).map((c) => c.id)).toEqual([`${w.id}/orange/V1`, `${w.id}/orange/V2`]);
  });

  it('rejects a warning already past its expiry (an update too), but lets a cancel through', async () => {
    const past = { effective: fromNow(-7200), expires: fromNow(-60) };
    const alert = warning(past);
    const e = await dispatcher.handle(alert, 'warnings.flood').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RejectedInput);
    expect((e as RejectedInput).details.join(' ')).toMatch(/is already past/);
    expect(await q(`SELECT 1 FROM callout.warnings WHERE id = $1`, [alert.id])).toEqual([]);
    const live = warning();
    await dispatcher.handle(live, 'warnings.flood');
    const update = warning({ ...past, id: `${live.id}-u`, msgType: 'Update', references: [live.id] });
    await expect(dispatcher.handle(update, 'warnings.flood')).rejects.toBeInstanceOf(RejectedInput);
    const cancel = warning({
      ...past,
      id: `${live.id}-c`,
      msgType: 'Cancel',
      references: [live.id],
      sentAt: fromNow(0),
    });
    expect(await dispatcher.handle(cancel, 'warnings.flood')).toBe('cancelled');
  });

  it('two scanners racing over the same due deadlines fire each exactly once', async () => {
    const ws = [warning(), warning(), warning()];
    for (const w of ws) await dispatcher.handle(w, 'warnings.flood');
    const ids = (
      await q<{ id: string }>(
        `SELECT id FROM callout.callouts WHERE warning_id = ANY($1::text[]) AND rung = 0`,
        [ws.map((w) => w.id)],
      )
    ).map((r) => r.id);
    clock.advance(300_000); // every first call-out's ack deadline
    const other = engine.newScanner();
    const [a, b] = await Promise.all([scanner.scanOnce(), other.scanOnce()]);
    expect(a + b).toBe(ids.length);
    const fired = await q<{ n: string }>(
      `SELECT count(*) AS n FROM callout.deadlines WHERE callout_id = ANY($1::text[]) AND fired_at IS NOT NULL`,
      [ids],
    );
    expect(Number(fired[0].n)).toBe(ids.length);
    const escalations = await q<{ n: string }>(
      `SELECT count(*) AS n FROM callout.callouts WHERE subject_callout_id = ANY($1::text[])`,
      [ids],
    );
    // V1 has a backup; V2's ladder starts at the township: one escalation call-out each.
    expect(Number(escalations[0].n)).toBe(ids.length);
  });
});
