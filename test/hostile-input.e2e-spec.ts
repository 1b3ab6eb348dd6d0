import { performance } from 'node:perf_hooks';
import { signRoleToken } from '../libs/common/auth';
import { toCsv } from '../libs/directory/directory-format';
import { DATONG, generateDirectory } from '../libs/directory/seed/generate-directory';
import { createAckToken } from '../libs/notify/ack-token';
import { waitFor } from './support/infra';
import { RunningService } from './support/services';
import { TestSystem, testWarning } from './support/system';

/**
 * Hostile and malformed input at every HTTP edge of the running services: each answers 4xx with a
 * reason, never 500, and what a person is told was received is never dropped downstream.
 */
jest.setTimeout(60_000);

const TOWNSHIP = '140212100000';
const directory = {
  divisions: [{ code: '140212100201', name: '杏花峪村', parentCode: TOWNSHIP }],
  persons: [
    {
      id: 'H1',
      name: '王建国',
      mobile: '+8613800003001',
      roles: [{ role: 'grid-worker', areaCode: '140212100201' }],
    },
  ],
};

const deepJson = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
describe('hostile input at every edge (separate processes)', () => {
  const system = new TestSystem({ label: 'hostile', directory });
  const bearer = (role: string) => ({
    authorization: `Bearer ${signRoleToken({ actor: `${role}-e2e`, role }, system.signingSecret)}`,
  });
  let intake: RunningService;
  let calloutId: string;
  let ackToken: string;

  beforeAll(async () => {
    await system.start();
    intake = await system.startApp('intake', { INTAKE_ISSUER_CODE: '04100100' });
    const w = testWarning();
    await system.publishWarning(w);
    const [c] = await system.waitForSent(w.id, ['H1'], 45_000);
    calloutId = c.id;
    // The notifier makes the ack link once it has sent; a token for the call-out is what the SMS carries.
    await waitFor(
      async () =>
        (await system.query(`SELECT 1 FROM notify.attempts WHERE callout_id = $1`, [calloutId])).length > 0,
      'the notifier to record its attempt',
    );
    ackToken = createAckToken(system.signingSecret, calloutId, new Date(Date.now() + 3600_000));
  }, 180_000);
  afterAll(() => system.stop(), 60_000);

  const url = (service: string | RunningService, path: string) =>
    `${typeof service === 'string' ? system.service(service).url : service.url}${path}`;

  it('answers 400 with a reason, never 500, on every route walked with nested or mistyped bodies', async () => {
    const json = { 'content-type': 'application/json' };
    const deepXml = `<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">${'<x>'.repeat(600)}${'</x>'.repeat(600)}</alert>`;
    const walk: {
      name: string;
      url: string;
      headers: Record<string, string>;
      body: string;
      reason: RegExp;
    }[] = [
      {
        name: 'warnings, 5,000 levels',
        url: url(intake, '/api/warnings'),
        headers: { ...json, ...bearer('duty-officer') },
        body: deepJson(5000),
        reason: /nested too deeply/,
      },
      {
        name: 'directory import, 5,000 levels',
        url: url('tracker-1', '/api/directory/import?dryRun=true'),
        headers: { ...json, ...bearer('directory-admin') },
        body: deepJson(5000),
        reason: /nested too deeply/,
      },
      {
        name: 'Twilio SMS status without any token, 5,000 levels',
        url: url('notifier', '/twilio/sms/status'),
        headers: json,
        body: deepJson(5000),
        reason: /nested too deeply/,
      },
      {
        name: 'Twilio SMS status, a JSON object where text belongs',
        url: url('notifier', '/twilio/sms/status'),
        headers: json,
        body: '{"MessageSid":{"toString":1}}',
        reason: /form of text fields/,
      },
      {
        name: 'CAP, 600 levels',
        url: url(intake, '/api/cap'),
        headers: { 'content-type': 'application/cap+xml', ...bearer('duty-officer') },
        body: deepXml,
        reason: /elements nest 601 levels deep; the limit is 32/,
      },
      {
        name: 'ack feedback, a number as note',
        url: url('notifier', `/ack/${ackToken}/feedback`),
        headers: json,
        body: '{"note":1}',
        reason: /说明 note: must be text/,
      },
      {
        name: 'reached in person, an object as note',
        url: url('tracker-1', `/api/callouts/${encodeURIComponent(calloutId)}/reached`),
        headers: { ...json, ...bearer('duty-officer') },
        body: '{"note":{"toString":1}}',
        reason: /must be text/,
      },
    ];
    const answers: string[] = [];
    for (const r of walk) {
      const res = await fetch(r.url, { method: 'POST', headers: r.headers, body: r.body });
      const text = await res.text();
      answers.push(`${r.name}: ${res.status} ${r.reason.test(text) ? 'with reason' : text.slice(0, 300)}`);
    }
    expect(answers).toEqual(walk.map((r) => `${r.name}: 400 with reason`));
    // Still serving.
    for (const s of [intake, system.service('tracker-1'), system.service('notifier')])
      expect((await fetch(`${s.url}/health/live`)).status).toBe(200);
  });

  it('refuses a feedback form the tracker would reject, with a page saying so; an accepted one reaches the call-out', async () => {
    const post = (form: string) =>
      fetch(url('notifier', `/ack/${ackToken}/feedback`), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
    for (const bad of ['action=evacuated&note=a&note=b', 'action=flee', 'action=evacuated&count=twelve']) {
      const res = await post(bad);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/反馈未能提交.*(说明 note|处置情况 action|人数 count)/);
    }
    const ok = await post(`action=evacuated&count=12&note=${encodeURIComponent('已转移12人')}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/反馈已提交/);
    const responses = await waitFor(async () => {
      const rows = await system.query<{ action: string; count: number; text: string }>(
        `SELECT action, count, text FROM callout.responses WHERE callout_id = $1 AND kind = 'feedback'`,
        [calloutId],
      );
      return rows.length ? rows : undefined;
    }, 'the feedback to reach the tracker');
    // Only the accepted one: the refused forms never left the notifier.
    expect(responses).toEqual([{ action: 'evacuated', count: 12, text: '已转移12人' }]);
  });

  it('keeps answering /health/live while it dry-runs a large directory CSV', async () => {
    // About 2.5 MB, 20,000 persons: seconds of parsing and validation, on a worker thread.
    const doc = generateDirectory({ cityCodes: [DATONG], villagesPerTownship: 50, seed: 7 });
    const csv = toCsv(doc);
    expect(csv.length).toBeGreaterThan(2_000_000);
    const tracker = system.service('tracker-1');
    const t0 = performance.now();
    let running = true;
    const dryRun = fetch(url(tracker, '/api/directory/import?dryRun=true'), {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...bearer('directory-admin') },
      body: csv,
    })
      .catch((e: Error) => {
        throw new Error(`dry run failed: ${e.message}\n--- tracker-1 ---\n${tracker.output().slice(-3000)}`);
      })
      .finally(() => (running = false));
    // Health checks one after another for as long as the dry run runs: how long each one took.
    const healthMs: number[] = [];
    while (running) {
      const s = performance.now();
      const h = await fetch(`${tracker.url}/health/live`);
      expect(h.status).toBe(200);
      if (running) healthMs.push(performance.now() - s);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const res = await dryRun;
    const tookMs = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ dryRun: true, applied: false, total: doc.persons.length });
    // Against the dry run's own duration, not an absolute figure (the machine may be loaded): on the
    // service's thread the parse would hold a health check for nearly all of it.
    const figures = {
      tookMs: Math.round(tookMs),
      checks: healthMs.length,
      slowestMs: Math.round(Math.max(...healthMs)),
    };
    expect({ ...figures, promptly: figures.checks >= 3 && figures.slowestMs < tookMs / 4 }).toEqual({
      ...figures,
      promptly: true,
    });
  }, 300_000);
});
