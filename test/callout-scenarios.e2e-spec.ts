import { DEFAULT_POLICY, parsePolicy } from '../libs/callout/policy';
import { waitFor } from './support/infra';
import { TestSystem, testWarning } from './support/system';

/**
 * The call-out engine's scenarios on the real Kafka, PostgreSQL and Twilio simulator, every service a
 * process of its own and two tracker replicas throughout. The services share a clock the test moves
 * (TestSystem clock): once every send has its answer, time skips to the next deadline, so the policy's
 * real intervals (minutes) pass in a moment and what happens, in what order and how often, does not
 * depend on this machine's speed.
 */
const COUNTY = '140212000000'; // 新荣区
const T = {
  a: '140212100000',
  b: '140212101000',
  c: '140212102000',
  d: '140212200000',
  e: '140212202000',
  f: '140212206000',
  g: '140212209000',
};
const village = (township: string) => township.slice(0, 9) + '201';

// Number endings the simulator plays: 11 answers and presses 1; 00 never answers; 22 is busy.
const num = (n: number, ending: '11' | '00' | '22' | '33') =>
  `+861380000${String(n).padStart(2, '0')}${ending}`;
type P = {
  id: string;
  name: string;
  mobile: string;
  roles: { role: string; areaCode: string }[];
  backupPersonId?: string;
};
const persons: P[] = [
  { id: 'C-FC', name: '陈红梅', mobile: num(1, '00'), roles: [{ role: 'flood-control', areaCode: COUNTY }] },
  {
    id: 'C-HEAD',
    name: '孙德胜',
    mobile: num(2, '00'),
    roles: [{ role: 'party-gov-head', areaCode: COUNTY }],
  },
];
const divisions: { code: string; name: string; parentCode: string }[] = [];
for (const [k, code] of Object.entries(T)) {
  divisions.push({ code: village(code), name: `${k}村`, parentCode: code });
  persons.push({
    id: `T-${k}`,
    name: `乡${k}`,
    mobile: num(10 + Object.keys(T).indexOf(k), '00'),
    roles: [{ role: 'flood-control', areaCode: code }],
  });
}
const v = (id: string, name: string, township: string, mobile: string, extra: Partial<P> = {}): P => ({
  id,
  name,
  mobile,
  roles: [{ role: 'flood-control', areaCode: village(township) }],
  ...extra,
});
persons.push(
  v('A1', '王建国', T.a, num(30, '11')),
  v('A2', '李秀英', T.a, num(31, '11')),
  v('B1', '张海军', T.b, num(32, '00'), { backupPersonId: 'B-BK' }),
  {
    id: 'B-BK',
    name: '赵玉兰',
    mobile: num(33, '00'),
    roles: [{ role: 'shelter-manager', areaCode: village(T.b) }],
  },
  v('C1', '刘志强', T.c, num(34, '33')),
  v('D1', '周小明', T.d, num(35, '22')),
  v('E1', '吴桂芳', T.e, num(36, '00')),
  v('F1', '徐卫东', T.f, num(37, '00')),
  v('G1', '马春生', T.g, num(38, '00')),
);

const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.meteorological.red = {
  ...policy.hazards.meteorological.red,
  targets: [{ role: 'flood-control', levels: ['village'] }],
  channels: ['voice', 'sms'],
  ackDeadlineSec: 300,
  redials: 2,
  redialIntervalSec: 60,
  escalationSteps: 3,
  escalationAckDeadlineSec: 120,
  escalationChannels: ['voice', 'sms'],
  repeatLimit: 1,
};

const red = (township: string, over = {}) =>
  testWarning({
    level: 'red',
    headline: `${township} 暴雨红色预警`,
    areas: [{ code: village(township) }],
    ...over,
  });

