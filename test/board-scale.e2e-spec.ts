import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners } from 'kafkajs';
import { Browser, Page } from 'playwright-core';
import type { CalloutEvent } from '../contracts/generated';
import { DEFAULT_POLICY } from '../libs/callout/policy';
import { signRoleToken } from '../libs/common/auth';
import { fromRoot } from '../libs/common/project-root';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  testSecret,
  uniqueId,
  waitFor,
} from './support/infra';
import { launchChromium, waitInPage } from './support/browser';
import { freePort, RunningService, startService } from './support/services';

/**
 * The duty-officer board at city scale, in headless Chromium against the whole system (all-in-one
 * app, Datong demo roster, Twilio simulator, real Kafka and PostgreSQL). The state of a city-wide red
 * rainstorm warning once its ladder has run is seeded straight into the tracker's tables (10,000
 * persons over Datong's villages, one in ten not woken): what the board must carry, without
 * running a 10,000-person dispatch first.
 */
const PERSONS = 10_000;
/** Call-out transitions pushed through callouts.events to the console in the live-stream step. */
const FANOUT = 5_000;
const SECRET = testSecret();
const SHOTS = fromRoot('docs', 'screenshots');
const BOARD_MAX_BYTES = 100 * 1024;
/** Wall-clock on a shared machine is noisy: the target is 300 ms, the assertion only catches the absurd. */
const BOARD_MAX_MS_GENEROUS = 3_000;

const tokenFor = (role: string, actor = `e2e-${role}`) => signRoleToken({ actor, role }, SECRET);

