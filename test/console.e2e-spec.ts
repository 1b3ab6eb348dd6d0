import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { DEFAULT_POLICY } from '../libs/callout/policy';
import { signRoleToken } from '../libs/common/auth';
import { advanceClockFile } from '../libs/common/clock';
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
 * The console in a real browser (Debian's headless Chromium driven by playwright-core) against the
 * whole system: the all-in-one app (intake, dispatcher, tracker, notifier, audit, directory with the
 * Datong demo roster, Twilio simulator, console) on a fresh PostgreSQL database and Kafka topic
 * prefix of the test's own. The simulator answers every SMS with "1" except for
 * numbers ending in 7, which never answer: in 新荣镇 that is one flash-flood warner, who ends on the
 * not-woken list.
 */
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
/** The committed screenshots (docs/screenshots) are rewritten only with UPDATE_SCREENSHOTS=1. */
const COMMITTED_SHOTS = fromRoot('docs', 'screenshots');
const UPDATE_SHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SHOTS = UPDATE_SHOTS ? COMMITTED_SHOTS : join(tmpdir(), `console-e2e-shots-${process.pid}`);
const shotHashes = () =>
  existsSync(COMMITTED_SHOTS)
    ? Object.fromEntries(
        readdirSync(COMMITTED_SHOTS).map((f) => [
          f,
          createHash('sha256')
            .update(readFileSync(join(COMMITTED_SHOTS, f)))
            .digest('hex'),
        ]),
      )
    : {};
const SECRET = testSecret();
/** A role token as `npm run token` makes it, signed with the app's secret. */
const tokenFor = (role: string, actor = `e2e-${role}`) => signRoleToken({ actor, role }, SECRET);

const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.flood.orange = {
  ...policy.hazards.flood.orange,
  channels: ['sms'],
  voiceFallbackAfterSec: null,
  // The policy's real ack deadline: the test moves the app's clock past it (CLOCK_OFFSET_FILE) once
  // the persons who answer have confirmed, so nobody turns not-woken because the machine is slow.
  ackDeadlineSec: 300,
  redials: 0,
  escalationSteps: 0,
  escalationAckDeadlineSec: 120,
  escalationChannels: ['sms'],
  repeatLimit: 1,
};

describe('console in a browser (whole system)', () => {
  let t: TestDatabase;
  let aio: RunningService;
  let consoleApp: RunningService;
  let browser: Browser;
  let simUrl: string;
  let clockFile: string;
  const committedShots = shotHashes();

  beforeAll(async () => {
    t = await createTestDatabase('consolee2e');
    const prefix = uniqueId('consolee2e') + '.';
    const policyFile = join(tmpdir(), `${prefix}policy.json`);
    clockFile = join(tmpdir(), `${prefix}clock.json`);
    writeFileSync(policyFile, JSON.stringify(policy));
    const simPort = await freePort();
    simUrl = `http://127.0.0.1:${simPort}`;
    const common = {
      DATABASE_URL: t.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      SIGNING_SECRET: SECRET,
      POLICY_FILE: policyFile,
    };
    // Demo mode, as `npm start`: the simulator, the demo users and the demo directory.
    aio = await startService(
      'all-in-one',
      { ...common, DEMO: '1', SIM_PORT: String(simPort), SIM_LATENCY_MS: '50', CLOCK_OFFSET_FILE: clockFile },
      { timeoutMs: 120_000 },
    );
    // The all-in-one app serves the console beside every API, as `npm start` does.
    consoleApp = aio;
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await aio?.stop();
    await t?.drop();
  }, 60_000);

  /** The app's HTTP API as a machine client: with a bearer token of `role`, or none when null. */
  const api = (path: string, role: string | null, init: RequestInit = {}) =>
    fetch(`${aio.url}${path}`, {
      ...init,
      headers: {
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(role ? { authorization: `Bearer ${tokenFor(role)}` } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  /** What the browser refused under the Content-Security-Policy, on any page of any context. */
  const cspViolations: string[] = [];
  async function newContext(opts: BrowserContextOptions): Promise<BrowserContext> {
    const ctx = await browser.newContext(opts);
    ctx.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${m.page()?.url()}: ${m.text()}`);
    });
    return ctx;
  }

  async function signIn(page: Page, user: string, password: string) {
    await page.goto(`${consoleApp.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(`${consoleApp.url}/`), page.click('button[type=submit].primary')]);
  }

  it('issues from the form, updates live, marks a not-woken person reached, audits, exports, confirms', async () => {
    const ctx = await newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await ctx.newPage();
    const fail = (e: unknown) =>
      new Error(`${(e as Error).message}\n--- all-in-one ---\n${aio.output().slice(-3000)}`);
    try {
      // 1. Sign in and issue a warning from the form, previewing the SMS first.
      await signIn(page, 'duty', 'duty-demo');
      await page.click('a[href="/console/warnings/new"]');
      await page.selectOption('#signal', 'flood/river');
      // The level list follows the signal: village-flash-flood allows only orange and red.
      await page.selectOption('#signal', 'flood/village-flash-flood');
      expect(await page.evaluate("document.querySelector('#level option[value=blue]').disabled")).toBe(true);
      await page.selectOption('#signal', 'flood/river');
      await page.selectOption('#level', 'orange');
      await page.fill('#headline', '大同市水文局发布洪水橙色预警（控制台测试）');
      await page.fill('#areaCodes', TOWNSHIP);
      // The division tree comes from the directory API.
      await page.waitForSelector('#area-tree input[name=areas]');
      await page.click('button[name=op][value=preview]');
      const segments = await page.textContent('#sms-segments');
      expect(segments).toMatch(/^[1-9]\d* 条$/);
      expect(await page.textContent('#sms-text')).toContain('洪水橙色预警（控制台测试）');
      await Promise.all([page.waitForURL(/\/\?done=1&issued=/), page.click('#send')]);
      const warningId = decodeURIComponent(/issued=([^&]+)/.exec(page.url())![1]);

      // 2. The board shows it and updates live (no reload) as the simulator's persons confirm.
      await waitInPage(page, "document.body.dataset.live === 'connected'", 'the live stream connected');
      const card = `article[data-warning-id="${warningId}"]`;
      await page.waitForSelector(card, { timeout: 30_000 }).catch(async () => {
        await page.reload(); // the warning may reach the tracker after the redirect rendered the board
        await waitInPage(page, "document.body.dataset.live === 'connected'", 'the live stream connected');
        await page.waitForSelector(card, { timeout: 30_000 });
      });
      await page.evaluate('window.marker = 42');
      await waitInPage(
        page,
        `Number(document.querySelector('${card} [data-count=confirmed]')?.textContent ?? 0) >= 3`,
        'three confirmed on the board',
        60_000,
      );
      // Same document (the marker survived): the counts came through SSE + fragment, not a reload.
      expect(await page.evaluate('window.marker')).toBe(42);
      expect(await page.textContent(`${card} tr.township[data-area="${TOWNSHIP}"]`)).toContain('新荣镇');
      await page.screenshot({ path: join(SHOTS, 'console-board.png'), fullPage: true });

      // 3. The flash-flood warner (number ends in 7) never answers → not-woken list, grouped by
      //    county and township (collapsed): open the township's group → mark reached.
      //    The ack deadline passes (the app's clock moved on by it).
      advanceClockFile(clockFile, 301_000);
      const group = `#not-woken details.nw-t[data-area="${TOWNSHIP}"]`;
      await page.waitForSelector(group, { state: 'attached', timeout: 60_000 });
      await page.click(`#not-woken details.nw-c[data-area="${TOWNSHIP.slice(0, 6)}000000"] > summary`);
      await page.click(`${group} > summary`);
      const person = `${group} .person`;
      await page.waitForSelector(person, { timeout: 30_000 });
      expect(await page.textContent(`${person} .phone`)).toMatch(/^\+86138\*+\d{4}$/);
      await page.screenshot({ path: join(SHOTS, 'console-not-woken.png'), fullPage: true });
      await page.fill(`${person} input[name=note]`, '已派村干部上门叫醒');
      await Promise.all([page.waitForURL(/done=1/), page.click(`${person} form.reached button`)]);
      await waitFor(
        async () => {
          const r = await api(`/api/callouts/warnings/${encodeURIComponent(warningId)}`, 'auditor');
          const body = (await r.json()) as { callouts: { state: string; state_reason: string }[] };
          // Who marked it comes from the console's token for the signed-in duty officer.
          return body.callouts.some(
            (c) => c.state === 'REACHED' && c.state_reason === 'reached in person (console:duty)',
          );
        },
        'the person marked reached in the tracker',
        30_000,
      );
      await waitInPage(
        page,
        "document.querySelectorAll('#not-woken .person').length === 0",
        'nobody left on the not-woken list',
      );

      // 4. An auditor cannot issue, but reads the timeline and exports CSV.
      await ctx.clearCookies();
      await signIn(page, 'auditor', 'audit-demo');
      const forbidden = await page.goto(`${consoleApp.url}/console/warnings/new`);
      expect(forbidden!.status()).toBe(403);
      await page.goto(`${consoleApp.url}/console/audit`);
      expect(await page.textContent('#verify-status')).toContain('✔');
      await waitFor(
        async () => {
          await page.goto(`${consoleApp.url}/console/audit/warnings/${encodeURIComponent(warningId)}`);
          return (await page.$$('#timeline li')).length >= 5 && (await page.content()).includes('reached');
        },
        'the audit timeline with the reached event',
        30_000,
        500,
      );
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
      const csvPath = join(tmpdir(), `${warningId.replace(/\W/g, '_')}.csv`);
      await download.saveAs(csvPath);
      const csv = readFileSync(csvPath, 'utf8');
      expect(csv.split('\n').length).toBeGreaterThan(5);
      expect(csv).toContain(warningId);

      // 5. The person's confirmation page from an SMS link, on a small phone screen.
      const records = (await (await fetch(`${simUrl}/sim/records`)).json()) as {
        records: { kind: string; to: string; body?: string }[];
      };
      const sms = records.records.find((r) => r.kind === 'sms' && /\/ack\//.test(r.body ?? ''))!;
      const link = /(https?:\/\/\S+\/ack\/\S+)/.exec(sms.body!)![1];
      const phone = await newContext({
        viewport: { width: 360, height: 740 },
        javaScriptEnabled: false,
      });
      const p = await phone.newPage();
      const ackPage = await p.goto(link);
      expect(await p.textContent('body')).toContain('洪水');
      // The page's own inline style is allowed by its hash (the level badge is coloured), no other.
      expect(ackPage!.headers()['content-security-policy']).toMatch(/style-src 'self' 'sha256-/);
      const colourPage = await ctx.newPage(); // JavaScript on, to read the computed style
      await colourPage.goto(link);
      expect(
        await colourPage.evaluate("getComputedStyle(document.querySelector('.level')).backgroundColor"),
      ).toBe('rgb(242, 133, 0)');
      await colourPage.close();
      await p.screenshot({ path: join(SHOTS, 'ack-page.png'), fullPage: true });
      const confirm = await p.$('form[method=post] button[type=submit]');
      expect(confirm).not.toBeNull();
      const [posted] = await Promise.all([
        p.waitForResponse((r) => r.request().method() === 'POST' && r.url() === link),
        confirm!.click(),
      ]);
      expect(posted.status()).toBe(200);
      await p.waitForLoadState();
      expect(await p.textContent('h1')).toContain('已确认收到');
      await p.screenshot({ path: join(SHOTS, 'ack-confirmed.png'), fullPage: true });
      await phone.close();
      // The click reached the tracker as this person's web confirmation (an SMS reply may have
      // confirmed the call-out before: the response is recorded all the same).
      const calloutId = Buffer.from(link.split('/ack/')[1].split('.')[0], 'base64url').toString('utf8');
      await waitFor(
        async () =>
          (
            await t.db.query(
              `SELECT 1 FROM callout.responses WHERE callout_id = $1 AND response_id = $2 AND via = 'web' AND kind = 'confirm'`,
              [calloutId, `web:${calloutId}:confirm`],
            )
          ).rowCount === 1,
        'the web confirmation recorded by the tracker',
        30_000,
      );
    } catch (e) {
      await page
        .screenshot({ path: join(tmpdir(), 'console-e2e-failure.png'), fullPage: true })
        .catch(() => {});
      throw fail(e);
    } finally {
      await ctx.close();
    }
  }, 300_000);

  it('marks every token-protected route as needing a bearer token in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${aio.url}/docs-json`)).json()) as {
      components: { securitySchemes?: Record<string, { scheme?: string }> };
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    expect(doc.components.securitySchemes?.bearer?.scheme).toBe('bearer');
    const api = Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/'));
    expect(api.map(([path]) => path)).toEqual(expect.arrayContaining(['/api/audit/verify', '/api/warnings']));
    const unmarked = api.flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !op.security?.some((s) => 'bearer' in s))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(unmarked).toEqual([]);
    // And the routes really want one.
    expect((await fetch(`${aio.url}/api/audit/warnings`)).status).toBe(401);
  });

  it('admits each API caller by role: none → 401, wrong role → 403, right role → works', async () => {
    const issue = {
      hazard: 'flood',
      subtype: 'river',
      level: 'orange',
      headline: '角色检查用预警（不应发布）',
      areas: [{ code: TOWNSHIP }],
      expires: new Date(Date.now() + 6 * 3600_000).toISOString(),
      status: 'Exercise',
    };
    const body = JSON.stringify(issue);
    expect((await api('/api/warnings', null, { method: 'POST', body })).status).toBe(401);
    expect((await api('/api/warnings', 'auditor', { method: 'POST', body })).status).toBe(403);
    expect((await api('/api/callouts/warnings', null)).status).toBe(401);
    expect((await api('/api/callouts/not-woken', 'directory-admin')).status).toBe(403);
    expect((await api('/api/callouts/warnings', 'auditor')).status).toBe(200);
    const anyCallout = '00000000-0000-0000-0000-000000000000';
    expect(
      (await api(`/api/callouts/${anyCallout}/reached`, 'auditor', { method: 'POST', body: '{}' })).status,
    ).toBe(403);
    expect(
      (await api(`/api/callouts/${anyCallout}/recall`, 'auditor', { method: 'POST', body: '{}' })).status,
    ).toBe(403);
    const csv = readFileSync(fromRoot('examples', 'directory', 'directory.csv'), 'utf8');
    const importAs = (role: string | null) =>
      api('/api/directory/import?dryRun=true', role, {
        method: 'POST',
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });
    expect((await importAs(null)).status).toBe(401);
    expect((await importAs('duty-officer')).status).toBe(403);
    expect((await importAs('directory-admin')).status).toBe(200);
    expect((await api('/api/directory/divisions', 'duty-officer')).status).toBe(200);
    // The refused warning never reached the tracker.
    const all = (await (await api('/api/callouts/warnings?all=true', 'duty-officer')).json()) as {
      headline: string;
    }[];
    expect(all.some((w) => w.headline === issue.headline)).toBe(false);
    // Not behind a role: health and the persons' confirmation pages (signed links of their own).
    expect((await api('/health/ready', null)).status).toBe(200);
  });

  it('updates a warning from the pre-filled form and cancels it; the persons hear it is lifted', async () => {
    const headline = '大同市水文局发布洪水橙色预警（更新撤销测试）';
    const issued = await api('/api/warnings', 'duty-officer', {
      method: 'POST',
      body: JSON.stringify({
        hazard: 'flood',
        subtype: 'river',
        level: 'orange',
        headline,
        instruction: '请沿河巡查',
        areas: [{ code: TOWNSHIP }],
        expires: new Date(Date.now() + 6 * 3600_000).toISOString(),
        status: 'Exercise',
      }),
    });
    expect(issued.status).toBe(202);
    const warningId = ((await issued.json()) as { id: string }).id;
    const detail = async () =>
      (await (
        await api(`/api/callouts/warnings/${encodeURIComponent(warningId)}`, 'duty-officer')
      ).json()) as {
        warning: { seq: number; state: string; content?: { headline?: string; areas?: { code: string }[] } };
        callouts: { state: string }[];
      };
    // The field the console's update form reads: the tracker's warning detail carries the message.
    const first = await waitFor(
      async () => {
        const d = await detail().catch(() => undefined);
        return d?.warning?.content?.headline === headline && d.callouts.length > 0 ? d : undefined;
      },
      'the warning with its call-outs in the tracker',
      60_000,
    );
    expect(first.warning.content!.areas!.map((a) => a.code)).toEqual([TOWNSHIP]);
    const seq = first.warning.seq;

    const ctx = await newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    try {
      await signIn(page, 'duty', 'duty-demo');
      const card = `article[data-warning-id="${warningId}"]`;
      await page.waitForSelector(card, { timeout: 30_000 });
      await Promise.all([page.waitForURL(/\/edit$/), page.click(`${card} a[href$="/edit"]`)]);
      expect(await page.inputValue('#headline')).toBe(headline);
      expect(await page.inputValue('#signal')).toBe('flood/river');
      expect(await page.inputValue('#level')).toBe('orange');
      expect(await page.inputValue('#areaCodes')).toContain(TOWNSHIP);
      expect(await page.isChecked('#drill')).toBe(true);
      const updated = headline.replace('更新撤销测试', '已更新');
      await page.fill('#headline', updated);
      await Promise.all([page.waitForURL(/\/\?done=1&issued=/), page.click('#send')]);
      await waitFor(
        async () => (await detail()).warning.content?.headline === updated,
        'the update applied by the tracker',
        60_000,
      );
      await page.reload();
      expect(await page.textContent(`${card} h3`)).toContain(updated);

      // Cancel (解除) from the board: the confirm dialog is accepted, the warning leaves the board.
      page.once('dialog', (d) => void d.accept());
      await Promise.all([
        page.waitForURL(/\/\?done=1/),
        page.click(`${card} form[action$="/cancel"] button`),
      ]);
      await waitFor(async () => (await detail()).warning.state !== 'active', 'the warning cancelled', 60_000);
      expect((await detail()).warning.state).toMatch(/cancelled|closed/);
      await page.reload();
      expect(await page.$(card)).toBeNull();

      // Everyone who was called for it gets a lift SMS (预警解除) at the simulator.
      const sms = async () =>
        (
          (await (await fetch(`${simUrl}/sim/records`)).json()) as {
            records: { kind: string; to: string; body?: string }[];
          }
        ).records.filter((r) => r.kind === 'sms' && (r.body ?? '').includes(`〔${seq}〕`));
      const lifts = await waitFor(
        async () => {
          const all = await sms();
          return all.some((r) => r.body!.includes('预警解除')) ? all : undefined;
        },
        'lift SMS at the simulator',
        60_000,
      );
      // The tracker asked for one lift per call-out it had called (every rung, ladder included) …
      const calledOuts = (
        await t.db.query<{ id: string; phone: string }>(
          `SELECT id, phone FROM callout.callouts WHERE warning_id = $1 AND state <> 'PLANNED' AND NOT superseded`,
          [warningId],
        )
      ).rows;
      expect(calledOuts.length).toBeGreaterThan(0);
      const liftRequests = (
        await t.db.query<{ callout_id: string; n: string }>(
          `SELECT r.callout_id, count(*) AS n FROM callout.requests r JOIN callout.callouts c ON c.id = r.callout_id
           WHERE c.warning_id = $1 AND r.purpose = 'lift' GROUP BY r.callout_id`,
          [warningId],
        )
      ).rows;
      expect(Object.fromEntries(liftRequests.map((r) => [r.callout_id, Number(r.n)]))).toEqual(
        Object.fromEntries(calledOuts.map((c) => [c.id, 1])),
      );
      // … and every person called for it got exactly one lift SMS, once the notifier has sent them all.
      await waitFor(
        async () =>
          (
            await t.db.query<{ n: string }>(
              `SELECT count(*) AS n FROM notify.attempts WHERE warning_id = $1 AND purpose = 'lift' AND state = 'sent'`,
              [warningId],
            )
          ).rows[0].n === String(calledOuts.length),
        'the notifier to have sent every lift',
        60_000,
      );
      const final = await sms();
      const called = [...new Set(final.filter((r) => !r.body!.includes('预警解除')).map((r) => r.to))].sort();
      const liftsTo = final.filter((r) => r.body!.includes('预警解除')).map((r) => r.to);
      expect(called.length).toBeGreaterThan(0);
      expect(liftsTo.sort()).toEqual(called);
      expect(lifts.length).toBeGreaterThan(0);
    } catch (e) {
      await page
        .screenshot({ path: join(tmpdir(), 'console-e2e-cancel-failure.png'), fullPage: true })
        .catch(() => {});
      throw new Error(`${(e as Error).message}\n--- all-in-one ---\n${aio.output().slice(-3000)}`);
    } finally {
      await ctx.close();
    }
  }, 240_000);

  it('lets a directory admin dry-run a CSV, see a bad row by its line, apply a good one, read health', async () => {
    const good = readFileSync(fromRoot('examples', 'directory', 'directory.csv'), 'utf8');
    const bad = good + 'x1,坏号码,12345,,flood-control,140212100201,,,,,2025-04-15,true,,,\n';
    const ctx = await newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    try {
      await signIn(page, 'admin', 'admin-demo');
      await page.goto(`${consoleApp.url}/console/directory`);
      expect(await page.textContent('#health')).toMatch(/\d/);
      const upload = async (name: string, content: string) => {
        await page.setInputFiles('#upload-form input[type=file]', {
          name,
          mimeType: 'text/csv',
          buffer: Buffer.from(content, 'utf8'),
        });
        await Promise.all([
          page.waitForURL(/\/console\/directory\/upload/),
          page.click('#upload-form button[type=submit]'),
        ]);
      };
      await upload('bad.csv', bad);
      expect(await page.textContent('#rejected-count')).toBe('1');
      const row = await page.textContent('#row-errors tbody tr');
      expect(row).toContain('11');
      expect(row).toContain('x1');
      await upload('good.csv', good);
      expect(await page.$('#row-errors')).toBeNull();
      await Promise.all([page.waitForURL(/\/console\/directory\/apply/), page.click('#apply')]);
      expect(await page.textContent('#import-report')).toMatch(/已导入通讯录|Roster applied/);
      expect(await page.textContent('#health')).toMatch(/\d/);
      // The health lists run to thousands of rows with the demo roster: the first screen is the picture.
      await page.screenshot({ path: join(SHOTS, 'console-directory.png') });
      // The applied roster is in the directory (export is the admin's too).
      const exported = (await (await api('/api/directory/export?format=json', 'directory-admin')).json()) as {
        persons: { id: string }[];
      };
      const firstId = good.split('\n')[1].split(',')[0];
      expect(exported.persons.some((p) => p.id === firstId)).toBe(true);
    } catch (e) {
      await page
        .screenshot({ path: join(tmpdir(), 'console-e2e-directory-failure.png'), fullPage: true })
        .catch(() => {});
      throw new Error(`${(e as Error).message}\n--- all-in-one ---\n${aio.output().slice(-3000)}`);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it('leaves the committed screenshots alone unless UPDATE_SCREENSHOTS=1', () => {
    if (UPDATE_SHOTS) return; // asked to rewrite them
    expect(shotHashes()).toEqual(committedShots);
  });
});
