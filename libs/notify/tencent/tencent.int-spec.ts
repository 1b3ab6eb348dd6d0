import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Sign from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/sign';
import { testSecret, waitFor } from '../../../test/support/infra';
import {
  ChannelError,
  ChannelStatus,
  InboundSms,
  KeyPress,
  PROVIDER_WEBHOOK_SINK,
  ProviderWebhookSink,
  RefusedWebhook,
  VoiceScript,
} from '../provider';
import { CalleeLimitRefused } from '../providers/callee-limit-refused';
import { startTencentSimulator, TencentSimulator } from '../simulator/tencent-simulator';
import { callbackToken } from './tencent-callbacks';
import {
  createTencentClients,
  TencentApiError,
  TencentSettings,
  TencentSmsChannel,
  TencentVoiceChannel,
} from './tencent.channels';
import {
  TENCENT_REPLY_CHANNEL,
  TENCENT_WEBHOOK_SETTINGS,
  TencentWebhooksController,
} from './tencent-webhooks.controller';

jest.setTimeout(30_000);

const CALLBACK_SECRET = testSecret();
const SECRET_KEY = testSecret();

/** What the use cases would be handed, recorded in order (the real sink is the notify use cases). */
class RecordingSink implements ProviderWebhookSink {
  statuses: ChannelStatus[] = [];
  inbound: InboundSms[] = [];
  keys: KeyPress[] = [];
  refused: RefusedWebhook[] = [];
  async statusReported(s: ChannelStatus) {
    this.statuses.push(s);
  }
  async smsReceived(sms: InboundSms) {
    this.inbound.push(sms);
    return sms.body === '帮助' ? '回复1确认收到' : null;
  }
  async keyPressed(k: KeyPress) {
    this.keys.push(k);
    return { lang: 'zh-CN' as const, text: '已确认' };
  }
  async callContent() {
    return { content: '' };
  }
  async webhookRefused(r: RefusedWebhook) {
    this.refused.push(r);
    return true;
  }
}

const script = (text: string, confirmable = true): VoiceScript => ({
  lang: 'zh-CN',
  script: text,
  repeatPhrase: '重复一遍',
  gatherPhrase: '收到请按1键确认',
  noInputPhrase: '未收到按键',
  confirmable,
});

