import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Kafka } from 'kafkajs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { TOPICS } from '../../contracts/topics';
import { verifyRoleToken } from '../common/auth';
import { loadConfig } from '../config/config';
import { InfraModule } from '../infra/infra.module';
import { Readiness } from '../infra/readiness';
import { KAFKA, PUBLISHER, TOPIC_NAMER } from '../infra/tokens';
import { ConsumerHost } from '../kafka/consumer-host';
import { onTopic } from '../kafka/safe-consumer';
import { readTopic } from '../../test/support/kafka';
import { EventPublisher, TopicNamer } from '../kafka/kafka-client';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  uniqueId,
  waitFor,
  testSecret,
} from '../../test/support/infra';
import { postLoginForm } from '../../test/support/console-login';
import { firstRoundRunning } from '../../test/support/capacity';
import { ConsoleModule } from './console.module';
import { ConsoleRepository, DEMO_USERS } from './console.repository';
import { hashPassword } from './passwords';

/**
 * The console module on real PostgreSQL and Kafka. The services it calls (tracker, intake, directory,
 * audit) are a fake HTTP server here that records requests and answers fixed data: this spec is about
 * the console's own rules (login, CSRF, roles, masking, Kafka → SSE); the browser e2e runs the real ones.
 */
describe('ConsoleModule (HTTP, PostgreSQL, Kafka)', () => {
  let t: TestDatabase;
  let app: INestApplication;
  let base: string;
  let fake: Server;
  let prefix: string;
  const SECRET = testSecret();
  const seen: { method: string; url: string; body: string; authorization?: string }[] = [];
  /** The role token a backend request carried, verified with the services' secret. */
  const claimsOf = (s: { authorization?: string }) => {
    const check = verifyRoleToken((s.authorization ?? '').replace(/^Bearer /, ''), SECRET);
    return check.ok ? { actor: check.claims.actor, role: check.claims.role } : null;
  };
  const NOT_WOKEN_SINCE = new Date(Date.now() - 4 * 60_000).toISOString();
  const NOT_WOKEN = [
    {
      id: 'c-1',
      warning_id: 'w-1',
      seq: 7,
      headline: '暴雨橙色预警',
      drill: true,
      person_id: 'p1',
      person_name: '赵六',
      // The fake answers a whole number on purpose: the console must mask it anyway.
      phone: '+8613800001234',
      role: 'flood-control',
      area_code: '140221101000',
      area_name: '王官人屯镇',
      state_reason: 'no answer after 3 calls',
      created_at: NOT_WOKEN_SINCE,
    },
  ];

  const HELD = [
    {
      warningId: 'held-1',
      state: 'needs-mapping',
      partial: false,
      heldAt: new Date().toISOString(),
      content: {
        headline: '暴雨红色预警信号',
        level: 'red',
        status: 'Actual',
        sender: '某气象台',
        geometry: [],
      },
      unmapped: [
        {
          code: null,
          name: '城区',
          reason: 'ambiguous',
          candidates: [
            { code: '140302000000', name: '城区' },
            { code: '140502000000', name: '城区' },
          ],
        },
      ],
    },
  ];

  beforeAll(async () => {
    fake = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body, authorization: req.headers.authorization });
        res.setHeader('content-type', 'application/json');
        const url = req.url!;
        if (url === '/api/callouts/warnings')
          return res.end(
            JSON.stringify([
              {
                id: 'w-1',
                seq: 7,
                hazard: 'meteorological',
                subtype: 'rainstorm',
                level: 'orange',
                drill: true,
                headline: '暴雨橙色预警',
                state: 'active',
                persons: 3,
                confirmed: 1,
                pending: 1,
                escalated: 0,
                not_woken: 1,
              },
            ]),
          );
        if (url === '/api/callouts/warnings/w-1/capacity')
          return res.end(JSON.stringify({ capacity: firstRoundRunning('w-1', 'orange') }));
        if (url === '/api/callouts/warnings/w-1/areas')
          return res.end(
            JSON.stringify([
              {
                county: '140221000000',
                township: '140221101000',
                persons: 3,
                confirmed: 1,
                pending: 1,
                escalated: 0,
                not_woken: 1,
              },
            ]),
          );
        if (url.startsWith('/api/callouts/not-woken/groups'))
          return res.end(
            JSON.stringify([
              {
                warning_id: 'w-1',
                area_code: '140221101000',
                area_name: '王官人屯镇',
                n: 1,
                oldest: NOT_WOKEN_SINCE,
              },
            ]),
          );
        if (url.startsWith('/api/callouts/not-woken/page')) return res.end(JSON.stringify(NOT_WOKEN));
        if (url === '/api/warnings/held') return res.end(JSON.stringify({ held: HELD }));
        if (url === '/api/directory/health')
          return res.end(JSON.stringify({ at: new Date().toISOString(), persons: 0, staleContacts: [] }));
        if (url.startsWith('/api/warnings') && req.method === 'POST') {
          res.statusCode = 202;
          return res.end(JSON.stringify({ id: 'new-1', warning: {} }));
        }
        if (url === '/api/drills/verification' && req.method === 'POST') {
          res.statusCode = 201;
          return res.end(JSON.stringify({ warningId: 'verify-2027-140212100000', repeat: false }));
        }
        if (url === '/api/drills/verification')
          return res.end(
            JSON.stringify({
              window: { year: 2027, refilingDate: '2027-04-20', opensOn: '2027-03-21', open: true },
              defaultAreas: ['140212000000'],
              campaigns: [
                {
                  warningId: 'verify-2027-140212100000',
                  startedAt: '2027-04-01T02:00:00Z',
                  startedBy: 'admin',
                },
              ],
            }),
          );
        if (url === '/api/roster/verification/verify-2027-140212100000')
          return res.end(
            JSON.stringify({
              warningId: 'verify-2027-140212100000',
              called: 5,
              confirmed: 4,
              townships: [
                {
                  townshipCode: '140212100000',
                  townshipName: '新荣镇',
                  persons: [
                    {
                      personId: 'P9',
                      name: '<b>刘志强</b>',
                      phone: '+8613800007400',
                      roleName: '防汛责任人',
                      areaName: '演练4村',
                      state: 'NOT_WOKEN',
                    },
                  ],
                },
              ],
            }),
          );
        if (url.startsWith('/api/callouts/c-1/reached')) {
          res.statusCode = 202;
          return res.end(JSON.stringify({ accepted: true }));
        }
        res.end('[]');
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    t = await createTestDatabase('console');
    prefix = uniqueId('console') + '.';
    const config = loadConfig({
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: t.url,
      SIGNING_SECRET: SECRET,
      CONSOLE_INTAKE_URL: fakeUrl,
      CONSOLE_TRACKER_URL: fakeUrl,
      CONSOLE_AUDIT_URL: fakeUrl,
      CONSOLE_DIRECTORY_URL: fakeUrl,
      LOG_LEVEL: 'warn',
      // This spec signs in often; the per-address limit has its own spec (login.int-spec.ts).
      LOGIN_ATTEMPTS_PER_ADDRESS: '1000',
    });
    // Not demo mode: the users are made as an operator would (npm run users), with the demo passwords.
    for (const u of DEMO_USERS)
      await new ConsoleRepository(t.db).saveUser(
        u.username,
        u.display,
        u.role,
        await hashPassword(u.password),
      );
    const ref = await Test.createTestingModule({
      imports: [InfraModule.forRoot({ service: 'console', config }), ConsoleModule],
    }).compile();
    app = ref.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  }, 60_000);

  // Closing takes about 5 s (the Kafka consumer group leaves): more than Jest's default hook timeout.
  afterAll(async () => {
    await app?.close();
    await t?.drop();
    await new Promise((r) => fake?.close(r));
  }, 30_000);

  /** Signs in through the real login form; returns the session cookie and the page's CSRF token. */
  async function signIn(username: string, password: string) {
    const res = await postLoginForm(base, username, password);
    expect(res.status).toBe(303);
    const cookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('jy_console='))!
      .split(';')[0];
    const board = await fetch(base + '/', { headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await board.text())![1];
    return { cookie, csrf };
  }

  const post = (path: string, cookie: string, fields: Record<string, string>) =>
    fetch(base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams(fields),
    });

  const issueFields = {
    signal: 'meteorological/rainstorm',
    level: 'orange',
    headline: '大同市气象台发布暴雨橙色预警',
    areas: '140221000000|阳高县',
    expires: '2030-07-12T18:00',
    op: 'send',
  };

  it('sends a signed-out browser to the login page and refuses a wrong password', async () => {
    const r = await fetch(base + '/', { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/login?next=%2F');
    const bad = await postLoginForm(base, 'duty', 'wrong');
    expect(bad.status).toBe(401);
    expect(bad.headers.getSetCookie().some((c) => c.startsWith('jy_console='))).toBe(false);
  });

  it('refuses an auditor who tries to issue or cancel (403), and intake never hears of it', async () => {
    const { cookie, csrf } = await signIn('auditor', 'audit-demo');
    const before = seen.filter((s) => s.url.startsWith('/api/warnings')).length;
    expect((await post('/console/warnings', cookie, { ...issueFields, _csrf: csrf })).status).toBe(403);
    expect((await post('/console/warnings/w-1/cancel', cookie, { _csrf: csrf })).status).toBe(403);
    expect((await fetch(base + '/console/warnings/new', { headers: { cookie } })).status).toBe(403);
    expect(seen.filter((s) => s.url.startsWith('/api/warnings')).length).toBe(before);
  });

  it('refuses a POST without the CSRF token or with another session’s token (403)', async () => {
    const duty = await signIn('duty', 'duty-demo');
    const other = await signIn('duty', 'duty-demo');
    expect((await post('/console/warnings', duty.cookie, issueFields)).status).toBe(403);
    expect((await post('/console/warnings', duty.cookie, { ...issueFields, _csrf: other.csrf })).status).toBe(
      403,
    );
    expect((await post('/console/callouts/c-1/reached', duty.cookie, { note: 'x' })).status).toBe(403);
    // The session's own token in the query string does not count: URLs end up in logs and Referers.
    const q = `?_csrf=${encodeURIComponent(duty.csrf)}`;
    expect((await post(`/console/warnings${q}`, duty.cookie, issueFields)).status).toBe(403);
    expect(seen.some((s) => s.url === '/api/warnings')).toBe(false);
  });

  it('starts the verification campaign through intake in the admin’s name and lists its non-responders', async () => {
    const admin = await signIn('admin', 'admin-demo');
    const page = await (
      await fetch(`${base}/console/directory`, { headers: { cookie: admin.cookie } })
    ).text();
    expect(page).toContain('id="window-state"');
    expect(page).toContain('data-campaign="verify-2027-140212100000"');
    expect(page).toContain(
      '&lt;b&gt;刘志强&lt;/b&gt; <code>+8613800007400</code> · 防汛责任人 · 演练4村 · NOT_WOKEN',
    );
    const before = seen.length;
    const r = await post('/console/directory/verification', admin.cookie, {
      _csrf: admin.csrf,
      areas: '140212100000，140213000000',
    });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('号码核查已开始: <code>verify-2027-140212100000</code>');
    const sent = seen.slice(before).find((x) => x.method === 'POST' && x.url === '/api/drills/verification')!;
    expect(JSON.parse(sent.body)).toEqual({ areaCodes: ['140212100000', '140213000000'] });
    expect(claimsOf(sent)).toMatchObject({ role: 'directory-admin', actor: 'console:admin' });
    // A duty officer may not start it, and the form needs the session's CSRF token.
    const duty = await signIn('duty', 'duty-demo');
    expect((await post('/console/directory/verification', duty.cookie, { _csrf: duty.csrf })).status).toBe(
      403,
    );
    expect((await post('/console/directory/verification', admin.cookie, { areas: 'x' })).status).toBe(403);
  });

  it('takes a multipart upload’s CSRF token from its form field, not from the query string', async () => {
    const admin = await signIn('admin', 'admin-demo');
    const upload = (query: string, field?: string) => {
      const form = new FormData();
      if (field) form.set('_csrf', field);
      form.set('file', new Blob(['id,name\n']), 'roster.csv');
      return fetch(`${base}/console/directory/upload${query}`, {
        method: 'POST',
        headers: { cookie: admin.cookie },
        body: form,
      });
    };
    expect((await upload(`?_csrf=${encodeURIComponent(admin.csrf)}`)).status).toBe(403);
    expect((await upload('', 'not-the-token')).status).toBe(403);
    const uploads = seen.filter((s) => s.url.startsWith('/api/directory/import')).length;
    expect((await upload('', admin.csrf)).ok).toBe(true);
    expect(seen.filter((s) => s.url.startsWith('/api/directory/import')).length).toBe(uploads + 1);
  });

  it('lets a duty officer issue through the intake API with the form’s fields', async () => {
    const { cookie, csrf } = await signIn('duty', 'duty-demo');
    const r = await post('/console/warnings', cookie, { ...issueFields, drill: 'on', _csrf: csrf });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toContain('issued=new-1');
    const sent = seen.find((s) => s.url === '/api/warnings' && s.method === 'POST')!;
    expect(claimsOf(sent)).toEqual({ actor: 'console:duty', role: 'duty-officer' });
    expect(JSON.parse(sent.body)).toEqual({
      hazard: 'meteorological',
      subtype: 'rainstorm',
      level: 'orange',
      headline: '大同市气象台发布暴雨橙色预警',
      areas: [{ code: '140221000000', name: '阳高县' }],
      expires: '2030-07-12T18:00:00+08:00',
      status: 'Exercise',
    });
  });

  it('previews the SMS and voice text with a segment count, without sending', async () => {
    const { cookie, csrf } = await signIn('duty', 'duty-demo');
    const before = seen.length;
    const r = await post('/console/warnings', cookie, { ...issueFields, op: 'preview', _csrf: csrf });
    const html = await r.text();
    expect(r.status).toBe(200);
    expect(html).toMatch(/id="sms-segments">[1-9]\d* 条/);
    expect(html).toContain('大同市气象台发布暴雨橙色预警');
    expect(html).toMatch(/id="voice-text">[^<]*王建国您好/);
    // The capacity estimate beside it: the practice targets and the predicted times.
    expect(html).toContain('id="capacity-plan"');
    expect(html).toMatch(/全部叫醒（秒）<\/td><td>\d+<\/td><td>目标 300/);
    expect(seen.length).toBe(before);
  });

  it('shows per-county and township counts, marks drills, and masks phone numbers', async () => {
    const { cookie, csrf } = await signIn('duty', 'duty-demo');
    const html = await (await fetch(base + '/', { headers: { cookie } })).text();
    expect(html).toContain('阳高县');
    expect(html).toContain('演练');
    // The board carries counts per county and township; a township's persons load when it is opened.
    expect(html).toMatch(/data-area="140221101000"><summary>罗文皂镇 <b>1<\/b>/);
    expect(html).not.toContain('赵六');
    const group = await (
      await fetch(base + '/console/not-woken/140221101000/fragment', { headers: { cookie } })
    ).text();
    expect(group).toContain('赵六');
    expect(group).toContain('王官人屯镇');
    expect(group).toContain('+86138****1234');
    expect(group).not.toContain('+8613800001234');
    expect(group).toMatch(/class="waited">4分</);
    const r = await post('/console/callouts/c-1/reached', cookie, { note: '已派村干部上门', _csrf: csrf });
    expect(r.status).toBe(303);
    const call = seen.find((s) => s.url === '/api/callouts/c-1/reached')!;
    // Who marked it travels in the signed token, not in the body.
    expect(JSON.parse(call.body)).toEqual({ note: '已派村干部上门' });
    expect(claimsOf(call)).toEqual({ actor: 'console:duty', role: 'duty-officer' });
  });

  it("shows the first round's predicted vs actual per channel against the practice targets, on the page and in its JSON", async () => {
    const { cookie } = await signIn('duty', 'duty-demo');
    const html = await (await fetch(base + '/', { headers: { cookie } })).text();
    expect(html).toContain('首轮叫应：预测与实际');
    // Voice: 600 planned at 1 a second (600 s predicted), 200 accepted after 200 s, still running.
    expect(html).toMatch(
      /<tr data-channel="voice" data-done="false"><th>语音<\/th>\s*<td>600 · 1 条\/秒 · 600 秒<\/td>/,
    );
    expect(html).toMatch(
      /进行中 已受理 <b data-figure="accepted">200<\/b>\/600 · <b data-figure="seconds">200<\/b> 秒/,
    );
    expect(html).toMatch(
      /data-target="voice"><th>最后一通电话拨出（秒） · 目标 180<\/th>\s*<td data-verdict="missed">600 · 未达标/,
    );
    const res = await fetch(base + '/console/board.json', { headers: { cookie } });
    expect(res.headers.get('content-type')).toMatch(/json/);
    const board = (await res.json()) as { warnings: { id: string; capacity: Record<string, unknown> }[] };
    expect(board.warnings[0].capacity).toMatchObject({
      persons: 600,
      running: true,
      targets: { voiceWithinSec: 180, allWokenWithinSec: 300 },
      voice: { predictedSec: 600, predicted: 'missed', actualSec: null, actual: 'missed' },
      woken: { predictedSec: 645, predicted: 'missed', actual: 'open' },
    });
    expect(board.warnings[0].capacity.channels).toEqual([
      expect.objectContaining({ channel: 'sms', predictedSec: 60, accepted: 600, done: true, actualSec: 61 }),
      expect.objectContaining({
        channel: 'voice',
        predictedSec: 600,
        accepted: 200,
        done: false,
        actualSec: 200,
      }),
    ]);
  });

  it('shows held warnings at the top of the board and maps one in one step through intake', async () => {
    const { cookie, csrf } = await signIn('duty', 'duty-demo');
    const html = await (await fetch(base + '/', { headers: { cookie } })).text();
    const held = html.indexOf('id="needs-mapping"');
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(html.indexOf('生效中的预警'));
    expect(html).toContain('待指定区划的预警');
    expect(html).toContain('140502000000');
    // Roles and reasons in Chinese, not their codes (codes stay as form values, which are not shown).
    expect(html).toContain('防汛责任人');
    expect(html.replace(/<[^>]*>/g, ' ')).not.toContain('flood-control');
    const r = await post('/console/held/held-1/mapping', cookie, {
      areaCodes: '140302000000，140302001000',
      _csrf: csrf,
    });
    expect(r.status).toBe(303);
    const call = seen.find((s) => s.url === '/api/warnings/held/held-1/mapping')!;
    expect(JSON.parse(call.body)).toEqual({ areas: ['140302000000', '140302001000'] });
    expect(claimsOf(call)).toEqual({ actor: 'console:duty', role: 'duty-officer' });
  });

  // /metrics (the board's system-health strip) is read without a token, as Prometheus reads it.
  const backendCallsSince = (from: number) => seen.slice(from).filter((s) => s.url !== '/metrics');

  it('calls every backend with a token signed for the signed-in user and role', async () => {
    const from = seen.length;
    const admin = await signIn('admin', 'admin-demo');
    await fetch(base + '/', { headers: { cookie: admin.cookie } });
    await fetch(base + '/console/directory', { headers: { cookie: admin.cookie } });
    const asAdmin = backendCallsSince(from);
    expect(asAdmin.map((s) => s.url)).toEqual(
      expect.arrayContaining(['/api/callouts/warnings', '/api/directory/health']),
    );
    for (const s of asAdmin) expect(claimsOf(s)).toEqual({ actor: 'console:admin', role: 'directory-admin' });
    // The not-woken list names persons: a directory admin's board does not ask for it.
    expect(asAdmin.some((s) => s.url.startsWith('/api/callouts/not-woken'))).toBe(false);

    const mid = seen.length;
    const duty = await signIn('duty', 'duty-demo');
    await fetch(base + '/console/divisions?parent=140200000000', { headers: { cookie: duty.cookie } });
    const asDuty = backendCallsSince(mid);
    expect(asDuty.map((s) => s.url)).toEqual(
      expect.arrayContaining([
        '/api/callouts/not-woken/groups',
        '/api/callouts/field-tasks?open=true',
        '/api/directory/divisions?parent=140200000000',
      ]),
    );
    for (const s of asDuty) expect(claimsOf(s)).toEqual({ actor: 'console:duty', role: 'duty-officer' });
  });

  it('speaks English on request and remembers it', async () => {
    const { cookie } = await signIn('duty', 'duty-demo');
    const en = await fetch(base + '/?lang=en', { headers: { cookie } });
    const langCookie = en.headers
      .getSetCookie()
      .find((c) => c.startsWith('jy_lang='))!
      .split(';')[0];
    expect(await en.text()).toContain('Not-woken list');
    const again = await (await fetch(base + '/', { headers: { cookie: `${cookie}; ${langCookie}` } })).text();
    expect(again).toContain('Not-woken list');
    expect(await (await fetch(base + '/', { headers: { cookie } })).text()).toContain('未叫醒名单');
  });

  it('pushes coverage alerts and dead letters from Kafka to the board over SSE', async () => {
    const { cookie } = await signIn('duty', 'duty-demo');
    const events: string[] = [];
    const ctrl = new AbortController();
    const sse = await fetch(base + '/console/events', { headers: { cookie }, signal: ctrl.signal });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>)
          events.push(decoder.decode(chunk));
      } catch {
        // aborted at the end
      }
    })();
    const publisher = app.get<EventPublisher>(PUBLISHER);
    const namer = app.get<TopicNamer>(TOPIC_NAMER);
    await publisher.publish(TOPICS.coverageAlerts.name, [
      {
        key: 'w-1',
        value: {
          schemaVersion: 1,
          alertId: 'a-1',
          warningId: 'w-1',
          kind: 'no-reachable-person',
          areaCode: '140221101000',
          areaName: '王官人屯镇',
          message: '该乡镇没有可联系的责任人',
          at: new Date().toISOString(),
        },
      },
    ]);
    await publisher.publishRaw(namer.topic('warnings.flood.dlq'), {
      key: null,
      value: Buffer.from('<alert>not json'),
      headers: { 'x-dlq-reason': 'value is not valid JSON', 'x-dlq-topic': namer.topic('warnings.flood') },
    });
    await waitFor(
      () => events.join('').includes('event: alert') && events.join('').includes('event: dlq'),
      'alert and dlq events',
      60_000,
    );
    ctrl.abort();
    const fragment = await (await fetch(base + '/console/board/fragment', { headers: { cookie } })).text();
    expect(fragment).toContain('该乡镇没有可联系的责任人');
    expect(fragment).toContain('无可联系责任人');
    expect(fragment).toContain('value is not valid JSON');
    expect(fragment).toContain('&lt;alert&gt;not json');
  }, 90_000);

  it('shows one rejected input per bad message, with the reason of every group that read it', async () => {
    const publisher = app.get<EventPublisher>(PUBLISHER);
    const namer = app.get<TopicNamer>(TOPIC_NAMER);
    const readiness = new Readiness();
    // The dispatcher's and the audit's groups both read the hazard topics, as in the all-in-one.
    const hosts = ['dispatcher', 'audit'].map(
      (group) =>
        new ConsumerHost({
          brokers: kafkaBrokers(),
          group,
          namer,
          publisher,
          readiness,
          handlers: [onTopic(TOPICS.flood, async () => undefined)],
        }),
    );
    try {
      await Promise.all(hosts.map((h) => h.start()));
      await waitFor(() => readiness.awaited().length === 0, 'both groups to join', 60_000);
      const bad = '{"schemaVersion":1,"id":"w-broken-42"';
      await publisher.publish(TOPICS.flood.name, [{ key: 'w-broken-42', value: Buffer.from(bad) }]);

      // Nothing is lost: each group wrote its own dead letter, both under the bad message's id.
      const kafka = app.get<Kafka>(KAFKA);
      const letters = await readTopic(kafka, namer.topic('warnings.flood.dlq'), 2, (m) => m.value === bad);
      expect(letters.map((m) => namer.base(m.headers['x-dlq-group'])).sort()).toEqual([
        'audit',
        'dispatcher',
      ]);
      const id = letters[0].headers['x-dlq-id'];
      expect(id).toMatch(new RegExp(`^${namer.topic('warnings.flood')}:\\d+:\\d+$`));
      expect(letters[1].headers['x-dlq-id']).toBe(id);

      // The console shows one entry for it, with both reasons.
      const rows = await waitFor(
        async () => {
          const r = await t.db.query<{
            event_key: string;
            reason: string;
            detail: { reasons: Record<string, string> };
          }>(
            `SELECT event_key, reason, detail FROM console.recent_events WHERE kind = 'dlq' AND summary LIKE '%w-broken-42%'`,
          );
          return r.rows.some((x) => Object.keys(x.detail.reasons).length === 2) ? r.rows : undefined;
        },
        'the second reason to reach the console',
        60_000,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].event_key).toBe(`dlq:${id}`);
      expect(rows[0].detail.reasons).toEqual({
        dispatcher: expect.stringMatching(/^not JSON: /),
        audit: expect.stringMatching(/^not JSON: /),
      });
      expect(rows[0].reason).toMatch(/^(dispatcher|audit): not JSON: .+; (dispatcher|audit): not JSON: /);

      const { cookie } = await signIn('duty', 'duty-demo');
      const fragment = await (await fetch(base + '/console/board/fragment', { headers: { cookie } })).text();
      expect(fragment.split('w-broken-42').length - 1).toBe(1);
      expect(fragment).toContain('dispatcher: not JSON');
      expect(fragment).toContain('audit: not JSON');
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
  }, 120_000);
});
