import { INestApplication } from '@nestjs/common';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { createServer } from 'node:net';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { CalloutResponse } from '../../contracts/generated/callout-response';
import { CalloutStatus } from '../../contracts/generated/callout-status';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  uniqueId,
  waitFor,
  testSecret,
} from '../../test/support/infra';
import { createAckToken } from './ack-token';
import { NOTIFY_WORKER } from './notify.tokens';
import { REJECTED_EXCERPT_BYTES, REJECTED_PER_MINUTE } from './rejected-webhook';
import { startTwilioSimulator, TwilioSimulator } from './simulator/twilio-simulator';
import { SAMPLE_DATA } from '../templates/template-data';
import { startTestNotifier } from '../../test/support/notifier';

jest.setTimeout(90_000);

const ACCOUNT = 'AC' + 'ab'.repeat(16);
const TOKEN = testSecret();
const SECRET = testSecret();
const SMS_FROM = '+8610690000001';
const VOICE_FROM = '+8610690000002';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe('notifier with the Twilio simulator, Kafka and PostgreSQL', () => {
  let db: TestDatabase;
  let sim: TwilioSimulator;
  let app: INestApplication;
  let base: string;
  let prefix: string;
  let producer: Producer;
  let consumer: Consumer;
  const statuses: CalloutStatus[] = [];
  const responses: CalloutResponse[] = [];
  const dlq: { value: string; reason: string }[] = [];

  const expires = new Date(Date.now() + 24 * 3600_000).toISOString();
  let n = 0;
  function request(to: string, over: Partial<CalloutRequested> = {}): CalloutRequested {
    n += 1;
    const calloutId = `co-${uniqueId('c')}`;
    return {
      schemaVersion: 1,
      requestId: `${calloutId}#1:sms:callout`,
      calloutId,
      warningId: 'w-1',
      personId: `p-${n}`,
      to,
      channel: 'sms',
      purpose: 'callout',
      attempt: 1,
      drill: false,
      language: 'zh-CN',
      data: { ...SAMPLE_DATA, warning: { ...SAMPLE_DATA.warning, expires, seq: 100 + n } },
      requestedAt: new Date().toISOString(),
      ...over,
    };
  }
  const publish = async (...reqs: CalloutRequested[]) =>
    producer.send({
      topic: `${prefix}callouts.requested`,
      messages: reqs.map((r) => ({ key: r.calloutId, value: JSON.stringify(r) })),
    });
  const statusOf = (requestId: string, status: string) =>
    statuses.find((s) => s.requestId === requestId && s.status === status);
  const toNumber = (to: string) => sim.sent().filter((r) => r.to === to);

  beforeAll(async () => {
    db = await createTestDatabase('notify');
    prefix = `${uniqueId('notify')}.`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    sim = await startTwilioSimulator({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      latencyMs: 0,
      inboundSmsUrl: `${base}/twilio/sms/inbound`,
      defaultInboundTo: SMS_FROM,
      behaviours: {
        rules: [
          { suffix: '0404', behaviour: 'invalid-number' },
          { suffix: '0501', behaviour: 'answer-and-press-1' },
          { suffix: '0502', behaviour: 'answer-hang-up-early' },
        ],
        default: 'deliver',
      },
    });
    app = await startTestNotifier({
      service: 'notifier-test',
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
      perSecond: 200,
    });

    const kafka = new Kafka({ clientId: 'notify-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    consumer = kafka.consumer({ groupId: `${prefix}observer` });
    await consumer.connect();
    await consumer.subscribe({
      topics: [`${prefix}callouts.status`, `${prefix}callouts.responses`, `${prefix}callouts.requested.dlq`],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const v = message.value!.toString();
        if (topic.endsWith('callouts.status')) statuses.push(JSON.parse(v));
        else if (topic.endsWith('callouts.responses')) responses.push(JSON.parse(v));
        else dlq.push({ value: v, reason: message.headers?.['x-dlq-reason']?.toString() ?? '' });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await app?.close();
    await sim?.stop();
    await db?.drop();
  });

  it('sends an SMS; its status callbacks arrive and are published', async () => {
    const r = request('+8613800000101');
    await publish(r);
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered status');
    expect(statusOf(r.requestId, 'submitted')).toBeTruthy();
    expect(statusOf(r.requestId, 'sent')).toBeTruthy();
    const sent = toNumber(r.to);
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toContain('张伟请回复1或收到确认');
    expect(sent[0].body).toContain(`${base}/ack/`);
    expect(statusOf(r.requestId, 'delivered')).toMatchObject({
      calloutId: r.calloutId,
      channel: 'sms',
      providerId: sent[0].sid,
    });
    // Its final status is recorded with the attempt: the status check never asks about it.
    const [attempt] = (
      await db.db.query<{ final_status_at: Date | null }>(
        `SELECT final_status_at FROM notify.attempts WHERE request_id = $1`,
        [r.requestId],
      )
    ).rows;
    expect(attempt.final_status_at).not.toBeNull();
  });

  it('a redelivered request (same requestId twice on Kafka) sends nothing new', async () => {
    const r = request('+8613800000102');
    const marker = request('+8613800000103', {
      calloutId: r.calloutId,
      requestId: `${r.calloutId}#2:sms:redial`,
      purpose: 'redial',
      attempt: 2,
    });
    await publish(r, r);
    await publish(marker); // same key → same partition → handled after both copies
    await waitFor(() => statusOf(marker.requestId, 'submitted'), 'marker submitted');
    // Both copies were accepted before the marker (same partition); the queue sends in any order.
    await waitFor(() => statusOf(r.requestId, 'submitted'), 'request submitted');
    await sim.idle();
    expect(toNumber(r.to)).toHaveLength(1);
    expect(statuses.filter((s) => s.requestId === r.requestId && s.status === 'submitted')).toHaveLength(1);
  });

  it('recovers from a 429 storm with exactly one send', async () => {
    const r = request('+8613800000104');
    const before = sim.requests().length;
    sim.storm(3);
    await publish(r);
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered after the storm');
    const creates = sim
      .requests()
      .slice(before)
      .filter((x) => x.method === 'POST');
    expect(creates.filter((x) => x.httpStatus === 429)).toHaveLength(3);
    expect(creates.filter((x) => x.httpStatus === 201)).toHaveLength(1);
    expect(toNumber(r.to)).toHaveLength(1);
  });

  it('does not retry a permanent error (21211) and publishes failed with the reason', async () => {
    const r = request('+8613800000404');
    const before = sim.requests().length;
    await publish(r);
    const failed = await waitFor(() => statusOf(r.requestId, 'failed'), 'failed status');
    expect(failed.reason).toContain('21211');
    expect(
      sim
        .requests()
        .slice(before)
        .filter((x) => x.code === 21211),
    ).toHaveLength(1);
    expect(toNumber(r.to)).toHaveLength(0);
    const row = await db.db.query<{ state: string; error_code: number }>(
      `SELECT state, error_code FROM notify.attempts WHERE request_id = $1`,
      [r.requestId],
    );
    expect(row.rows[0]).toEqual({ state: 'failed', error_code: 21211 });
  });

  it('voice: answered and pressed 1 → heard and a confirm response', async () => {
    const r = request('+8613800000501', { channel: 'voice' });
    r.requestId = `${r.calloutId}#1:voice:callout`;
    await publish(r);
    const resp = await waitFor(() => responses.find((x) => x.calloutId === r.calloutId), 'voice confirm');
    const call = toNumber(r.to)[0];
    expect(resp).toMatchObject({ kind: 'confirm', via: 'voice', responseId: `${call.sid}:1` });
    expect(call.twiml).toContain('<Say language="cmn-CN"');
    expect(call.twiml).toContain('<Gather numDigits="1"');
    await waitFor(() => statusOf(r.requestId, 'heard'), 'heard');
    // Only completed is asked for: no initiated / ringing / answered webhooks per call.
    expect(statusOf(r.requestId, 'ringing')).toBeUndefined();
    expect(statusOf(r.requestId, 'answered')).toBeUndefined();
    expect(call.callbacks.map((c) => c.status)).not.toContain('in-progress');
    // The TwiML went inline with the call: the provider fetched nothing.
    expect(call.url).toBeUndefined();
  });

  it('voice: answered but hung up early → completed, not heard', async () => {
    const r = request('+8613800000502', { channel: 'voice', requestId: 'early#1:voice:callout' });
    await publish(r);
    const done = await waitFor(() => statusOf(r.requestId, 'completed'), 'completed');
    expect(done.durationSec).toBe(5);
    expect(statusOf(r.requestId, 'heard')).toBeUndefined();
  });

  async function smsThenReply(to: string, text: string) {
    const r = request(to);
    await publish(r);
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered');
    const inbound = await sim.reply(to, text);
    const resp = await waitFor(
      () => responses.find((x) => x.responseId === inbound.sid),
      `response to "${text}"`,
    );
    const reply = sim.records().find((x) => x.kind === 'reply' && x.to === to);
    return { r, resp, reply };
  }

  it('inbound "收到" confirms the most recent call-out to that number', async () => {
    const { r, resp, reply } = await smsThenReply('+8613800000601', '收到');
    expect(resp).toMatchObject({
      calloutId: r.calloutId,
      warningId: 'w-1',
      via: 'sms',
      kind: 'confirm',
      text: '收到',
    });
    expect(reply?.body).toContain('已收到您的确认');
  });

  it('inbound "不收到" does not confirm', async () => {
    const { resp, reply } = await smsThenReply('+8613800000602', '不收到');
    expect(resp.kind).not.toBe('confirm');
    expect(reply?.body).toContain('未能识别');
  });

  it('an unrecognised reply gets the help text', async () => {
    const { resp, reply } = await smsThenReply('+8613800000603', '这是什么意思');
    expect(resp.kind).toBe('unrecognised');
    expect(reply?.body).toContain('回复1或收到=确认');
  });

  it('a short code picks the warning it names', async () => {
    const to = '+8613800000604';
    const a = request(to);
    const b = request(to);
    await publish(a);
    await waitFor(() => statusOf(a.requestId, 'delivered'), 'a delivered');
    await publish(b);
    await waitFor(() => statusOf(b.requestId, 'delivered'), 'b delivered');
    const seqA = (a.data as typeof SAMPLE_DATA).warning.seq;
    const inbound = await sim.reply(to, `1 ${seqA}`);
    const resp = await waitFor(() => responses.find((x) => x.responseId === inbound.sid), 'coded response');
    expect(resp).toMatchObject({ kind: 'confirm', calloutId: a.calloutId });
  });

  it('feedback with a count', async () => {
    const { resp } = await smsThenReply('+8613800000605', '已转移12人');
    expect(resp).toMatchObject({ kind: 'feedback', feedback: { action: 'evacuated', count: 12 } });
  });

  it('accepts a signed webhook, refuses and records a bad or missing signature, and ignores a repeat', async () => {
    const r = request('+8613800000701');
    await publish(r);
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered');
    const sid = toNumber(r.to)[0].sid;
    const url = `${base}/twilio/sms/status?rid=${encodeURIComponent(r.requestId)}`;
    const params = { MessageSid: sid, MessageStatus: 'read', AccountSid: ACCOUNT };
    const post = (sig?: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(sig ? { 'x-twilio-signature': sig } : {}),
        },
        body: new URLSearchParams(params).toString(),
      });
    const bad = await post('bm90LWEtc2lnbmF0dXJl');
    expect(bad.status).toBe(403);
    expect((await post()).status).toBe(403);
    const rejected = await db.db.query<{ reason: string }>(
      `SELECT reason FROM notify.rejected_webhooks ORDER BY id`,
    );
    expect(rejected.rows.map((x) => x.reason)).toEqual([
      'signature does not match',
      'no X-Twilio-Signature header',
    ]);

    const good = await post(getExpectedTwilioSignature(TOKEN, url, params));
    expect(good.status).toBe(200);
    expect(await good.text()).toContain('<Response/>');
    // "read" maps to delivered, which was already applied for this sid: nothing new is published.
    const again = await post(
      getExpectedTwilioSignature(TOKEN, url, { ...params, MessageStatus: 'delivered' }),
    );
    expect(again.status).toBe(403); // params differ from what was signed
    const dup = await post(getExpectedTwilioSignature(TOKEN, url, params));
    expect(dup.status).toBe(200);
    await sim.idle();
    const events = await db.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM notify.webhook_events WHERE event_id = $1`,
      [`${sid}:delivered`],
    );
    expect(Number(events.rows[0].n)).toBe(1);
    expect(statuses.filter((s) => s.requestId === r.requestId && s.status === 'delivered')).toHaveLength(1);
  });

  it('keeps a bounded excerpt of each forged webhook and, past the rate per source, only counts them', async () => {
    const stored = async () =>
      (
        await db.db.query<{ n: string; bytes: string | null }>(
          `SELECT count(*) AS n, sum(pg_column_size(params) + coalesce(length(signature), 0)) AS bytes FROM notify.rejected_webhooks`,
        )
      ).rows[0];
    const before = await stored();
    // About 90 KB of parameters each, the most the webhook body limit lets through.
    const form = new URLSearchParams({ MessageSid: 'SM-forged', AccountSid: ACCOUNT });
    for (let i = 0; i < 45; i++) form.set(`Pad${i}`, 'x'.repeat(2000));
    const forged = 2 * REJECTED_PER_MINUTE;
    for (let i = 0; i < forged; i++) {
      const r = await fetch(`${base}/twilio/sms/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' },
        body: form.toString(),
      });
      expect(r.status).toBe(403);
    }
    const after = await stored();
    // Earlier tests' refusals from this address in the same minute count towards its limit too.
    const storedNow = Number(after.n) - Number(before.n);
    expect(storedNow).toBeLessThanOrEqual(REJECTED_PER_MINUTE);
    expect(storedNow).toBeGreaterThan(0);
    // Each stored row: a 2 KiB excerpt at most (plus jsonb's own overhead), whatever was sent.
    expect(Number(after.bytes) - Number(before.bytes ?? 0)).toBeLessThan(
      REJECTED_PER_MINUTE * 2 * REJECTED_EXCERPT_BYTES,
    );
    const last = await db.db.query<{ params_bytes: number; params_omitted: number }>(
      `SELECT params_bytes, params_omitted FROM notify.rejected_webhooks ORDER BY id DESC LIMIT 1`,
    );
    expect(last.rows[0].params_bytes).toBeGreaterThan(90_000);
    expect(last.rows[0].params_omitted).toBeGreaterThan(30);
    const counted = await db.db.query<{ n: string }>(
      `SELECT sum(requests) AS n FROM notify.rejected_webhook_overflow`,
    );
    // Nothing lost from the count: every forged request is either stored or counted.
    expect(Number(counted.rows[0].n) + storedNow).toBe(forged);
  });

  it('ack link: GET shows, POST confirms once, forged and expired are refused', async () => {
    const r = request('+8613800000801');
    await publish(r);
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered');
    const link = /(http:\/\/\S+\/ack\/\S+)/.exec(toNumber(r.to)[0].body!)![1];
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('暴雨预警');
    expect(html).toContain('method="post"');
    expect(responses.find((x) => x.calloutId === r.calloutId)).toBeUndefined(); // GET confirms nothing

    const confirm = await fetch(link, { method: 'POST' });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('已确认收到');
    await fetch(link, { method: 'POST' });
    const fb = await fetch(`${link}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=evacuated&count=7&note=%E5%B7%B2%E8%BD%AC%E7%A7%BB',
    });
    expect(fb.status).toBe(200);
    await waitFor(() => responses.filter((x) => x.calloutId === r.calloutId).length >= 2, 'web responses');
    await waitFor(
      () => responses.find((x) => x.calloutId === r.calloutId && x.kind === 'feedback'),
      'feedback',
    );
    const mine = responses.filter((x) => x.calloutId === r.calloutId);
    expect(mine.filter((x) => x.kind === 'confirm')).toHaveLength(1);
    expect(mine.find((x) => x.kind === 'feedback')).toMatchObject({
      via: 'web',
      feedback: { action: 'evacuated', count: 7, note: '已转移' },
    });

    const forged = link.slice(0, -3) + (link.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(forged)).status).toBe(403);
    const expired = `${base}/ack/${createAckToken(SECRET, r.calloutId, new Date(Date.now() - 1000))}`;
    expect((await fetch(expired, { method: 'POST' })).status).toBe(410);
  });

  it("the link in a sent SMS expires with the warning: confirms before the warning's expiry, 410 after", async () => {
    const expiresOf = new Map<string, string>();
    const expiring = (to: string, inMs: number) => {
      const expires = new Date(Date.now() + inMs).toISOString();
      const r = request(to, {
        data: { ...SAMPLE_DATA, warning: { ...SAMPLE_DATA.warning, expires, seq: 700 + n } },
      });
      expiresOf.set(r.requestId, expires);
      return r;
    };
    const linkOf = async (r: CalloutRequested) => {
      await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered');
      return /(http:\/\/\S+\/ack\/\S+)/.exec(toNumber(r.to)[0].body!)![1];
    };
    // The token's expiry (unix seconds, base 36) is the warning's own.
    const expiryOf = (link: string) => parseInt(link.split('/ack/')[1].split('.')[1], 36) * 1000;
    const soon = expiring('+8613800000811', 3_000);
    const later = expiring('+8613800000812', 10 * 60_000);
    await publish(soon, later);
    const soonLink = await linkOf(soon);
    const laterLink = await linkOf(later);
    for (const [r, link] of [
      [soon, soonLink],
      [later, laterLink],
    ] as const)
      expect(expiryOf(link)).toBe(Math.floor(Date.parse(expiresOf.get(r.requestId)!) / 1000) * 1000);

    // Before the warning expires: the link confirms.
    const confirmed = await fetch(laterLink, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    await waitFor(
      () => responses.find((x) => x.calloutId === later.calloutId && x.kind === 'confirm'),
      'the confirmation from the link',
    );

    // After it expired: the same kind of link from the SMS is gone (410), shown or posted.
    await waitFor(() => Date.now() > expiryOf(soonLink) + 1_000, "the warning's expiry to pass", 20_000);
    const shown = await fetch(soonLink);
    expect(shown.status).toBe(410);
    expect(await shown.text()).toContain('链接已过期');
    expect((await fetch(soonLink, { method: 'POST' })).status).toBe(410);
    // Nothing was published for the refused link.
    expect(responses.filter((x) => x.calloutId === soon.calloutId)).toEqual([]);
  });

  it('accepted but the answer lost: the reconciler finds the message at the provider, none is sent twice', async () => {
    const r = request('+8613800000611');
    // Every create: made, then the connection reset; its callbacks late (the sid is learnt by asking).
    sim.setFaults({ answerLostRate: 1, lateRate: 1, lateMs: 3000 });
    try {
      await publish(r);
      await waitFor(() => statusOf(r.requestId, 'submitted'), 'submitted after the lost answer', 30_000);
    } finally {
      sim.setFaults({});
    }
    await waitFor(() => statusOf(r.requestId, 'delivered'), 'delivered');
    const sent = toNumber(r.to);
    expect(sent).toHaveLength(1);
    expect(sent[0].answerLost).toBe(true);
    const row = await db.db.query<{ state: string; provider_sid: string }>(
      `SELECT state, provider_sid FROM notify.attempts WHERE request_id = $1`,
      [r.requestId],
    );
    expect(row.rows[0]).toEqual({ state: 'sent', provider_sid: sent[0].sid });
    // It was asked through the Messages list filtered by To and date sent.
    expect(
      sim
        .requests()
        .some((x) => x.method === 'GET' && x.path.endsWith('/Messages.json') && x.httpStatus === 200),
    ).toBe(true);
  });

  it('two calls to one number, both answers lost: each attempt adopts a call of its own, none placed twice', async () => {
    const to = '+8613800000612';
    const a = request(to, { channel: 'voice' });
    a.requestId = `${a.calloutId}#1:voice:callout`;
    const b = request(to, { channel: 'voice', purpose: 'escalation' });
    b.requestId = `${b.calloutId}#1:voice:escalation`;
    // Callbacks late as well: the sids reach the notifier only through the reconciler's lookups.
    sim.setFaults({ answerLostRate: 1, lateRate: 1, lateMs: 3000 });
    try {
      await publish(a, b);
      await waitFor(
        () => statusOf(a.requestId, 'submitted') && statusOf(b.requestId, 'submitted'),
        'both submitted after the lost answers',
        30_000,
      );
    } finally {
      sim.setFaults({});
    }
    await sim.idle();
    const calls = toNumber(to);
    expect(calls).toHaveLength(2);
    const rows = await db.db.query<{ request_id: string; provider_sid: string }>(
      `SELECT request_id, provider_sid FROM notify.attempts WHERE request_id = ANY($1::text[]) ORDER BY request_id`,
      [[a.requestId, b.requestId]],
    );
    expect(rows.rows.map((x) => x.provider_sid).sort()).toEqual(calls.map((c) => c.sid).sort());
  });

  it('a send refused with 429 on every try is left to the reconciler, not failed', async () => {
    const r = request('+8613800000613');
    const worker = app.get<{ inFlight: number }>(NOTIFY_WORKER);
    const before = sim.requests().length;
    sim.setFaults({ tooManyRate: 1 });
    try {
      await publish(r);
      // NOTIFY_SEND_TRIES (default 6) refusals, then the worker is done with it.
      await waitFor(
        () =>
          sim
            .requests()
            .slice(before)
            .filter((x) => x.method === 'POST' && x.code === 20429).length >= 6 && worker.inFlight === 0,
        'every try refused',
        30_000,
      );
    } finally {
      sim.setFaults({});
    }
    const row = await db.db.query<{ state: string }>(
      `SELECT state FROM notify.attempts WHERE request_id = $1`,
      [r.requestId],
    );
    expect(row.rows[0].state).toBe('sending');
    expect(statusOf(r.requestId, 'failed')).toBeUndefined();
  });

  it('a request whose data does not fit the contract, or cannot render, goes to the DLQ with the reason', async () => {
    // Deliberately outside the contract's type: no person to address.
    const misfit = request('+8613800000901', {
      data: { warning: SAMPLE_DATA.warning } as unknown as CalloutRequested['data'],
    });
    // Fits the contract, but an escalation names who did not answer (its template needs the subject).
    const { subject: _subject, ...noSubject } = SAMPLE_DATA;
    const unrenderable = request('+8613800000902', {
      requestId: `${uniqueId('co')}#1:sms:escalation`,
      purpose: 'escalation',
      data: noSubject,
    });
    await publish(misfit);
    await publish(unrenderable);
    const misfitLetter = await waitFor(
      () => dlq.find((x) => x.value.includes(misfit.requestId)),
      'dead letter of the misfit',
    );
    expect(misfitLetter.reason).toContain(
      "schema callout-requested: /data: must have required property 'person'",
    );
    const unrenderableLetter = await waitFor(
      () => dlq.find((x) => x.value.includes(unrenderable.requestId)),
      'dead letter of the unrenderable',
    );
    expect(unrenderableLetter.reason).toMatch(
      /^rejected: cannot render: template sms\/escalation: "name" not defined/,
    );
    expect(toNumber(misfit.to)).toHaveLength(0);
    expect(toNumber(unrenderable.to)).toHaveLength(0);
  });
});

