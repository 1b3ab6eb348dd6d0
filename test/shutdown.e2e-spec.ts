import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase, uniqueId, waitFor } from './support/infra';
import { OwnPostgres } from './support/own-postgres';
import { freePort, RunningService, startService } from './support/services';
import { TEST_TWILIO } from './support/system';
import { portAnswers } from '../libs/infra/ports';

const ROOT = join(__dirname, '..');

/** Resolves with the exit code and how long after `t0` the process exited. */
const exited = (proc: ChildProcess, t0: number) =>
  new Promise<{ code: number | null; ms: number }>((resolve) =>
    proc.once('exit', (code) => resolve({ code, ms: Date.now() - t0 })),
  );

/**
 * Ctrl-C and `docker stop`: SIGINT/SIGTERM stop a service within 10 s, also when its broker and its
 * database are already gone; the all-in-one, signalled with its whole process group as a terminal's
 * Ctrl-C does, stops its clients and then the local broker it started.
 */
describe('stopping on a signal', () => {
  let allInOne: ChildProcess;
  let out = '';
  let kafkaPort = 0;
  let tdb: TestDatabase;
  const pg = new OwnPostgres('shutdown');
  let notifier: RunningService;

  beforeAll(async () => {
    [tdb] = await Promise.all([createTestDatabase('shutdown'), pg.init()]);
    kafkaPort = await freePort();
    const httpPort = await freePort();
    allInOne = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'all-in-one', 'main.js')], {
      cwd: ROOT,
      // A process group of its own, like a terminal's foreground job.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        KAFKA_BROKERS: '',
        KAFKA_PORT: String(kafkaPort),
        KAFKA_CONTROLLER_PORT: String(await freePort()),
        KAFKA_HEAP: '-Xmx384m -Xms128m',
        KAFKA_TOPIC_PREFIX: `${uniqueId('shutdown')}.`,
        DATABASE_URL: tdb.url,
        DEMO: '1',
        HTTP_PORT: String(httpPort),
        SIM_PORT: String(await freePort()),
        LOG_LEVEL: 'info',
      },
    });
    allInOne.stdout!.on('data', (d) => (out += d));
    allInOne.stderr!.on('data', (d) => (out += d));
    await waitFor(
      async () => {
        if (allInOne.exitCode !== null) throw new Error(`all-in-one exited:\n${out.slice(-3000)}`);
        return (await fetch(`http://127.0.0.1:${httpPort}/health/ready`).catch(() => undefined))?.ok;
      },
      'the all-in-one and its local broker',
      300_000,
      500,
    );
    // A separate service on the same broker and a database of the test's own, both stopped below.
    notifier = await startService('notifier', {
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      KAFKA_TOPIC_PREFIX: `${uniqueId('shutdown')}.`,
      DATABASE_URL: pg.url,
      TWILIO_ACCOUNT_SID: TEST_TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TEST_TWILIO.authToken,
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
      TWILIO_SMS_FROM: TEST_TWILIO.from,
      TWILIO_VOICE_FROM: TEST_TWILIO.from,
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      SIGNING_SECRET: randomBytes(32).toString('base64url'),
    });
  }, 420_000);

  afterAll(async () => {
    if (allInOne?.exitCode === null) process.kill(-allInOne.pid!, 'SIGKILL');
    // The broker runs in a session of its own: stop it and delete its data whatever happened above.
    if (kafkaPort)
      execFileSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'reset'], {
        env: { ...process.env, KAFKA_PORT: String(kafkaPort) },
        stdio: 'ignore',
      });
    if (notifier?.proc.exitCode === null) notifier.proc.kill('SIGKILL');
    await pg.destroy();
    await tdb?.drop();
  }, 60_000);

  it('the all-in-one, its process group signalled: exits within 10 s and stops the broker it started', async () => {
    const t0 = Date.now();
    const done = exited(allInOne, t0);
    process.kill(-allInOne.pid!, 'SIGTERM');
    const { code, ms } = await done;
    expect({ code, withinTenSeconds: ms < 10_000 }).toEqual({ code: 0, withinTenSeconds: true });
    // The broker was asked to stop after the app's clients: its port closes.
    await waitFor(async () => !(await portAnswers(kafkaPort)), 'the local broker to stop', 60_000, 500);
  }, 120_000);

  it('a service whose broker and database are already gone: exits within 10 s', async () => {
    await pg.stop('immediate');
    await waitFor(
      async () => (await fetch(`${notifier.url}/health/ready`).then((r) => r.status)) === 503,
      'the notifier to report the outage',
      30_000,
      250,
    );
    const t0 = Date.now();
    const done = exited(notifier.proc, t0);
    notifier.proc.kill('SIGTERM');
    const { ms } = await done;
    expect({
      withinTenSeconds: ms < 10_000,
      output: ms < 10_000 ? '' : notifier.output().slice(-3000),
    }).toEqual({
      withinTenSeconds: true,
      output: '',
    });
  }, 60_000);
});
