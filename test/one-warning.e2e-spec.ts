import { TestSystem, testWarning } from './support/system';

/**
 * One warning end to end, every service a process of its own, on the real Kafka and PostgreSQL:
 * a meteorological warning on warnings.meteorological → the dispatcher resolves the persons of one
 * seeded township → the notifier sends each an SMS through the official twilio SDK to the project's
 * Twilio simulator → the simulator posts a signed inbound SMS "1" back → the call-out is CONFIRMED.
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
const directory = {
  divisions: [
    { code: '140212100201', name: '杏花峪村', parentCode: TOWNSHIP },
    { code: '140212100202', name: '石沟村', parentCode: TOWNSHIP },
  ],
  persons: [
    {
      id: 'W1',
      name: '王建国',
      mobile: '+8613800001001',
      roles: [{ role: 'grid-worker', areaCode: '140212100201' }],
    },
    {
      id: 'W2',
      name: '李秀英',
      mobile: '+8613800001002',
      roles: [{ role: 'info-officer', areaCode: '140212100201' }],
    },
    {
      id: 'W3',
      name: '赵玉兰',
      mobile: '+8613800001003',
      roles: [{ role: 'flood-control', areaCode: '140212100202' }],
    },
    // Not called for a blue warning (township level): proves the policy's role filter.
    {
      id: 'T1',
      name: '刘志强',
      mobile: '+8613800001004',
      roles: [{ role: 'flood-control', areaCode: TOWNSHIP }],
    },
  ],
};

describe('one warning end to end (separate processes)', () => {
  const system = new TestSystem({
    label: 'onewarning',
    directory,
    // Every person replies "1" to the SMS shortly after it is delivered.
    behaviours: {
      default: 'reply-after',
      rules: [{ suffix: '', behaviour: 'reply-after', reply: '1', afterMs: 50 }],
    },
  });

  beforeAll(() => system.start(), 120_000);
  afterAll(() => system.stop(), 60_000);

  it('a blue rainstorm warning: every village person gets one SMS, replies 1, and is CONFIRMED', async () => {
    const w = testWarning({ level: 'blue' });
    await system.publishWarning(w);
    try {
      await system.waitForStates(w.id, { W1: 'CONFIRMED', W2: 'CONFIRMED', W3: 'CONFIRMED' }, 45_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${system.output()}`);
    }
    const callouts = await system.callouts(w.id);
    expect(callouts.map((c) => c.person_id)).toEqual(['W1', 'W2', 'W3']);

    const sms = (await system.simRecords()).filter((r) => r.kind === 'sms');
    expect(sms.map((r) => r.to).sort()).toEqual(['+8613800001001', '+8613800001002', '+8613800001003']);
    expect(sms[0].body).toMatch(/暴雨蓝色预警/);
    const inbound = (await system.simRecords()).filter((r) => r.kind === 'inbound');
    expect(inbound).toHaveLength(3);
    for (const r of inbound) expect(r.callbacks.every((cb) => cb.httpStatus === 200)).toBe(true);

    const responses = await system.query<{ via: string; kind: string; text: string }>(
      `SELECT via, kind, text FROM callout.responses r JOIN callout.callouts c ON c.id = r.callout_id WHERE c.warning_id = $1`,
      [w.id],
    );
    expect(responses).toEqual(Array(3).fill({ via: 'sms', kind: 'confirm', text: '1' }));
    const closed = await system.query<{ state: string }>(`SELECT state FROM callout.warnings WHERE id = $1`, [
      w.id,
    ]);
    expect(closed[0].state).toBe('closed');
  }, 90_000);

  it('bad input on a hazard topic lands on its DLQ with a reason, and the consumer keeps going', async () => {
    await system.publishRaw('warnings.meteorological', '{"not json');
    await system.publishRaw(
      'warnings.meteorological',
      JSON.stringify({ ...testWarning(), schemaVersion: 7 }),
    );
    await system.publishRaw(
      'warnings.meteorological',
      JSON.stringify({ ...testWarning(), headline: undefined }),
    );
    const frost = testWarning({ subtype: 'frost', level: 'red' });
    await system.publishWarning(frost);
    const after = testWarning({ level: 'blue' });
    await system.publishWarning(after);
    await system.waitForStates(after.id, { W1: 'CONFIRMED' }, 45_000);
    const consumer = system.kafka.consumer({ groupId: `${system.prefix}dlq-reader` });
    const reasons: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${system.prefix}warnings.meteorological.dlq`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void reasons.push(String(message.headers?.['x-dlq-reason'])),
    });
    const { waitFor } = await import('./support/infra');
    await waitFor(() => reasons.length >= 4, '4 dead letters', 20_000);
    await consumer.disconnect();
    // Different keys land on different partitions: the DLQ order is not the publishing order.
    expect(reasons).toHaveLength(4);
    for (const pattern of [
      /^not JSON/,
      /^unsupported schemaVersion 7/,
      /must have required property 'headline'/,
      /霜冻 \(frost\) has no red level/,
    ]) {
      expect(reasons.filter((r) => pattern.test(r))).toHaveLength(1);
    }
  }, 90_000);
});
