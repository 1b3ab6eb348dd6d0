import { TOPICS } from '../../contracts/topics';
import { createTestDatabase, kafkaBrokers, TestDatabase, uniqueId, waitFor } from '../../test/support/infra';
import { readTopic } from '../../test/support/kafka';
import { Readiness } from '../infra/readiness';
import { ConsumerHost } from './consumer-host';
import { createKafka, ensureTopics, EventPublisher, TopicNamer } from './kafka-client';
import { Outbox, OutboxRelay, outboxTableSql } from './outbox';
import { ContractHandler, onTopic } from './safe-consumer';

const status = (eventId: string) => ({
  schemaVersion: 1,
  eventId,
  requestId: 'r1',
  calloutId: 'c1',
  warningId: 'w1',
  channel: 'sms',
  status: 'delivered',
  at: new Date().toISOString(),
});

describe('safe consumption on the real Kafka broker', () => {
  const namer = new TopicNamer(`${uniqueId('kafka')}.`);
  const kafka = createKafka(kafkaBrokers(), 'consumer-host-test');
  const publisher = new EventPublisher(kafka, namer);
  let host: ConsumerHost;
  let tdb: TestDatabase;

  beforeAll(async () => {
    await ensureTopics(kafka, namer);
    tdb = await createTestDatabase('kafka', { migrate: false });
  });

  afterAll(async () => {
    await host?.stop();
    await publisher.disconnect();
    await tdb?.drop();
  });

  it('retries, dead-letters poison with its reason, and never blocks the partition', async () => {
    const handled: string[] = [];
    let flakyTries = 0;
    const handler = onTopic(TOPICS.calloutsStatus, async (s) => {
      if (s.eventId === 'poison') throw new Error('cannot ever handle this');
      if (s.eventId === 'flaky' && ++flakyTries < 3) throw new Error('transient');
      handled.push(s.eventId);
    });
    const readiness = new Readiness();
    host = new ConsumerHost({
      brokers: kafkaBrokers(),
      group: 'tracker',
      namer,
      publisher,
      handlers: [handler],
      retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
      readiness,
    });
    // Awaited from construction (before a service's HTTP port opens) until the group is joined.
    expect(readiness.awaited()).toEqual(['consumer group tracker joined']);
    await host.start();
    await waitFor(() => readiness.awaited().length === 0, 'the group join to reach readiness', 30_000);

    // One key: every message lands on the same partition, in this order.
    await publisher.publish(TOPICS.calloutsStatus.name, [
      { key: 'c1', value: status('good-1') },
      { key: 'c1', value: Buffer.from('{not json') },
      { key: 'c1', value: status('poison'), headers: { trace: 't-1' } },
      { key: 'c1', value: status('flaky') },
      { key: 'c1', value: { ...status('bad-schema'), channel: 'fax' } },
      { key: 'c1', value: { ...status('v2'), schemaVersion: 2 } },
      { key: 'c1', value: status('good-2') },
    ]);

    await waitFor(() => handled.includes('good-2'), 'the message after the poison to be handled', 30_000);
    expect(handled).toEqual(['good-1', 'flaky', 'good-2']);
    expect(flakyTries).toBe(3);

    const dlq = await readTopic(kafka, namer.topic('callouts.status.dlq'), 4);
    const reasons = dlq.map((m) => m.headers['x-dlq-reason']);
    expect(reasons[0]).toMatch(/^not JSON/);
    expect(reasons[1]).toBe('handler failed after 3 tries: cannot ever handle this');
    expect(reasons[2]).toMatch(/^schema callout-status: \/channel: must be one of sms, voice/);
    expect(reasons[3]).toMatch(/^unsupported schemaVersion 2/);
    expect(dlq[1].headers.trace).toBe('t-1');
    expect(dlq[1].headers['x-dlq-topic']).toBe(namer.topic('callouts.status'));
    expect(JSON.parse(dlq[1].value).eventId).toBe('poison');
  }, 60_000);

  it('with keyConcurrency, runs different keys of a batch at once and each key in order', async () => {
    const topic = TOPICS.calloutsResponses.name;
    // Four keys interleaved, all on partition 0, published before the consumer starts: one batch.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: namer.topic(topic),
      messages: Array.from({ length: 40 }, (_, i) => ({
        key: `k${i % 4}`,
        partition: 0,
        value: JSON.stringify(status(`k${i % 4}:${Math.floor(i / 4)}`)),
      })),
    });
    await producer.disconnect();
    const seen: string[] = [];
    let running = 0;
    let widest = 0;
    const handler: ContractHandler<'callout-status'> = {
      topic,
      contract: 'callout-status',
      keyConcurrency: 4,
      handle: async (s) => {
        running += 1;
        widest = Math.max(widest, running);
        await new Promise((r) => setTimeout(r, 10));
        seen.push(s.eventId);
        running -= 1;
      },
    };
    const batchHost = new ConsumerHost({
      brokers: kafkaBrokers(),
      group: 'batching',
      namer,
      publisher,
      handlers: [handler],
    });
    await batchHost.start();
    try {
      await waitFor(() => seen.length >= 40, '40 messages handled', 30_000);
    } finally {
      await batchHost.stop();
    }
    expect(new Set(seen).size).toBe(40);
    for (const k of ['k0', 'k1', 'k2', 'k3'])
      expect(seen.filter((e) => e.startsWith(`${k}:`))).toEqual(
        Array.from({ length: 10 }, (_, i) => `${k}:${i}`),
      );
    expect(widest).toBeGreaterThan(1);
    expect(widest).toBeLessThanOrEqual(4);
  }, 60_000);

  it('publishes what a transaction wrote to the outbox, after commit, and only then', async () => {
    await tdb.db.exec(`CREATE SCHEMA ctx; ${outboxTableSql('ctx')}`);
    const outbox = new Outbox('ctx');
    // A rolled-back transaction publishes nothing.
    await expect(
      tdb.db.transaction(async (tx) => {
        await outbox.add(tx, TOPICS.warningsClosed.name, [{ key: 'w-rolled-back', value: { n: 0 } }]);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await tdb.db.transaction((tx) =>
      outbox.add(tx, TOPICS.warningsClosed.name, [
        { key: 'w1', value: { n: 1 } },
        { key: 'w2', value: { n: 2 }, headers: { h: 'x' } },
      ]),
    );
    const relay = new OutboxRelay(tdb.db, publisher, 'ctx', 50);
    relay.start();
    const got = await readTopic(kafka, namer.topic(TOPICS.warningsClosed.name), 2);
    await relay.stop();
    // Two keys may land on two partitions, which a reader sees in either order.
    expect(got.map((m) => [m.key, JSON.parse(m.value)]).sort()).toEqual([
      ['w1', { n: 1 }],
      ['w2', { n: 2 }],
    ]);
    expect(got.find((m) => m.key === 'w2')!.headers.h).toBe('x');
    const left = await tdb.db.query<{ n: string }>(`SELECT count(*) AS n FROM ctx.outbox`);
    expect(left.rows[0].n).toBe('0');
  }, 60_000);

  it('keeps in the outbox what a failed publish did not get to Kafka, and publishes it in order later', async () => {
    await tdb.db.exec(`CREATE SCHEMA refused; ${outboxTableSql('refused')}`);
    const outbox = new Outbox('refused');
    // The real publisher, refused once the way a broker outage refuses it (the relay's batch throws).
    let refusals = 1;
    const once = Object.create(publisher) as EventPublisher;
    once.publishMany = (batches) =>
      refusals-- > 0 ? Promise.reject(new Error('broker gone')) : publisher.publishMany(batches);
    await tdb.db.transaction((tx) =>
      outbox.add(
        tx,
        TOPICS.warningsClosed.name,
        [1, 2, 3].map((n) => ({ key: 'w-refused', value: { n } })),
      ),
    );
    const relay = new OutboxRelay(tdb.db, once, 'refused', 60_000);
    await expect(relay.publishBatch()).rejects.toThrow('broker gone');
    const kept = await tdb.db.query<{ n: string }>(`SELECT count(*) AS n FROM refused.outbox`);
    expect(kept.rows[0].n).toBe('3');
    expect(await relay.publishBatch()).toBe(3);
    const got = await readTopic(
      kafka,
      namer.topic(TOPICS.warningsClosed.name),
      3,
      (m) => m.key === 'w-refused',
    );
    expect(got.map((m) => JSON.parse(m.value).n)).toEqual([1, 2, 3]);
    const left = await tdb.db.query<{ n: string }>(`SELECT count(*) AS n FROM refused.outbox`);
    expect(left.rows[0].n).toBe('0');
  }, 60_000);

  it('an idle timed pass costs one statement; a nudged pass publishes without looking first', async () => {
    await tdb.db.exec(`CREATE SCHEMA quiet; ${outboxTableSql('quiet')}`);
    const outbox = new Outbox('quiet');
    const statements = () => tdb.db.roundTrips!().statements;
    // No timed pass but the first within the test: the interval is a minute.
    const relay = new OutboxRelay(tdb.db, publisher, 'quiet', 60_000);
    const before = statements();
    relay.start();
    await waitFor(() => statements() > before, 'the first pass');
    await new Promise((r) => setTimeout(r, 200));
    expect(statements() - before).toBe(1); // SELECT EXISTS: nothing there
    await tdb.db.transaction((tx) =>
      outbox.add(tx, TOPICS.warningsClosed.name, [{ key: 'w9', value: { n: 9 } }]),
    );
    const beforeNudge = statements();
    relay.nudge();
    const got = await readTopic(kafka, namer.topic(TOPICS.warningsClosed.name), 1, (m) => m.key === 'w9');
    // The relay is the only one on this Db until the count below (no query of the test's between).
    await waitFor(() => statements() - beforeNudge >= 4, 'the nudged pass to commit');
    await new Promise((r) => setTimeout(r, 200));
    const spent = statements() - beforeNudge;
    await relay.stop();
    expect(got.map((m) => m.key)).toEqual(['w9']);
    const left = await tdb.db.query<{ n: string }>(`SELECT count(*) AS n FROM quiet.outbox`);
    expect(left.rows[0].n).toBe('0');
    // BEGIN, the advisory lock, DELETE … RETURNING the batch, COMMIT: no SELECT EXISTS first.
    expect(spent).toBe(4);
  }, 60_000);
});
