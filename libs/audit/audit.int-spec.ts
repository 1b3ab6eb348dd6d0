import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Kafka } from 'kafkajs';
import {
  CapacityPlanned,
  CalloutEvent,
  CalloutRequested,
  CalloutResponse,
  CalloutStatus,
  CoverageAlert,
  WarningClosed,
  WarningMessage,
} from '../../contracts/generated';
import { allTopicSpecs, TOPICS } from '../../contracts/topics';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  uniqueId,
  waitFor,
  testSecret,
} from '../../test/support/infra';
import { signRoleToken } from '../common/auth';
import { loadConfig } from '../config/config';
import { InfraModule } from '../infra/infra.module';
import { KAFKA, PUBLISHER } from '../infra/tokens';
import { EventPublisher, OutgoingMessage } from '../kafka/kafka-client';
import { SAMPLE_DATA } from '../templates/template-data';
import { runVerify } from './audit-verify.cli';
import { AuditModule } from './audit.module';

jest.setTimeout(120_000);

// Response bodies are checked field by field below; their shape is what the assertions state.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const SECRET = testSecret();
const T0 = Date.parse('2024-07-01T08:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A small full scenario of one warning: c1 confirms, c2 is not woken and escalated to c3, who confirms. */
function scenario(W: string) {
  const warning: WarningMessage = {
    schemaVersion: 1,
    id: W,
    msgType: 'Alert',
    status: 'Actual',
    sender: '大同市气象台',
    sentAt: at(-60),
    hazard: 'meteorological',
    subtype: 'rainstorm',
    level: 'red',
    headline: '大同市气象台发布暴雨红色预警信号',
    areas: [{ code: '140212000000', name: '新荣区' }],
    effective: at(-60),
    expires: at(86_400),
  };
  const req = (
    calloutId: string,
    personId: string,
    s: number,
    channel: 'sms' | 'voice',
    purpose: CalloutRequested['purpose'] = 'callout',
  ): CalloutRequested => ({
    schemaVersion: 1,
    requestId: `${calloutId}:1:${channel}`,
    calloutId,
    warningId: W,
    personId,
    to: '+8613800001234',
    channel,
    purpose,
    attempt: 1,
    drill: false,
    data: SAMPLE_DATA,
    requestedAt: at(s),
  });
  const ev = (
    calloutId: string,
    personId: string,
    from: string | null,
    to: string,
    s: number,
    extra: Partial<CalloutEvent> = {},
  ): CalloutEvent => ({
    schemaVersion: 1,
    eventId: `${W}:${calloutId}:${to}`,
    calloutId,
    warningId: W,
    personId,
    personName: { p1: '张三', p2: '李四', p3: '王五' }[personId],
    areaCode: { p1: '140212101001', p2: '140212102001', p3: '140212102000' }[personId],
    rung: 0,
    from,
    to,
    reason: 'scenario',
    at: at(s),
    ...extra,
  });
  const st = (
    calloutId: string,
    channel: 'sms' | 'voice',
    status: CalloutStatus['status'],
    s: number,
  ): CalloutStatus => ({
    schemaVersion: 1,
    eventId: `${W}:${calloutId}:${channel}:${status}`,
    requestId: `${calloutId}:1:${channel}`,
    calloutId,
    warningId: W,
    channel,
    status,
    at: at(s),
  });
  const resp = (
    calloutId: string,
    kind: CalloutResponse['kind'],
    s: number,
    extra: Partial<CalloutResponse> = {},
  ): CalloutResponse => ({
    schemaVersion: 1,
    responseId: `${W}:${calloutId}:${kind}:${s}`,
    calloutId,
    warningId: W,
    via: 'sms',
    kind,
    at: at(s),
    ...extra,
  });
  const esc = { rung: 1, subjectCalloutId: 'c2' };
  const alert: CoverageAlert = {
    schemaVersion: 1,
    alertId: `${W}:not-woken:c2`,
    warningId: W,
    kind: 'not-woken',
    personId: 'p2',
    calloutId: 'c2',
    message: '李四 未叫醒',
    at: at(301),
  };
  const closed: WarningClosed = {
    schemaVersion: 1,
    warningId: W,
    reason: 'all-settled',
    counts: { CONFIRMED: 2, NOT_WOKEN: 1 },
    at: at(400),
  };
  // The dispatcher's capacity plan for the two first call-outs: 1 SMS at 10 a second, 1 call at 1.
  const plan: CapacityPlanned = {
    schemaVersion: 1,
    planId: `${W}|${W}|Alert|${at(-60)}`,
    warningId: W,
    messageId: W,
    level: 'red',
    drill: false,
    persons: 2,
    channels: [
      {
        channel: 'sms',
        sends: 1,
        perSecond: 10,
        boundBy: 'configured',
        lastSentSec: 0.1,
        lastReachedSec: 10.1,
      },
      { channel: 'voice', sends: 1, perSecond: 1, boundBy: 'configured', lastSentSec: 1, lastReachedSec: 46 },
    ],
    voiceAllPlacedSec: 1,
    allWokenSec: 46,
    targets: { voiceWithinSec: 180, allWokenWithinSec: 300 },
    meetsVoiceTarget: true,
    meetsWokenTarget: true,
    suggestions: [],
    at: at(-1),
  };
  const m = (topic: string, key: string, value: unknown) => ({
    topic,
    msg: { key, value } as OutgoingMessage,
  });
  return [
    m(TOPICS.meteorological.name, W, warning),
    m(TOPICS.calloutsEvents.name, 'c1', ev('c1', 'p1', null, 'PLANNED', -1)),
    m(TOPICS.calloutsEvents.name, 'c2', ev('c2', 'p2', null, 'PLANNED', -1)),
    m(TOPICS.calloutsPlans.name, W, plan),
    m(TOPICS.calloutsRequested.name, 'c1', req('c1', 'p1', 0, 'sms')),
    m(TOPICS.calloutsRequested.name, 'c2', req('c2', 'p2', 0, 'voice')),
    m(TOPICS.calloutsStatus.name, 'c1', st('c1', 'sms', 'delivered', 5)),
    m(TOPICS.calloutsStatus.name, 'c2', st('c2', 'voice', 'no-answer', 40)),
    m(TOPICS.calloutsResponses.name, 'c1', resp('c1', 'confirm', 30)),
    m(TOPICS.calloutsEvents.name, 'c1', ev('c1', 'p1', 'SENT', 'CONFIRMED', 30)),
    m(
      TOPICS.calloutsResponses.name,
      'c1',
      resp('c1', 'feedback', 200, { feedback: { action: 'evacuated', count: 12 } }),
    ),
    m(TOPICS.calloutsEvents.name, 'c2', ev('c2', 'p2', 'SENT', 'ESCALATED', 300)),
    m(TOPICS.calloutsEvents.name, 'c2', ev('c2', 'p2', 'ESCALATED', 'NOT_WOKEN', 301)),
    m(TOPICS.coverageAlerts.name, W, alert),
    m(TOPICS.calloutsEvents.name, 'c3', ev('c3', 'p3', null, 'PLANNED', 300, esc)),
    m(TOPICS.calloutsRequested.name, 'c3', req('c3', 'p3', 300, 'voice', 'escalation')),
    m(TOPICS.calloutsStatus.name, 'c3', st('c3', 'voice', 'heard', 330)),
    m(TOPICS.calloutsEvents.name, 'c3', ev('c3', 'p3', 'HEARD', 'CONFIRMED', 360, esc)),
    m(TOPICS.warningsClosed.name, W, closed),
  ];
}

function drillScenario(D: string) {
  return [
    {
      topic: TOPICS.flood.name,
      msg: {
        key: D,
        value: {
          schemaVersion: 1,
          id: D,
          msgType: 'Alert',
          status: 'Exercise',
          sender: '新荣区水务局',
          sentAt: at(0),
          hazard: 'flood',
          subtype: 'river',
          level: 'blue',
          headline: '【演练】河道洪水蓝色预警',
          areas: [{ code: '140212000000' }],
          effective: at(0),
          expires: at(3600),
        } satisfies WarningMessage,
      },
    },
    {
      topic: TOPICS.calloutsEvents.name,
      msg: {
        key: 'd1',
        value: {
          schemaVersion: 1,
          eventId: `${D}:d1:CONFIRMED`,
          calloutId: 'd1',
          warningId: D,
          personId: 'p1',
          from: 'SENT',
          to: 'CONFIRMED',
          reason: 'drill',
          drill: true,
          at: at(20),
        } satisfies CalloutEvent,
      },
    },
  ];
}

describe('audit ledger against real PostgreSQL and Kafka', () => {
  let tdb: TestDatabase;
  let app: INestApplication;
  let base: string;
  let publisher: EventPublisher;
  let kafka: Kafka;
  let prefix: string;
  const W = `W${uniqueId('w')}`;
  const D = `D${uniqueId('d')}`;
  const token = signRoleToken({ actor: 'auditor-zhao', role: 'auditor' }, SECRET);
  const get = (path: string, t: string | null = token) =>
    fetch(`${base}${path}`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
  const rows = (sql: string, params: unknown[] = []) =>
    tdb.db.query<Record<string, unknown>>(sql, params).then((r) => r.rows);
  const nonJsonDlq = Buffer.from([0xff, 0xfe, 0x3c, 0x00, 0x41, 0x7b, 0x6e, 0x6f, 0x74]);

  const publishAll = async () => {
    for (const { topic, msg } of [...scenario(W), ...drillScenario(D)]) await publisher.publish(topic, [msg]);
    // A dead letter whose body is not JSON (and not even UTF-8), as SafeConsumer writes it.
    await publisher.publish(`${TOPICS.flood.name}.dlq`, [
      {
        key: 'bad-1',
        value: nonJsonDlq,
        headers: {
          'x-dlq-reason': 'not JSON: Unexpected token',
          'x-dlq-topic': `${prefix}${TOPICS.flood.name}`,
          'x-dlq-partition': '2',
          'x-dlq-offset': '17',
          'x-dlq-group': `${prefix}dispatcher`,
          'x-dlq-attempts': '0',
          'x-dlq-at': at(10),
        },
      },
    ]);
  };

  /** True when the audit group has committed every message of every topic (nothing left to consume). */
  const caughtUp = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = allTopicSpecs().map((s) => `${prefix}${s.name}`);
      const committed = await admin.fetchOffsets({ groupId: `${prefix}audit`, topics });
      for (const t of topics) {
        const ends = await admin.fetchTopicOffsets(t);
        const c = committed.find((x) => x.topic === t)!;
        for (const p of ends) {
          const off = c.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1';
          if (p.high !== '0' && Number(off) < Number(p.high)) return false;
        }
      }
      return true;
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    tdb = await createTestDatabase('audit');
    prefix = `${uniqueId('audit')}.`;
    const config = loadConfig({
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: tdb.url,
      SIGNING_SECRET: SECRET,
      HTTP_PORT: '0',
    });
    const mod = await Test.createTestingModule({
      imports: [InfraModule.forRoot({ service: 'audit', config, db: tdb.db }), AuditModule],
    }).compile();
    app = mod.createNestApplication({ logger: ['error'] });
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    publisher = app.get(PUBLISHER);
    kafka = app.get(KAFKA);
  });

  afterAll(async () => {
    await app?.close();
    await tdb?.drop();
  });

  it('records every event exactly once, in a gap-free chain, even when all are published twice', async () => {
    await publishAll();
    const expected = scenario(W).length;
    await waitFor(
      async () => (await rows(`SELECT 1 FROM audit.entries WHERE chain_id = $1`, [W])).length === expected,
      `${expected} entries in chain ${W}`,
      60_000,
    );
    await waitFor(caughtUp, 'audit consumer caught up', 60_000);
    await publishAll();
    await waitFor(caughtUp, 'audit consumer caught up after re-publishing', 60_000);

    const chain = await rows(
      `SELECT seq, event_key, topic FROM audit.entries WHERE chain_id = $1 ORDER BY seq`,
      [W],
    );
    expect(chain.map((r) => Number(r.seq))).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(new Set(chain.map((r) => r.event_key)).size).toBe(expected);
    expect(chain.map((r) => r.event_key)).toEqual(
      expect.arrayContaining([
        `warning:${W}:Alert:${at(-60)}`,
        `closed:${W}`,
        'requested:c3:1:voice',
        `event:${W}:c3:CONFIRMED`,
      ]),
    );
    const head = await rows(`SELECT last_seq FROM audit.chains WHERE chain_id = $1`, [W]);
    expect(Number(head[0].last_seq)).toBe(expected);
    expect(await rows(`SELECT 1 FROM audit.entries WHERE chain_id = $1`, [D])).toHaveLength(2);
  });

  it('keeps a non-JSON dead letter as it is, with its reason, in the system chain', async () => {
    const dlq = await rows(
      `SELECT chain_id, event_key, topic, content FROM audit.entries WHERE topic LIKE '%.dlq'`,
    );
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toEqual(
      expect.objectContaining({
        chain_id: 'system',
        event_key: `dlq:${TOPICS.flood.name}:2:17:dispatcher`,
        topic: `${TOPICS.flood.name}.dlq`,
      }),
    );
    const c = dlq[0].content as Record<string, unknown>;
    expect(c).toEqual(
      expect.objectContaining({
        reason: 'not JSON: Unexpected token',
        originalTopic: TOPICS.flood.name,
        group: 'dispatcher',
        valueEncoding: 'base64',
      }),
    );
    expect(Buffer.from(c.value as string, 'base64').equals(nonJsonDlq)).toBe(true);
  });

  it('verifies the intact ledger (API and CLI)', async () => {
    const r = (await (await get(`/api/audit/verify?warningId=${W}`)).json()) as Json;
    expect(r).toEqual({
      ok: true,
      chains: [{ chainId: W, entries: scenario(W).length, ok: true, findings: [] }],
    });
    const unknown = await get(`/api/audit/verify?warningId=no-such-warning`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json).ok).toBeUndefined();
    const all = (await (await get(`/api/audit/verify`)).json()) as Json;
    expect(all.ok).toBe(true);
    expect(all.chains.map((c: { chainId: string }) => c.chainId)).toEqual(
      expect.arrayContaining([W, D, 'system']),
    );
    const lines: string[] = [];
    expect(await runVerify([W], { DATABASE_URL: tdb.url }, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toContain('1 chains verified');
    expect(await runVerify(['no-such-warning'], { DATABASE_URL: tdb.url }, () => undefined)).toBe(1);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of ledger rows to the application', async () => {
    await expect(
      tdb.db.query(`UPDATE audit.entries SET actor = 'x' WHERE chain_id = $1`, [W]),
    ).rejects.toThrow(/append-only/);
    await expect(tdb.db.query(`DELETE FROM audit.entries WHERE chain_id = $1`, [W])).rejects.toThrow(
      /append-only/,
    );
    await expect(tdb.db.query(`TRUNCATE audit.entries`)).rejects.toThrow(/append-only/);
    expect(await rows(`SELECT 1 FROM audit.entries WHERE chain_id = $1`, [W])).toHaveLength(
      scenario(W).length,
    );
  });

  it('admits only a signed auditor token', async () => {
    expect((await get('/api/audit/warnings', null)).status).toBe(401);
    expect((await get('/api/audit/warnings', 'forged.token')).status).toBe(401);
    const duty = signRoleToken({ actor: 'duty-1', role: 'duty-officer' }, SECRET);
    expect((await get('/api/audit/warnings', duty)).status).toBe(403);
    const other = signRoleToken({ actor: 'a', role: 'auditor' }, 'some-other-secret-0123456789');
    expect((await get('/api/audit/warnings', other)).status).toBe(401);
  });

  it('lists warnings with drills apart from real ones', async () => {
    const list = (await (await get('/api/audit/warnings')).json()) as Json;
    expect(list.real.map((w: { warningId: string }) => w.warningId)).toEqual([W]);
    expect(list.drill.map((w: { warningId: string }) => w.warningId)).toEqual([D]);
  });

  it('computes the figures of the scenario (rate, median, p90, not woken) and records the read', async () => {
    const res = await get(`/api/audit/warnings/${W}/timeline`);
    expect(res.status).toBe(200);
    const t = (await res.json()) as Json;
    // c1 confirmed 30 s after its request, c3 (the escalation of c2) 60 s after; c2 was not woken.
    expect(t.summary).toEqual({
      callouts: 3,
      confirmed: 2,
      confirmationRate: 2 / 3,
      medianSecondsToConfirm: 45,
      p90SecondsToConfirm: 57,
      notWoken: 1,
      escalated: 1,
    });
    expect(t.timeline).toHaveLength(scenario(W).length);
    expect(t.callouts.find((c: { calloutId: string }) => c.calloutId === 'c3')).toEqual(
      expect.objectContaining({ rung: 1, subjectCalloutId: 'c2', personName: '王五', secondsToConfirm: 60 }),
    );
    const access = await rows(
      `SELECT actor, subject, content FROM audit.entries WHERE chain_id = 'access' ORDER BY seq`,
    );
    expect(access).toContainEqual({
      actor: 'auditor-zhao',
      subject: { warningId: W },
      content: { what: 'timeline', warningId: W },
    });

    const areas = (await (await get(`/api/audit/warnings/${W}/areas`)).json()) as Json;
    expect(
      areas.townships.map((a: { key: string; callouts: number; notWoken: number }) => [
        a.key,
        a.callouts,
        a.notWoken,
      ]),
    ).toEqual([
      ['140212101000', 1, 0],
      ['140212102000', 2, 1],
    ]);
    expect(areas.counties[0]).toEqual(
      expect.objectContaining({ key: '140212000000', label: expect.stringContaining('新荣区') }),
    );
    const persons = (await (await get(`/api/audit/persons`)).json()) as Json;
    expect(persons.real.map((p: { key: string }) => p.key)).toEqual(['p1', 'p2', 'p3']);
    expect(persons.drill).toEqual([expect.objectContaining({ key: 'p1', callouts: 1, confirmed: 1 })]);
  });

  it('exports CSV with a BOM and Chinese headers, JSON, and a printable report with the summary', async () => {
    const csvRes = await get(`/api/audit/warnings/${W}/export.csv`);
    expect(csvRes.headers.get('content-type')).toContain('text/csv');
    const bytes = Buffer.from(await csvRes.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.split('\n')[0]).toBe(
      '序号,时间（北京时间）,类型,呼叫编号,责任人编号,责任人,升级级次,渠道,状态,说明',
    );
    expect(text).toContain('王五');
    const calloutsCsv = Buffer.from(
      await (await get(`/api/audit/warnings/${W}/export.csv?view=callouts`)).arrayBuffer(),
    ).toString('utf8');
    expect(calloutsCsv.startsWith('\uFEFF呼叫编号,')).toBe(true);

    const json = (await (await get(`/api/audit/warnings/${W}/export.json`)).json()) as Json;
    expect(json.verification.ok).toBe(true);
    expect(json.callouts).toHaveLength(3);
    // The prediction and what happened, both from the ledger: the SMS accepted 6 s after the plan,
    // the call 41 s after (in the 3-minute target), but nobody heard it: not everyone was woken.
    expect(json.capacity).toHaveLength(1);
    expect(json.capacity[0].predicted).toMatchObject({ voiceAllPlacedSec: 1, allWokenSec: 46 });
    expect(
      json.capacity[0].channels.map((c: Json) => [c.channel, c.actual.accepted, c.actual.lastAcceptedSec]),
    ).toEqual([
      ['sms', 1, 6],
      ['voice', 1, 41],
    ]);
    expect(json.capacity[0].actual).toMatchObject({
      voiceAllPlacedSec: 41,
      meetsVoiceTarget: true,
      allWokenSec: null,
      meetsWokenTarget: false,
    });

    const html = await (await get(`/api/audit/warnings/${W}/report`)).text();
    expect(html).toContain('大同市气象台发布暴雨红色预警信号');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toMatch(/@page\s*{\s*size:\s*A4/);
    expect(html).toMatch(/确认率 Confirmation rate<\/td>\s*<td class=['"]num['"]>\s*66\.7%/);
    expect(html).toContain('校验通过');
    expect(html).toContain('二、容量预测与实际 Predicted vs actual');
    expect(html).toMatch(/<td>语音 voice<\/td><td class='num'>1<\/td>/);

    const reads = await rows(
      `SELECT content->>'what' AS what FROM audit.entries WHERE chain_id = 'access' ORDER BY seq`,
    );
    expect(reads.map((r) => r.what)).toEqual(
      expect.arrayContaining([
        'export.csv:timeline',
        'export.csv:callouts',
        'export.json',
        'report',
        'persons',
      ]),
    );
  });

  it('names each tampering by a superuser: edited, deleted, inserted and reordered entries', async () => {
    const n = scenario(W).length;
    await tdb.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(
        `UPDATE audit.entries SET content = jsonb_set(content, '{reason}', '"forged"') WHERE chain_id = $1 AND seq = 2`,
        [W],
      );
      await tx.query(`DELETE FROM audit.entries WHERE chain_id = $1 AND seq = 4`, [W]);
      await tx.query(`UPDATE audit.entries SET seq = -7 WHERE chain_id = $1 AND seq = 7`, [W]);
      await tx.query(`UPDATE audit.entries SET seq = 7 WHERE chain_id = $1 AND seq = 6`, [W]);
      await tx.query(`UPDATE audit.entries SET seq = 6 WHERE chain_id = $1 AND seq = -7`, [W]);
      await tx.query(
        `INSERT INTO audit.entries (chain_id, seq, event_key, topic, occurred_at, recorded_at, actor, subject, content, prev_hash, hash)
         SELECT chain_id, seq + 1, 'forged-event', topic, occurred_at, recorded_at, 'forger', subject, '{"to":"CONFIRMED"}', hash, $2
         FROM audit.entries WHERE chain_id = $1 AND seq = $3`,
        [W, 'f'.repeat(64), n],
      );
    });
    const r = (await (await get(`/api/audit/verify?warningId=${W}`)).json()) as Json;
    expect(r.ok).toBe(false);
    expect(r.chains[0].findings.map((f: { seq: number; kind: string }) => `${f.seq}:${f.kind}`)).toEqual([
      '2:edited',
      '4:deleted',
      '6:reordered',
      '7:reordered',
      `${n + 1}:inserted`,
    ]);
    const lines: string[] = [];
    expect(await runVerify([], { DATABASE_URL: tdb.url }, (l) => lines.push(l))).toBe(1);
    const out = lines.join('\n');
    expect(out).toContain(`BROKEN ${W}`);
    expect(out).toContain(`${W} #4 deleted: seq 4 is missing`);
    expect(out).toContain(`ok     ${D}`);
    const html = await (await get(`/api/audit/warnings/${W}/report`)).text();
    expect(html).toContain('校验失败');
  });
});
