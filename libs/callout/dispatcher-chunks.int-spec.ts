import type { CalloutResponse, WarningMessage } from '../../contracts/generated';
import { createTestDatabase, TestDatabase } from '../../test/support/infra';
import { DirectoryService } from '../directory/directory.service';
import { calloutEngine, floodWarning } from '../../test/support/callout-engine';
import { DispatcherOptions, DispatcherService } from './dispatcher.service';
import { DEFAULT_POLICY, parsePolicy, Policy } from './policy';
import { TrackerService } from './tracker.service';

/**
 * The dispatcher creating a warning's first call-outs in chunks, against the real PostgreSQL: every
 * person called exactly once, a crash between chunks resumed by the redelivery, a cancel between
 * chunks stopping the rest. Chunks of 3 over two villages of 4 persons each.
 */
const XINRONG = '140212100000'; // 新荣镇
const GUDIAN = '140212101000'; // 古店镇
const VILLAGE_X = '140212100201';
const VILLAGE_G = '140212101201';

const persons = (village: string, prefix: string, from: number) =>
  [0, 1, 2, 3].map((i) => ({
    id: `${prefix}${i + 1}`,
    name: `责任人${prefix}${i + 1}`,
    mobile: `+86138000001${String(from + i).padStart(2, '0')}`,
    roles: [{ role: 'flood-control', areaCode: village }],
  }));

const directoryDoc = {
  divisions: [
    { code: VILLAGE_X, name: '杏花峪村', parentCode: XINRONG },
    { code: VILLAGE_G, name: '古店村', parentCode: GUDIAN },
  ],
  persons: [...persons(VILLAGE_X, 'X', 0), ...persons(VILLAGE_G, 'G', 10)],
};
const ALL = ['G1', 'G2', 'G3', 'G4', 'X1', 'X2', 'X3', 'X4'];

function testPolicy(): Policy {
  const p = structuredClone(DEFAULT_POLICY);
  p.hazards.flood.red = {
    ...p.hazards.flood.red,
    targets: [{ role: 'flood-control', levels: ['village'] }],
    channels: ['voice', 'sms'],
    ackDeadlineSec: 300,
  };
  return parsePolicy(p);
}

const warning = (over: Partial<WarningMessage> = {}) =>
  floodWarning({
    headline: '山洪灾害气象风险红色预警',
    areas: [
      { code: XINRONG, name: '新荣镇' },
      { code: GUDIAN, name: '古店镇' },
    ],
    ...over,
  });

