import { INestApplication } from '@nestjs/common';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  testSecret,
  uniqueId,
  waitFor,
} from '../../test/support/infra';
import { DEFAULT_SEND_ORDER } from '../callout/policy';
import { sendPriority } from '../callout/send-priority';
import { freePort } from '../../test/support/services';
import { startTestNotifier } from '../../test/support/notifier';
import { SAMPLE_DATA } from '../templates/template-data';
import { startTwilioSimulator, TwilioSimulator } from './simulator/twilio-simulator';

/**
 * Priority when rate-bound, on real Kafka, PostgreSQL and the Twilio simulator through the official
 * SDK: the notifier claims queued sends by the priority the engine gave each request
 * (libs/callout/send-priority.ts), then oldest first. Every check is about order, not speed: the
 * rate limit only bounds how fast the backlog can drain, so a slow machine leaves more of it.
 */
jest.setTimeout(120_000);

const ACCOUNT = 'AC' + 'cd'.repeat(16);
const TOKEN = testSecret();
const SECRET = testSecret();
const SMS_FROM = '+8610690000021';
const VOICE_FROM = '+8610690000022';

const COUNTY = '140212000000';
const TOWNSHIP = '140212100000';
const village = (i: number) => `140212100${String(201 + i).padStart(3, '0')}`;

interface Person {
  role: string;
  areaCode: string;
}

