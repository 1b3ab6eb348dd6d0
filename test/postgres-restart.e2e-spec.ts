import { CalloutPipeline } from '../bench/callout-pipeline';
import { waitFor } from './support/infra';
import { OwnPostgres } from './support/own-postgres';

/**
 * PostgreSQL crashes mid fan-out (pg_ctl stop -m immediate on a server of the test's own, then
 * start): every service stays up, reports the outage on /health/ready (503) and its recovery (200),
 * and carries on; every person still gets exactly one first call-out per channel.
 */
describe('a PostgreSQL crash and restart mid fan-out', () => {
  const pg = new OwnPostgres('pgrestart');
  let p: CalloutPipeline;

  beforeAll(async () => {
    await pg.init();
    // A throttled notifier, so the fan-out of ~800 sends lasts long enough to be cut in the middle.
    p = new CalloutPipeline({
      persons: 414, // the whole city without villages: ~800 first sends
      simLatencyMs: 0,
      adminUrl: pg.url,
      notifyRate: { sms: 15, calls: 15, account: 30, concurrency: 10 },
    });
    await p.start();
  }, 240_000);

  afterAll(async () => {
    await p?.stop().catch(() => undefined);
    await pg.destroy();
  }, 120_000);

  const services = () => p.children.filter((c) => c.name !== 'twilio-sim');
  const readiness = (url: string) =>
    fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.status,
      () => 0,
    );

  it('every service rides it out and every person is called exactly once per channel', async () => {
    try {
      const persons = p.phones.size;
      const expected = persons * p.channels.length;
      const w = await p.sendWarning();
      const progress = () =>
        p.q<{ queued: string; done: string }>(
          `SELECT count(*) FILTER (WHERE state = 'queued') AS queued,
                  count(*) FILTER (WHERE state NOT IN ('queued', 'sending')) AS done
           FROM notify.attempts WHERE warning_id = $1 AND purpose = 'callout'`,
          [w.id],
        );
      // Mid fan-out: some sends answered by the API, many still queued.
      await waitFor(
        async () => {
          const [r] = await progress();
          return Number(r.done) >= 50 && Number(r.queued) >= expected / 3;
        },
        'the fan-out to be under way',
        120_000,
        100,
      );

      await pg.stop('immediate');
      for (const s of services())
        await waitFor(
          async () => (await readiness(s.url)) === 503,
          `${s.name} to report the database down`,
          30_000,
          250,
        );
      await pg.start();
      for (const s of services())
        await waitFor(
          async () => (await readiness(s.url)) === 200,
          `${s.name} to be ready again`,
          60_000,
          250,
        );

      // Sends whose outcome could not be written are reconciled against the provider's records.
      await waitFor(
        async () => {
          const [r] = await progress().catch(() => [{ queued: '-1', done: '0' }]);
          return Number(r.done) === expected;
        },
        `all ${expected} first sends answered`,
        400_000,
        1_000,
      );

      for (const s of services())
        expect({ service: s.name, exitCode: s.proc.exitCode }).toEqual({ service: s.name, exitCode: null });
      const counts = await p.firstCalloutCounts(w.id);
      const kinds = p.channels.map((c) => (c === 'voice' ? 'call' : 'sms'));
      const wrong = [...p.phones.values()].flatMap((phone) =>
        kinds.map((k) => ({ phone, kind: k, n: counts.get(`${phone}|${k}`) ?? 0 })).filter((x) => x.n !== 1),
      );
      expect(wrong).toEqual([]);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${p.output()}`);
    }
  }, 720_000);
});