describe('dispatcher: first call-outs in chunks', () => {
  let tdb: TestDatabase;
  let dispatcher: DispatcherService;
  let tracker: TrackerService;
  /** Awaited before each chunk (DispatcherOptions.beforePlanChunk); set by a test, cleared after it. */
  let beforePlanChunk: DispatcherOptions['beforePlanChunk'];
  /** The same dispatcher with chunks larger than the plans, for a plan written in one go. */
  let wideDispatcher: DispatcherService;
  let q: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

  beforeAll(async () => {
    tdb = await createTestDatabase('chunks');
    q = async (sql, params) => (await tdb.db.query(sql, params)).rows as never;
    const directory = new DirectoryService(tdb.db);
    const report = await directory.import(JSON.stringify(directoryDoc), { format: 'json' });
    expect(report.errors).toEqual([]);
    // No Kafka: the relay is never started, so the outbox keeps what the dispatcher wrote.
    const engine = calloutEngine(tdb.db, directory, testPolicy(), {
      dispatcher: { planChunkSize: 3, beforePlanChunk: (index, id) => beforePlanChunk?.(index, id) },
    });
    ({ dispatcher, tracker } = engine);
    wideDispatcher = engine.newDispatcher({ planChunkSize: 100 });
  });
  afterEach(() => {
    beforePlanChunk = undefined;
  });
  afterAll(() => tdb?.drop());

  const callouts = (warningId: string) =>
    q<{ id: string; person_id: string; state: string }>(
      `SELECT id, person_id, state FROM callout.callouts WHERE warning_id = $1 AND rung = 0 ORDER BY person_id, id`,
      [warningId],
    );
  /** callouts.requested messages per call-out and purpose, as "channel:attempt" lists. */
  const requested = async (warningId: string, purpose: string) => {
    const rows = await q<{ key: string; value: { channel: string; attempt: number; purpose: string } }>(
      `SELECT key, value FROM callout.outbox WHERE topic = 'callouts.requested' AND value->>'warningId' = $1 ORDER BY id`,
      [warningId],
    );
    const by: Record<string, string[]> = {};
    for (const r of rows)
      if (r.value.purpose === purpose) (by[r.key] ??= []).push(`${r.value.channel}:${r.value.attempt}`);
    return by;
  };
  const requestRows = (warningId: string) =>
    q<{ n: string }>(
      `SELECT count(*) AS n FROM callout.requests r JOIN callout.callouts c ON c.id = r.callout_id WHERE c.warning_id = $1`,
      [warningId],
    ).then((r) => Number(r[0].n));
  const deadlines = (warningId: string) =>
    q<{ kind: string; callout_id: string | null }>(
      `SELECT kind, callout_id FROM callout.deadlines WHERE warning_id = $1 ORDER BY kind, callout_id`,
      [warningId],
    );
  const outcome = (w: WarningMessage) =>
    q<{ outcome: string }>(`SELECT outcome FROM callout.warning_messages WHERE message_key = $1`, [
      `${w.id}|${w.msgType}|${w.sentAt}`,
    ]).then((r) => r[0]?.outcome);
  const closed = (warningId: string) =>
    q<{ value: { reason: string } }>(
      `SELECT value FROM callout.outbox WHERE topic = 'warnings.closed' AND key = $1`,
      [warningId],
    ).then((r) => r.map((x) => x.value.reason));
  const confirm = (calloutId: string, warningId: string): CalloutResponse => ({
    schemaVersion: 1,
    responseId: `SM-${calloutId}`,
    calloutId,
    warningId,
    via: 'sms',
    kind: 'confirm',
    text: '收到',
    at: new Date().toISOString(),
  });
  /** Every person called exactly once: one call-out, one voice and one SMS request, one ack deadline. */
  const expectEveryoneCalledOnce = async (w: WarningMessage, messages = 1) => {
    const cs = await callouts(w.id);
    expect(cs.map((c) => [c.person_id, c.id])).toEqual(ALL.map((p) => [p, `${w.id}/red/${p}`]));
    const sends = await requested(w.id, 'callout');
    expect(sends).toEqual(Object.fromEntries(cs.map((c) => [c.id, ['voice:1', 'sms:2']])));
    const ds = await deadlines(w.id);
    expect(ds.filter((d) => d.kind === 'ack').map((d) => d.callout_id)).toEqual(cs.map((c) => c.id));
    // One expiry deadline per dispatched message of the warning.
    expect(ds.filter((d) => d.kind === 'expire')).toHaveLength(messages);
  };

  it('creates every call-out once, chunk by chunk, and the outcome is final only after the last chunk', async () => {
    const w = warning();
    const seen: { index: number; callouts: number; outcome: string | undefined }[] = [];
    beforePlanChunk = async (index) => {
      seen.push({ index, callouts: (await callouts(w.id)).length, outcome: await outcome(w) });
    };
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('dispatched');
    // Each chunk committed before the next began; meanwhile the message was pending.
    expect(seen).toEqual([
      { index: 0, callouts: 0, outcome: 'pending' },
      { index: 1, callouts: 3, outcome: 'pending' },
      { index: 2, callouts: 6, outcome: 'pending' },
    ]);
    await expectEveryoneCalledOnce(w);
    expect(await requestRows(w.id)).toBe(ALL.length * 2);
    expect(await outcome(w)).toBe('dispatched');

    // A redelivery after the final outcome is a duplicate and writes nothing.
    const before = await q(`SELECT count(*) AS n FROM callout.outbox`);
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('duplicate');
    expect(await q(`SELECT count(*) AS n FROM callout.outbox`)).toEqual(before);
    await expectEveryoneCalledOnce(w);
  });

  it('a crash between chunks is resumed by the redelivery: everyone called exactly once', async () => {
    const w = warning();
    beforePlanChunk = (index) => {
      if (index === 1) throw new Error('simulated crash before the second chunk');
    };
    await expect(dispatcher.handle(w, 'warnings.flood')).rejects.toThrow('simulated crash');
    const first = await callouts(w.id);
    expect(first).toHaveLength(3);
    expect(await outcome(w)).toBe('pending');

    // Those already called all answer: the warning must not close while others are still to call.
    for (const c of first) await tracker.onResponse(confirm(c.id, w.id));
    await tracker.closeSettledWarnings();
    expect(await closed(w.id)).toEqual([]);

    beforePlanChunk = undefined;
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('dispatched');
    await expectEveryoneCalledOnce(w);
    expect(await requestRows(w.id)).toBe(ALL.length * 2);
    expect(await outcome(w)).toBe('dispatched');
    // Those who answered before the crash keep their answer: nobody is called afresh.
    const states = await callouts(w.id);
    expect(states.filter((c) => c.state === 'CONFIRMED').map((c) => c.id)).toEqual(
      first.map((c) => c.id).sort(),
    );

    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('duplicate');
    await expectEveryoneCalledOnce(w);
  });

  it('a resumed update sends the update SMS once and calls the newly affected once', async () => {
    const alert = warning({ areas: [{ code: XINRONG, name: '新荣镇' }] });
    expect(await wideDispatcher.handle(alert, 'warnings.flood')).toBe('dispatched');
    expect((await callouts(alert.id)).map((c) => c.person_id)).toEqual(['X1', 'X2', 'X3', 'X4']);

    const update = warning({
      id: `${alert.id}-u`,
      msgType: 'Update',
      references: [alert.id],
      sentAt: new Date().toISOString(),
    });
    beforePlanChunk = (index) => {
      if (index === 1) throw new Error('simulated crash before the second chunk');
    };
    await expect(dispatcher.handle(update, 'warnings.flood')).rejects.toThrow('simulated crash');
    expect(await callouts(alert.id)).toHaveLength(7);
    beforePlanChunk = undefined;
    expect(await dispatcher.handle(update, 'warnings.flood')).toBe('updated');

    await expectEveryoneCalledOnce(alert, 2);
    const updates = await requested(alert.id, 'update');
    expect(updates).toEqual(
      Object.fromEntries(['X1', 'X2', 'X3', 'X4'].map((p) => [`${alert.id}/red/${p}`, ['sms:3']])),
    );
    expect(await outcome(update)).toBe('updated');
    expect(await dispatcher.handle(update, 'warnings.flood')).toBe('duplicate');
    expect(await requested(alert.id, 'update')).toEqual(updates);
  });

  it('a cancel arriving between chunks stops the remaining chunks', async () => {
    const w = warning();
    const cancel = warning({
      id: `${w.id}-c`,
      msgType: 'Cancel',
      references: [w.id],
      sentAt: new Date().toISOString(),
    });
    beforePlanChunk = async (index) => {
      if (index === 1) expect(await dispatcher.handle(cancel, 'warnings.flood')).toBe('cancelled');
    };
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('dispatched');
    const cs = await callouts(w.id);
    expect(cs).toHaveLength(3);
    expect(new Set(cs.map((c) => c.state))).toEqual(new Set(['CANCELLED']));
    expect(Object.keys(await requested(w.id, 'lift')).sort()).toEqual(cs.map((c) => c.id));
    expect(await outcome(w)).toBe('dispatched');
    expect(await closed(w.id)).toEqual(['cancelled']);
    expect(await deadlines(w.id)).toEqual([]);

    // A redelivery of the cancelled alert is a duplicate and calls nobody.
    beforePlanChunk = undefined;
    expect(await dispatcher.handle(w, 'warnings.flood')).toBe('duplicate');
    expect(await callouts(w.id)).toHaveLength(3);
  });
});