describe('call-out scenarios (real Kafka, PostgreSQL, Twilio simulator; two trackers)', () => {
  const system = new TestSystem({
    label: 'scenarios',
    directory: { divisions, persons } as never,
    policy: parsePolicy(policy),
    trackers: 2,
    clock: true,
    behaviours: {
      default: 'deliver',
      rules: [
        { suffix: '11', behaviour: 'answer-and-press-1' },
        { suffix: '00', behaviour: 'never-answer' },
        { suffix: '22', behaviour: 'busy' },
        { suffix: '33', behaviour: 'no-answer' },
      ],
    },
  });
  beforeAll(() => system.start(), 300_000); // six processes starting, on a machine that may be busy
  afterAll(() => system.stop(), 60_000);

  const calls = async (to: string) =>
    (await system.simRecords()).filter((r) => r.kind === 'call' && r.to === to);
  const smsTo = async (to: string) =>
    (await system.simRecords()).filter((r) => r.kind === 'sms' && r.to === to);
  /** The deadline scanner's instance id starts with its process id (DeadlineScanner.instance). */
  const trackerOf = (firedBy: string | null) => {
    const pid = /^tracker-(\d+)-[0-9a-f]{8}$/.exec(firedBy ?? '')?.[1];
    return [...system.services.values()].find(
      (s) => s.name.startsWith('tracker-') && String(s.proc.pid) === pid,
    )?.name;
  };
  /** Waits until the notifier has sent every requested message of the warning (nothing queued or sending). */
  const notifierSettled = (warningId: string) =>
    waitFor(async () => {
      const [r] = await system.query<{ requested: string; sent: string }>(
        `SELECT (SELECT count(*) FROM callout.requests q JOIN callout.callouts c ON c.id = q.callout_id WHERE c.warning_id = $1) AS requested,
                  (SELECT count(*) FROM notify.attempts WHERE warning_id = $1 AND state IN ('sent', 'failed')) AS sent`,
        [warningId],
      );
      return r.requested === r.sent;
    }, 'the notifier to have sent every request of the warning');
  const withOutput = async <T>(p: Promise<T>) => {
    try {
      return await p;
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${system.output()}`);
    }
  };

  it('everyone confirms by pressing 1 on the voice call', async () => {
    const w = red(T.a);
    await system.publishWarning(w);
    await withOutput(system.waitForStates(w.id, { A1: 'CONFIRMED', A2: 'CONFIRMED' }));
    const r = await system.query<{ via: string }>(
      `SELECT via FROM callout.responses r JOIN callout.callouts c ON c.id = r.callout_id WHERE c.warning_id = $1`,
      [w.id],
    );
    expect(r.map((x) => x.via)).toEqual(['voice', 'voice']);
    await waitFor(
      async () =>
        (await system.query<{ state: string }>(`SELECT state FROM callout.warnings WHERE id = $1`, [w.id]))[0]
          ?.state === 'closed',
      'the warning to close',
    );
  }, 60_000);

  it('nobody answers: redials, then backup → township → county, then not woken; each step exactly once with two trackers', async () => {
    const w = red(T.b);
    await system.publishWarning(w);
    await withOutput(system.skipUntilStates(w.id, { B1: 'NOT_WOKEN' }));
    const rows = await system.callouts(w.id);
    expect(rows.map((c) => [c.person_id, c.rung, c.state])).toEqual([
      ['B1', 0, 'NOT_WOKEN'],
      ['B-BK', 1, 'GIVEN_UP'],
      ['T-b', 2, 'GIVEN_UP'],
      ['C-FC', 3, 'GIVEN_UP'],
    ]);
    // The person: the first call and the policy's 2 redials (60 s apart, both before the 300 s ack
    // deadline), each placed exactly once. Each ladder step is called once as an escalation,
    // although two trackers run.
    await withOutput(notifierSettled(w.id));
    const voiceRequests = await system.query<{ purpose: string }>(
      `SELECT purpose FROM callout.requests WHERE callout_id = $1 AND channel = 'voice' ORDER BY attempt`,
      [`${w.id}/red/B1`],
    );
    expect(voiceRequests.map((r) => r.purpose)).toEqual(['callout', 'redial', 'redial']);
    expect(await calls(num(32, '00'))).toHaveLength(3);
    const escalationCalls = async (to: string) =>
      (await calls(to)).filter((c) => /voice%3Aescalation/.test(c.statusCallback ?? ''));
    for (const n of [num(33, '00'), num(11, '00'), num(1, '00')])
      expect(await escalationCalls(n)).toHaveLength(1);
    const escalationSms = await smsTo(num(33, '00'));
    expect(escalationSms[0].body).toContain('张海军');
    // Every deadline but the expiry fired, once, each by one of the two running trackers: the
    // person's ack deadline and one per ladder step, and the redials. A deadline the last step left
    // (its own redial) may still be pending when the person turns not-woken: skip past them all.
    while (await system.skipToNextDeadline(w.id));
    const deadlines = await system.query<{ kind: string; fired_by: string | null }>(
      `SELECT kind, fired_by FROM callout.deadlines WHERE warning_id = $1 AND kind <> 'expire'`,
      [w.id],
    );
    expect(deadlines.filter((d) => d.kind === 'ack')).toHaveLength(4);
    // B1's two redials: two redial deadlines, each placing one call. (A ladder step's redial
    // deadline that falls due after the step was given up places nothing.)
    const redialsOf = await system.query<{ callout_id: string; deadlines: string; placed: string }>(
      `SELECT c.id AS callout_id,
              (SELECT count(*) FROM callout.deadlines d WHERE d.callout_id = c.id AND d.kind = 'redial') AS deadlines,
              (SELECT count(*) FROM callout.requests q WHERE q.callout_id = c.id AND q.purpose = 'redial') AS placed
       FROM callout.callouts c WHERE c.warning_id = $1`,
      [w.id],
    );
    expect(redialsOf.find((r) => r.callout_id === `${w.id}/red/B1`)).toMatchObject({
      deadlines: '2',
      placed: '2',
    });
    for (const r of redialsOf) expect(Number(r.placed)).toBeLessThanOrEqual(Number(r.deadlines));
    for (const d of deadlines) expect(trackerOf(d.fired_by)).toMatch(/^tracker-[12]$/);
    // The not-woken alert went out on alerts.coverage, once, and nothing was left in the outbox.
    const alertId = `${w.id}:not-woken:${w.id}/red/B1`;
    const alerts = await withOutput(
      system.readTopic<{ alertId: string; kind: string; calloutId?: string }>(
        'alerts.coverage',
        (all) => all.some((a) => a.alertId === alertId),
        'the not-woken alert on alerts.coverage',
      ),
    );
    expect(alerts.filter((a) => a.alertId === alertId)).toEqual([
      expect.objectContaining({ kind: 'not-woken', calloutId: `${w.id}/red/B1` }),
    ]);
    expect(await system.query(`SELECT 1 FROM callout.outbox WHERE topic = 'alerts.coverage'`)).toEqual([]);
  }, 90_000);

  it('answered on the second redial', async () => {
    const w = red(T.c);
    await system.publishWarning(w);
    const n = num(34, '33');
    // The first call unanswered; 60 s on, the first redial, unanswered too.
    await withOutput(system.skipToNextDeadline(w.id));
    await withOutput(waitFor(async () => (await calls(n)).length >= 2, 'the first redial'));
    await withOutput(system.waitQuiet(w.id));
    await system.setBehaviours({
      default: 'deliver',
      rules: [
        { number: n, behaviour: 'answer-and-press-1' },
        { suffix: '11', behaviour: 'answer-and-press-1' },
        { suffix: '00', behaviour: 'never-answer' },
        { suffix: '22', behaviour: 'busy' },
        { suffix: '33', behaviour: 'no-answer' },
      ],
    });
    // 60 s on again, the second redial: answered.
    await withOutput(system.skipToNextDeadline(w.id));
    await withOutput(system.waitForStates(w.id, { C1: 'CONFIRMED' }));
    expect(await calls(n)).toHaveLength(3);
    const reqs = await system.query<{ purpose: string; channel: string }>(
      `SELECT purpose, channel FROM callout.requests WHERE callout_id = $1 ORDER BY attempt`,
      [`${w.id}/red/C1`],
    );
    expect(reqs).toEqual([
      { purpose: 'callout', channel: 'voice' },
      { purpose: 'callout', channel: 'sms' },
      { purpose: 'redial', channel: 'voice' },
      { purpose: 'redial', channel: 'voice' },
    ]);
  }, 60_000);

  it('busy, then confirmed by an SMS reply', async () => {
    const w = red(T.d);
    await system.publishWarning(w);
    await withOutput(
      waitFor(async () => (await calls(num(35, '22'))).some((c) => c.status === 'busy'), 'a busy call'),
    );
    await system.reply(num(35, '22'), '收到');
    await withOutput(system.waitForStates(w.id, { D1: 'CONFIRMED' }));
    const r = await system.query<{ via: string; text: string }>(
      `SELECT via, text FROM callout.responses WHERE callout_id = $1`,
      [`${w.id}/red/D1`],
    );
    expect(r).toEqual([{ via: 'sms', text: '收到' }]);
  }, 60_000);

  it('a confirmation after escalation is late and stops the ladder, whose people are told', async () => {
    const w = red(T.e);
    await system.publishWarning(w);
    await withOutput(system.skipUntilStates(w.id, { E1: 'ESCALATED' }));
    await system.reply(num(36, '00'), '确认');
    await withOutput(system.waitForStates(w.id, { E1: 'CONFIRMED' }));
    const rows = await system.callouts(w.id);
    expect(rows.find((c) => c.person_id === 'E1')!.late).toBe(true);
    const ladder = rows.filter((c) => c.rung > 0);
    expect(ladder.map((c) => [c.person_id, c.state])).toEqual([['T-e', 'SETTLED']]);
    await withOutput(
      waitFor(async () => (await smsTo(num(14, '00'))).length >= 2, 'the settled notice to the township'),
    );
    // No further step is called after the confirmation: the township step was the only one.
    expect(rows.filter((c) => c.subject_callout_id === `${w.id}/red/E1`)).toHaveLength(1);
  }, 60_000);

  it('a cancel in the middle of escalation stops everything and tells those already called', async () => {
    const w = red(T.f);
    await system.publishWarning(w);
    await withOutput(system.skipUntilStates(w.id, { F1: 'ESCALATED' }));
    await system.publishWarning(
      testWarning({
        id: `${w.id}-cancel`,
        msgType: 'Cancel',
        references: [w.id],
        level: 'red',
        areas: w.areas,
      }),
    );
    await withOutput(
      waitFor(
        async () => (await system.callouts(w.id)).every((c) => c.state === 'CANCELLED'),
        'every call-out cancelled',
      ),
    );
    // One lift each, for the person and for the ladder step already called, counted once the
    // notifier has sent everything it was asked to.
    await withOutput(notifierSettled(w.id));
    const lifts = async (n: string) => (await smsTo(n)).filter((s) => /解除/.test(s.body ?? ''));
    expect(await lifts(num(37, '00'))).toHaveLength(1); // F1
    expect(await lifts(num(15, '00'))).toHaveLength(1); // T-f, the ladder's township step
    const pending = await system.query(
      `SELECT 1 FROM callout.deadlines WHERE warning_id = $1 AND fired_at IS NULL`,
      [w.id],
    );
    expect(pending).toEqual([]);
  }, 60_000);

  it('trackers killed mid-escalation: the deadline fires after a restart, exactly once', async () => {
    const w = red(T.g);
    await system.publishWarning(w);
    await withOutput(system.waitForSent(w.id, ['G1']));
    await withOutput(system.waitQuiet(w.id));
    await system.service('tracker-1').stop('SIGKILL');
    await system.service('tracker-2').stop('SIGKILL');
    // The ack deadline (300 s) passes while no tracker runs.
    const due = await system.query<{ due_at: Date }>(
      `SELECT due_at FROM callout.deadlines WHERE callout_id = $1 AND kind = 'ack'`,
      [`${w.id}/red/G1`],
    );
    await system.advanceClock((new Date(due[0].due_at).getTime() - system.clockNow().getTime()) / 1000 + 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await system.callouts(w.id)).map((c) => c.state)).not.toContain('ESCALATED');
    const restarted = await Promise.all([system.startTracker('tracker-1'), system.startTracker('tracker-2')]);
    // The restarted trackers fire the overdue deadline; the ladder then runs its course.
    await withOutput(system.waitForStates(w.id, { G1: 'ESCALATED' }));
    await withOutput(system.skipUntilStates(w.id, { G1: 'NOT_WOKEN' }));
    const ladder = (await system.callouts(w.id)).filter((c) => c.rung > 0);
    expect(ladder.map((c) => [c.rung, c.person_id])).toEqual([
      [1, 'T-g'],
      [2, 'C-FC'],
      [3, 'C-HEAD'],
    ]);
    const ack = await system.query<{ fired_by: string }>(
      `SELECT fired_by FROM callout.deadlines WHERE callout_id = $1 AND kind = 'ack'`,
      [`${w.id}/red/G1`],
    );
    expect(ack).toHaveLength(1);
    // Fired by one of the restarted trackers (their process ids are in the scanner's instance id).
    expect(restarted.map((t) => String(t.proc.pid))).toContain(/^tracker-(\d+)-/.exec(ack[0].fired_by)?.[1]);
    // Fired once: the person escalated once (one ESCALATED event on callouts.events), and each
    // ladder step was asked for once per channel as an escalation.
    const events = await withOutput(
      system.readTopic<{ calloutId: string; to: string }>(
        'callouts.events',
        (all) => all.some((e) => e.calloutId === `${w.id}/red/G1` && e.to === 'NOT_WOKEN'),
        "G1's events up to NOT_WOKEN",
      ),
    );
    expect(events.filter((e) => e.calloutId === `${w.id}/red/G1` && e.to === 'ESCALATED')).toHaveLength(1);
    for (const step of ladder) {
      const asked = await system.query<{ channel: string }>(
        `SELECT channel FROM callout.requests WHERE callout_id = $1 AND purpose = 'escalation' ORDER BY channel`,
        [step.id],
      );
      expect(asked.map((r) => r.channel)).toEqual(['sms', 'voice']);
    }
  }, 90_000);

  it('a person in two concurrent warnings gets both, told apart, and confirms them one by one', async () => {
    const w1 = red(T.a, { headline: '新荣镇暴雨红色预警' });
    const w2 = red(T.a, { subtype: 'gale', headline: '新荣镇大风红色预警' });
    await system.setBehaviours({ default: 'deliver' }); // nobody answers the calls this time
    await system.publishWarning(w1);
    await system.publishWarning(w2);
    await withOutput(
      waitFor(
        async () => (await smsTo(num(30, '11'))).filter((s) => /红色预警/.test(s.body ?? '')).length >= 3,
        'both SMS',
      ),
    );
    const seqs = await system.query<{ id: string; seq: number }>(
      `SELECT id, seq FROM callout.warnings WHERE id = ANY($1::text[])`,
      [[w1.id, w2.id]],
    );
    const seqOf = Object.fromEntries(seqs.map((s) => [s.id, s.seq]));
    const bodies = (await smsTo(num(30, '11'))).map((s) => s.body ?? '');
    expect(bodies.some((b) => b.includes('暴雨') && b.includes(String(seqOf[w1.id])))).toBe(true);
    expect(bodies.some((b) => b.includes('大风') && b.includes(String(seqOf[w2.id])))).toBe(true);
    // "1 <seq>" confirms that warning only.
    await system.reply(num(30, '11'), `1 ${seqOf[w2.id]}`);
    await withOutput(system.waitForStates(w2.id, { A1: 'CONFIRMED' }));
    expect((await system.callouts(w1.id)).find((c) => c.person_id === 'A1')!.state).not.toBe('CONFIRMED');
  }, 60_000);
});
