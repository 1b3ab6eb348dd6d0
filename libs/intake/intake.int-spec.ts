import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Consumer, Kafka, KafkaMessage, logLevel, Producer } from 'kafkajs';
import { WarningMessage } from '../../contracts/generated/warning';
import { CoverageAlert } from '../../contracts/generated/coverage-alert';
import { TOPICS } from '../../contracts/topics';
import { rainstormCap } from '../../test/support/cap';
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
import { IntakeModule } from './intake.module';
import { IntakeService } from './intake.service';
import { parseWarningId } from './warning-id';
import { PURPOSE_REFUSED } from './warning-request';

jest.setTimeout(90_000);

const SECRET = testSecret();
const DUTY = signRoleToken({ actor: 'duty-li', role: 'duty-officer' }, SECRET);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** A CAP 1.2 rainstorm warning for 新荣区, valid from now for a day. */
const goodCap = (identifier: string) => rainstormCap(identifier);

const capWithArea = (identifier: string, area: string) => rainstormCap(identifier, { area });

/** Billion laughs: must be refused before any entity is expanded. */
const hostileCap = Buffer.from(`<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>`);

describe('intake service (real Kafka and PostgreSQL)', () => {
  const prefix = `${uniqueId('intake')}.`;
  let tdb: TestDatabase;
  let app: INestApplication;
  let base: string;
  let kafka: Kafka;
  let consumer: Consumer;
  let producer: Producer;
  const seen = new Map<string, KafkaMessage[]>();
  const on = (topic: string) => seen.get(prefix + topic) ?? [];
  const json = <T>(m: KafkaMessage) => JSON.parse(m.value!.toString('utf8')) as T;

  beforeAll(async () => {
    tdb = await createTestDatabase('intake');
    const config = loadConfig({
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: tdb.url,
      INTAKE_ISSUER_CODE: '04100100',
      SIGNING_SECRET: SECRET,
    });
    const moduleRef = await Test.createTestingModule({
      imports: [InfraModule.forRoot({ service: 'intake-test', config }), IntakeModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();

    kafka = new Kafka({ clientId: 'intake-int-spec', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    consumer = kafka.consumer({ groupId: `${prefix}reader` });
    await consumer.connect();
    await consumer.subscribe({
      topics: [TOPICS.meteorological.name, TOPICS.coverageAlerts.name, `${TOPICS.cap.name}.dlq`].map(
        (t) => prefix + t,
      ),
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        seen.set(topic, [...(seen.get(topic) ?? []), message]);
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await app?.close();
    await tdb?.drop();
  });

  const post = (path: string, body: unknown, method = 'POST', token: string | null = DUTY) =>
    fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
      body: JSON.stringify(body),
    });

  const issue = {
    hazard: 'meteorological',
    subtype: 'rainstorm',
    level: 'orange',
    headline: '大同市应急管理局转发暴雨橙色预警',
    instruction: '请立即组织巡查，做好人员转移准备',
    areas: [{ code: '140212000000', name: '新荣区' }],
    expires: iso(86_400_000),
  };

  it('POST /api/warnings publishes the canonical warning to its hazard topic, keyed by a generated national id', async () => {
    const res = await post('/api/warnings', issue);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; warning: WarningMessage };
    expect(parseWarningId(body.id)).toMatchObject({ area: '140212', agency: '041', unit: '001', ext: '00' });

    const msg = await waitFor(
      () => on(TOPICS.meteorological.name).find((m) => m.key?.toString() === body.id),
      'the warning on warnings.meteorological',
    );
    expect(json<WarningMessage>(msg)).toMatchObject({
      id: body.id,
      msgType: 'Alert',
      hazard: 'meteorological',
      subtype: 'rainstorm',
      level: 'orange',
      source: 'duty-officer',
      areas: [{ code: '140212000000', name: '新荣区' }],
    });

    // Update and cancel (解除) are messages of their own that reference it.
    const upd = await post(`/api/warnings/${body.id}`, { level: 'red' }, 'PUT');
    expect(upd.status).toBe(202);
    const updId = ((await upd.json()) as { id: string }).id;
    const cancel = await post(`/api/warnings/${body.id}/cancel`, {});
    expect(cancel.status).toBe(202);
    const cancelId = ((await cancel.json()) as { id: string }).id;
    const [u, c] = await waitFor(() => {
      const u = on(TOPICS.meteorological.name).find((m) => m.key?.toString() === updId);
      const c = on(TOPICS.meteorological.name).find((m) => m.key?.toString() === cancelId);
      return u && c ? [json<WarningMessage>(u), json<WarningMessage>(c)] : undefined;
    }, 'the update and the cancel');
    expect(u).toMatchObject({ msgType: 'Update', references: [body.id], level: 'red' });
    expect(c).toMatchObject({ msgType: 'Cancel', references: [body.id] });
    expect(c.headline).toMatch(/^解除暴雨/);
  });

  it('admits only a duty officer’s signed token to issue, update, cancel and send CAP', async () => {
    const auditor = signRoleToken({ actor: 'auditor-zhao', role: 'auditor' }, SECRET);
    const forged = signRoleToken({ actor: 'x', role: 'duty-officer' }, 'another-secret-0123456789');
    const expired = signRoleToken({ actor: 'x', role: 'duty-officer', ttlSeconds: -1 }, SECRET);
    const headline = '未授权的预警（不应发布）';
    const rejections = async () =>
      Number((await tdb.db.query<{ n: string }>(`SELECT count(*) AS n FROM intake.rejections`)).rows[0].n);
    const before = await rejections();
    for (const [token, status] of [
      [null, 401],
      [forged, 401],
      [expired, 401],
      [auditor, 403],
    ] as const) {
      expect((await post('/api/warnings', { ...issue, headline }, 'POST', token)).status).toBe(status);
      expect((await post('/api/warnings/any-id', { level: 'red' }, 'PUT', token)).status).toBe(status);
      expect((await post('/api/warnings/any-id/cancel', {}, 'POST', token)).status).toBe(status);
      const cap = await fetch(`${base}/api/cap`, {
        method: 'POST',
        headers: { 'content-type': 'application/cap+xml', ...(token ? bearer(token) : {}) },
        body: goodCap(`CAP-REFUSED-${status}`),
      });
      expect(cap.status).toBe(status);
    }
    // Refused before intake looked at them: nothing recorded, nothing published.
    expect(await rejections()).toBe(before);
    expect(on(TOPICS.meteorological.name).some((m) => json<WarningMessage>(m).headline === headline)).toBe(
      false,
    );
    expect(on(TOPICS.meteorological.name).some((m) => /CAP-REFUSED/.test(m.key?.toString() ?? ''))).toBe(
      false,
    );
  });

  it('answers a bad body with 400 and field-level messages, and records the rejection', async () => {
    const res = await post('/api/warnings', {
      ...issue,
      subtype: 'frost',
      level: 'red',
      areas: [{ code: '1402' }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string; message: string }[] };
    expect(body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'areas[0].code' })]),
    );
    const rule = await post('/api/warnings', { ...issue, subtype: 'frost', level: 'red' });
    expect(rule.status).toBe(400);
    expect(((await rule.json()) as { errors: unknown[] }).errors).toEqual([
      { field: 'level', message: 'signal 霜冻 (frost) has no red level; allowed: blue, yellow, orange' },
    ]);
    const notJson = await fetch(`${base}/api/warnings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(DUTY) },
      body: '{"hazard": ',
    });
    expect(notJson.status).toBe(400);
    const cancelUnknown = await post('/api/warnings/nope/cancel', {});
    expect(cancelUnknown.status).toBe(404);
    const { rows } = await tdb.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM intake.rejections WHERE channel = 'api'`,
    );
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(2);
  });

  it('refuses purpose verification on POST /api/warnings (the campaign has its own door), recorded', async () => {
    const before = Number(
      (await tdb.db.query<{ n: string }>(`SELECT count(*) AS n FROM intake.rejections WHERE channel = 'api'`))
        .rows[0].n,
    );
    const res = await post('/api/warnings', { ...issue, status: 'Exercise', purpose: 'verification' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      { field: 'purpose', message: PURPOSE_REFUSED },
    ]);
    const { rows } = await tdb.db.query<{ n: string; reason: string }>(
      `SELECT count(*) OVER () AS n, reason FROM intake.rejections WHERE channel = 'api' ORDER BY id DESC LIMIT 1`,
    );
    expect(Number(rows[0].n)).toBe(before + 1);
    expect(rows[0].reason).toContain('purpose: is set only by the verification campaign');
  });

  it('publishes a warning with one unknown area, records it and raises an unmapped-area alert', async () => {
    const res = await post('/api/warnings', {
      ...issue,
      id: 'DUTY-UNMAPPED-1',
      areas: [{ code: '140212000000' }, { code: '990101000000', name: '某区' }],
    });
    expect(res.status).toBe(202);
    const alert = await waitFor(
      () => on(TOPICS.coverageAlerts.name).find((m) => m.key?.toString() === 'DUTY-UNMAPPED-1'),
      'the unmapped-area alert',
    );
    expect(json<CoverageAlert>(alert)).toMatchObject({ kind: 'unmapped-area', areaCode: '990101000000' });
    const { rows } = await tdb.db.query(`SELECT area_code FROM intake.unmapped_areas WHERE warning_id = $1`, [
      'DUTY-UNMAPPED-1',
    ]);
    expect(rows).toEqual([{ area_code: '990101000000' }]);
  });

  it('POST /api/cap converts good CAP, rejects hostile CAP with reasons (recorded), refuses over 1 MiB with 413', async () => {
    const send = (body: Buffer, type = 'application/cap+xml') =>
      fetch(`${base}/api/cap`, { method: 'POST', headers: { 'content-type': type, ...bearer(DUTY) }, body });
    const ok = await send(goodCap('HTTP-CAP-1'), 'text/xml');
    expect(ok.status).toBe(202);
    await waitFor(
      () => on(TOPICS.meteorological.name).find((m) => m.key?.toString() === 'HTTP-CAP-1'),
      'CAP on topic',
    );

    const bad = await send(hostileCap);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { reasons: string[] }).reasons.join(' ')).toMatch(/DOCTYPE/);

    const big = await send(Buffer.concat([goodCap('HTTP-CAP-BIG'), Buffer.alloc(1024 * 1024, 0x20)]));
    expect(big.status).toBe(413);

    const { rows } = await tdb.db.query<{ reason: string }>(
      `SELECT reason FROM intake.rejections WHERE channel = 'cap-http' ORDER BY id`,
    );
    expect(rows.map((r) => r.reason)).toEqual([
      expect.stringMatching(/DOCTYPE/),
      expect.stringMatching(/1 MiB/),
    ]);
    expect(on(TOPICS.meteorological.name).some((m) => m.key?.toString() === 'HTTP-CAP-BIG')).toBe(false);
  });

  it('dead-letters a hostile CAP on warnings.cap with its reason, records it, and still converts the next good one', async () => {
    await producer.send({
      topic: prefix + TOPICS.cap.name,
      messages: [
        { key: 'feed-1', value: hostileCap, partition: 0 },
        { key: 'feed-1', value: goodCap('KAFKA-CAP-2'), partition: 0 },
      ],
    });
    const dead = await waitFor(() => on(`${TOPICS.cap.name}.dlq`)[0], 'the hostile CAP on warnings.cap.dlq');
    expect(dead.headers?.['x-dlq-reason']?.toString()).toMatch(/CAP message rejected.*DOCTYPE/);
    expect(dead.value?.equals(hostileCap)).toBe(true);

    const good = await waitFor(
      () => on(TOPICS.meteorological.name).find((m) => m.key?.toString() === 'KAFKA-CAP-2'),
      'the good CAP converted after the hostile one',
    );
    expect(json<WarningMessage>(good)).toMatchObject({
      source: 'cap',
      level: 'orange',
      subtype: 'rainstorm',
    });

    const { rows } = await tdb.db.query<{ source_ref: string; reason: string }>(
      `SELECT source_ref, reason FROM intake.rejections WHERE channel = 'cap-kafka'`,
    );
    expect(rows).toEqual([
      { source_ref: `${TOPICS.cap.name}@0:0`, reason: expect.stringMatching(/DOCTYPE/) },
    ]);
    const received = await tdb.db.query(
      `SELECT outcome FROM intake.received WHERE warning_id = 'KAFKA-CAP-2'`,
    );
    expect(received.rows).toEqual([{ outcome: 'published' }]);
  });

  it('holds a CAP whose areas map nowhere (no dead letter), and publishes it once the officer maps it', async () => {
    const id = uniqueId('HELD');
    const area =
      '<areaDesc>某开发区</areaDesc><geocode><valueName>行政区划代码</valueName><value>990101</value></geocode>';
    await producer.send({
      topic: prefix + TOPICS.cap.name,
      messages: [{ key: id, value: capWithArea(id, area) }],
    });
    const needs = await waitFor(
      () =>
        on(TOPICS.coverageAlerts.name)
          .map((m) => json<CoverageAlert>(m))
          .find((a) => a.warningId === id && a.kind === 'needs-mapping'),
      'the needs-mapping alert',
    );
    expect(needs.details).toMatchObject({
      partial: false,
      unmapped: [
        expect.objectContaining({ code: '990101000000', name: '某开发区' }),
        expect.objectContaining({ code: null, name: '某开发区' }),
      ],
    });
    expect(on(`${TOPICS.cap.name}.dlq`).some((m) => m.value?.includes(id))).toBe(false);
    expect(on(TOPICS.meteorological.name).some((m) => m.key?.toString() === id)).toBe(false);

    const list = (await (await fetch(`${base}/api/warnings/held`, { headers: bearer(DUTY) })).json()) as {
      held: { warningId: string; state: string; unmapped: { name: string; reason: string }[] }[];
    };
    const held = list.held.find((h) => h.warningId === id);
    expect(held).toMatchObject({
      state: 'needs-mapping',
      unmapped: [{ code: '990101000000' }, { code: null }],
    });

    expect((await post(`/api/warnings/held/${id}/mapping`, { areas: ['999999'] })).status).toBe(400);
    const mapped = await post(`/api/warnings/held/${id}/mapping`, { areas: ['140224', '140225000000'] });
    expect(mapped.status).toBe(202);
    const published = await waitFor(
      () => on(TOPICS.meteorological.name).find((m) => m.key?.toString() === id),
      'the mapped warning on its hazard topic',
    );
    expect(json<WarningMessage>(published).areas).toEqual([
      { code: '140224000000', name: '灵丘县', how: 'officer', via: 'duty-li' },
      { code: '140225000000', name: '浑源县', how: 'officer', via: 'duty-li' },
    ]);
    const ledger = await waitFor(
      () =>
        on(TOPICS.coverageAlerts.name)
          .map((m) => json<CoverageAlert>(m))
          .find((a) => a.warningId === id && a.kind === 'area-mapped'),
      'the area-mapped alert naming the officer',
    );
    expect(ledger).toMatchObject({
      actor: 'duty-li',
      details: { areas: [{ code: '140224000000' }, { code: '140225000000' }] },
    });
    // One step, once: a second mapping is refused.
    expect((await post(`/api/warnings/held/${id}/mapping`, { areas: ['140224'] })).status).toBe(409);
  });

  it('dispatches the mapped part of a CAP at once and holds the rest; mapping it sends an Update', async () => {
    const id = uniqueId('PART');
    const res = await fetch(`${base}/api/cap`, {
      method: 'POST',
      headers: { 'content-type': 'application/cap+xml', ...bearer(DUTY) },
      body: capWithArea(id, '<areaDesc>灵丘县、某某新区</areaDesc>'),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ outcome: 'published', unmappedAreas: [{ name: '某某新区' }] });
    const first = await waitFor(
      () => on(TOPICS.meteorological.name).find((m) => m.key?.toString() === id),
      'the mapped part published',
    );
    expect(json<WarningMessage>(first).areas).toEqual([
      { code: '140224000000', name: '灵丘县', how: 'name', via: '灵丘县' },
    ]);
    const mapped = await post(`/api/warnings/held/${id}/mapping`, { areas: ['140225'] });
    expect(mapped.status).toBe(202);
    const update = ((await mapped.json()) as { warning: WarningMessage }).warning;
    expect(update).toMatchObject({ msgType: 'Update', references: [id] });
    expect(update.areas.map((a) => [a.code, a.how])).toEqual([
      ['140224000000', 'name'],
      ['140225000000', 'officer'],
    ]);
    await waitFor(
      () => on(TOPICS.meteorological.name).find((m) => m.key?.toString() === update.id),
      'the Update on its hazard topic',
    );
  });

  it('gives two warnings issued in the same second sequence digits _1 and _2', async () => {
    const at = new Date('2024-07-01T00:30:00Z');
    const svc = new IntakeService(tdb.db, {
      issuerCode: '041001',
      sender: '测试',
      nudge: () => undefined,
      clock: { now: () => at },
    });
    const body = { ...issue, expires: '2024-07-02T08:00:00+08:00', areas: [{ code: '140213050000' }] };
    const a = await svc.issue(body);
    const b = await svc.issue(body);
    expect([a.ok && a.warning.id, b.ok && b.warning.id]).toEqual([
      '14021304100100_20240701083000_1',
      '14021304100100_20240701083000_2',
    ]);
  });

  it('records and publishes a redelivered CAP message (same topic position) once', async () => {
    const svc = app.get(IntakeService);
    const first = await svc.acceptCap(goodCap('REDELIVERED-1'), 'cap-kafka', 'warnings.cap@1:77');
    const again = await svc.acceptCap(goodCap('REDELIVERED-1'), 'cap-kafka', 'warnings.cap@1:77');
    expect([first.kind, again.kind]).toEqual(['published', 'duplicate']);
    const { rows } = await tdb.db.query(
      `SELECT outcome FROM intake.received WHERE warning_id = 'REDELIVERED-1'`,
    );
    expect(rows).toHaveLength(1);
    await waitFor(
      () => on(TOPICS.meteorological.name).find((m) => m.key?.toString() === 'REDELIVERED-1'),
      'the redelivered CAP published',
    );
  });

  const rejectionsOf = async (identifier: string) =>
    (
      await tdb.db.query<{ channel: string; reason: string }>(
        `SELECT channel, reason FROM intake.rejections WHERE identifier = $1 ORDER BY id`,
        [identifier],
      )
    ).rows;
  const published = (id: string) => on(TOPICS.meteorological.name).filter((m) => m.key?.toString() === id);

  it('refuses a second, different Alert under an existing id with 409 (recorded); the same request again is a redelivery', async () => {
    const body = { ...issue, id: 'DUTY-ONE-ID-1' };
    expect((await post('/api/warnings', body)).status).toBe(202);
    const again = await post('/api/warnings', body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: 'DUTY-ONE-ID-1', duplicate: true });
    const other = await post('/api/warnings', { ...body, level: 'yellow', headline: '另一条预警' });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { errors: { field: string; message: string }[] }).errors).toEqual([
      { field: 'id', message: expect.stringMatching(/DUTY-ONE-ID-1 was received before .*Update or Cancel/) },
    ]);
    expect(await rejectionsOf('DUTY-ONE-ID-1')).toEqual([
      { channel: 'api', reason: expect.stringMatching(/was received before/) },
    ]);
    // An update stays possible: it has an id of its own and references the warning.
    expect((await post('/api/warnings/DUTY-ONE-ID-1', { level: 'red' }, 'PUT')).status).toBe(202);
    await waitFor(() => published('DUTY-ONE-ID-1').length === 1 || undefined, 'the one Alert published');
    const { rows } = await tdb.db.query(`SELECT 1 FROM intake.received WHERE warning_id = 'DUTY-ONE-ID-1'`);
    expect(rows).toHaveLength(1);
  });

  it('refuses a different CAP message under a known identifier over HTTP (409) and on warnings.cap (DLQ), both recorded', async () => {
    const send = (body: Buffer) =>
      fetch(`${base}/api/cap`, {
        method: 'POST',
        headers: { 'content-type': 'application/cap+xml', ...bearer(DUTY) },
        body,
      });
    const first = goodCap('CAP-ONE-ID-1');
    const other = Buffer.from(first.toString('utf8').replace('暴雨橙色预警信号', '暴雨蓝色预警信号（改）'));
    expect((await send(first)).status).toBe(202);
    const again = await send(first);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'duplicate' });
    const refused = await send(other);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { reasons: string[] }).reasons[0]).toMatch(
      /CAP-ONE-ID-1 was received before \(cap-http/,
    );

    await producer.send({ topic: prefix + TOPICS.cap.name, messages: [{ key: 'feed-2', value: other }] });
    const dead = await waitFor(
      () => on(`${TOPICS.cap.name}.dlq`).find((m) => m.value?.equals(other)),
      'the reused identifier on warnings.cap.dlq',
    );
    expect(dead.headers?.['x-dlq-reason']?.toString()).toMatch(/CAP identifier names another message/);
    expect((await rejectionsOf('CAP-ONE-ID-1')).map((r) => r.channel)).toEqual(['cap-http', 'cap-kafka']);
    expect(published('CAP-ONE-ID-1')).toHaveLength(1);
  });

  it('refuses a warning whose expires is already past with 400 (API and CAP), recorded', async () => {
    const past = {
      ...issue,
      id: 'DUTY-EXPIRED-1',
      effective: iso(-3 * 3600_000),
      expires: iso(-3600_000),
    };
    const res = await post('/api/warnings', past);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      { field: 'expires', message: expect.stringMatching(/is already past/) },
    ]);
    const cap = Buffer.from(
      goodCap('CAP-EXPIRED-1')
        .toString('utf8')
        .replace(/<expires>[^<]*<\/expires>/, `<expires>${iso(-60_000)}</expires>`)
        .replace(/<sent>[^<]*<\/sent>/, `<sent>${iso(-3600_000)}</sent>`),
    );
    const capRes = await fetch(`${base}/api/cap`, {
      method: 'POST',
      headers: { 'content-type': 'application/cap+xml', ...bearer(DUTY) },
      body: cap,
    });
    expect(capRes.status).toBe(400);
    expect(((await capRes.json()) as { reasons: string[] }).reasons).toEqual([
      expect.stringMatching(/expires .* is already past/),
    ]);
    expect((await rejectionsOf('CAP-EXPIRED-1')).map((r) => r.channel)).toEqual(['cap-http']);
    const { rows } = await tdb.db.query(
      `SELECT reason FROM intake.rejections WHERE reason LIKE '%already past%'`,
    );
    expect(rows).toHaveLength(2);
  });
});
