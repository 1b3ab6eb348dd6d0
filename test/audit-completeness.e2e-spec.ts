import { DEFAULT_POLICY, parsePolicy } from '../libs/callout/policy';
import { signRoleToken } from '../libs/common/auth';
import { waitFor } from './support/infra';
import { TestSystem, testWarning } from './support/system';

/**
 * The audit ledger is complete: a full escalation scenario runs through the real services; every
 * state change the engine announced appears in the ledger exactly once, in order (each entry's
 * `from` is the previous entry's `to` for that call-out, ending at the call-out's state in the
 * database), and the warning's chain verifies. The services run on a clock the test moves from
 * deadline to deadline (TestSystem.skipUntilStates) once every send has its answer, so the order of
 * what happens is the policy's, not this machine's speed.
 */
const TOWNSHIP = '140212100000';
const VILLAGE = '140212100201';
const directory = {
  divisions: [{ code: VILLAGE, name: '杏花峪村', parentCode: TOWNSHIP }],
  persons: [
    {
      id: 'X',
      name: '王建国',
      mobile: '+8613800005100',
      roles: [{ role: 'flood-control', areaCode: VILLAGE }],
      backupPersonId: 'XB',
    },
    {
      id: 'XB',
      name: '张海军',
      mobile: '+8613800005200',
      roles: [{ role: 'shelter-manager', areaCode: VILLAGE }],
    },
    {
      id: 'Y',
      name: '李秀英',
      mobile: '+8613800005311',
      roles: [{ role: 'flood-control', areaCode: VILLAGE }],
    },
    {
      id: 'T',
      name: '刘志强',
      mobile: '+8613800005400',
      roles: [{ role: 'flood-control', areaCode: TOWNSHIP }],
    },
    {
      id: 'C',
      name: '陈红梅',
      mobile: '+8613800005500',
      roles: [{ role: 'flood-control', areaCode: '140212000000' }],
    },
  ],
};
const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.meteorological.red = {
  ...policy.hazards.meteorological.red,
  targets: [{ role: 'flood-control', levels: ['village'] }],
  ackDeadlineSec: 300,
  redials: 1,
  redialIntervalSec: 60,
  escalationSteps: 3,
  escalationAckDeadlineSec: 120,
};

describe('audit completeness (real services)', () => {
  const system = new TestSystem({
    label: 'auditcomplete',
    directory: directory as never,
    policy: parsePolicy(policy),
    audit: true,
    clock: true,
    behaviours: { default: 'never-answer', rules: [{ suffix: '11', behaviour: 'answer-and-press-1' }] },
  });
  beforeAll(() => system.start(), 300_000); // six processes starting, on a machine that may be busy
  afterAll(() => system.stop(), 60_000);

  it('every state change is in the ledger exactly once, in order, and the chain verifies', async () => {
    const w = testWarning({ level: 'red', areas: [{ code: VILLAGE }] });
    await system.publishWarning(w);
    await system.waitForStates(w.id, { Y: 'CONFIRMED' });
    await system.skipUntilStates(w.id, { X: 'NOT_WOKEN' });
    await system.reply('+8613800005100', '收到'); // X confirms late
    await system.waitForStates(w.id, { X: 'CONFIRMED' });

    const callouts = await system.query<{ id: string; state: string }>(
      `SELECT id, state FROM callout.callouts WHERE warning_id = $1`,
      [w.id],
    );
    expect(callouts.length).toBe(5); // X, Y and X's ladder: backup, township, county
    type Entry = {
      seq: string;
      content: { calloutId: string; from: string | null; to: string; eventId: string };
    };
    const ledger = () =>
      system.query<Entry>(
        `SELECT seq, content FROM audit.entries WHERE chain_id = $1 AND topic = 'callouts.events' ORDER BY seq`,
        [w.id],
      );
    // The audit consumes asynchronously: wait until each call-out's chain of states reaches its state in the database.
    const entries = await waitFor(
      async () => {
        const all = await ledger();
        const last = new Map(all.map((e) => [e.content.calloutId, e.content.to]));
        return callouts.every((c) => last.get(c.id) === c.state) ? all : undefined;
      },
      'the ledger to hold every call-out up to its current state',
      30_000,
    );
    // Exactly once: no event id twice, and the ledger holds every event the engine announced on
    // callouts.events for the warning (the relay may deliver one twice; the ledger keeps it once).
    const ids = entries.map((e) => e.content.eventId);
    expect(new Set(ids).size).toBe(entries.length);
    const announced = await system.readTopic<{ eventId: string; warningId: string }>(
      'callouts.events',
      (all) => ids.every((id) => all.some((e) => e.eventId === id)),
      "the warning's events on callouts.events",
    );
    expect([...new Set(announced.filter((e) => e.warningId === w.id).map((e) => e.eventId))].sort()).toEqual(
      [...ids].sort(),
    );
    // In order and with nothing missing: per call-out, each change starts where the previous ended.
    for (const c of callouts) {
      const chain = entries
        .filter((e) => e.content.calloutId === c.id)
        .map((e) => [e.content.from, e.content.to]);
      expect(chain[0][0]).toBe('PLANNED');
      for (let i = 1; i < chain.length; i++) expect(chain[i][0]).toBe(chain[i - 1][1]);
    }
    const x = entries.filter((e) => e.content.calloutId === `${w.id}/red/X`).map((e) => e.content.to);
    // X's way, in the policy's order: sent, the missed call redialled once (60 s), still no answer at
    // the ack deadline (300 s): escalated, the ladder's three steps unanswered: not woken, then the
    // late confirmation. Only the SMS's delivery races the call in real time, so DELIVERED is left out.
    expect(x.filter((s) => s !== 'DELIVERED')).toEqual([
      'SENT',
      'REDIAL_PENDING',
      'SENT',
      'ESCALATED',
      'NOT_WOKEN',
      'CONFIRMED',
    ]);
    expect(x.filter((s) => s === 'DELIVERED').length).toBeLessThanOrEqual(1);

    // The warning itself, the sends, the statuses and the answers are in the chain too.
    const topics = await system.query<{ topic: string }>(
      `SELECT DISTINCT topic FROM audit.entries WHERE chain_id = $1`,
      [w.id],
    );
    expect(topics.map((t) => t.topic).sort()).toEqual(
      expect.arrayContaining([
        'callouts.events',
        'callouts.requested',
        'callouts.responses',
        'callouts.status',
        'warnings.meteorological',
      ]),
    );

    const token = signRoleToken(
      { actor: 'inspector-1', role: 'auditor', ttlSeconds: 300 },
      system.signingSecret,
    );
    const r = await fetch(
      `${system.service('audit').url}/api/audit/verify?warningId=${encodeURIComponent(w.id)}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(r.status).toBe(200);
    const report = (await r.json()) as { ok: boolean };
    expect(report.ok).toBe(true);
  }, 120_000);
});
