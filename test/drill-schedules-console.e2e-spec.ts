import { Browser, Page } from 'playwright-core';
import { signRoleToken } from '../libs/common/auth';
import { createTestDatabase, kafkaBrokers, TestDatabase, testSecret, uniqueId } from './support/infra';
import { launchChromium } from './support/browser';
import { freePort, RunningService, startService } from './support/services';

/**
 * The duty officer's drill schedules in the console, in headless Chromium against the all-in-one app
 * (demo users): a refused schedule shows intake's reasons beside the form with the typed text escaped,
 * then the schedule is created, edited and disabled through the form, each step checked against
 * intake's drill schedule API. The directory admin sees the verification campaign's window and a
 * start outside it is refused with the reason.
 */
const SECRET = testSecret();
const TOWNSHIP = '140212100000';
const HOSTILE = '<img src=x onerror=alert(1)>山洪演练';

interface StoredSchedule {
  id: string;
  enabled: boolean;
  version: number;
  createdBy: string;
  spec: Record<string, unknown>;
  nextFires: string[];
}

describe('drill schedules in the console (browser)', () => {
  let t: TestDatabase;
  let app: RunningService;
  let browser: Browser;

  beforeAll(async () => {
    t = await createTestDatabase('drillform');
    app = await startService(
      'all-in-one',
      {
        DATABASE_URL: t.url,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        KAFKA_TOPIC_PREFIX: `${uniqueId('drillform')}.`,
        SIGNING_SECRET: SECRET,
        DEMO: '1',
        SIM_PORT: String(await freePort()),
        // The re-filing date 04-20 with a lead of 1 day: the window is closed except on 19 and 20 April.
        VERIFY_REFILING_DATE: '04-20',
        VERIFY_LEAD_DAYS: '1',
      },
      { timeoutMs: 180_000 },
    );
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await t?.drop();
  }, 60_000);

  const schedules = async (): Promise<StoredSchedule[]> => {
    const token = signRoleToken({ actor: 'e2e', role: 'duty-officer' }, SECRET);
    const r = await fetch(`${app.url}/api/drills/schedules`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(200);
    return (await r.json()) as StoredSchedule[];
  };

  async function signIn(page: Page, user: string, password: string) {
    await page.goto(`${app.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(`${app.url}/`), page.click('button[type=submit].primary')]);
  }

  it('creates, edits and disables a schedule through the form; refusals are shown, text escaped', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const fail = (e: unknown) => new Error(`${(e as Error).message}\n${app.output().slice(-3000)}`);
    try {
      await signIn(page, 'duty', 'duty-demo');
      await Promise.all([page.waitForURL(/\/console\/drills$/), page.click('nav a[href="/console/drills"]')]);
      expect(await page.textContent('#schedule-list')).toContain('暂无演练计划');

      // A bad cron and an area that is no division code: intake's reasons beside the form, input kept.
      await page.fill('#drill-form input[name=name]', HOSTILE);
      await page.fill('#drill-form input[name=cron]', 'every monday');
      await page.fill('#drill-form input[name=areaCodes]', '1402');
      const refused = await Promise.all([
        page.waitForResponse(
          (r) => r.url() === `${app.url}/console/drills` && r.request().method() === 'POST',
        ),
        page.click('#save-schedule'),
      ]);
      expect(refused[0].status()).toBe(400);
      const errors = await page.textContent('#form-errors');
      expect(errors).toContain('cron');
      expect(errors).toContain('is not a valid cron expression');
      expect(errors).toContain('areaCodes.0');
      expect(await page.inputValue('#drill-form input[name=name]')).toBe(HOSTILE);
      expect(await page.locator('img').count()).toBe(0);
      expect(await schedules()).toEqual([]);

      // Fixed: the first Monday of each month at 10:00, 新荣镇, flash flood, orange.
      await page.fill('#drill-form input[name=cron]', '0 10 1-7 * *');
      await page.selectOption('#drill-form select[name=weekday]', '1');
      await page.selectOption('#drill-form select[name=signal]', 'flood/flash-flood-risk');
      await page.selectOption('#drill-form select[name=level]', 'orange');
      await page.fill('#drill-form input[name=areaCodes]', TOWNSHIP);
      await Promise.all([page.waitForURL(/\/console\/drills\?saved=1$/), page.click('#save-schedule')]);
      const [created] = await schedules();
      expect(created).toMatchObject({
        enabled: true,
        version: 1,
        createdBy: 'console:duty',
        spec: {
          name: HOSTILE,
          cron: '0 10 1-7 * *',
          weekday: 1,
          timeZone: 'Asia/Shanghai',
          hazard: 'flood',
          subtype: 'flash-flood-risk',
          level: 'orange',
          areaCodes: [TOWNSHIP],
          durationMinutes: 120,
        },
      });
      expect(created.nextFires).toHaveLength(3);
      for (const f of created.nextFires) {
        // 10:00 Beijing on a Monday within the first seven days of the month.
        const local = new Date(Date.parse(f) + 8 * 3600_000);
        expect([local.getUTCDay(), local.getUTCHours(), local.getUTCDate() <= 7]).toEqual([1, 10, true]);
      }
      const row = page.locator(`tr[data-schedule="${created.id}"]`);
      expect(await row.textContent()).toContain(HOSTILE);
      expect(await page.locator('img').count()).toBe(0);

      // Edit: the form comes back filled in; the level raised to red.
      await Promise.all([page.waitForURL(/\/edit$/), row.locator('a.edit').click()]);
      expect(await page.inputValue('#drill-form input[name=cron]')).toBe('0 10 1-7 * *');
      expect(await page.inputValue('#drill-form select[name=weekday]')).toBe('1');
      expect(await page.inputValue('#drill-form input[name=areaCodes]')).toBe(TOWNSHIP);
      await page.selectOption('#drill-form select[name=level]', 'red');
      await Promise.all([page.waitForURL(/\/console\/drills\?saved=1$/), page.click('#save-schedule')]);
      const [edited] = await schedules();
      expect(edited).toMatchObject({ id: created.id, version: 2, enabled: true, spec: { level: 'red' } });

      // Disable: kept, no longer fires.
      await Promise.all([
        page.waitForURL(/\/console\/drills\?saved=1$/),
        page.locator(`tr[data-schedule="${created.id}"] button.toggle`).click(),
      ]);
      const [disabled] = await schedules();
      expect(disabled).toMatchObject({ id: created.id, enabled: false, nextFires: [] });
      expect(await page.textContent(`tr[data-schedule="${created.id}"]`)).toContain('已停用');
      expect(dialogs).toEqual([]);

      // The directory admin may not edit drill schedules.
      const admin = await browser.newContext();
      const adminPage = await admin.newPage();
      await signIn(adminPage, 'admin', 'admin-demo');
      expect(await adminPage.locator('nav a[href="/console/drills"]').count()).toBe(0);
      expect((await adminPage.goto(`${app.url}/console/drills`))?.status()).toBe(403);

      // …but sees the verification campaign's window and is told why it cannot start today.
      await adminPage.goto(`${app.url}/console/directory`);
      const windowOpen = (await adminPage.textContent('#window-state'))?.includes('可以开始核查');
      const started = await Promise.all([
        adminPage.waitForResponse((r) => r.url().endsWith('/console/directory/verification')),
        adminPage.click('#verification-form button[type=submit]'),
      ]);
      if (!windowOpen) {
        expect(started[0].status()).toBe(409);
        expect(await adminPage.textContent('#verification-result')).toMatch(
          /未开始号码核查.*opens on \d{4}-04-19, 1 days before the re-filing date \d{4}-04-20/s,
        );
      }
      await admin.close();
    } catch (e) {
      throw fail(e);
    } finally {
      await ctx.close();
    }
  }, 300_000);
});