describe('duty-officer board at city scale (10,000 persons, ~1,000 not woken)', () => {
  let t: TestDatabase;
  let aio: RunningService;
  let browser: Browser;
  let simUrl: string;
  let prefix: string;
  const warningId = `${uniqueId('scale')}_20260712020000_1`;

  const shot = async (page: Page, name: string, fullPage = false) => {
    // The committed screenshots change only when asked for.
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: join(SHOTS, name), fullPage });
  };

  beforeAll(async () => {
    t = await createTestDatabase('boardscale');
    prefix = uniqueId('boardscale') + '.';
    const simPort = await freePort();
    simUrl = `http://127.0.0.1:${simPort}`;
    aio = await startService(
      'all-in-one',
      {
        DATABASE_URL: t.url,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        SIGNING_SECRET: SECRET,
        // Demo mode, as `npm start`: the simulator, the demo users and the demo directory.
        DEMO: '1',
        SIM_PORT: String(simPort),
        SIM_LATENCY_MS: '20',
      },
      { timeoutMs: 120_000 },
    );
    await waitFor(
      async () =>
        Number(
          (
            await t.db.query<{ n: string }>(
              `SELECT count(*) AS n FROM directory.divisions WHERE level = 'village'`,
            )
          ).rows[0].n,
        ) > 100,
      'the demo roster in the directory',
      60_000,
    );
    const seeded = Date.now();
    await seedCityWideWarning(t, warningId);
    console.log(`seeded ${PERSONS} call-outs in ${Date.now() - seeded} ms`);
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await aio?.stop();
    await t?.drop();
  }, 60_000);

  async function signIn(page: Page) {
    await page.goto(`${aio.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', 'duty');
    await page.fill('input[name=password]', 'duty-demo');
    await Promise.all([page.waitForURL(`${aio.url}/`), page.click('button[type=submit].primary')]);
  }

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await t.db.query<{ n: string }>(sql, params)).rows[0].n);

  it('groups, filters, searches, hands a township to its head, closes the task, acts on sets, charts', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    try {
      await signIn(page);
      const notWoken = await count(
        `SELECT count(*) AS n FROM callout.callouts WHERE warning_id = $1 AND state = 'NOT_WOKEN'`,
        [warningId],
      );
      expect(notWoken).toBeGreaterThan(900);

      // 1. Size and time of the board (the officer's cookie, as the browser sends it).
      const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const load = async () => {
        const t0 = performance.now();
        const r = await fetch(`${aio.url}/`, { headers: { cookie, accept: 'text/html' } });
        const html = await r.text();
        return { ms: performance.now() - t0, bytes: Buffer.byteLength(html), html };
      };
      await load(); // warm-up (templates, connections)
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await load());
      const times = runs.map((r) => r.ms).sort((a, b) => a - b);
      const bytes = runs[0].bytes;
      console.log(
        `board at ${PERSONS} persons / ${notWoken} not woken: ${(bytes / 1024).toFixed(1)} KB HTML, ` +
          `load ${times.map((x) => x.toFixed(0)).join(' / ')} ms (median ${times[2].toFixed(0)} ms, target ≤ 300 ms; ` +
          `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
      );
      expect(runs[0].html).toContain(`data-warning-id="${warningId}"`);
      expect(bytes).toBeLessThanOrEqual(BOARD_MAX_BYTES);
      expect(times[2]).toBeLessThan(BOARD_MAX_MS_GENEROUS);
      // The whole list is not on the page: no person rows until a group is opened.
      expect((runs[0].html.match(/class="person/g) ?? []).length).toBe(0);

      // 2. Grouped: counties → townships with counts adding up to the total, collapsed.
      await page.goto(`${aio.url}/`);
      expect(Number(await page.textContent('#not-woken-total'))).toBe(notWoken);
      const countySums = await page.$$eval('#not-woken details.nw-c > summary b', (bs) =>
        bs.reduce((s, b) => s + Number(b.textContent), 0),
      );
      expect(countySums).toBe(notWoken);
      expect(await page.$$eval('#not-woken details[open]', (d) => d.length)).toBe(0);
      await shot(page, 'board-grouped.png');

      // 3. Expand a county and a township: its persons load into the group, longest waiting first.
      const township = (
        await t.db.query<{ t: string; n: string }>(
          `SELECT substr(area_code, 1, 9) || '000' AS t, count(*) AS n FROM callout.callouts
           WHERE warning_id = $1 AND state = 'NOT_WOKEN' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`,
          [warningId],
        )
      ).rows[0];
      const county = `${township.t.slice(0, 6)}000000`;
      await page.click(`details.nw-c[data-area="${county}"] > summary`);
      await page.click(`details.nw-t[data-area="${township.t}"] > summary`);
      const group = `details.nw-t[data-area="${township.t}"]`;
      await page.waitForSelector(`${group} .nw-body .person`);
      const shown = await page.$$eval(`${group} .person`, (p) => p.length);
      expect(shown).toBe(Math.min(Number(township.n), 50));
      expect(await page.textContent(`${group} summary b`)).toBe(township.n);
      await shot(page, 'board-township-open.png');

      // 4. Filter by role, then search one person by part of their number.
      await page.selectOption('#nw-filter select[name=role]', 'grid-worker');
      await Promise.all([page.waitForURL(/role=grid-worker/), page.click('#nw-filter button[type=submit]')]);
      const gridWorkers = await count(
        `SELECT count(*) AS n FROM callout.callouts WHERE state = 'NOT_WOKEN' AND role = 'grid-worker'`,
      );
      expect(Number(await page.textContent('#not-woken-total'))).toBe(gridWorkers);
      expect(gridWorkers).toBeLessThan(notWoken);
      const someone = (
        await t.db.query<{ person_name: string; phone: string; area_code: string }>(
          `SELECT person_name, phone, area_code FROM callout.callouts
           WHERE warning_id = $1 AND state = 'NOT_WOKEN' ORDER BY id LIMIT 1`,
          [warningId],
        )
      ).rows[0];
      await page.goto(`${aio.url}/?q=${encodeURIComponent(someone.phone.slice(-8))}`);
      expect(await page.textContent('#not-woken-total')).toBe('1');
      await page.click('details.nw-c > summary');
      await page.click('details.nw-t > summary');
      await page.waitForSelector('details.nw-t .person');
      expect(await page.textContent('details.nw-t .person .person-name')).toBe(someone.person_name);

      // 5. The hand-off: the township's list to its head (from the directory), a field task opened.
      const head = (
        await t.db.query<{ id: string; name: string; mobile: string }>(
          `SELECT p.id, p.name, p.mobile FROM directory.persons p JOIN directory.role_assignments a ON a.person_id = p.id
           WHERE a.role = 'party-gov-head' AND a.area_code = $1`,
          [township.t],
        )
      ).rows[0];
      expect(head).toBeDefined();
      await page.goto(`${aio.url}/console/not-woken/${township.t}`);
      await Promise.all([
        page.waitForURL(/\/console\/field-tasks\/[^/?]+\?done=1/),
        page.click('form.handoff button'),
      ]);
      const taskId = decodeURIComponent(/field-tasks\/([^/?]+)/.exec(page.url())![1]);
      expect(await page.textContent('#task-assignee')).toBe(head.name);
      expect(await page.textContent('#task-state')).toBe('进行中');
      const rows = await page.$$('#field-task tbody tr');
      expect(rows.length).toBe(Number(township.n));
      // The list reached the head at the simulator through the normal send path (SMS and voice per policy).
      const handed = (
        await t.db.query<{ person_name: string; phone: string }>(
          `SELECT c.person_name, c.phone FROM callout.field_task_items i JOIN callout.callouts c ON c.id = i.callout_id
           WHERE i.task_id = $1 ORDER BY c.area_code, c.created_at, c.id LIMIT 1`,
          [taskId],
        )
      ).rows[0];
      const sms = await waitFor(
        async () => {
          const recs = (await (await fetch(`${simUrl}/sim/records`)).json()) as {
            records: { kind: string; to: string; body?: string }[];
          };
          return recs.records.find(
            (r) => r.kind === 'sms' && r.to === head.mobile && r.body?.includes('上门'),
          );
        },
        'the hand-off SMS to the township head at the simulator',
        60_000,
      );
      expect(sms.body).toContain(handed.person_name);
      expect(sms.body).toContain(handed.phone.replace(/^\+86/, ''));
      expect(sms.body).toContain(`共${township.n}人未叫醒`);
      await page.goto(`${aio.url}/`);
      expect(await page.textContent(`#field-tasks li[data-task-id="${taskId}"]`)).toContain(head.name);
      await page.goto(`${aio.url}/console/field-tasks/${encodeURIComponent(taskId)}/print`);
      expect(await page.textContent('#print-sheet h1')).toContain('上门叫应名单');
      expect(await page.$$eval('#print-sheet tbody tr', (r) => r.length)).toBe(Number(township.n));
      await page.emulateMedia({ media: 'print' });
      expect(await page.isVisible('header.top')).toBe(false);
      await shot(page, 'field-task-print.png', true);
      await page.emulateMedia({ media: 'screen' });

      // 6. Each door reported (reached, not found, moved) until the task closes.
      const outcomes = ['reached', 'not-found', 'moved'];
      for (let i = 0; i < Number(township.n); i++) {
        await page.goto(`${aio.url}/console/field-tasks/${encodeURIComponent(taskId)}`);
        const form = '#field-task form.outcome';
        await page.selectOption(`${form} select[name=outcome]`, outcomes[i % 3]);
        await page.fill(`${form} input[name=note]`, `第${i + 1}户`);
        await Promise.all([page.waitForURL(/done=1/), page.click(`${form} button`)]);
      }
      expect(await page.textContent('#task-state')).toBe('已完成');
      await shot(page, 'field-task.png', true);
      const firstReached = (
        await t.db.query<{ callout_id: string }>(
          `SELECT callout_id FROM callout.field_task_items WHERE task_id = $1 AND outcome = 'reached' LIMIT 1`,
          [taskId],
        )
      ).rows[0].callout_id;
      await waitFor(
        async () =>
          (
            await t.db.query<{ state: string; state_reason: string }>(
              `SELECT state, state_reason FROM callout.callouts WHERE id = $1`,
              [firstReached],
            )
          ).rows[0].state === 'REACHED',
        'the person reported reached settled in the tracker',
        30_000,
      );
      // Every step is in the warning's hash chain, and the chain verifies.
      const steps = await waitFor(
        async () => {
          const r = await t.db.query<{ kind: string; actor: string }>(
            `SELECT content->>'kind' AS kind, actor FROM audit.entries WHERE chain_id = $1 AND topic = 'fieldtasks.events'`,
            [warningId],
          );
          return r.rows.length === Number(township.n) + 2 ? r.rows : undefined;
        },
        'the field task steps in the ledger',
        60_000,
      );
      expect(steps.filter((s) => s.kind === 'opened')).toHaveLength(1);
      expect(steps.filter((s) => s.kind === 'closed')).toHaveLength(1);
      expect(steps.every((s) => s.actor === 'console:duty')).toBe(true);
      const verify = (await (
        await fetch(`${aio.url}/api/audit/verify?warningId=${encodeURIComponent(warningId)}`, {
          headers: { authorization: `Bearer ${tokenFor('auditor')}` },
        })
      ).json()) as { ok: boolean };
      expect(verify.ok).toBe(true);

      // 7. Set actions behind a confirmation: two persons reached, then a whole township called again.
      const other = (
        await t.db.query<{ t: string; n: string }>(
          `SELECT substr(area_code, 1, 9) || '000' AS t, count(*) AS n FROM callout.callouts
           WHERE warning_id = $1 AND state = 'NOT_WOKEN' AND substr(area_code, 1, 9) <> $2
           GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 1`,
          [warningId, township.t.slice(0, 9)],
        )
      ).rows[0];
      await page.goto(`${aio.url}/console/not-woken/${other.t}`);
      const picked = await page.$$eval('.person input[name=ids]', (cbs) =>
        cbs.slice(0, 2).map((c) => c.getAttribute('value')!),
      );
      for (const id of picked) await page.check(`.person input[name=ids][value="${id}"]`);
      await Promise.all([page.waitForURL(/\/confirm$/), page.click('button.bulk-reached')]);
      expect(await page.textContent('#confirm-count')).toBe('2');
      await page.fill('#confirm-set input[name=note]', '村委会统一上门');
      await Promise.all([page.waitForURL(/done=2/), page.click('#confirm-apply')]);
      await waitFor(
        async () =>
          (await count(
            `SELECT count(*) AS n FROM callout.callouts WHERE id = ANY($1::text[]) AND state = 'REACHED'
               AND state_reason = 'reached in person (console:duty)'`,
            [picked],
          )) === 2,
        'both persons reached, each recorded with the actor',
        30_000,
      );
      const left = Number(other.n) - 2;
      await page.goto(`${aio.url}/console/not-woken/${other.t}`);
      await Promise.all([page.waitForURL(/\/confirm$/), page.click('button.bulk-recall')]);
      expect(Number(await page.textContent('#confirm-count'))).toBe(left);
      await Promise.all([page.waitForURL(new RegExp(`done=${left}`)), page.click('#confirm-apply')]);
      expect(
        await count(
          `SELECT count(DISTINCT r.callout_id) AS n FROM callout.requests r JOIN callout.callouts c ON c.id = r.callout_id
           WHERE c.warning_id = $1 AND substr(c.area_code, 1, 9) = $2 AND r.purpose = 'redial'`,
          [warningId, other.t.slice(0, 9)],
        ),
      ).toBe(left);

      // 8. The progress chart, server-rendered SVG with the practice targets, whole warning and a county.
      await page.goto(`${aio.url}/console/warnings/${encodeURIComponent(warningId)}/progress`);
      expect(
        await page.$$eval('#progress svg g.target', (g) => g.map((x) => x.getAttribute('data-target-sec'))),
      ).toEqual(['180', '300']);
      const share = Number(await page.getAttribute('#progress svg path.curve', 'data-share'));
      const confirmed = await count(
        `SELECT count(*) AS n FROM callout.callouts WHERE warning_id = $1 AND state = 'CONFIRMED'`,
        [warningId],
      );
      expect(share).toBeCloseTo(confirmed / PERSONS, 3);
      await shot(page, 'progress-chart.png');
      await Promise.all([
        page.waitForURL(/county=/),
        page.click(`#progress nav a[href$="county=${county}"]`),
      ]);
      expect(await page.$$('#progress svg g.target')).toHaveLength(2);
      const svg = await fetch(
        `${aio.url}/console/warnings/${encodeURIComponent(warningId)}/progress.svg?county=${county}`,
        { headers: { cookie } },
      );
      expect(svg.headers.get('content-type')).toContain('image/svg+xml');
      expect(await svg.text()).toContain('data-target-sec="300"');

      // 9. A big fan-out on the live stream: thousands of call-out transitions reach the console, the
      //    browser gets a few aggregated "board" events a second and refetches the board once per event.
      await page.goto(`${aio.url}/`);
      await waitInPage(page, "document.body.dataset.live === 'connected'", 'the live stream connected');
      const liveCount = async () =>
        (await page.evaluate(
          `(() => { const d = document.getElementById('board-live').dataset;
             return { messages: Number(d.messages || 0), refreshes: Number(d.refreshes || 0) }; })()`,
        )) as { messages: number; refreshes: number };
      const villages = (
        await t.db.query<{ area_code: string }>(
          `SELECT DISTINCT area_code FROM callout.callouts WHERE warning_id = $1 ORDER BY 1`,
          [warningId],
        )
      ).rows.map((r) => r.area_code);
      const kafka = new Kafka({ clientId: 'board-scale-e2e', brokers: kafkaBrokers(), logLevel: 1 });
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const started = Date.now();
      for (let chunk = 0; chunk < FANOUT / 1000; chunk++) {
        const at = new Date().toISOString();
        await producer.send({
          topic: `${prefix}callouts.events`,
          messages: Array.from({ length: 1000 }, (_, k) => {
            const i = chunk * 1000 + k;
            const e: CalloutEvent = {
              schemaVersion: 1,
              eventId: `fanout-${i}`,
              calloutId: `${warningId}/fanout/${i}`,
              warningId,
              personId: `F${i}`,
              personName: `扇出${i}`,
              areaCode: villages[i % villages.length],
              rung: 0,
              from: 'SENT',
              to: 'DELIVERED',
              reason: 'SMS delivered',
              drill: false,
              at,
            };
            return { key: e.calloutId, value: JSON.stringify(e) };
          }),
        });
      }
      await producer.disconnect();
      // Settled when no new event has come for 3 s…
      let last = await liveCount();
      let quietSince = Date.now();
      await waitFor(
        async () => {
          const now = await liveCount();
          if (now.messages !== last.messages) [last, quietSince] = [now, Date.now()];
          // …and the board has been refetched at least once since (fetches are slow on a loaded machine).
          return now.messages > 0 && now.refreshes > 0 && Date.now() - quietSince > 3_000;
        },
        'the fan-out to reach the browser',
        120_000,
        250,
      );
      const seconds = (quietSince - started) / 1000;
      console.log(
        `live stream: ${FANOUT} transitions → ${last.messages} board events, ${last.refreshes} board refreshes in ${seconds.toFixed(1)} s`,
      );
      expect(last.messages).toBeGreaterThan(0);
      // Aggregated: at most two a second (BOARD_EVENT_INTERVAL_MS), plus one for the edges.
      expect(last.messages).toBeLessThanOrEqual(Math.ceil(seconds * 2) + 2);
      expect(last.messages).toBeLessThan(FANOUT / 100);
      expect(last.refreshes).toBeLessThanOrEqual(last.messages);

      // 10. Without JavaScript: the groups still open (details/summary), a township's link opens its list.
      const plain = await browser.newContext({
        javaScriptEnabled: false,
        viewport: { width: 1280, height: 900 },
      });
      await plain.addCookies(await ctx.cookies());
      const p = await plain.newPage();
      await p.goto(`${aio.url}/`);
      await p.click(`details.nw-c[data-area="${county}"] > summary`);
      await p.click(`details.nw-t[data-area="${township.t}"] > summary`);
      await Promise.all([
        p.waitForURL(new RegExp(`/console/not-woken/${township.t}`)),
        p.click(`details.nw-t[data-area="${township.t}"] a.nw-open`),
      ]);
      expect(await p.$$('.person')).not.toHaveLength(0);
      await plain.close();
    } catch (e) {
      await page
        .screenshot({ path: join('/tmp', 'board-scale-failure.png'), fullPage: true })
        .catch(() => {});
      throw new Error(`${(e as Error).message}\n--- all-in-one ---\n${aio.output().slice(-3000)}`);
    } finally {
      await ctx.close();
    }
  }, 600_000);
});

