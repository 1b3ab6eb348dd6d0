import { randomUUID } from 'node:crypto';
import type { CalloutEvent } from '../../contracts/generated';
import { dlqName, TOPICS } from '../../contracts/topics';
import { kafkaBrokers, uniqueId, waitFor } from '../../test/support/infra';
import { OwnPostgres } from '../../test/support/own-postgres';
import { PostgresDb } from '../db/db';
import { migrate } from '../db/migrate';
import { ConsumerHost } from '../kafka/consumer-host';
import { createKafka, ensureTopics, EventPublisher, TopicNamer } from '../kafka/kafka-client';
import { AuditHandlers } from './audit.handlers';
import { LedgerRepository } from './ledger.repository';

const WARNING = 'w-outage';
const STATES = ['PLANNED', 'SENT', 'DELIVERED', 'CONFIRMED'] as const;

/** The call-out event announcing one state change (as the tracker's outbox publishes it). */
const change = (calloutId: string, step: number): CalloutEvent => ({
  schemaVersion: 1,
  eventId: randomUUID(),
  calloutId,
  warningId: WARNING,
  personId: `p-${calloutId}`,
  personName: '张三',
  rung: 0,
  subjectCalloutId: null,
  from: STATES[step],
  to: STATES[step + 1],
  reason: 'test',
  drill: false,
  details: {},
  at: new Date().toISOString(),
});

/**
 * The fault suite's PostgreSQL restart trial found call-outs whose ledger chain had holes: the audit
 * consumer, unable to reach the database, spent its few retries within a second and dead-lettered
 * the call-out events of that moment. An unreachable database is no fault of the message; the
 * consumer holds it until the database answers. Real Kafka, a PostgreSQL server of the test's own
 * crashed (pg_ctl stop -m immediate) for longer than the whole retry budget.
 */
describe('the audit consumer through a PostgreSQL crash', () => {
  const pg = new OwnPostgres('audit-outage');
  const namer = new TopicNamer(`${uniqueId('auditpg')}.`);
  const kafka = createKafka(kafkaBrokers(), 'audit-outage-test');
  const publisher = new EventPublisher(kafka, namer);
  const deadLetters: string[] = [];
  let db: PostgresDb;
  let host: ConsumerHost | undefined;

  beforeAll(async () => {
    await pg.init();
    db = new PostgresDb(pg.url);
    await migrate(db);
    const events = TOPICS.calloutsEvents;
    await ensureTopics(kafka, namer, [events, { ...events, name: dlqName(events.name), partitions: 1 }]);
    // Every dead letter the consumer writes is recorded on its way to the broker.
    const publishRaw = publisher.publishRaw.bind(publisher);
    publisher.publishRaw = (topic, m) => {
      deadLetters.push(topic);
      return publishRaw(topic, m);
    };
  }, 180_000);

  afterAll(async () => {
    await host?.stop();
    await publisher.disconnect();
    await db?.close();
    await pg.destroy();
  }, 60_000);

  const ledger = async () =>
    (
      await db.query<{ content: CalloutEvent }>(
        `SELECT content FROM audit.entries WHERE chain_id = $1 AND topic = 'callouts.events' ORDER BY seq`,
        [WARNING],
      )
    ).rows.map((r) => r.content);

  it('holds the events until the database is back: every change in the ledger, in order, none dead-lettered', async () => {
    const handler = new AuditHandlers(new LedgerRepository(db), namer)
      .handlers()
      .find((h) => h.topic === TOPICS.calloutsEvents.name)!;
    host = new ConsumerHost({
      brokers: kafkaBrokers(),
      group: 'audit',
      namer,
      publisher,
      handlers: [handler],
      // The whole budget of ordinary retries is well under the outage below.
      retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
    });
    await host.start();

    const callouts = ['c1', 'c2', 'c3', 'c4', 'c5'];
    await publisher.publish(
      TOPICS.calloutsEvents.name,
      callouts.map((id) => ({ key: id, value: change(id, 0) })),
    );
    await waitFor(
      async () => (await ledger()).length === callouts.length,
      'the first changes in the ledger',
      60_000,
    );

    await pg.stop('immediate');
    // Two more changes of each call-out while the database is down, consumed and failing meanwhile.
    for (const step of [1, 2])
      await publisher.publish(
        TOPICS.calloutsEvents.name,
        callouts.map((id) => ({ key: id, value: change(id, step) })),
      );
    await new Promise((r) => setTimeout(r, 4_000));
    await pg.start();

    await waitFor(
      async () => (await ledger().catch(() => [])).length === callouts.length * 3,
      'every change in the ledger after the restart',
      90_000,
      250,
    );
    const entries = await ledger();
    for (const id of callouts)
      expect(entries.filter((e) => e.calloutId === id).map((e) => `${e.from}→${e.to}`)).toEqual([
        'PLANNED→SENT',
        'SENT→DELIVERED',
        'DELIVERED→CONFIRMED',
      ]);
    expect(deadLetters).toEqual([]);
    const [report] = await new LedgerRepository(db).verify(WARNING);
    expect(report.ok).toBe(true);
  }, 240_000);
});
