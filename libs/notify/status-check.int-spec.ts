import { INestApplication } from '@nestjs/common';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { CalloutStatus } from '../../contracts/generated/callout-status';
import { startTestNotifier } from '../../test/support/notifier';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  testSecret,
  uniqueId,
  waitFor,
} from '../../test/support/infra';
import { collectJson } from '../../test/support/kafka';
import { freePort } from '../../test/support/services';
import { statusChecks } from '../observability/metrics';
import { SAMPLE_DATA } from '../templates/template-data';
import { startTwilioSimulator, TwilioSimulator } from './simulator/twilio-simulator';

jest.setTimeout(90_000);

const ACCOUNT = 'AC' + 'cd'.repeat(16);
const TOKEN = testSecret();
const SMS_FROM = '+8610690000011';
const VOICE_FROM = '+8610690000012';
/** NOTIFY_STATUS_CHECK_AFTER_MS of the test (its smallest allowed value): passes every 500 ms. */
const CHECK_AFTER_MS = 1_000;

/**
 * The status check against the Twilio simulator through the official SDK: every status callback of
 * the sends goes to an address nobody listens on (as when the notifier is down while the provider
 * posts them), so the sends' outcomes can only come from asking the provider by sid.
 */
describe('status check: accepted sends whose status webhooks were lost', () => {
  let db: TestDatabase;
  let sim: TwilioSimulator;
  let app: INestApplication;
  let prefix: string;
  let producer: Producer;
  let collected: { all: CalloutStatus[]; stop(): Promise<void> };

  const expires = new Date(Date.now() + 24 * 3600_000).toISOString();
  const request = (to: string, channel: 'sms' | 'voice'): CalloutRequested => {
    const calloutId = `co-${uniqueId('s')}`;
    return {
      schemaVersion: 1,
      requestId: `${calloutId}#1:${channel}:callout`,
      calloutId,
      warningId: 'w-status-check',
      personId: `p-${to.slice(-4)}`,
      to,
      channel,
      purpose: 'callout',
      attempt: 1,
      drill: false,
      language: 'zh-CN',
      data: { ...SAMPLE_DATA, warning: { ...SAMPLE_DATA.warning, expires } },
      requestedAt: new Date().toISOString(),
    };
  };
  const statusOf = (requestId: string) => collected.all.filter((s) => s.requestId === requestId);
  const fetchesOf = (sid: string) =>
    sim.requests().filter((r) => r.method === 'GET' && r.path.endsWith(`/${sid}.json`)).length;

  beforeAll(async () => {
    db = await createTestDatabase('statuscheck');
    prefix = `${uniqueId('statuscheck')}.`;
    sim = await startTwilioSimulator({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      latencyMs: 0,
      behaviours: {
        rules: [
          { suffix: '0600', behaviour: 'never-answer' },
          { suffix: '0601', behaviour: 'answer-and-press-1' },
        ],
        default: 'deliver',
      },
    });
    const deadPort = await freePort(); // nothing listens there: every callback is refused
    app = await startTestNotifier({
      service: 'notifier-status-check',
      db,
      prefix,
      port: await freePort(),
      twilio: {
        accountSid: ACCOUNT,
        authToken: TOKEN,
        apiBaseUrl: sim.url,
        smsFrom: SMS_FROM,
        voiceFrom: VOICE_FROM,
      },
      signingSecret: testSecret(),
      perSecond: 200,
      env: {
        PUBLIC_BASE_URL: `http://127.0.0.1:${deadPort}`,
        NOTIFY_STATUS_CHECK_AFTER_MS: String(CHECK_AFTER_MS),
      },
    });
    const kafka = new Kafka({
      clientId: 'status-check-test',
      brokers: kafkaBrokers(),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();
    collected = await collectJson<CalloutStatus>(kafka, `${prefix}callouts.status`);
  });

  afterAll(async () => {
    await collected?.stop();
    await producer?.disconnect();
    await app?.close();
    await sim?.stop();
    await db?.drop();
  });

  it('reads the outcome of each send from the provider once, as its webhook would have said it', async () => {
    const sms = request('+8613800000599', 'sms');
    const missed = request('+8613800000600', 'voice');
    const heard = request('+8613800000601', 'voice');
    await producer.send({
      topic: `${prefix}callouts.requested`,
      messages: [sms, missed, heard].map((r) => ({ key: r.calloutId, value: JSON.stringify(r) })),
    });
    await waitFor(() => sim.sent().length >= 3, 'the three sends at the provider');
    await sim.idle();
    // The provider posted every outcome, and none reached the notifier.
    const records = sim.sent();
    expect(records.map((r) => [r.to, r.status]).sort()).toEqual([
      ['+8613800000599', 'delivered'],
      ['+8613800000600', 'no-answer'],
      ['+8613800000601', 'completed'],
    ]);
    expect(
      records.flatMap((r) => r.callbacks).every((c) => c.status === 'gather' || c.httpStatus === 0),
    ).toBe(true);
    // The simulator says how each was refused (nothing listens on that port).
    const refused = records.flatMap((r) => r.callbacks).filter((c) => c.status !== 'gather');
    expect(new Set(refused.map((c) => c.error))).toEqual(new Set(['ECONNREFUSED']));

    // The final statuses come through the check, as the webhooks would have carried them.
    const final = {
      [sms.requestId]: 'delivered',
      [missed.requestId]: 'no-answer',
      [heard.requestId]: 'heard',
    };
    await waitFor(
      () => Object.entries(final).every(([rid, st]) => statusOf(rid).some((s) => s.status === st)),
      'the final statuses read from the provider',
      30_000,
    );
    const sidOf = (to: string) => records.find((r) => r.to === to)!.sid;
    expect(statusOf(heard.requestId).find((s) => s.status === 'heard')).toMatchObject({
      providerId: sidOf(heard.to),
      durationSec: 30,
      answeredBy: 'human',
    });
    const events = await db.db.query<{ event_id: string; payload: Record<string, string> }>(
      `SELECT event_id, payload FROM notify.webhook_events WHERE request_id = ANY($1::text[]) ORDER BY event_id`,
      [Object.keys(final)],
    );
    expect(events.rows.map((e) => e.event_id).sort()).toEqual(
      [`${sidOf(sms.to)}:delivered`, `${sidOf(missed.to)}:no-answer`, `${sidOf(heard.to)}:heard`].sort(),
    );
    expect(events.rows.every((e) => e.payload.StatusSource === 'api-fetch')).toBe(true);

    // Once a send has its final status it is not asked about again (passes every 500 ms).
    const asked = records.map((r) => fetchesOf(r.sid));
    expect(asked).toEqual([1, 1, 1]);
    await new Promise((r) => setTimeout(r, 4 * CHECK_AFTER_MS));
    expect(records.map((r) => fetchesOf(r.sid))).toEqual([1, 1, 1]);
    // The metric says what the check did.
    const recorded = (await statusChecks.get()).values.find(
      (v) => v.labels.provider === 'twilio' && v.labels.outcome === 'recorded',
    );
    expect(recorded?.value).toBe(3);
    // Each final status was published once.
    for (const [rid, st] of Object.entries(final))
      expect(statusOf(rid).filter((s) => s.status === st)).toHaveLength(1);
  });

  it('asks again about a send the provider still reports under way, and publishes its status once', async () => {
    // A carrier that never returns a delivery receipt: the SMS stays 'sent' at the provider.
    sim.setBehaviours({ rules: [{ suffix: '0700', behaviour: 'no-receipt' }], default: 'deliver' });
    const r = request('+8613800000700', 'sms');
    await producer.send({
      topic: `${prefix}callouts.requested`,
      messages: [{ key: r.calloutId, value: JSON.stringify(r) }],
    });
    await waitFor(() => sim.sent().find((x) => x.to === r.to && x.status === 'sent'), 'the SMS sent');
    const rec = sim.sent().find((x) => x.to === r.to)!;
    await waitFor(() => fetchesOf(rec.sid) >= 4, 'the send asked about again and again', 30_000);
    await waitFor(() => statusOf(r.requestId).some((s) => s.status === 'sent'), "the 'sent' status read");
    expect(statusOf(r.requestId).filter((s) => s.status === 'sent')).toHaveLength(1);
    expect(statusOf(r.requestId).map((s) => s.status)).not.toContain('delivered');
    // Asked less and less often: each wait at least as long as the send was old at the ask before
    // (1, 2, 4 … s here; 10, 20, 40 … minutes by default). Passes run every 500 ms, so a wait may
    // exceed its minimum by that much, and each ask reaches the provider a little after it was marked.
    const { rows } = await db.db.query<{ sent_at: Date }>(
      `SELECT sent_at FROM notify.attempts WHERE request_id = $1`,
      [r.requestId],
    );
    const sentAt = rows[0].sent_at.getTime();
    const asks = sim
      .requests()
      .filter((q) => q.method === 'GET' && q.path.endsWith(`/${rec.sid}.json`))
      .map((q) => Date.parse(q.at));
    expect(asks[0] - sentAt).toBeGreaterThanOrEqual(CHECK_AFTER_MS - 5);
    for (let k = 1; k < 4; k += 1)
      expect(asks[k] - asks[k - 1]).toBeGreaterThanOrEqual(
        Math.max(CHECK_AFTER_MS, asks[k - 1] - sentAt) - 250,
      );
    expect(asks[3] - sentAt).toBeGreaterThanOrEqual(8 * CHECK_AFTER_MS - 500);
  });
});
