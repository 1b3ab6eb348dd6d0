import { waitFor } from './support/infra';
import { TestSystem, testWarning } from './support/system';

/**
 * Twilio goes down in the middle of a red warning's fan-out: its circuit opens and the calls and
 * SMS it has not taken go through Tencent Cloud instead, every one once. The services are processes
 * of their own on the real Kafka and PostgreSQL, the providers their simulators through the
 * official SDKs; the sends are counted at both simulators.
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
const VILLAGES = ['140212100201', '140212100202', '140212100203'];
const PEOPLE = 24;
const persons = Array.from({ length: PEOPLE }, (_, i) => ({
  id: `F${i + 1}`,
  name: `测试人员${i + 1}`,
  mobile: `+86139000020${String(i).padStart(2, '0')}`,
  roles: [{ role: 'grid-worker', areaCode: VILLAGES[i % VILLAGES.length] }],
}));
const directory = {
  divisions: VILLAGES.map((code, i) => ({ code, name: `测试村${i + 1}`, parentCode: TOWNSHIP })),
  persons,
};

describe('provider failover mid fan-out (separate processes)', () => {
  const system = new TestSystem({
    label: 'failover',
    directory,
    // Everyone answers and presses 1, whichever provider calls: nobody is redialled.
    behaviours: { default: 'answer-and-press-1' },
    tencent: { behaviours: { default: 'answer-and-press-1' } },
    env: {
      NOTIFY_ROUTES: '+86=twilio>tencent,*=twilio',
      // A fan-out that takes several seconds, so Twilio can go down in the middle of it.
      NOTIFY_CALLS_PER_SECOND: '4',
      NOTIFY_SMS_PER_SECOND: '4',
      NOTIFY_RECONCILE_AFTER_MS: '3000',
      NOTIFY_BREAKER_HALF_OPEN_MS: '120000',
    },
  });

  beforeAll(() => system.start(), 120_000);
  afterAll(() => system.stop(), 60_000);

  it('Twilio fails after a few calls: every person is still called (and texted) exactly once, the rest through Tencent', async () => {
    const w = testWarning({ level: 'red' });
    await system.publishWarning(w);
    const twilioCalls = async () => (await system.simRecords()).filter((r) => r.kind === 'call');
    await waitFor(
      async () => (await twilioCalls()).length >= 5,
      'the first calls through Twilio',
      30_000,
      50,
    );
    // Twilio down: every create answered 500 (nothing created); its lists still answer.
    await system.setTwilioFaults({ serverErrorRate: 1 });
    try {
      await system.waitForStates(w.id, Object.fromEntries(persons.map((p) => [p.id, 'CONFIRMED'])), 90_000);
    } catch (e) {
      const attempts = await system.query(
        `SELECT person_id, channel, state, provider, error_reason, routed_note FROM notify.attempts WHERE warning_id = $1 ORDER BY person_id`,
        [w.id],
      );
      const states = (await system.callouts(w.id)).map((c) => `${c.person_id}:${c.state}`);
      throw new Error(
        `${(e as Error).message}\n${states.join(' ')}\n${JSON.stringify(attempts, null, 1)}\n${system.output()}`,
      );
    }
    // The SMS go out beside the calls; some may still be on their way when everyone has confirmed.
    await waitFor(
      async () => {
        const [a] = await system.query<{ sent: string }>(
          `SELECT count(*) FILTER (WHERE state = 'sent') AS sent FROM notify.attempts WHERE warning_id = $1`,
          [w.id],
        );
        return Number(a.sent) === 2 * PEOPLE;
      },
      'every call and SMS accepted',
      60_000,
    );
    const twilio = await system.simRecords();
    const tencent = await system.tencentRecords();
    const count = (to: string, kinds: { twilio: string; tencent: string }) =>
      twilio.filter((r) => r.to === to && r.kind === kinds.twilio).length +
      tencent.filter((r) => r.to === to && r.kind === kinds.tencent).length;
    for (const p of persons) {
      expect({ person: p.id, calls: count(p.mobile, { twilio: 'call', tencent: 'call' }) }).toEqual({
        person: p.id,
        calls: 1,
      });
      expect({ person: p.id, sms: count(p.mobile, { twilio: 'sms', tencent: 'sms' }) }).toEqual({
        person: p.id,
        sms: 1,
      });
    }
    const viaTwilio = twilio.filter((r) => r.kind === 'call').length;
    const viaTencent = tencent.filter((r) => r.kind === 'call').length;
    expect(viaTwilio).toBeGreaterThanOrEqual(5);
    expect(viaTencent).toBeGreaterThan(0);
    expect(viaTwilio + viaTencent).toBe(PEOPLE);

    // The moves are on the record, and the breaker's state is exported.
    const moved = await system.query<{ n: string }>(
      `SELECT count(*) AS n FROM notify.attempts WHERE warning_id = $1 AND provider = 'tencent'
         AND routed_note LIKE '%moved from twilio to tencent%'`,
      [w.id],
    );
    expect(Number(moved[0].n)).toBe(viaTencent + tencent.filter((r) => r.kind === 'sms').length);
    const metrics = await (await fetch(`${system.service('notifier').url}/metrics`)).text();
    expect(metrics).toMatch(/notify_provider_circuit_state\{[^}]*provider="twilio"[^}]*\} 2/);
  }, 150_000);
});
