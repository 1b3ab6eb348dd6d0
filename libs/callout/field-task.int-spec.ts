import { Conflict } from '../common/domain-errors';
import { validateContract } from '../../contracts/validate';
import { createTestDatabase, TestDatabase } from '../../test/support/infra';
import { DirectoryService } from '../directory/directory.service';
import { CalloutOutboxRelay } from './callout-outbox.relay';
import { CalloutRepository } from './callout.repository';
import { FieldTaskRepository } from './field-task.repository';
import { DEFAULT_POLICY } from './policy';
import { FieldTaskService, handoffNote, HANDOFF_LIST_MAX } from './field-task.service';
import { NotWokenRepository } from './not-woken.repository';

/**
 * Door-to-door hand-offs and the not-woken reads against the real PostgreSQL and the real directory,
 * without Kafka: the outbox keeps what the tracker wrote (sends, responses, field-task events).
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
const V1 = '140212100201';
const V2 = '140212100202';
const OTHER_TOWNSHIP = '140212101000';

const directoryDoc = {
  divisions: [
    { code: V1, name: '杏花峪村', parentCode: TOWNSHIP },
    { code: V2, name: '石沟村', parentCode: TOWNSHIP },
  ],
  persons: [
    {
      id: 'H1',
      name: '刘志强',
      mobile: '+8613800000004',
      roles: [{ role: 'party-gov-head', areaCode: TOWNSHIP }],
    },
    { id: 'G1', name: '张海军', mobile: '+8613800000003', roles: [{ role: 'grid-worker', areaCode: V1 }] },
  ],
};

describe('field tasks and not-woken reads on PostgreSQL', () => {
  let tdb: TestDatabase;
  let tasks: FieldTaskService;
  const reads = new NotWokenRepository();
  const W = 'w-field-1';
  const q = async <T>(sql: string, params?: unknown[]) => (await tdb.db.query(sql, params)).rows as T[];
  const outbox = (topic: string) =>
    q<{ value: Record<string, unknown> }>(`SELECT value FROM callout.outbox WHERE topic = $1 ORDER BY id`, [
      topic,
    ]).then((r) => r.map((x) => x.value));

  beforeAll(async () => {
    tdb = await createTestDatabase('fieldtask');
    const directory = new DirectoryService(tdb.db);
    expect((await directory.import(JSON.stringify(directoryDoc), { format: 'json' })).errors).toEqual([]);
    tasks = new FieldTaskService(
      tdb.db,
      directory,
      new CalloutOutboxRelay(tdb.db, undefined as never),
      new FieldTaskRepository(),
      new CalloutRepository(),
    );
    await tdb.db.query(
      `INSERT INTO callout.warnings (id, hazard, subtype, level, status, drill, headline, state, policy, content)
       VALUES ($1, 'flood', 'flash-flood-risk', 'red', 'Exercise', true, '新荣镇山洪红色预警', 'active', $2, $3)`,
      [
        W,
        JSON.stringify({ version: 't', levels: { red: DEFAULT_POLICY.hazards.flood.red } }),
        JSON.stringify({ sender: '新荣区水务局', areas: [{ code: TOWNSHIP, name: '新荣镇' }] }),
      ],
    );
    const persons: [string, string, string, string, string, string][] = [
      // id, name, phone, role, area, state
      ['c1', '王建国', '+8613900000017', 'flood-control', V1, 'NOT_WOKEN'],
      ['c2', '李秀英', '+8613900000027', 'grid-worker', V1, 'NOT_WOKEN'],
      ['c3', '赵100%_六', '+8613900000037', 'flood-control', V2, 'NOT_WOKEN'],
      ['c4', '陈红梅', '+8613900000041', 'flood-control', V2, 'CONFIRMED'],
      ['c5', '周平', '+8613900000057', 'flood-control', `${OTHER_TOWNSHIP.slice(0, 9)}201`, 'NOT_WOKEN'],
    ];
    for (const [i, [id, name, phone, role, area, state]] of persons.entries())
      await tdb.db.query(
        `INSERT INTO callout.callouts (id, warning_id, person_id, person_name, phone, role, area_code, area_name, level, state, created_at, confirmed_at)
         VALUES ($1, $2, $1, $3, $4, $5, $6, $7, 'red', $8, now() - make_interval(secs => $9), CASE WHEN $8 = 'CONFIRMED' THEN now() END)`,
        [id, W, name, phone, role, area, area === V1 ? '杏花峪村' : '石沟村', state, 600 - i * 60],
      );
  }, 60_000);
  afterAll(() => tdb?.drop(), 30_000);

  it('counts not-woken per village and pages them longest waiting first, filtered', async () => {
    const groups = await reads.groups(tdb.db, { warningId: W });
    expect(groups.map((g) => [g.area_code, g.n])).toEqual([
      [V1, 2],
      [V2, 1],
      ['140212101201', 1],
    ]);
    const page = await reads.persons(tdb.db, { area: TOWNSHIP }, { limit: 10, offset: 0 });
    expect(page.map((p) => p.id)).toEqual(['c1', 'c2', 'c3']);
    expect(
      (await reads.persons(tdb.db, { area: TOWNSHIP }, { limit: 1, offset: 1 })).map((p) => p.id),
    ).toEqual(['c2']);
    expect((await reads.groups(tdb.db, { role: 'grid-worker' })).map((g) => g.n)).toEqual([1]);
    // Search: part of a number, part of a name; LIKE's own characters match only themselves.
    expect(
      (await reads.persons(tdb.db, { q: '0000002' }, { limit: 10, offset: 0 })).map((p) => p.id),
    ).toEqual(['c2']);
    expect((await reads.persons(tdb.db, { q: '100%_' }, { limit: 10, offset: 0 })).map((p) => p.id)).toEqual([
      'c3',
    ]);
    expect(await reads.persons(tdb.db, { q: '%%' }, { limit: 10, offset: 0 })).toEqual([]);
    // A bad area is no filter at all rather than an error or everything under "".
    expect((await reads.groups(tdb.db, { area: 'x' })).length).toBe(3);
  });

  it('hands a township to its head: the list sent on the policy channels, a task opened, every step an event', async () => {
    const { taskId, persons } = await tasks.handOff(W, TOWNSHIP, 'console:duty');
    expect(persons).toBe(3);
    const sends = (await outbox('callouts.requested')).filter((m) => m.purpose === 'handoff');
    expect(sends.map((m) => m.channel).sort()).toEqual([...DEFAULT_POLICY.hazards.flood.red.channels].sort());
    for (const m of sends) {
      expect(validateContract('callout-requested', m)).toEqual({ ok: true, value: m });
      expect(m).toMatchObject({ to: '+8613800000004', personId: 'H1', calloutId: `fieldtask:${taskId}` });
      expect((m.data as { note: string }).note).toBe(
        '共3人未叫醒，请立即上门叫应：1.王建国 杏花峪村 13900000017；2.李秀英 杏花峪村 13900000027；3.赵100%_六 石沟村 13900000037。',
      );
    }
    // Those already out with a team are not handed over twice.
    await expect(tasks.handOff(W, TOWNSHIP, 'console:duty')).rejects.toThrow(Conflict);
    // A village goes to its grid worker (here all of it is already with the township's head).
    await expect(tasks.handOff(W, V1, 'console:duty')).rejects.toThrow(
      /nobody left not woken in 140212100201/,
    );
    await expect(tasks.handOff(W, V2, 'console:duty')).rejects.toThrow(
      /nobody in 140212100202 to hand off to/,
    );
    await expect(tasks.handOff(W, '140212000000', 'console:duty')).rejects.toThrow(/township or a village/);
    await expect(tasks.handOff(W, OTHER_TOWNSHIP, 'console:duty')).rejects.toThrow(/nobody in 140212101000/);

    await tasks.report(taskId, 'c1', 'reached', '已叫醒', 'console:duty');
    await expect(tasks.report(taskId, 'c1', 'moved', null, 'console:duty')).rejects.toThrow(/not open/);
    await tasks.report(taskId, 'c2', 'not-found', null, 'console:duty');
    expect((await tasks.detail(taskId)).task.closed_at).toBeNull();
    expect(await tasks.report(taskId, 'c3', 'moved', '已搬至大同市区', 'console:duty2')).toEqual({
      closed: true,
    });
    await expect(tasks.report(taskId, 'c3', 'reached', null, 'console:duty')).rejects.toThrow(/closed/);

    const d = await tasks.detail(taskId);
    expect(d.task).toMatchObject({ assignee_name: '刘志强', persons: 3, reported: 3 });
    expect(d.items.map((i) => [i.callout_id, i.outcome, i.reported_by])).toEqual([
      ['c1', 'reached', 'console:duty'],
      ['c2', 'not-found', 'console:duty'],
      ['c3', 'moved', 'console:duty2'],
    ]);
    const events = await outbox('fieldtasks.events');
    for (const e of events) expect(validateContract('field-task-event', e).ok).toBe(true);
    expect(events.map((e) => [e.kind, e.calloutId ?? null, e.outcome ?? null])).toEqual([
      ['opened', null, null],
      ['outcome', 'c1', 'reached'],
      ['outcome', 'c2', 'not-found'],
      ['outcome', 'c3', 'moved'],
      ['closed', null, null],
    ]);
    // "Reached" settles the person the way every reached-in-person does: a response with the actor.
    const responses = await outbox('callouts.responses');
    expect(responses).toEqual([
      expect.objectContaining({
        calloutId: 'c1',
        actor: 'console:duty',
        feedback: { action: 'reached-in-person', note: '上门叫应（刘志强）：已叫醒' },
      }),
    ]);
    expect(validateContract('callout-response', responses[0]).ok).toBe(true);
    expect((await tasks.list({ open: true })).map((t) => t.id)).not.toContain(taskId);
  }, 30_000);

  it('names at most HANDOFF_LIST_MAX persons in the message and counts the rest', () => {
    const many = Array.from({ length: HANDOFF_LIST_MAX + 5 }, (_, i) => ({
      person_name: `人${i}`,
      area_name: '村',
      phone: `+86139000000${String(i).padStart(2, '0')}`,
    }));
    const note = handoffNote(many);
    expect(note.startsWith(`共${HANDOFF_LIST_MAX + 5}人未叫醒`)).toBe(true);
    expect(note).toContain(
      `${HANDOFF_LIST_MAX}.人${HANDOFF_LIST_MAX - 1} 村 139000000${HANDOFF_LIST_MAX - 1}`,
    );
    expect(note).not.toContain(`人${HANDOFF_LIST_MAX} `);
    expect(note).toContain('另有5人见打印名单');
  });
});
