import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { DEFAULT_POLICY } from '../libs/callout/policy';
import { fromRoot } from '../libs/common/project-root';
import { createTestDatabase, kafkaBrokers, TestDatabase, uniqueId, waitFor } from './support/infra';
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
const SHOTS = fromRoot('docs', 'screenshots');

const policy = structuredClone(DEFAULT_POLICY);
policy.hazards.flood.orange = {
  ...policy.hazards.flood.orange,
  channels: ['sms'],
  voiceFallbackAfterSec: null,
  ackDeadlineSec: 8,
  redials: 0,
  escalationSteps: 0,
  escalationAckDeadlineSec: 3,
  escalationChannels: ['sms'],
  repeatLimit: 1,
};

describe('console in a browser (whole system)', () => {
  let t: TestDatabase;
  let aio: RunningService;
  let consoleApp: RunningService;
  let browser: Browser;
  let simUrl: string;

  beforeAll(async () => {
    t = await createTestDatabase('consolee2e');
    const prefix = uniqueId('consolee2e') + '.';
    const policyFile = join(tmpdir(), `${prefix}policy.json`);
    writeFileSync(policyFile, JSON.stringify(policy));
    const simPort = await freePort();
    simUrl = `http://127.0.0.1:${simPort}`;
    const common = {
      DATABASE_URL: t.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      SIGNING_SECRET: 'console-e2e-secret-0123456789',
      POLICY_FILE: policyFile,
    };
    aio = await startService(
      'all-in-one',
      { ...common, SIM_PORT: String(simPort), SIM_LATENCY_MS: '50' },
      { timeoutMs: 120_000 },
    );
    // The all-in-one app serves the console beside every API, as `npm start` does.
    consoleApp = aio;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await aio?.stop();
    await t?.drop();
  }, 60_000);

  async function signIn(page: Page, user: string, password: string) {
    await page.goto(`${consoleApp.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(`${consoleApp.url}/`), page.click('button[type=submit].primary')]);
  }

  it('issues from the form, updates live, marks a not-woken person reached, audits, exports, confirms', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
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
      await page.waitForFunction("document.body.dataset.live === 'connected'");
      const card = `article[data-warning-id="${warningId}"]`;
      await page.waitForSelector(card, { timeout: 30_000 }).catch(async () => {
        await page.reload(); // the warning may reach the tracker after the redirect rendered the board
        await page.waitForFunction("document.body.dataset.live === 'connected'");
        await page.waitForSelector(card, { timeout: 30_000 });
      });
      await page.evaluate('window.marker = 42');
      await page.waitForFunction(
        `Number(document.querySelector('${card} [data-count=confirmed]')?.textContent ?? 0) >= 3`,
        undefined,
        { timeout: 60_000 },
      );
      // Same document (the marker survived): the counts came through SSE + fragment, not a reload.
      expect(await page.evaluate('window.marker')).toBe(42);
      expect(await page.textContent(`${card} tr.township[data-area="${TOWNSHIP}"]`)).toContain('新荣镇');
      await page.screenshot({ path: join(SHOTS, 'console-board.png'), fullPage: true });

      // 3. The flash-flood warner (number ends in 7) never answers → not-woken list → mark reached.
      const person = '#not-woken .person';
      await page.waitForSelector(person, { timeout: 60_000 });
      expect(await page.textContent(`${person} .phone`)).toMatch(/^\+86138\*+\d{4}$/);
      await page.screenshot({ path: join(SHOTS, 'console-not-woken.png'), fullPage: true });
      await page.fill(`${person} input[name=note]`, '已派村干部上门叫醒');
      await Promise.all([page.waitForURL(/done=1/), page.click(`${person} form.reached button`)]);
      await waitFor(
        async () => {
          const r = await fetch(`${aio.url}/api/callouts/warnings/${encodeURIComponent(warningId)}`);
          const body = (await r.json()) as { callouts: { state: string }[] };
          return body.callouts.some((c) => c.state === 'REACHED');
        },
        'the person marked reached in the tracker',
        30_000,
      );
      await page.waitForFunction("document.querySelectorAll('#not-woken .person').length === 0", undefined, {
        timeout: 30_000,
      });

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
      const phone = await browser.newContext({
        viewport: { width: 360, height: 740 },
        javaScriptEnabled: false,
      });
      const p = await phone.newPage();
      await p.goto(link);
      expect(await p.textContent('body')).toContain('洪水');
      await p.screenshot({ path: join(SHOTS, 'ack-page.png'), fullPage: true });
      const confirm = await p.$('form[method=post] button[type=submit]');
      if (confirm) {
        await Promise.all([p.waitForLoadState(), confirm.click()]);
        await p.screenshot({ path: join(SHOTS, 'ack-confirmed.png'), fullPage: true });
      }
      expect(p.url()).toContain('/ack/');
      await phone.close();
    } catch (e) {
      await page
        .screenshot({ path: join(tmpdir(), 'console-e2e-failure.png'), fullPage: true })
        .catch(() => {});
      throw fail(e);
    } finally {
      await ctx.close();
    }
  }, 300_000);
});
