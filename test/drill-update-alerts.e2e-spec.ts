import { DEFAULT_POLICY, parsePolicy } from '../libs/callout/policy';
import { signRoleToken } from '../libs/common/auth';
import { waitFor } from './support/infra';
import { TestSystem, testWarning } from './support/system';

/**
 * Across the real services (simulator, notifier, dispatcher, tracker, audit, console; each a process
 * of its own): a drill is marked 演练 in what the persons actually receive and kept out of the real
 * figures in the auditor's views; an Update that raises the level calls everyone again; a coverage
 * alert raised by the dispatcher reaches the duty officer's board.
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
const V_DRILL = '140212100201';
const V_REAL = '140212100202';
const V_UPDATE = '140212100203';
const V_EMPTY = '140212100204'; // no person at all: a coverage gap
/** How long to wait for what goes through several processes (generous: the machine may be busy). */
const WAIT_MS = 90_000;
const person = (id: string, name: string, mobile: string, village: string) => ({
  id,
  name,
  mobile,
  roles: [{ role: 'flood-control', areaCode: village }],
});
const directory = {
  divisions: [
    { code: V_DRILL, name: '杏花峪村', parentCode: TOWNSHIP },
    { code: V_REAL, name: '石沟村', parentCode: TOWNSHIP },
    { code: V_UPDATE, name: '堡子湾村', parentCode: TOWNSHIP },
    { code: V_EMPTY, name: '空山村', parentCode: TOWNSHIP },
  ],
  persons: [
    // Numbers ending 11 answer the call and press 1; 22 reply 收到 to the SMS; 00 never answer.
    person('D1', '王建国', '+8613800006111', V_DRILL),
    person('D2', '李秀英', '+8613800006222', V_DRILL),
    person('R1', '张海军', '+8613800006311', V_REAL),
    person('U1', '赵玉兰', '+8613800006411', V_UPDATE),
    person('U2', '刘志强', '+8613800006500', V_UPDATE),
  ],
};
const policy = structuredClone(DEFAULT_POLICY);
for (const level of ['orange', 'red'] as const)
  policy.hazards.meteorological[level] = {
    ...policy.hazards.meteorological[level],
    targets: [{ role: 'flood-control', levels: ['village'] }],
    channels: ['voice', 'sms'],
    ackDeadlineSec: 3600,
    redials: 0,
    escalationSteps: 0,
    repeatLimit: 1,
  };

