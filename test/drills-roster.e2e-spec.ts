import type { CalloutEvent } from '../contracts/generated';
import { DEFAULT_POLICY, parsePolicy } from '../libs/callout/policy';
import { signRoleToken } from '../libs/common/auth';
import type { AfterActionReport } from '../libs/reports/after-action-report';
import type { NumbersToCheck } from '../libs/roster/roster.service';
import { waitFor } from './support/infra';
import { TestSystem } from './support/system';

/**
 * A scheduled drill across the real services (intake with the drill scheduler, dispatcher, notifier,
 * tracker with the roster, audit with the reports; the Twilio simulator behind the official SDK): the
 * schedule fires, the Exercise warning goes the normal way, a voicemail takes one person's calls
 * (answering-machine detection: never heard, redialled), one number is unallocated, one person never
 * answers and is then reached in person. The drill's after-action report and the directory admin's
 * numbers-to-check list end with exactly those persons.
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
const village = (n: number) => `1402121002${String(n).padStart(2, '0')}`;
const WAIT_MS = 180_000;
const person = (id: string, name: string, mobile: string, n: number) => ({
  id,
  name,
  mobile,
  roles: [{ role: 'flood-control', areaCode: village(n) }],
});
const directory = {
  divisions: [1, 2, 3, 4].map((n) => ({ code: village(n), name: `演练${n}村`, parentCode: TOWNSHIP })),
  persons: [
    person('OK', '王建国', '+8613800007111', 1), // answers and presses 1
    person('VM', '李秀英', '+8613800007233', 2), // a voicemail takes every call
    person('UN', '张海军', '+8613800007344', 3), // 空号
    person('NR', '刘志强', '+8613800007400', 4), // rings out every time
  ],
};
const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.flood.orange = {
  ...policy.hazards.flood.orange,
  targets: [{ role: 'flood-control', levels: ['village'] }],
  channels: ['voice', 'sms'],
  // Long enough for the redials to go round through Kafka on a busy machine.
  ackDeadlineSec: 90,
  redials: 2,
  redialIntervalSec: 1,
  escalationSteps: 0,
  repeatLimit: 1,
};

describe('a scheduled drill, its after-action report and the numbers to check', () => {
  const system = new TestSystem({
    label: 'drillroster',
    directory: directory as never,
    policy: parsePolicy(policy),
    audit: true,
    behaviours: {
      default: 'deliver',
      rules: [
        { suffix: '11', behaviour: 'answer-and-press-1' },
        { suffix: '33', behaviour: 'answering-machine' },
        { suffix: '44', behaviour: 'unallocated' },
        { suffix: '00', behaviour: 'never-answer' },
      ],
    },
  });
  beforeAll(async () => {
    await system.start();
    await system.startApp('intake');
  }, 300_000);
  afterAll(() => system.stop(), 60_000);

  const withOutput = async <T>(p: Promise<T>) => {
    try {
      return await p;
    } catch (e) {
      const exits = [...system.services.values()]
        .filter((x) => x.proc.exitCode !== null || x.proc.signalCode !== null)
        .map((x) => `${x.name} exited (${x.proc.exitCode ?? x.proc.signalCode})`);
      throw new Error(`${(e as Error).message}\n${exits.join('\n')}\n${system.output()}`);
    }
  };
  const api = async <T>(service: string, role: string, path: string, init: RequestInit = {}) => {
    const token = signRoleToken({ actor: `e2e-${role}`, role }, system.signingSecret);
    const r = await fetch(`${system.service(service).url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${text}`);
    return (r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  };

  it('fires from the schedule and ends with exactly the voicemail, the unallocated number and the non-responder', async () => {
    // A daily schedule whose next fire is a few seconds away (UTC, seconds field).
    const at = new Date(Date.now() + 8_000);
    const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    const schedule = await api<{ id: string }>('intake', 'duty-officer', '/api/drills/schedules', {
      method: 'POST',
      body: JSON.stringify({
        name: '新荣镇山洪演练',
        cron,
        timeZone: 'UTC',
        hazard: 'flood',
        subtype: 'flash-flood-risk',
        level: 'orange',
        areaCodes: [TOWNSHIP],
        durationMinutes: 60,
      }),
    });
    // An invalid schedule is refused with its reason.
    await expect(
      api('intake', 'duty-officer', '/api/drills/schedules', {
        method: 'POST',
        body: JSON.stringify({
          name: 'x',
          cron: 'soon',
          hazard: 'flood',
          subtype: 'x',
          level: 'red',
          areaCodes: [],
        }),
      }),
    ).rejects.toThrow(/400.*cron/);

    const run = await withOutput(
      waitFor(
        async () => {
          const runs = await api<{ warningId: string; outcome: string | null }[]>(
            'intake',
            'duty-officer',
            `/api/drills/runs?scheduleId=${schedule.id}`,
          );
          return runs.find((r) => r.outcome !== null);
        },
        'the schedule to fire',
        30_000,
      ),
    );
    expect(run.outcome).toBe('issued');
    const drillId = run.warningId;
    // Not fired again: today's only fire is claimed once.
    await api('intake', 'duty-officer', `/api/drills/schedules/${schedule.id}`, { method: 'DELETE' });

    await withOutput(
      system.waitForStates(
        drillId,
        { OK: 'CONFIRMED', VM: 'NOT_WOKEN', UN: 'NOT_WOKEN', NR: 'NOT_WOKEN' },
        WAIT_MS,
      ),
    );
    // What the persons got is marked 演练; the voicemail's calls were placed with machine detection,
    // answered by a machine and never counted as heard (redialled: three calls).
    const records = await system.simRecords();
    const to = (n: string) => records.filter((r) => r.to === n);
    for (const r of records.filter((x) => x.kind === 'sms')) expect(r.body).toContain('演练');
    const vmCalls = to('+8613800007233').filter((r) => r.kind === 'call');
    expect(vmCalls).toHaveLength(3);
    for (const c of vmCalls)
      expect(c).toMatchObject({ machineDetection: 'Enable', answeredBy: 'machine_start' });
    const events = await system.readTopic<CalloutEvent>(
      'callouts.events',
      (all) => all.some((e) => e.warningId === drillId && e.personId === 'VM' && e.to === 'NOT_WOKEN'),
      "VM's call-out events",
    );
    const vmStates = events.filter((e) => e.warningId === drillId && e.personId === 'VM').map((e) => e.to);
    expect(vmStates).toContain('REDIAL_PENDING');
    expect(vmStates).not.toContain('HEARD');

    // The duty officer reports NR reached at the door.
    const nr = (await system.callouts(drillId)).find((c) => c.person_id === 'NR' && c.rung === 0)!;
    await api('tracker-1', 'duty-officer', `/api/callouts/${encodeURIComponent(nr.id)}/reached`, {
      method: 'POST',
      body: JSON.stringify({ note: '已上门' }),
    });

    const report = await withOutput(
      waitFor(
        async () => {
          const r = await api<AfterActionReport>(
            'audit',
            'auditor',
            `/api/reports/drills/${drillId}?format=json`,
          );
          return r.reachedInPerson.length === 1 && r.summary.called === 4 ? r : undefined;
        },
        'the after-action report with NR reached in person',
        WAIT_MS,
      ),
    );
    expect(report.summary).toMatchObject({ called: 4, confirmed: 1, notWoken: 3, reachedInPerson: 1 });
    expect(report.reachedInPerson.map((c) => c.personId)).toEqual(['NR']);
    expect(report.notConfirmed.map((c) => c.personId).sort()).toEqual(['NR', 'UN', 'VM']);
    const html = await api<string>('audit', 'auditor', `/api/reports/drills/${drillId}?format=html`);
    expect(html).toContain('演练评估报告');
    expect(html).toContain("<tr data-person='NR'>");
    const csv = await api<string>('audit', 'auditor', `/api/reports/drills/${drillId}?format=csv`);
    expect(csv.trim().split('\n')).toHaveLength(2 + 4);
    // Drills are never reported with real warnings: the month's 叫应 report leaves it out.
    const month = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
    })
      .format(new Date())
      .slice(0, 7);
    const monthly = await api<{ warnings: number; drillsLeftOut: number }>(
      'audit',
      'auditor',
      `/api/reports/monthly?month=${month}&format=json`,
    );
    expect(monthly).toMatchObject({ warnings: 0, drillsLeftOut: 1 });

    const list = await withOutput(
      waitFor(
        async () => {
          const l = await api<NumbersToCheck>(
            'tracker-1',
            'directory-admin',
            `/api/roster/numbers-to-check?area=${TOWNSHIP}`,
          );
          return l.townships[0]?.persons.length === 3 ? l : undefined;
        },
        'three numbers to check',
        WAIT_MS,
      ),
    );
    expect(list.townships.map((t) => t.townshipCode)).toEqual([TOWNSHIP]);
    const byPerson = Object.fromEntries(list.townships[0].persons.map((p) => [p.personId, p]));
    expect(Object.keys(byPerson).sort()).toEqual(['NR', 'UN', 'VM']);
    expect(byPerson.VM).toMatchObject({
      health: 'voicemail',
      healthZh: '语音信箱接听',
      phone: '+8613800007233',
    });
    expect(byPerson.UN).toMatchObject({ health: 'unallocated', healthZh: '空号' });
    expect(byPerson.NR).toMatchObject({ health: 'repeated-no-answer' });
    for (const p of Object.values(byPerson)) {
      expect(p.evidence.length).toBeGreaterThan(0);
      expect(p.evidence.every((e) => e.drill && e.warningId === drillId)).toBe(true);
      expect(Date.parse(p.since)).toBeGreaterThan(0);
    }
    const page = await api<string>(
      'tracker-1',
      'directory-admin',
      `/api/roster/numbers-to-check?area=${TOWNSHIP}&format=html`,
    );
    expect(page).toContain('待核实号码清单');
    expect(page).toContain('空号');
  }, 600_000);
});
