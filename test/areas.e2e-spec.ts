import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka } from 'kafkajs';
import { Browser, Page } from 'playwright-core';
import { launchChromium, waitInPage } from './support/browser';
import { DEFAULT_POLICY } from '../libs/callout/policy';
import { signRoleToken } from '../libs/common/auth';
import { rainstormCap } from './support/cap';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  testSecret,
  uniqueId,
  waitFor,
} from './support/infra';
import { freePort, RunningService, startService } from './support/services';

/**
 * A CAP warning whose area maps to no division, end to end: intake holds it (no dead letter), the
 * zh-CN board shows it at the top with its raw areaDesc, the duty officer maps it to a township in
 * one step in the browser, and it dispatches: the township's persons are called. The board's
 * rendered text in Chinese carries no English word (division codes, ids and times allowed).
 */
const SECRET = testSecret();
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇 (the demo roster has persons there)
const tokenFor = (role: string, actor = `e2e-${role}`) => signRoleToken({ actor, role }, SECRET);

const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.meteorological.orange = {
  ...policy.hazards.meteorological.orange,
  channels: ['sms'],
  voiceFallbackAfterSec: null,
  redials: 0,
  escalationSteps: 0,
  // Short deadlines, SMS only: the mapped warning settles or times out within the test.
  ackDeadlineSec: 8,
  escalationAckDeadlineSec: 3,
  repeatLimit: 1,
};

const heldCap = (identifier: string) =>
  rainstormCap(identifier, {
    area: '<areaDesc>新荣区某工业园区</areaDesc>',
    headline: '大同市气象台发布暴雨橙色预警信号（区域待指定）',
    hours: 6,
  });

/** Latin words left once what may be Latin is removed: codes, ids, times, the language switch. */
export function englishWords(text: string, allowed: string[]): string[] {
  let t = text;
  for (const a of allowed) t = t.split(a).join(' ');
  return (t.match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !['English'].includes(w));
}

