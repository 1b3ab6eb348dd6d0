import { INestApplication } from '@nestjs/common';
import { createTestDatabase, TestDatabase, testSecret, uniqueId, waitFor } from '../../test/support/infra';
import { freePort } from '../../test/support/services';
import { startTestNotifier } from '../../test/support/notifier';
import { SAMPLE_DATA } from '../templates/template-data';
import { NewAttempt, NotifyRepository } from './notify.repository';
import { startTwilioSimulator, TwilioSimulator } from './simulator/twilio-simulator';

/**
 * Two notifier replicas on one database, the real Kafka and the Twilio simulator through the SDK,
 * sending slower than their claims: a claimed SMS waits in its replica's send gate (2 a second)
 * longer than NOTIFY_RECONCILE_AFTER_MS. The other replica's reconciler sees it 'sending' that long,
 * takes it over and sends it; the replica that claimed it must then let it go, not send it too.
 */
jest.setTimeout(120_000);

const ACCOUNT = 'AC' + 'ef'.repeat(16);
const TOKEN = testSecret();

describe('notifier replicas: a send held past the reconciler threshold is sent once', () => {
  let db: TestDatabase;
  let sim: TwilioSimulator;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('notify-replicas');
    sim = await startTwilioSimulator({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      latencyMs: 0,
      behaviours: { default: 'deliver' },
    });
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await sim?.stop();
    await db?.drop();
  });

  it('each of 12 SMS reaches the provider once', async () => {
    const prefix = `${uniqueId('notifyr')}.`;
    const twilio = { accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: sim.url };
    const replica = { db, prefix, signingSecret: testSecret(), perSecond: 2, concurrency: 20 };
    // The same configuration twice, as two replicas of one deployment.
    for (const service of ['notifier-a', 'notifier-b'])
      apps.push(
        await startTestNotifier({
          ...replica,
          service,
          port: await freePort(),
          twilio: { ...twilio, smsFrom: '+8610690000031', voiceFrom: '+8610690000032' },
          env: { NOTIFY_RECONCILE_AFTER_MS: '1500', NOTIFY_IN_FLIGHT_GRACE_MS: '0' },
        }),
      );
    const ids = Array.from({ length: 12 }, (_, i) => `replica-claims/${i}:callout`);
    const queued: NewAttempt[] = ids.map((id, i) => ({
      request_id: id,
      callout_id: `co-${i}`,
      warning_id: 'w-replicas',
      person_id: `p-${i}`,
      channel: 'sms',
      purpose: 'callout',
      to_number: `+86139000004${String(i).padStart(2, '0')}`,
      from_number: '+8610690000031',
      warning_seq: 1,
      language: 'zh-CN',
      data: SAMPLE_DATA,
      body: `message ${i}`,
      twiml: null,
      traceparent: null,
      provider: 'twilio',
      attempt_no: 1,
      drill: false,
      priority: 0,
    }));
    // Straight into the send queue: both replicas' workers poll it and claim as they see fit.
    await new NotifyRepository().enqueue(db.db, queued);
    await waitFor(
      async () =>
        (
          await db.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM notify.attempts WHERE warning_id = 'w-replicas' AND state = 'sent'`,
          )
        ).rows[0].n === '12',
      'all 12 sent',
      60_000,
    );
    // Long enough for a second copy of a send to arrive, were one made.
    await new Promise((r) => setTimeout(r, 3_000));
    const bodies = sim
      .sent()
      .filter((r) => r.kind === 'sms' && r.body?.startsWith('message '))
      .map((r) => r.body);
    expect(bodies.sort()).toEqual(queued.map((a) => a.body).sort());
  });
});
