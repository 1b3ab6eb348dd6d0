import { INestApplication } from '@nestjs/common';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { CalloutRequested } from '../../../contracts/generated/callout-requested';
import { CalloutResponse } from '../../../contracts/generated/callout-response';
import { CalloutStatus } from '../../../contracts/generated/callout-status';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  testSecret,
  uniqueId,
  waitFor,
} from '../../../test/support/infra';
import { freePort } from '../../../test/support/services';
import { circuitState } from '../../observability/metrics';
import { startTencentSimulator, TencentSimulator } from '../simulator/tencent-simulator';
import { startTestNotifier } from '../../../test/support/notifier';
import { startTwilioSimulator, TwilioSimulator } from '../simulator/twilio-simulator';
import { callbackToken } from '../tencent/tencent-callbacks';
import { SAMPLE_DATA } from '../../templates/template-data';

jest.setTimeout(120_000);

const ACCOUNT = 'AC' + 'cd'.repeat(16);
const TWILIO_TOKEN = testSecret();
const TENCENT_KEY = testSecret();
const CALLBACK_SECRET = testSecret();
const SECRET = testSecret();
const TENCENT = {
  secretId: 'AKIDroutingtest0001',
  smsSdkAppId: '1400000011',
  signName: '县防汛办',
  voiceSdkAppId: '1400000012',
};

/**
 * Routing and failover through the real SDKs against both simulators, on Kafka and PostgreSQL:
 *   +86139… Twilio first, Tencent next (the failover case);
 *   +86137… Tencent alone (a refused call goes as an SMS);
 *   +86…    Tencent first, Twilio next;  others: Twilio.
 */