describe('notifier send queue: concurrent sends, at most once, resumed after a restart', () => {
  /** Each create request is held this long by the simulator, as a real API round trip. */
  const API_LATENCY_MS = 200;
  const COUNT = 200;
  let db: TestDatabase;
  let sim: TwilioSimulator;
  let port: number;
  let prefix: string;
  let producer: Producer;

  beforeAll(async () => {
    db = await createTestDatabase('notify-queue');
    prefix = `${uniqueId('notifyq')}.`;
    port = await freePort();
    sim = await startTwilioSimulator({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      latencyMs: 0,
      apiLatencyMs: API_LATENCY_MS,
      behaviours: { default: 'deliver' },
    });
    const kafka = new Kafka({
      clientId: 'notifyq-test',
      brokers: kafkaBrokers(),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await sim?.stop();
    await db?.drop();
  });

  /** A notifier app on this describe's database and topics; `worker: false` leaves accepted attempts queued. */
  const startNotifier = (worker: boolean): Promise<INestApplication> =>
    startTestNotifier({
      service: 'notifier-queue-test',
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
      worker,
      perSecond: 10000,
      concurrency: 50,
    });

  let n = 0;
  const expires = new Date(Date.now() + 24 * 3600_000).toISOString();
  function request(to: string, over: Partial<CalloutRequested> = {}): CalloutRequested {
    n += 1;
    const calloutId = `coq-${uniqueId('c')}`;
    return {
      schemaVersion: 1,
      requestId: `${calloutId}#1:sms:callout`,
      calloutId,
      warningId: 'w-q',
      personId: `pq-${n}`,
      to,
      channel: 'sms',
      purpose: 'callout',
      attempt: 1,
      drill: false,
      language: 'zh-CN',
      data: { ...SAMPLE_DATA, warning: { ...SAMPLE_DATA.warning, expires, seq: n } },
      requestedAt: new Date().toISOString(),
      ...over,
    };
  }
  const publish = (...reqs: CalloutRequested[]) =>
    producer.send({
      topic: `${prefix}callouts.requested`,
      messages: reqs.map((r) => ({ key: r.calloutId, value: JSON.stringify(r) })),
    });
  const states = async (ids: string[]) =>
    (
      await db.db.query<{ request_id: string; state: string; provider_sid: string | null }>(
        `SELECT request_id, state, provider_sid FROM notify.attempts WHERE request_id = ANY($1::text[])`,
        [ids],
      )
    ).rows;

  it(`sends ${COUNT} requests published at once exactly once each, more than 6 at a time`, async () => {
    const app = await startNotifier(true);
    try {
      const reqs = Array.from({ length: COUNT }, (_, i) => request(`+86139000${10000 + i}`));
      const ids = reqs.map((r) => r.requestId);
      const firstRequest = sim.requests().length;
      await publish(...reqs);
      await waitFor(
        async () => (await states(ids)).filter((x) => x.state === 'sent').length === COUNT,
        `all ${COUNT} sent`,
        60_000,
      );
      await sim.idle();

      // Exactly once: one message per number, and it is the one whose sid the attempt recorded.
      const rows = await states(ids);
      for (const r of reqs) {
        const got = sim.sent().filter((x) => x.to === r.to);
        expect(got).toHaveLength(1);
        expect(rows.find((x) => x.request_id === r.requestId)?.provider_sid).toBe(got[0].sid);
      }

      // Concurrency: each create was held API_LATENCY_MS from its arrival, so [at, at + API_LATENCY_MS
      // - 10 ms for timer and clock rounding) lies inside the time it was in flight. One message at a
      // time per partition (6 partitions) could never overlap more than 6.
      const creates = sim
        .requests()
        .slice(firstRequest)
        .filter((x) => x.method === 'POST' && x.httpStatus === 201)
        .map((x) => Date.parse(x.at));
      expect(creates).toHaveLength(COUNT);
      const maxOverlap = Math.max(
        ...creates.map((t) => creates.filter((u) => u <= t && t < u + API_LATENCY_MS - 10).length),
      );
      // A lower bound on concurrency only: 7 requests within 200 ms takes no speed, and how fast the
      // queue drains is the benchmark's figure (npm run bench), not this test's.
      expect(maxOverlap).toBeGreaterThan(6);
    } finally {
      await app.close();
    }
  });

  it('an accepted but unsent attempt is sent once after a restart; a later redelivery sends nothing', async () => {
    const r = request('+8613900020001');
    let app = await startNotifier(false);
    try {
      await publish(r);
      await waitFor(async () => (await states([r.requestId]))[0]?.state === 'queued', 'accepted, queued');
    } finally {
      await app.close();
    }
    expect(sim.sent().filter((x) => x.to === r.to)).toHaveLength(0);

    app = await startNotifier(true);
    try {
      await waitFor(async () => (await states([r.requestId]))[0]?.state === 'sent', 'sent after restart');
      const marker = request('+8613900020002', {
        calloutId: r.calloutId,
        requestId: `${r.calloutId}#2:sms:redial`,
        purpose: 'redial',
        attempt: 2,
      });
      await publish(r, marker); // same key → same partition: the redelivery is handled before the marker
      await waitFor(async () => (await states([marker.requestId]))[0]?.state === 'sent', 'marker sent');
      await sim.idle();
      expect(sim.sent().filter((x) => x.to === r.to)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
