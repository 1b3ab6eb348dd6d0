import type { CalloutEvent } from '../contracts/generated';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_POLICY, DEFAULT_VERIFICATION_POLICY, parsePolicy } from '../libs/callout/policy';
import type { Split, WarningListItem } from '../libs/audit/audit.service';
import { beijingDate } from '../libs/drills/verification-window';
import type { CampaignAnswers } from '../libs/roster/roster.service';
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
    // A grid worker: no drill of this policy calls them, the verification campaign (every role) does.
    {
      id: 'GW',
      name: '赵红梅',
      mobile: '+8613800007555',
      roles: [{ role: 'grid-worker', areaCode: village(1) }],
    },
  ],
};
const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.flood.orange = {
  ...policy.hazards.flood.orange,
  targets: [{ role: 'flood-control', levels: ['village'] }],
  channels: ['voice', 'sms'],
  // The policy's own deadlines (ack 600 s, 2 redials 120 s apart), passed on the system's clock.
  escalationSteps: 0,
  repeatLimit: 1,
};
// The campaign's own policy: a day to confirm, a missed call redialled every hour.
policy.verification = DEFAULT_VERIFICATION_POLICY;

/** The re-filing date ten days ahead (Beijing), so the campaign's window is open today. */
const inDays = (days: number) => beijingDate(new Date(Date.now() + days * 86_400_000)).slice(5);
const REFILING = inDays(10) === '02-29' ? inDays(11) : inDays(10);
/** The year whose re-filing the campaign prepares (the next one when the date wrapped past 31 December). */
const campaignYear = () => {
  const today = beijingDate(new Date());
  return Number(today.slice(0, 4)) + (REFILING < today.slice(5) ? 1 : 0);
};
const VERIFY_ENV = { VERIFY_REFILING_DATE: REFILING, VERIFY_LEAD_DAYS: '30' };