/**
 * A city-wide red rainstorm warning for Datong after its ladder ran: 10,000 persons spread over the
 * demo roster's villages, one in ten not woken (numbers ending in 7, as the simulator's never-answering
 * ones), one in a hundred still escalated (so the warning stays open), the rest confirmed within
 * the first minutes. One INSERT … SELECT from generate_series.
 */
async function seedCityWideWarning(t: TestDatabase, warningId: string): Promise<void> {
  const red = DEFAULT_POLICY.hazards.meteorological.red;
  await t.db.query(
    `INSERT INTO callout.warnings (id, hazard, subtype, level, status, drill, headline, sent_at, effective, expires,
       area_codes, content, policy, state)
     VALUES ($1, 'meteorological', 'rainstorm', 'red', 'Actual', false, '大同市气象台发布暴雨红色预警信号（全市）',
       now() - interval '20 minutes', now() - interval '20 minutes', now() + interval '6 hours',
       '{140200000000}', $2, $3, 'active')`,
    [
      warningId,
      JSON.stringify({ areas: [{ code: '140200000000', name: '大同市' }], sender: '大同市气象台' }),
      JSON.stringify({ version: 'seeded', levels: { red } }),
    ],
  );
  await t.db.query(
    `WITH v AS (
       SELECT code, name, (row_number() OVER (ORDER BY code)) - 1 AS i, count(*) OVER () AS nv
       FROM directory.divisions WHERE level = 'village' AND code LIKE '1402%'),
     s AS (SELECT '{王,李,张,刘,陈,杨,赵,黄,周,吴,徐,孙,胡,朱,高,林,何,郭,马,罗}'::text[] AS sur,
                  '{伟,芳,娜,敏,静,丽,强,磊,军,洋,勇,艳,杰,娟,涛,明,超,秀,霞,平}'::text[] AS giv,
                  '{flood-control,grid-worker,flash-flood-warner}'::text[] AS roles)
     INSERT INTO callout.callouts (id, warning_id, person_id, person_name, phone, role, area_code, area_name, level,
       rung, state, state_reason, created_at, updated_at, confirmed_at)
     SELECT $1 || '/red/S' || g, $1, 'S' || g,
            s.sur[1 + g % 20] || s.giv[1 + (g / 20) % 20] || s.giv[1 + (g / 400) % 20],
            '+86139' || lpad(g::text, 8, '0'), s.roles[1 + g % 3], v.code, v.name, 'red', 0,
            CASE WHEN g % 10 = 7 THEN 'NOT_WOKEN' WHEN g % 100 = 3 THEN 'ESCALATED' ELSE 'CONFIRMED' END,
            CASE WHEN g % 10 = 7 THEN 'escalation ladder exhausted' WHEN g % 100 = 3 THEN 'ladder step 1' ELSE 'confirmed by sms' END,
            now() - interval '20 minutes' + (g % 90) * interval '1 second',
            now() - interval '5 minutes',
            CASE WHEN g % 10 <> 7 AND g % 100 <> 3
                 THEN now() - interval '20 minutes' + (g % 90) * interval '1 second' + ((g * 7919) % 420) * interval '1 second' END
     FROM generate_series(0, $2::int - 1) g CROSS JOIN s JOIN v ON v.i = g % v.nv`,
    [warningId, PERSONS],
  );
  await t.db.query(`ANALYZE callout.callouts`);
}