describe('drills, level-raising updates and coverage alerts through the real services', () => {
  const system = new TestSystem({
    label: 'drillupdate',
    directory: directory as never,
    policy: parsePolicy(policy),
    audit: true,
    console: true,
    behaviours: {
      default: 'deliver',
      rules: [
        { suffix: '11', behaviour: 'answer-and-press-1' },
        { suffix: '22', behaviour: 'reply-after', reply: '收到', afterMs: 50 },
        { suffix: '00', behaviour: 'never-answer' },
      ],
    },
  });
  beforeAll(() => system.start(), 300_000);
  afterAll(() => system.stop(), 60_000);

  const withOutput = async <T>(p: Promise<T>) => {
    try {
      return await p;
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${system.output()}`);
    }
  };
  const auditor = async <T>(path: string): Promise<T> => {
    const token = signRoleToken({ actor: 'e2e-auditor', role: 'auditor' }, system.signingSecret);
    const r = await fetch(`${system.service('audit').url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return (await r.json()) as T;
  };
  const to = async (n: string) => (await system.simRecords()).filter((r) => r.to === n);

  it('a drill says 演练 in the SMS and the call the persons get, and stays out of the real figures', async () => {
    const drill = testWarning({ status: 'Exercise', level: 'red', areas: [{ code: V_DRILL }] });
    const real = testWarning({ level: 'red', areas: [{ code: V_REAL }] });
    await system.publishWarning(drill);
    await system.publishWarning(real);
    await withOutput(system.waitForStates(drill.id, { D1: 'CONFIRMED', D2: 'CONFIRMED' }, WAIT_MS));
    await withOutput(system.waitForStates(real.id, { R1: 'CONFIRMED' }, WAIT_MS));

    // What the drill's persons got: every SMS and every call's script (the TwiML the simulator
    // played) carries the drill mark; the real warning's do not.
    for (const n of ['+8613800006111', '+8613800006222']) {
      const got = await to(n);
      const sms = got.filter((r) => r.kind === 'sms');
      const calls = got.filter((r) => r.kind === 'call');
      expect(sms.length).toBeGreaterThan(0);
      expect(calls.length).toBeGreaterThan(0);
      for (const r of sms) expect(r.body).toContain('演练');
      for (const r of calls) expect(r.twiml).toContain('演练');
    }
    const realGot = await to('+8613800006311');
    expect(realGot.filter((r) => r.kind === 'call').every((r) => (r.twiml ?? '').length > 0)).toBe(true);
    for (const r of realGot) expect(`${r.body ?? ''}${r.twiml ?? ''}`).not.toContain('演练');

    // The auditor's views: the drill is listed and counted with the drills only.
    type Figures = { callouts: number; confirmed: number };
    const list = await withOutput(
      waitFor(
        async () => {
          const l = await auditor<{ real: { warningId: string }[]; drill: { warningId: string }[] }>(
            '/api/audit/warnings',
          );
          return l.drill.some((w) => w.warningId === drill.id) && l.real.some((w) => w.warningId === real.id)
            ? l
            : undefined;
        },
        'both warnings in the ledger',
        WAIT_MS,
      ),
    );
    expect(list.real.map((w) => w.warningId)).not.toContain(drill.id);
    expect(list.drill.map((w) => w.warningId)).not.toContain(real.id);
    const persons = await withOutput(
      waitFor(
        async () => {
          const p = await auditor<{ real: { key: string }[]; drill: { key: string }[] }>(
            '/api/audit/persons',
          );
          return p.drill.length === 2 && p.real.some((x) => x.key === 'R1') ? p : undefined;
        },
        'the confirmations in the ledger',
        WAIT_MS,
      ),
    );
    expect(persons.real.map((p) => p.key)).toEqual(['R1']);
    expect(persons.drill.map((p) => p.key).sort()).toEqual(['D1', 'D2']);
    const areas = await auditor<{ real: { summary: Figures }; drill: { summary: Figures } }>(
      '/api/audit/areas',
    );
    expect(areas.real.summary).toMatchObject({ callouts: 1, confirmed: 1 });
    expect(areas.drill.summary).toMatchObject({ callouts: 2, confirmed: 2 });
  }, 300_000);

  it('an Update that raises the level calls everyone again, the confirmed and the silent', async () => {
    const w = testWarning({ level: 'orange', areas: [{ code: V_UPDATE }] });
    await system.publishWarning(w);
    await withOutput(system.waitForStates(w.id, { U1: 'CONFIRMED' }, WAIT_MS));
    await withOutput(
      waitFor(
        async () => (await to('+8613800006500')).some((r) => r.kind === 'call'),
        'the call to U2',
        WAIT_MS,
      ),
    );
    const firstCalls = {
      U1: (await to('+8613800006411')).filter((r) => r.kind === 'call').length,
      U2: (await to('+8613800006500')).filter((r) => r.kind === 'call').length,
    };
    await system.publishWarning(
      testWarning({
        id: `${w.id}-u1`,
        msgType: 'Update',
        references: [w.id],
        level: 'red',
        headline: '新荣镇暴雨红色预警（升级）',
        areas: [{ code: V_UPDATE }],
      }),
    );
    // Everyone has a call-out at the new level, and the simulator got a new call and SMS for each.
    await withOutput(
      waitFor(
        async () => {
          const red = (await system.callouts(w.id)).filter((c) => c.id.includes('/red/') && c.rung === 0);
          return red.length === 2 ? red : undefined;
        },
        'call-outs at red for both persons',
        WAIT_MS,
      ),
    );
    for (const [id, n] of [
      ['U1', '+8613800006411'],
      ['U2', '+8613800006500'],
    ] as const)
      await withOutput(
        waitFor(
          async () => {
            const got = await to(n);
            return (
              got.filter((r) => r.kind === 'call').length > firstCalls[id] &&
              got.some((r) => r.kind === 'sms' && /红色/.test(r.body ?? ''))
            );
          },
          `${id} called again at red`,
          WAIT_MS,
        ),
      );
    // The orange call-out the person confirmed is kept; the red one is confirmed anew (pressed 1).
    await withOutput(
      waitFor(
        async () =>
          (await system.callouts(w.id)).find((c) => c.id === `${w.id}/red/U1`)?.state === 'CONFIRMED',
        'U1 confirming the red call-out',
        WAIT_MS,
      ),
    );
    const u1 = (await system.callouts(w.id)).filter((c) => c.person_id === 'U1');
    expect(u1.map((c) => [c.id, c.state]).sort()).toEqual([
      [`${w.id}/orange/U1`, 'CONFIRMED'],
      [`${w.id}/red/U1`, 'CONFIRMED'],
    ]);
  }, 300_000);

  it("a coverage alert from the dispatcher reaches the duty officer's board", async () => {
    const w = testWarning({ level: 'red', headline: '空山村暴雨红色预警', areas: [{ code: V_EMPTY }] });
    await system.publishWarning(w);
    const consoleUrl = system.service('console').url;
    // Sign in as the console does it: the login form's CSRF token and cookie, then the session cookie.
    const form = await fetch(`${consoleUrl}/login`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    const loginCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]);
    const login = await fetch(`${consoleUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie.join('; ') },
      body: new URLSearchParams({
        _csrf: csrf,
        username: 'duty',
        password: 'duty-demo',
        next: '/',
      }).toString(),
    });
    expect(login.status).toBe(303); // see other: the board
    expect(login.headers.get('location')).toMatch(/^(http:\/\/[^/]+)?\/$/);
    const session = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const alerts = await withOutput(
      waitFor(
        async () => {
          const board = await fetch(`${consoleUrl}/console/board/fragment`, { headers: { cookie: session } });
          if (!board.ok) throw new Error(`board: ${board.status}`);
          const html = await board.text();
          const section = /<section class="card" id="alerts">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
          return section.includes('空山村') ? section : undefined;
        },
        'the coverage alert on the board',
        WAIT_MS,
        500,
      ),
    );
    // The alert's kind in the board's language (no-reachable-person).
    expect(alerts).toContain('无可联系责任人');
  }, 300_000);
});