describe('a scheduled drill, its after-action report and the numbers to check', () => {
  const system = new TestSystem({
    label: 'drillroster',
    directory: directory as never,
    policy: parsePolicy(policy),
    audit: true,
    // Every service reads the campaign window: intake issues within it, the dispatcher refuses outside it.
    env: VERIFY_ENV,
    // One clock for every service, moved from deadline to deadline once the sends are answered.
    clock: true,
    behaviours: {
      default: 'deliver',
      rules: [
        { suffix: '11', behaviour: 'answer-and-press-1' },
        { suffix: '33', behaviour: 'answering-machine' },
        { suffix: '44', behaviour: 'unallocated' },
        { suffix: '00', behaviour: 'never-answer' },
        { suffix: '55', behaviour: 'reply-after', reply: '1' },
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

    // OK confirms at once; then time passes the redials and the ack deadline for the others.
    await withOutput(system.waitForStates(drillId, { OK: 'CONFIRMED' }, WAIT_MS));
    await withOutput(
      system.skipUntilStates(drillId, {
        OK: 'CONFIRMED',
        VM: 'NOT_WOKEN',
        UN: 'NOT_WOKEN',
        NR: 'NOT_WOKEN',
      }),
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
    const month = beijingDate(new Date()).slice(0, 7);
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
  /** npm run verify-roster, as the directory admin runs it, on the test's database. */
  const verifyRoster = (args: string[], env: Record<string, string> = VERIFY_ENV) =>
    spawnSync(
      process.execPath,
      [join(__dirname, '..', 'dist', 'libs', 'drills', 'verify-roster.cli.js'), ...args],
      {
        env: { ...process.env, DATABASE_URL: system.tdb.url, LOG_LEVEL: 'warn', ...env },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );

  it('runs the verification campaign: everyone asked through the normal pipeline, the non-responders listed per township', async () => {
    // Outside the window the command refuses, naming the window and the settings.
    const early = verifyRoster(['--area', TOWNSHIP], {
      VERIFY_REFILING_DATE: inDays(40) === '02-29' ? inDays(41) : inDays(40),
      VERIFY_LEAD_DAYS: '30',
    });
    expect(early.status).toBe(2);
    expect(early.stderr).toMatch(
      /verification campaign opens on \d{4}-\d{2}-\d{2}, 30 days before the re-filing date/,
    );
    expect(verifyRoster(['--area', '1402']).stderr).toContain(
      'areaCodes.0: must be a 12-digit division code',
    );

    const started = verifyRoster(['--area', TOWNSHIP, '--json']);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    const campaign = JSON.parse(started.stdout) as { warningId: string; repeat: boolean };
    expect(campaign).toMatchObject({
      warningId: `verify-${campaignYear()}-${TOWNSHIP}`,
      repeat: false,
    });
    const id = campaign.warningId;
    // Started again from the console (the directory admin's API): the same campaign, a repeat.
    const again = await api<{ warningId: string; repeat: boolean }>(
      'intake',
      'directory-admin',
      '/api/drills/verification',
      {
        method: 'POST',
        body: JSON.stringify({ areaCodes: [TOWNSHIP] }),
      },
    );
    expect(again).toMatchObject({ warningId: id, repeat: true });
    await expect(
      api('intake', 'duty-officer', '/api/drills/verification', { method: 'POST', body: '{}' }),
    ).rejects.toThrow(/403/);
    const overview = await api<{ window: { open: boolean }; campaigns: { warningId: string }[] }>(
      'intake',
      'directory-admin',
      '/api/drills/verification',
    );
    expect(overview.window.open).toBe(true);
    expect(overview.campaigns.map((c) => c.warningId)).toEqual([id]);

    // Every person, whatever the role (GW is no flood-control holder), through the normal pipeline.
    await withOutput(system.waitForStates(id, { OK: 'CONFIRMED', GW: 'CONFIRMED' }, WAIT_MS));
    await withOutput(
      system.skipUntilStates(id, {
        OK: 'CONFIRMED',
        GW: 'CONFIRMED',
        VM: 'NOT_WOKEN',
        UN: 'NOT_WOKEN',
        NR: 'NOT_WOKEN',
      }),
    );
    expect((await system.callouts(id)).map((c) => c.person_id).sort()).toEqual([
      'GW',
      'NR',
      'OK',
      'UN',
      'VM',
    ]);
    const records = await system.simRecords();
    for (const number of [
      '+8613800007111',
      '+8613800007555',
      '+8613800007233',
      '+8613800007344',
      '+8613800007400',
    ])
      expect(
        records.some(
          (r) => r.to === number && r.kind === 'sms' && r.body?.startsWith('【演练】【号码核查】'),
        ),
      ).toBe(true);
    expect(records.find((r) => r.to === '+8613800007555' && r.body?.includes('号码核查'))?.body).toContain(
      '名单登记您为演练1村网格员',
    );

    const answers = await withOutput(
      waitFor(
        async () => {
          const a = await api<CampaignAnswers>(
            'tracker-1',
            'directory-admin',
            `/api/roster/verification/${id}`,
          );
          // The roster reads callouts.events on its own: wait until it has the states the tracker has.
          const states = a.townships.flatMap((t) => t.persons.map((p) => p.state));
          return a.called === 5 && a.confirmed === 2 && states.every((x) => x === 'NOT_WOKEN')
            ? a
            : undefined;
        },
        'the campaign answers: 5 called, 2 confirmed, the rest not woken',
        WAIT_MS,
      ),
    );
    expect(answers.townships.map((t) => t.townshipCode)).toEqual([TOWNSHIP]);
    expect(answers.townships[0].persons.map((p) => p.personId)).toEqual(['VM', 'UN', 'NR']);
    expect(answers.townships[0].persons[0]).toMatchObject({
      name: '李秀英',
      phone: '+8613800007233',
      roleName: '防汛责任人',
      state: 'NOT_WOKEN',
    });
    const csv = await api<string>(
      'tracker-1',
      'directory-admin',
      `/api/roster/verification/${id}?format=csv`,
    );
    expect(csv.trim().split('\n')).toHaveLength(1 + 3);
    const page = await api<string>(
      'tracker-1',
      'directory-admin',
      `/api/roster/verification/${id}?format=html`,
    );
    expect(page).toContain('号码核查未确认名单');
    expect(page).toContain("<tr data-person='UN'>");
    await expect(api('tracker-1', 'duty-officer', `/api/roster/verification/${id}`)).rejects.toThrow(/403/);

    // Never mixed with the real figures: the month's report leaves it out, the auditor sees it as a drill.
    const month = beijingDate(new Date()).slice(0, 7);
    const monthly = await withOutput(
      waitFor(
        async () => {
          const m = await api<{ warnings: number; drillsLeftOut: number }>(
            'audit',
            'auditor',
            `/api/reports/monthly?month=${month}&format=json`,
          );
          return m.drillsLeftOut === 2 ? m : undefined;
        },
        'the monthly report to leave out both drills',
        WAIT_MS,
      ),
    );
    expect(monthly).toMatchObject({ warnings: 0, drillsLeftOut: 2 });
    const audited = await api<Split<WarningListItem[]>>('audit', 'auditor', '/api/audit/warnings');
    expect(audited.real).toEqual([]);
    expect(audited.drill.map((w) => w.warningId)).toContain(id);
    // Its after-action report is its own: never compared with the flood drill of the same area.
    const report = await api<AfterActionReport>('audit', 'auditor', `/api/reports/drills/${id}?format=json`);
    expect(report.notConfirmed.map((c) => c.personId).sort()).toEqual(['NR', 'UN', 'VM']);
    expect(report.previous).toBeUndefined();
  }, 600_000);
});