describe('Tencent Cloud SMS and VMS through the official SDK, against the simulator', () => {
  let sim: TencentSimulator;
  let app: INestApplication;
  let sink: RecordingSink;
  let settings: TencentSettings;
  let smsChannel: TencentSmsChannel;
  let voice: TencentVoiceChannel;
  /** The simulator's clock for the per-callee limits, moved by the tests. */
  let clock = Date.now();

  beforeAll(async () => {
    sim = await startTencentSimulator({
      secretId: 'AKIDsimulator0001',
      secretKey: SECRET_KEY,
      smsSdkAppId: '1400000001',
      signName: '县防汛办',
      voiceSdkAppId: '1400000002',
      smsTemplates: [{ id: '2001', text: '{1}' }],
      voiceTemplates: [
        { id: '3001', text: '{1}收到请按1键确认。' },
        { id: '3002', text: '{1}' },
      ],
      now: () => clock,
    });
    settings = {
      secretId: 'AKIDsimulator0001',
      secretKey: SECRET_KEY,
      region: 'ap-guangzhou',
      apiBaseUrl: sim.url,
      smsSdkAppId: '1400000001',
      signName: '县防汛办',
      smsTemplateId: '2001',
      voiceSdkAppId: '1400000002',
      voiceConfirmTemplateId: '3001',
      voiceNoticeTemplateId: '3002',
      playTimes: 2,
      smsFrom: '106900000001',
      voiceFrom: '075500000001',
    };
    const clients = createTencentClients(settings);
    smsChannel = new TencentSmsChannel(clients, settings);
    voice = new TencentVoiceChannel(clients, settings);
    sink = new RecordingSink();
    const mod = await Test.createTestingModule({
      controllers: [TencentWebhooksController],
      providers: [
        { provide: PROVIDER_WEBHOOK_SINK, useValue: sink },
        {
          provide: TENCENT_WEBHOOK_SETTINGS,
          useValue: { callbackSecret: CALLBACK_SECRET, heardSeconds: 20, smsFrom: settings.smsFrom },
        },
        { provide: TENCENT_REPLY_CHANNEL, useValue: smsChannel },
      ],
    }).compile();
    app = mod.createNestApplication();
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    sim.setCallbacks({
      smsStatus: `${base}/tencent/sms/status/${callbackToken(CALLBACK_SECRET, 'sms-status')}`,
      smsReply: `${base}/tencent/sms/reply/${callbackToken(CALLBACK_SECRET, 'sms-reply')}`,
      voice: `${base}/tencent/voice/${callbackToken(CALLBACK_SECRET, 'voice')}`,
    });
  });

  afterAll(async () => {
    await sim?.stop();
    await app?.close();
  });

  beforeEach(async () => {
    await sim.idle(); // the callbacks of the test before land before the records are cleared
    clock += 86_400_000; // a new day for the limits
    sink.statuses = [];
    sink.inbound = [];
    sink.keys = [];
    sink.refused = [];
    sim.setFaults({});
    sim.setBehaviours({});
  });

  it('sends an SMS (SendSms) and takes its delivery report; a repeated report is the same status', async () => {
    sim.setFaults({ callbackRepeat: 2 });
    const r = await smsChannel.send({
      requestId: 'rq-sms-1',
      to: '+8613800000001',
      body: '【演练】暴雨红色预警，请回复1确认',
    });
    expect(r.providerId).toMatch(/^2640:/);
    expect(r.status).toBe('submitted');
    const [rec] = sim.sent().filter((x) => x.id === r.providerId);
    expect(rec).toMatchObject({ kind: 'sms', templateId: '2001', sessionContext: 'rq-sms-1' });
    expect(rec.text).toBe('【演练】暴雨红色预警，请回复1确认');
    await waitFor(() => sink.statuses.length === 2, 'two delivery reports');
    expect(sink.statuses[0]).toMatchObject({ channel: 'sms', providerId: r.providerId, status: 'delivered' });
    // Same providerId + status both times: the sink records it once.
    expect(sink.statuses[1]).toEqual(sink.statuses[0]);
    expect(JSON.stringify(sink.statuses[0].providerFields)).not.toContain('13800000001');
  });

  it("reports an SMS that was not delivered as failed, with Tencent's reason", async () => {
    sim.setBehaviours({ rules: [{ number: '+8613800000002', behaviour: 'fail' }] });
    const r = await smsChannel.send({ requestId: 'rq-sms-2', to: '+8613800000002', body: '测试' });
    await waitFor(() => sink.statuses.find((s) => s.providerId === r.providerId), 'the failure report');
    expect(sink.statuses[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('MK:0012') });
  });

  it('places a call (SendTtsVoice) with the key-press template; the key press and the heard status come back', async () => {
    sim.setBehaviours({ default: 'answer-and-press-1' });
    const content = voice.callContent('rq-call-1', script('暴雨红色预警，请立即组织转移。'));
    const r = await voice.send({ requestId: 'rq-call-1', to: '+8613800000003', content });
    const rec = sim.sent().find((x) => x.id === r.providerId)!;
    expect(rec.text).toBe('暴雨红色预警，请立即组织转移。收到请按1键确认。');
    await waitFor(() => sink.statuses.length === 1 && sink.keys.length === 1, 'key press and status');
    expect(sink.keys[0]).toMatchObject({ callId: r.providerId, digits: '1' });
    expect(sink.statuses[0]).toMatchObject({ channel: 'voice', providerId: r.providerId, status: 'heard' });
  });

  it('a notice that asks nothing goes with the template without the key press', async () => {
    const content = voice.callContent('rq-call-2', script('预警已解除。', false));
    const r = await voice.send({ requestId: 'rq-call-2', to: '+8613800000004', content });
    expect(sim.sent().find((x) => x.id === r.providerId)!.text).toBe('预警已解除。');
  });

  it("maps busy, unanswered and short calls to the project's statuses", async () => {
    sim.setBehaviours({
      rules: [
        { number: '+8613800000005', behaviour: 'busy' },
        { number: '+8613800000006', behaviour: 'no-answer' },
        { number: '+8613800000007', behaviour: 'answer-hang-up-early' },
      ],
    });
    const ids: Record<string, string> = {};
    for (const n of ['5', '6', '7']) {
      const to = `+861380000000${n}`;
      ids[n] = (
        await voice.send({ requestId: `rq-${n}`, to, content: voice.callContent(`rq-${n}`, script('预警')) })
      ).providerId;
    }
    await waitFor(() => sink.statuses.length === 3, 'three call outcomes');
    const of = (n: string) => sink.statuses.find((s) => s.providerId === ids[n]);
    expect(of('5')).toMatchObject({ status: 'busy' });
    expect(of('6')).toMatchObject({ status: 'no-answer' });
    expect(of('7')).toMatchObject({ status: 'completed', durationSec: 5 });
  });

  it('takes an SMS reply, the same reply repeated has the same message id, and an answer goes back by SMS', async () => {
    sim.setFaults({ callbackRepeat: 2 });
    await sim.reply('+8613800000008', '帮助');
    await waitFor(() => sink.inbound.length === 2, 'the reply, twice');
    expect(sink.inbound[0]).toMatchObject({ from: '+8613800000008', to: '106900000001', body: '帮助' });
    expect(sink.inbound[1].messageId).toBe(sink.inbound[0].messageId);
    const answers = sim.sent().filter((x) => x.kind === 'sms' && x.to === '+8613800000008');
    // The second answer is the same text within 30 s: Tencent's own limit refuses it.
    expect(answers.map((a) => a.text)).toEqual(['回复1确认收到']);
  });

  it('refuses a second call to one number within 30 s and a third within 10 min (per-callee limits)', async () => {
    const to = '+8613800000009';
    const call = () =>
      voice.send({ requestId: 'rq-l', to, content: voice.callContent('rq-l', script('预警')) });
    await call();
    const refused = await call().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CalleeLimitRefused);
    expect(refused).toMatchObject({ providerCode: 'LimitExceeded.DeliveryFrequencyLimit', permanent: true });
    expect((refused as Error).message).toContain('1 per 30 s');
    clock += 31_000;
    await call();
    clock += 31_000;
    const tenMinutes = await call().catch((e: unknown) => e);
    expect((tenMinutes as Error).message).toContain('2 per 10 min');
  });

  it('refuses the same SMS text to one number within 30 s', async () => {
    const to = '+8613800000010';
    await smsChannel.send({ requestId: 'rq-s1', to, body: '同一内容' });
    const refused = await smsChannel
      .send({ requestId: 'rq-s2', to, body: '同一内容' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CalleeLimitRefused);
    expect(refused).toMatchObject({ providerCode: 'LimitExceeded.PhoneNumberThirtySecondLimit' });
    await expect(smsChannel.send({ requestId: 'rq-s3', to, body: '另一内容' })).resolves.toMatchObject({
      status: 'submitted',
    });
  });

  it('an invalid number is a permanent error', async () => {
    const e = await smsChannel
      .send({ requestId: 'rq-bad', to: '+86123', body: 'x' })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TencentApiError);
    expect(e).toMatchObject({ tencentCode: 'InvalidParameterValue.IncorrectPhoneNumber', permanent: true });
  });

  it('finds an SMS again by the status pull (reconciliation)', async () => {
    const to = '+8613800000011';
    const since = new Date(clock);
    const r = await smsChannel.send({ requestId: 'rq-find', to, body: '找回' });
    const found = await smsChannel.findSent(to, '找回', since, 'rq-find');
    expect(found.map((f) => f.providerId)).toEqual([r.providerId]);
    expect(await smsChannel.findSent(to, '找回', since, 'rq-other')).toEqual([]);
  });

  it('reads an SMS report its callback never brought from the status pull (the status check)', async () => {
    sim.setBehaviours({ rules: [{ number: '+8613800000032', behaviour: 'fail' }] });
    const sentAt = new Date(clock);
    const ok = await smsChannel.send({ requestId: 'rq-check-1', to: '+8613800000031', body: '查1' });
    const bad = await smsChannel.send({ requestId: 'rq-check-2', to: '+8613800000032', body: '查2' });
    await sim.idle();
    expect(
      await smsChannel.statusOf({ providerId: ok.providerId, to: '+8613800000031', sentAt }),
    ).toMatchObject({
      channel: 'sms',
      providerId: ok.providerId,
      status: 'delivered',
      providerFields: { StatusSource: 'api-fetch' },
    });
    expect(
      await smsChannel.statusOf({ providerId: bad.providerId, to: '+8613800000032', sentAt }),
    ).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('MK:0012'),
    });
    // A SerialNo Tencent reports nothing for (another number's): no status.
    expect(
      await smsChannel.statusOf({ providerId: bad.providerId, to: '+8613800000031', sentAt }),
    ).toBeNull();
  });

  describe('request signatures (TC3-HMAC-SHA256)', () => {
    it('a wrong secret key is refused with AuthFailure.SignatureFailure, never retried', async () => {
      const bad = new TencentSmsChannel(
        createTencentClients({ ...settings, secretKey: testSecret() }),
        settings,
      );
      const e = await bad
        .send({ requestId: 'rq-sig', to: '+8613800000012', body: 'x' })
        .catch((x: unknown) => x);
      expect(e).toMatchObject({ tencentCode: 'AuthFailure.SignatureFailure', permanent: true });
      expect(sim.sent().some((x) => x.to === '+8613800000012')).toBe(false);
    });

    it('an unknown SecretId is refused with AuthFailure.SecretIdNotFound', async () => {
      const bad = new TencentVoiceChannel(
        createTencentClients({ ...settings, secretId: 'AKIDunknown' }),
        settings,
      );
      const e = await bad
        .send({ requestId: 'rq-id', to: '+8613800000013', content: voice.callContent('x', script('x')) })
        .catch((x: unknown) => x);
      expect(e).toMatchObject({ tencentCode: 'AuthFailure.SecretIdNotFound' });
    });

    /** A request signed by the SDK's own signer, with the timestamp and body given. */
    async function signedRequest(timestamp: number, signedBody: string, sentBody = signedBody) {
      const url = `${sim.url}/`;
      const headers = { 'Content-Type': 'application/json' };
      const authorization = Sign.sign3({
        method: 'POST',
        url,
        payload: JSON.parse(signedBody),
        timestamp,
        service: new URL(sim.url).hostname.split('.')[0],
        secretId: settings.secretId,
        secretKey: settings.secretKey,
        multipart: false,
        boundary: '',
        headers,
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          ...headers,
          Authorization: authorization,
          'X-TC-Action': 'SendSms',
          'X-TC-Version': '2021-01-11',
          'X-TC-Timestamp': String(timestamp),
        },
        body: sentBody,
      });
      return ((await res.json()) as { Response: { Error?: { Code: string } } }).Response;
    }
    const body = (to: string) =>
      JSON.stringify({
        PhoneNumberSet: [to],
        SmsSdkAppId: '1400000001',
        SignName: '县防汛办',
        TemplateId: '2001',
        TemplateParamSet: ['x'],
      });

    it('the simulator accepts what the SDK signer signs (the check is the real one)', async () => {
      const r = await signedRequest(Math.floor(Date.now() / 1000), body('+8613800000014'));
      expect(r.Error).toBeUndefined();
    });

    it('a request signed more than five minutes ago is refused with AuthFailure.SignatureExpire', async () => {
      const r = await signedRequest(Math.floor(Date.now() / 1000) - 600, body('+8613800000015'));
      expect(r.Error?.Code).toBe('AuthFailure.SignatureExpire');
    });

    it('a body changed after signing is refused with AuthFailure.SignatureFailure', async () => {
      const r = await signedRequest(
        Math.floor(Date.now() / 1000),
        body('+8613800000016'),
        body('+8613800000017'),
      );
      expect(r.Error?.Code).toBe('AuthFailure.SignatureFailure');
      expect(sim.sent().some((x) => x.to === '+8613800000017')).toBe(false);
    });
  });

  describe('callbacks', () => {
    it('a callback with a wrong token is refused (403) and recorded without the number or the text', async () => {
      const base = await app.getUrl();
      const res = await fetch(`${base}/tencent/sms/reply/${callbackToken(testSecret(), 'sms-reply')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mobile: '13800000018', nationcode: '86', text: '收到', time: 1 }),
      });
      expect(res.status).toBe(403);
      expect(sink.inbound).toHaveLength(0);
      expect(sink.refused[0]).toMatchObject({
        path: '/tencent/sms-reply',
        reason: 'callback token missing or wrong',
      });
      expect([...sink.refused[0].personalFields]).toEqual(expect.arrayContaining(['mobile', 'text']));
    });

    it("a token for another kind of callback is refused, and a body not of Tencent's shape is 400", async () => {
      const base = await app.getUrl();
      const post = (path: string, body: unknown) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post(`/tencent/voice/${callbackToken(CALLBACK_SECRET, 'sms-status')}`, {})).status).toBe(
        403,
      );
      const wrongShape = await post(`/tencent/voice/${callbackToken(CALLBACK_SECRET, 'voice')}`, {
        callid: 'x',
      });
      expect(wrongShape.status).toBe(400);
      expect(sink.refused[1].reason).toContain("not Tencent's shape");
    });
  });

  it('an internal error is retryable and known not to have sent anything', async () => {
    sim.setFaults({ internalErrorRate: 1 });
    const e = (await smsChannel
      .send({ requestId: 'rq-ie', to: '+8613800000019', body: 'x' })
      .catch((x: unknown) => x)) as ChannelError;
    expect(e).toMatchObject({ permanent: false, httpStatus: 500, definitelyNotAccepted: true });
  });

  it('a provider that is down gives a network error: outcome unknown, retried after the lookup', async () => {
    sim.setFaults({ down: true });
    const e = (await smsChannel
      .send({ requestId: 'rq-down', to: '+8613800000020', body: 'x' })
      .catch((x: unknown) => x)) as ChannelError;
    expect(e).toBeInstanceOf(ChannelError);
    expect(e).toMatchObject({ permanent: false, definitelyNotAccepted: false });
  });

  it('a request past its timeout is an unknown outcome marked timed out, and the SMS was made all the same', async () => {
    sim.setFaults({ holdMs: 2_500 });
    const hurried = { ...settings, requestTimeoutSec: 1 };
    const channel = new TencentSmsChannel(createTencentClients(hurried), hurried);
    const e = (await channel
      .send({ requestId: 'rq-slow', to: '+8613800000021', body: 'slow' })
      .catch((x: unknown) => x)) as ChannelError;
    expect(e).toBeInstanceOf(ChannelError);
    expect(e).toMatchObject({ permanent: false, definitelyNotAccepted: false, timedOut: true });
    // What the send gate's grace is for: the provider took it after the client gave up.
    await waitFor(() => sim.sent().some((m) => m.to === '+8613800000021'), 'the late SMS at the provider');
    sim.setFaults({});
  });
});