describe('held CAP warning: mapped by the duty officer in the console, then dispatched', () => {
  let t: TestDatabase;
  let aio: RunningService;
  let browser: Browser;
  let prefix: string;

  beforeAll(async () => {
    t = await createTestDatabase('arease2e');
    prefix = uniqueId('arease2e') + '.';
    const policyFile = join(tmpdir(), `${prefix}policy.json`);
    writeFileSync(policyFile, JSON.stringify(policy));
    const simPort = await freePort();
    aio = await startService(
      'all-in-one',
      {
        DATABASE_URL: t.url,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        SIGNING_SECRET: SECRET,
        // Demo mode, as `npm start`: the simulator, the demo users and the demo directory.
        DEMO: '1',
        POLICY_FILE: policyFile,
        SIM_PORT: String(simPort),
        SIM_LATENCY_MS: '50',
      },
      { timeoutMs: 120_000 },
    );
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await aio?.stop();
    await t?.drop();
  }, 60_000);

  const api = (path: string, init: RequestInit & { role?: string } = {}) =>
    fetch(`${aio.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${tokenFor(init.role ?? 'duty-officer')}`, ...(init.headers ?? {}) },
    });

  async function signIn(page: Page) {
    await page.goto(`${aio.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', 'duty');
    await page.fill('input[name=password]', 'duty-demo');
    await Promise.all([page.waitForURL(`${aio.url}/`), page.click('button[type=submit].primary')]);
  }

  it('previews the villages a GeoJSON polygon pasted into the warning form covers', async () => {
    // A rectangle around one village of the demo roster; which villages it covers is read from the
    // database independently (a rectangle's inside is a pair of ranges).
    const [centre] = (
      await t.db.query<{ lat: number; lon: number }>(
        `SELECT lat, lon FROM directory.divisions WHERE lat IS NOT NULL ORDER BY code LIMIT 1 OFFSET 5`,
      )
    ).rows;
    const box = {
      south: centre.lat - 0.03,
      north: centre.lat + 0.03,
      west: centre.lon - 0.04,
      east: centre.lon + 0.04,
    };
    const inside = (
      await t.db.query<{ code: string; name: string }>(
        `SELECT code, name FROM directory.divisions
         WHERE lat BETWEEN $1 AND $2 AND lon BETWEEN $3 AND $4 ORDER BY code`,
        [box.south, box.north, box.west, box.east],
      )
    ).rows;
    expect(inside.length).toBeGreaterThan(0);
    const total = Number(
      (await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM directory.divisions WHERE lat IS NOT NULL`))
        .rows[0].n,
    );
    expect(inside.length).toBeLessThan(total); // the polygon selects, it does not take everything
    const polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [box.west, box.south],
          [box.east, box.south],
          [box.east, box.north],
          [box.west, box.north],
          [box.west, box.south],
        ],
      ],
    };

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    try {
      await signIn(page);
      await page.goto(`${aio.url}/console/warnings/new`);
      await page.fill('#geojson', JSON.stringify(polygon));
      await Promise.all([page.waitForSelector('#covered'), page.click('#preview-areas')]);
      const shown: string[] = await page.$$eval('#covered li code', (els) =>
        els.map((e) => e.textContent ?? ''),
      );
      expect(shown.sort()).toEqual(inside.map((v) => v.code));
      const text = (await page.textContent('#covered')) ?? '';
      for (const v of inside) expect(text).toContain(v.name);
      // The pasted polygon stays in the form, so the officer can send what was previewed.
      expect(JSON.parse(await page.inputValue('#geojson'))).toEqual(polygon);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- all-in-one ---\n${aio.output().slice(-3000)}`);
    } finally {
      await page.context().close();
    }
  }, 120_000);

  it('holds, shows at the top of the zh-CN board, maps in one step, dispatches; no English on the board', async () => {
    const id = `14020004100100_${uniqueId('H').replace(/\W/g, '').slice(-8)}_1`;
    const sent = await api('/api/cap', {
      method: 'POST',
      headers: { 'content-type': 'application/cap+xml' },
      body: heldCap(id),
    });
    expect(sent.status).toBe(202);
    expect(await sent.json()).toMatchObject({ outcome: 'held', id });

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const fail = (e: unknown) =>
      new Error(`${(e as Error).message}\n--- all-in-one ---\n${aio.output().slice(-3000)}`);
    try {
      await signIn(page);
      const held = `#needs-mapping article[data-held-id="${id}"]`;
      await page.waitForSelector(held, { timeout: 30_000 });
      // At the top: the needs-mapping section comes before the active warnings.
      const order: string[] = await page.evaluate(
        "[...document.querySelectorAll('#board-live > section')].map((s) => s.id || s.querySelector('h2')?.textContent)",
      );
      expect(order[0]).toBe('needs-mapping');
      expect(await page.textContent(held)).toContain('新荣区某工业园区');

      await page.fill(`${held} input[name=areaCodes]`, TOWNSHIP);
      await Promise.all([page.waitForURL(/\/\?done=1/), page.click(`${held} button[type=submit]`)]);
      expect(await page.$(held)).toBeNull();

      // Dispatched: the township's persons are called, and the board lists the warning.
      await waitFor(
        async () => {
          const r = await api(`/api/callouts/warnings/${encodeURIComponent(id)}`, { role: 'duty-officer' });
          if (!r.ok) return undefined;
          const body = (await r.json()) as { callouts?: { area_code: string }[] };
          return body.callouts?.some((c) => c.area_code.startsWith('140212100')) ? body : undefined;
        },
        'call-outs of the mapped warning in 新荣镇',
        120_000,
      );
      // (The simulator's persons confirm at once, so the warning may already be settled and closed:
      // the board's activity shows its call-outs either way.)

      // The ledger names who mapped what.
      await waitFor(
        async () => {
          const r = await api(`/api/audit/warnings/${encodeURIComponent(id)}/timeline`, { role: 'auditor' });
          const text = await r.text();
          return /area-mapped/.test(text) && /console:duty/.test(text) ? text : undefined;
        },
        'the area-mapped entry in the ledger',
        60_000,
      );

      // The warning's page says how its area was mapped.
      await page.goto(`${aio.url}/console/warnings/${encodeURIComponent(id)}/edit`);
      expect(await page.textContent(`#area-mapping td.how[data-how="officer"]`)).toContain('值班员指定');

      // The zh-CN board's rendered text has no English word.
      await page.goto(`${aio.url}/`);
      await waitInPage(page, "document.querySelector('#activity li') !== null", 'the activity list');
      // The officer's actor id (console:duty, in the area-mapped alert) is an id, not a word.
      const boardWords = async () =>
        englishWords(String(await page.evaluate('document.body.innerText')), [id, 'console:duty', 'English']);
      expect(await boardWords()).toEqual([]);

      // Cancelled (解除): the transitions say so; bad messages on two streams reach the DLQ panel.
      expect(
        (
          await api(`/api/warnings/${encodeURIComponent(id)}/cancel`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          })
        ).status,
      ).toBe(202);
      const producer = new Kafka({ brokers: kafkaBrokers(), clientId: 'arease2e-bad-input' }).producer();
      await producer.connect();
      await producer.send({ topic: `${prefix}warnings.cap`, messages: [{ value: '<alert>truncated' }] });
      await producer.send({
        topic: `${prefix}warnings.flood`,
        messages: [{ value: '{"id": "bad", "level": 7}' }],
      });
      await producer.disconnect();
      // The board as loaded afresh (the console's DLQ consumer may take a moment to read them).
      await waitFor(
        async () => {
          await page.goto(`${aio.url}/`);
          return (await page.$$('#dlq li.dead-letter')).length >= 2 ? true : undefined;
        },
        'two rejected inputs on the board',
        120_000,
        2000,
      );
      expect(await page.textContent('#dlq')).toContain('标准预警报文');
      expect(await boardWords()).toEqual([]);
      // English only on request.
      await page.goto(`${aio.url}/?lang=en`);
      expect(await page.textContent('#dlq')).toContain('CAP messages');
    } catch (e) {
      throw fail(e);
    }
  }, 420_000);
});