describe('notify routes per number and channel, and fails over', () => {
  let db: TestDatabase;
  let twilio: TwilioSimulator;
  let tencent: TencentSimulator;
  let app: INestApplication;
  let prefix: string;
  let producer: Producer;
  let consumer: Consumer;
  const statuses: CalloutStatus[] = [];
  const responses: CalloutResponse[] = [];
  const expires = new Date(Date.now() + 24 * 3600_000).toISOString();

  let n = 0;
  function request(to: string, over: Partial<CalloutRequested> = {}): CalloutRequested {
    n += 1;
    const calloutId = `co-${uniqueId('r')}`;
    const channel = over.channel ?? 'sms';
    return {
      schemaVersion: 1,
      requestId: `${calloutId}#1:${channel}:callout`,
      calloutId,
      warningId: 'w-routing',
      personId: `p-${n}`,
      to,
      channel,
      purpose: 'callout',
      attempt: 1,
      drill: false,
      language: 'zh-CN',
      data: { ...SAMPLE_DATA, warning: { ...SAMPLE_DATA.warning, expires, seq: 200 + n } },
      requestedAt: new Date().toISOString(),
      ...over,
    };
  }
  const publish = (...reqs: CalloutRequested[]) =>
    producer.send({
      topic: `${prefix}callouts.requested`,
      messages: reqs.map((r) => ({ key: r.calloutId, value: JSON.stringify(r) })),
    });
  const statusOf = (requestId: string, status: string) =>
    statuses.find((s) => s.requestId === requestId && s.status === status);
  /** A call, and once it is submitted, its redial to the same number: answers the redial's submitted status. */
  async function callThenRedial(to: string): Promise<CalloutStatus> {
    const first = request(to, { channel: 'voice' });
    const redial = request(to, {
      channel: 'voice',
      calloutId: first.calloutId,
      requestId: `${first.calloutId}#2:voice:redial`,
      purpose: 'redial',
      attempt: 2,
    });
    await publish(first);
    await waitFor(() => statusOf(first.requestId, 'submitted'), 'first call submitted');
    await publish(redial);
    return waitFor(() => statusOf(redial.requestId, 'submitted'), 'redial submitted');
  }
  const atTwilio = (to: string) => twilio.sent().filter((r) => r.to === to);
  const atTencent = (to: string) => tencent.sent().filter((r) => r.to === to);

  beforeAll(async () => {
    db = await createTestDatabase('routing');
    prefix = `${uniqueId('routing')}.`;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    twilio = await startTwilioSimulator({
      accountSid: ACCOUNT,
      authToken: TWILIO_TOKEN,
      latencyMs: 0,
      behaviours: { default: 'deliver' },
    });
    tencent = await startTencentSimulator({
      ...TENCENT,
      secretKey: TENCENT_KEY,
      smsTemplates: [{ id: '2001', text: '{1}' }],
      voiceTemplates: [
        { id: '3001', text: '{1}收到请按1键确认。' },
        { id: '3002', text: '{1}' },
      ],
      // The callbacks come after the API answer, as Tencent's do.
      latencyMs: 150,
      behaviours: { rules: [{ suffix: '0301', behaviour: 'answer-and-press-1' }], default: 'deliver' },
      callbacks: {
        smsStatus: `${base}/tencent/sms/status/${callbackToken(CALLBACK_SECRET, 'sms-status')}`,
        smsReply: `${base}/tencent/sms/reply/${callbackToken(CALLBACK_SECRET, 'sms-reply')}`,
        voice: `${base}/tencent/voice/${callbackToken(CALLBACK_SECRET, 'voice')}`,
      },
    });
    app = await startTestNotifier({
      service: 'routing-test',
      db,
      prefix,
      port,
      twilio: {
        accountSid: ACCOUNT,
        authToken: TWILIO_TOKEN,
        apiBaseUrl: twilio.url,
        smsFrom: '+8610690000011',
        voiceFrom: '+8610690000012',
      },
      signingSecret: SECRET,
      perSecond: 200,
      env: {
        TENCENT_SECRET_ID: TENCENT.secretId,
        TENCENT_SECRET_KEY: TENCENT_KEY,
        TENCENT_API_BASE_URL: tencent.url,
        TENCENT_SMS_SDK_APP_ID: TENCENT.smsSdkAppId,
        TENCENT_SMS_SIGN_NAME: TENCENT.signName,
        TENCENT_SMS_TEMPLATE_ID: '2001',
        TENCENT_VOICE_SDK_APP_ID: TENCENT.voiceSdkAppId,
        TENCENT_VOICE_CONFIRM_TEMPLATE_ID: '3001',
        TENCENT_VOICE_NOTICE_TEMPLATE_ID: '3002',
        TENCENT_CALLBACK_SECRET: CALLBACK_SECRET,
        NOTIFY_ROUTES: '+86139=twilio>tencent,+86137=tencent,+86=tencent>twilio,*=twilio',
        NOTIFY_SEND_TRIES: '3',
        NOTIFY_RECONCILE_AFTER_MS: '2000',
      },
    });

    const kafka = new Kafka({
      clientId: 'routing-test',
      brokers: kafkaBrokers(),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();
    consumer = kafka.consumer({ groupId: `${prefix}observer` });
    await consumer.connect();
    await consumer.subscribe({
      topics: [`${prefix}callouts.status`, `${prefix}callouts.responses`],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const v = JSON.parse(message.value!.toString());
        if (topic.endsWith('callouts.status')) statuses.push(v);
        else responses.push(v);
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await app?.close();
    await twilio?.stop();
    await tencent?.stop();
    await db?.drop();
  });

  it('a mainland SMS goes through Tencent with the reply and the link; its status and reply come back once each', async () => {
    tencent.setFaults({ callbackRepeat: 2 });
    const r = request('+8613800000101');
    await publish(r);
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered through Tencent');
    expect(atTwilio(r.to)).toHaveLength(0);
    const [sms] = atTencent(r.to);
    expect(sms.text).toContain('回复1或收到确认');
    expect(sms.text).toMatch(/https?:\/\/.*\/ack\//);
    await tencent.reply(r.to, '收到');
    await waitFor(
      () => responses.find((x) => x.calloutId === r.calloutId && x.kind === 'confirm'),
      'the reply confirms',
    );
    await tencent.idle();
    // Every callback came twice; each status and the reply were published once.
    expect(statuses.filter((s) => s.requestId === r.requestId && s.status === 'delivered')).toHaveLength(1);
    expect(responses.filter((x) => x.calloutId === r.calloutId)).toHaveLength(1);
    tencent.setFaults({});
  });

  it('a mainland call through Tencent: the key press confirms', async () => {
    const r = request('+8613800000301', { channel: 'voice' });
    await publish(r);
    await waitFor(
      () => responses.find((x) => x.calloutId === r.calloutId && x.via === 'voice' && x.kind === 'confirm'),
      'key press through Tencent',
    );
    expect(atTencent(r.to)).toMatchObject([{ kind: 'call', templateId: '3001' }]);
    expect(atTwilio(r.to)).toHaveLength(0);
  });

  it('an SMS carried by Twilio to the mainland offers neither the reply nor the link', async () => {
    const r = request('+8613900000102');
    await publish(r);
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered through Twilio');
    const [sms] = atTwilio(r.to);
    expect(sms.body).toContain('接听来电按1键确认');
    expect(sms.body).not.toContain('回复1');
    expect(sms.body).not.toMatch(/https?:\/\//);
  });

  it('a redial Tencent refuses by its per-callee limit is placed through Twilio, and the status says so', async () => {
    const to = '+8613800000201';
    const moved = await callThenRedial(to);
    expect(moved.channel).toBe('voice');
    expect(moved.reason).toMatch(/voice moved from tencent to twilio: tencent per-callee limit/);
    expect(atTencent(to)).toHaveLength(1);
    expect(atTwilio(to)).toHaveLength(1);
    expect(atTwilio(to)[0].kind).toBe('call');
  });

  it('with no other voice provider, the refused redial goes as an SMS, and the status says so', async () => {
    const to = '+8613700000202';
    const moved = await callThenRedial(to);
    expect(moved.channel).toBe('sms');
    expect(moved.reason).toMatch(
      /voice through tencent refused by its per-callee limit .*: sent as sms through tencent/,
    );
    expect(atTencent(to).map((x) => x.kind)).toEqual(['call', 'sms']);
    expect(atTwilio(to)).toHaveLength(0);
  });

  it('Twilio failing mid fan-out opens its circuit: every person gets exactly one SMS, the rest through Tencent', async () => {
    const people = Array.from({ length: 24 }, (_, i) => `+86139000010${String(i).padStart(2, '0')}`);
    const reqs = people.map((to) => request(to));
    // Half go out through Twilio, then it fails: errors for most, answers lost (created) for some.
    await publish(...reqs.slice(0, 6));
    await waitFor(() => reqs.slice(0, 6).every((r) => statusOf(r.requestId, 'submitted')), 'first six');
    twilio.setFaults({ serverErrorRate: 0.7, answerLostRate: 0.3 });
    await publish(...reqs.slice(6));
    await waitFor(
      () => reqs.every((r) => statusOf(r.requestId, 'submitted')),
      'every person submitted',
      60_000,
    );
    // Every delivery report comes back to its attempt, whichever provider carried it.
    await waitFor(
      () => reqs.every((r) => statusOf(r.requestId, 'delivered')),
      'every person delivered',
      30_000,
    );
    await twilio.idle();
    await tencent.idle();
    for (const to of people) expect(atTwilio(to).length + atTencent(to).length).toBe(1);
    expect(people.filter((to) => atTencent(to).length === 1).length).toBeGreaterThan(0);
    expect(
      reqs.filter((r) =>
        /sms moved from twilio to tencent/.test(statusOf(r.requestId, 'submitted')!.reason ?? ''),
      ).length,
    ).toBe(people.filter((to) => atTencent(to).length === 1).length);
    const gauge = (await circuitState.get()).values.find((v) => v.labels.provider === 'twilio');
    expect(gauge?.value).toBe(2);
    twilio.setFaults({});
  });
});
