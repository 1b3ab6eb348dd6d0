import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '../config/config';
import { InfraModule } from '../infra/infra.module';
import {
  createTestDatabase,
  kafkaBrokers,
  TestDatabase,
  testSecret,
  uniqueId,
} from '../../test/support/infra';
import { postLoginForm } from '../../test/support/console-login';
import { runUsers } from './console-users.cli';
import { ConsoleModule } from './console.module';
import { ConsoleRepository } from './console.repository';
import { passwordDerivations } from './passwords';
import { loginCsrfToken } from './session-cookie';

/**
 * Console sign-in on real PostgreSQL: the per-user lockout (persisted, lifted by `npm run users --
 * unlock`), the per-address limit, the same work for unknown and known names, and a login CSRF
 * token bound to the server's secret. Not demo mode: no demo users exist.
 */
describe('console sign-in: lockout, rate limit, timing, CSRF', () => {
  let t: TestDatabase;
  let app: INestApplication;
  let base: string;
  const SECRET = testSecret();
  const PASSWORD = 'correct horse battery staple';
  const PER_ADDRESS = 60;

  beforeAll(async () => {
    t = await createTestDatabase('login');
    const config = loadConfig({
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: `${uniqueId('login')}.`,
      DATABASE_URL: t.url,
      SIGNING_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      LOGIN_ATTEMPTS_PER_ADDRESS: String(PER_ADDRESS),
      LOGIN_LOCKOUT_AFTER: '5',
      LOGIN_LOCKOUT_MINUTES: '15',
    });
    const ref = await Test.createTestingModule({
      imports: [InfraModule.forRoot({ service: 'console', config }), ConsoleModule],
    }).compile();
    app = ref.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    const code = await runUsers(
      ['add', 'duty-li', '--role', 'duty-officer', '--display', '李值班'],
      t.db,
      async () => PASSWORD,
      () => undefined,
    );
    expect(code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await t?.drop();
  }, 30_000);

  let attempts = 0;
  /** One sign-in through the real form (fresh form each time, as a browser would). */
  async function signIn(username: string, password: string) {
    attempts++;
    const res = await postLoginForm(base, username, password);
    const session = res.headers.getSetCookie().some((c) => c.startsWith('jy_console='));
    return { status: res.status, session };
  }

  it('seeds no demo users outside demo mode', async () => {
    expect((await new ConsoleRepository(t.db).users()).map((u) => u.username)).toEqual(['duty-li']);
    expect((await signIn('duty', 'duty-demo')).status).toBe(401);
  }, 30_000);

  it('locks a user after wrong passwords: 30 wrong, then the right one is refused until an admin unlocks', async () => {
    for (let i = 0; i < 30; i++) expect((await signIn('duty-li', `guess-${i}`)).status).toBe(401);
    const locked = await signIn('duty-li', PASSWORD);
    expect(locked).toEqual({ status: 401, session: false });
    // Persisted: the lock is in the database, not in this process.
    const row = await new ConsoleRepository(t.db).user('duty-li');
    expect(row!.failed_logins).toBe(30);
    expect(row!.locked_until!.getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);

    const out: string[] = [];
    expect(
      await runUsers(
        ['unlock', 'duty-li'],
        t.db,
        async () => '',
        (l) => out.push(l),
      ),
    ).toBe(0);
    expect(out.join('')).toContain('may sign in again');
    expect(await signIn('duty-li', PASSWORD)).toEqual({ status: 303, session: true });
    expect((await new ConsoleRepository(t.db).user('duty-li'))!.failed_logins).toBe(0);
    expect(
      await runUsers(
        ['unlock', 'nobody'],
        t.db,
        async () => '',
        () => undefined,
      ),
    ).toBe(3);
  }, 120_000);

  it('costs one password hash for an unknown name, a wrong password and a locked user alike', async () => {
    const cost = async (username: string, password: string) => {
      const before = passwordDerivations();
      const started = performance.now();
      expect((await signIn(username, password)).status).toBe(401);
      return { hashes: passwordDerivations() - before, ms: performance.now() - started };
    };
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 3; i++) {
      const u = await cost(`nobody-${i}`, 'whatever');
      const k = await cost('duty-li', `wrong-${i}`);
      expect(u.hashes).toBe(1);
      expect(k.hashes).toBe(1);
      unknown.push(u.ms);
      known.push(k.ms);
    }
    // A generous bound that only the old behaviour (no hash at all for unknown names) breaks.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    expect(median(unknown) / median(known)).toBeGreaterThan(0.2);
    await new ConsoleRepository(t.db).clearFailedLogins('duty-li');
  }, 60_000);

  it('refuses a login CSRF pair the client made up, and a token bound to another nonce', async () => {
    const post = (cookie: string, csrf: string) =>
      fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ username: 'duty-li', password: PASSWORD, _csrf: csrf }),
      });
    attempts += 4;
    expect((await post('jy_login_csrf=chosen-by-the-client', 'chosen-by-the-client')).status).toBe(403);
    expect((await post('jy_login_csrf=nonce-a', loginCsrfToken('nonce-b', SECRET))).status).toBe(403);
    expect((await post('jy_login_csrf=nonce-a', loginCsrfToken('nonce-a', testSecret()))).status).toBe(403);
    // The same form token the server would hand out for that nonce passes.
    expect((await post('jy_login_csrf=nonce-a', loginCsrfToken('nonce-a', SECRET))).status).toBe(303);
  });

  it('keeps a login form open in one tab valid when a second login page is loaded', async () => {
    const loginPage = async (cookie?: string) => {
      const res = await fetch(`${base}/login`, { headers: cookie ? { cookie } : {} });
      const set = res.headers.getSetCookie().map((c) => c.split(';')[0]);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1];
      return { cookie: set.find((c) => c.startsWith('jy_login_csrf='))!, csrf };
    };
    const first = await loginPage();
    // The second page (another tab, or a live page's fetch redirected here) sees the browser's nonce.
    const second = await loginPage(first.cookie);
    expect(second.cookie).toBe(first.cookie);
    // A nonce not of the server's making is replaced.
    expect((await loginPage('jy_login_csrf=short')).cookie).not.toBe('jy_login_csrf=short');
    attempts++;
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: second.cookie },
      body: new URLSearchParams({ username: 'duty-li', password: PASSWORD, _csrf: first.csrf }),
    });
    expect(res.status).toBe(303);
  });

  it('answers 400, never 500, to a login body whose fields are not text (JSON objects, repeated fields)', async () => {
    // A real form's nonce and token, so only the fields' shape is wrong.
    const form = await fetch(`${base}/login`);
    const cookie = form.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    const post = (type: string, body: string) =>
      fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': type, cookie, accept: 'application/json' },
        body,
      });
    const json = 'application/json';
    const bodies: [string, string][] = [
      [json, JSON.stringify({ username: { toString: 1 }, password: PASSWORD, _csrf: csrf })],
      [json, JSON.stringify({ username: 'duty-li', password: { toString: 1 }, _csrf: csrf })],
      [json, JSON.stringify({ username: 'duty-li', password: PASSWORD, _csrf: { toString: 1 } })],
      [json, JSON.stringify({ username: 'duty-li', password: PASSWORD, _csrf: csrf, next: ['/'] })],
      [json, JSON.stringify({ username: 7, password: PASSWORD, _csrf: csrf })],
      [json, JSON.stringify([{ username: 'duty-li' }])],
      [
        'application/x-www-form-urlencoded',
        `username=duty-li&username=other&password=${encodeURIComponent(PASSWORD)}&_csrf=${csrf}`,
      ],
    ];
    const answers: string[] = [];
    for (const [type, body] of bodies) {
      attempts++;
      const res = await post(type, body);
      const text = await res.text();
      answers.push(
        `${body.slice(0, 60)}: ${res.status} ${/invalid body/.test(text) ? 'invalid body' : text.slice(0, 120)}`,
      );
    }
    expect(answers).toEqual(bodies.map(([, body]) => `${body.slice(0, 60)}: 400 invalid body`));
    // The same form with text fields signs in: only the shape was refused.
    attempts++;
    const ok = await post(json, JSON.stringify({ username: 'duty-li', password: PASSWORD, _csrf: csrf }));
    expect(ok.status).toBe(303);
  }, 60_000);

  it('limits sign-in attempts per address: beyond the limit even the right password gets 429', async () => {
    while (attempts < PER_ADDRESS) expect((await signIn('duty-li', PASSWORD)).status).toBe(303);
    const res = await signIn('duty-li', PASSWORD);
    expect(res).toEqual({ status: 429, session: false });
  }, 120_000);
});