describe('notifier: priority when rate-bound', () => {
  let db: TestDatabase;
  let sim: TwilioSimulator;
  let port: number;
  let prefix: string;
  let producer: Producer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('notify-prio');
    prefix = `${uniqueId('notifyp')}.`;
    port = await freePort();
    sim = await startTwilioSimulator({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      latencyMs: 0,
      behaviours: { default: 'deliver' },
    });
    const kafka = new Kafka({
      clientId: 'notifyp-test',
      brokers: kafkaBrokers(),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    // What a test leaves queued is not the next one's.
    await db.db.query(`DELETE FROM notify.attempts WHERE state = 'queued'`);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await sim?.stop();
    await db?.drop();
  });

  /** A notifier on this database and these topics; `worker: false` leaves accepted attempts queued. */
  async function startNotifier(opts: { worker: boolean; perSecond: number; concurrency: number }) {
    app = await startTestNotifier({
      service: 'notifier-prio-test',
      db,
      prefix,
      port,
      twilio: {
        accountSid: ACCOUNT,
        authToken: TOKEN,
        apiBaseUrl: sim.url,
        smsFrom: SMS_FROM,
        voiceFrom: VOICE_FROM,
      },
      signingSecret: SECRET,
      worker: opts.worker,
      perSecond: opts.perSecond,
      concurrency: opts.concurrency,
    });
  }

  const expires = new Date(Date.now() + 24 * 3600_000).toISOString();
  let n = 0;
  /** A request as the engine makes it: its priority from the warning's level and the default send order. */
  function request(
    warningId: string,
    level: 'red' | 'blue',
    purpose: CalloutRequested['purpose'],
    channel: 'sms' | 'voice',
    who: Person,
  ): CalloutRequested {
    n += 1;
    const calloutId = `${warningId}/${level}/p${n}`;
    return {
      schemaVersion: 1,
      requestId: `${calloutId}#1:${channel}:${purpose}`,
      calloutId,
      warningId,
      personId: `p${n}`,
      to: `+86139${String(20_000_000 + n)}`,
      channel,
      purpose,
      attempt: 1,
      drill: false,
      language: 'zh-CN',
      data: { ...SAMPLE_DATA, warning: { ...SAMPLE_DATA.warning, level, expires, seq: n } },
      priority: sendPriority({ purpose, level, drill: false, ...who }, DEFAULT_SEND_ORDER),
      requestedAt: new Date().toISOString(),
    };
  }
  const publish = (reqs: CalloutRequested[]) =>
    producer.send({
      topic: `${prefix}callouts.requested`,
      messages: reqs.map((r) => ({ key: r.calloutId, value: JSON.stringify(r) })),
    });
  const stateCounts = async (ids: string[]) => {
    const r = await db.db.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM notify.attempts WHERE request_id = ANY($1::text[]) GROUP BY state`,
      [ids],
    );
    return Object.fromEntries(r.rows.map((x) => [x.state, Number(x.n)])) as Record<string, number>;
  };
  /** Where each request's send stands in the order the simulator took them. */
  const sentOrder = (reqs: CalloutRequested[]) => {
    const order = sim.sent().map((s) => s.to);
    return reqs.map((r) => order.indexOf(r.to));
  };
  const villager = (i: number): Person => ({ role: 'grid-worker', areaCode: village(i % 50) });

  it("sends a red warning's redial and escalation before a blue fan-out queued earlier has drained", async () => {
    // 4 sends a second and 2 in flight: 80 first call-outs take at least 20 s to drain.
    await startNotifier({ worker: true, perSecond: 4, concurrency: 2 });
    const blue = Array.from({ length: 80 }, (_, i) =>
      request('w-blue', 'blue', 'callout', 'sms', villager(i)),
    );
    await publish(blue);
    await waitFor(
      async () => sentOrder(blue).filter((i) => i >= 0).length >= 3,
      'the blue fan-out under way',
      30_000,
    );

    const red = [
      request('w-red', 'red', 'redial', 'voice', villager(1)),
      request('w-red', 'red', 'escalation', 'sms', { role: 'party-gov-head', areaCode: TOWNSHIP }),
    ];
    await publish(red);
    await waitFor(
      async () => (await stateCounts(red.map((r) => r.requestId))).sent === 2,
      "the red warning's follow-ups sent",
      30_000,
    );
    const blueNow = await stateCounts(blue.map((r) => r.requestId));
    // Oldest first, both would have waited for all 80; by priority they went at the next claims.
    expect(blueNow.queued ?? 0).toBeGreaterThanOrEqual(40);
    const sentBlue = sentOrder(blue).filter((i) => i >= 0);
    for (const i of sentOrder(red)) {
      expect(i).toBeGreaterThanOrEqual(0);
      expect(sentBlue.filter((b) => b > i).length + (blueNow.queued ?? 0)).toBeGreaterThanOrEqual(40);
    }
  });

  it("keeps the order across and within warnings: follow-ups, red before blue, the policy's send order", async () => {
    // Everything queued first (the worker held back), in the worst order: blue first, and the red
    // warning's villages before its township and county heads; then one send at a time.
    await startNotifier({ worker: false, perSecond: 50, concurrency: 10 });
    const blueFirst = Array.from({ length: 4 }, (_, i) =>
      request('w-blue2', 'blue', 'callout', 'sms', villager(i)),
    );
    const redFirst = [
      ...Array.from({ length: 3 }, (_, i) => request('w-red2', 'red', 'callout', 'sms', villager(i))),
      request('w-red2', 'red', 'callout', 'sms', { role: 'grid-worker', areaCode: TOWNSHIP }),
      request('w-red2', 'red', 'callout', 'sms', { role: 'flood-control', areaCode: TOWNSHIP }),
      request('w-red2', 'red', 'callout', 'voice', { role: 'flood-control', areaCode: COUNTY }),
      request('w-red2', 'red', 'callout', 'voice', { role: 'party-gov-head', areaCode: TOWNSHIP }),
      request('w-red2', 'red', 'callout', 'voice', { role: 'party-gov-head', areaCode: COUNTY }),
    ];
    const blueEscalation = request('w-blue2', 'blue', 'escalation', 'sms', {
      role: 'party-gov-head',
      areaCode: TOWNSHIP,
    });
    const redRedial = request('w-red2', 'red', 'redial', 'voice', villager(7));
    const all = [...blueFirst, ...redFirst, blueEscalation, redRedial];
    // One at a time, each queued before the next (created_at is the order published; a batch
    // accepted together shares one created_at).
    for (const r of all) {
      await publish([r]);
      await waitFor(async () => (await stateCounts([r.requestId])).queued === 1, `${r.requestId} queued`);
    }
    await app!.close();

    await startNotifier({ worker: true, perSecond: 50, concurrency: 1 });
    await waitFor(
      async () => (await stateCounts(all.map((r) => r.requestId))).sent === all.length,
      'all sent',
      60_000,
    );
    const positions = sentOrder(all);
    const byPosition = all.map((r, i) => ({ r, at: positions[i] })).sort((a, b) => a.at - b.at);
    const sentIds = byPosition.map((x) => x.r.requestId);
    const id = (r: CalloutRequested) => r.requestId;
    expect(sentIds).toEqual(
      [
        redRedial, // a follow-up, red
        blueEscalation, // a follow-up, blue: before any first call-out
        redFirst[7], // county party-government head
        redFirst[6], // township party-government head
        redFirst[4], // flood control (township, then county: one rule, oldest first)
        redFirst[5],
        redFirst[3], // the township's other persons
        redFirst[0], // the red villages, oldest first
        redFirst[1],
        redFirst[2],
        ...blueFirst, // the blue fan-out last, oldest first
      ].map(id),
    );
    // What the notifier stored is what the engine asked for.
    const stored = await db.db.query<{ request_id: string; priority: number }>(
      `SELECT request_id, priority FROM notify.attempts WHERE request_id = ANY($1::text[])`,
      [all.map(id)],
    );
    for (const row of stored.rows)
      expect(row.priority).toBe(all.find((r) => r.requestId === row.request_id)!.priority);
  });
});
