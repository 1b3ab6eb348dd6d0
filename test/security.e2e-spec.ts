import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { DEMO_SIGNING_SECRET, DEMO_TWILIO } from '../apps/all-in-one/embedded';
import { EXIT_WEAK_SECRET } from '../libs/config/config';
import { createTestDatabase, kafkaBrokers, TestDatabase, testSecret, uniqueId } from './support/infra';
import { RunningService, startService } from './support/services';

const ROOT = join(__dirname, '..');

/** Runs a built service until it exits on its own; its exit code and output. */
function runToExit(app: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !['DEMO', 'SIGNING_SECRET', 'SIGNING_SECRET_PREVIOUS'].includes(k) && !k.startsWith('TWILIO_'),
    ),
  );
  return new Promise((resolve) => {
    let out = '';
    const proc = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'main.js')], {
      cwd: ROOT,
      env: { ...base, LOG_LEVEL: 'warn', HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => proc.kill('SIGKILL'), 150_000); // a loaded machine starts slowly
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

/** An address of this machine other than loopback: a service listening on 127.0.0.1 is not there. */
function outsideAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('this test needs a network interface besides loopback');
}

describe('security of the running services', () => {
  let t: TestDatabase;
  const started: RunningService[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('security');
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await t?.drop();
  });

  const common = () => ({
    KAFKA_BROKERS: kafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: `${uniqueId('security')}.`,
    DATABASE_URL: t.url,
  });

  it('every service refuses to start, naming the variable, with a missing, short or published secret', async () => {
    const published = 'change-me-to-a-long-random-secret';
    const cases: { app: string; env: Record<string, string>; names: string }[] = [
      ...['intake', 'dispatcher', 'notifier', 'tracker', 'audit', 'console', 'all-in-one'].map((app) => ({
        app,
        env: { SIGNING_SECRET: published },
        names: 'SIGNING_SECRET',
      })),
      { app: 'tracker', env: {}, names: 'SIGNING_SECRET: required' },
      {
        app: 'console',
        env: { SIGNING_SECRET: 'short-but-sixteen+' },
        names: 'SIGNING_SECRET: must be at least 32 bytes',
      },
      // The demo Twilio token forges inbound SMS: refused outside demo mode, beside a strong secret.
      {
        app: 'notifier',
        env: { SIGNING_SECRET: testSecret(), TWILIO_AUTH_TOKEN: DEMO_TWILIO.authToken },
        names: 'TWILIO_AUTH_TOKEN',
      },
      { app: 'all-in-one', env: { SIGNING_SECRET: DEMO_SIGNING_SECRET }, names: 'SIGNING_SECRET' },
    ];
    const results = await Promise.all(cases.map((c) => runToExit(c.app, { ...common(), ...c.env })));
    results.forEach((r, i) => {
      const c = cases[i];
      if (r.code !== EXIT_WEAK_SECRET || !r.out.includes(c.names))
        throw new Error(
          `${c.app} with ${JSON.stringify(c.env)}: exit ${r.code}, expected ${EXIT_WEAK_SECRET} naming ${c.names}\n${r.out.slice(-2000)}`,
        );
    });
  }, 300_000);

  it('demo mode accepts the demo secret; services listen on loopback unless HTTP_HOST says otherwise; helmet headers', async () => {
    const demo = await startService('tracker', {
      ...common(),
      DEMO: '1',
      SIGNING_SECRET: DEMO_SIGNING_SECRET,
    });
    started.push(demo);
    const r = await fetch(`${demo.url}/health/live`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-powered-by')).toBeNull();
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    const outside = outsideAddress();
    await expect(
      fetch(`http://${outside}:${demo.port}/health/live`, { signal: AbortSignal.timeout(5000) }),
    ).rejects.toThrow();
    const open = await startService('intake', {
      ...common(),
      SIGNING_SECRET: testSecret(),
      HTTP_HOST: '0.0.0.0',
    });
    started.push(open);
    expect((await fetch(`http://${outside}:${open.port}/health/live`)).status).toBe(200);
  }, 180_000);
});
