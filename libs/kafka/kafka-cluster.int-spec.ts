import { ConfigResourceTypes, Consumer } from 'kafkajs';
import { KafkaCluster } from '../../test/support/kafka-cluster';
import { uniqueId, waitFor } from '../../test/support/infra';
import {
  createKafka,
  ensureTopics,
  EventPublisher,
  TopicNamer,
  underReplicatedTopics,
  withAdmin,
} from './kafka-client';
import { connectivityOf } from './kafka-log';

/**
 * The 3-broker cluster of `npm run kafka -- cluster start`: the services' topics get 3 replicas and
 * min.insync.replicas 2, and the idempotent acks=all producer and a consumer group carry on when one
 * broker is killed with kill -9.
 */
describe('the 3-broker Kafka cluster', () => {
  const cluster = new KafkaCluster();
  const namer = new TopicNamer(`${uniqueId('cluster')}.`);
  const spec = { name: 'callouts.requested', partitions: 6, contract: 'callout-requested' as const };
  const topic = namer.topic(spec.name);
  let kafka: ReturnType<typeof createKafka>;
  let publisher: EventPublisher;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    await cluster.reset();
    await cluster.start();
    kafka = createKafka(cluster.brokers, 'cluster-test');
    publisher = new EventPublisher(kafka, namer);
  }, 600_000);

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await publisher?.disconnect().catch(() => undefined);
    await cluster.reset();
    // The killed broker left the process-wide connectivity state probing for it every 2 s; a probe
    // after this file's environment is gone fails the whole run (jest sets the exit code to 1).
    connectivityOf(cluster.brokers).stop();
  }, 120_000);

  it('finds a topic made with fewer copies than the cluster has brokers', async () => {
    const single = { name: 'callouts.events', partitions: 2, contract: 'callout-event' as const };
    const full = { name: 'callouts.status', partitions: 2, contract: 'callout-status' as const };
    await ensureTopics(kafka, namer, [single], { replicationFactor: 1 });
    await ensureTopics(kafka, namer, [full]);
    const names = [namer.topic(single.name), namer.topic(full.name)];
    // Until a new topic is in the asked broker's metadata, the metadata request fails.
    const short = await waitFor(
      () => withAdmin(kafka, (admin) => underReplicatedTopics(admin, names)).catch(() => undefined),
      'both topics in the metadata',
      30_000,
      500,
    );
    expect(short).toEqual([{ topic: namer.topic(single.name), replicas: 1, brokers: 3 }]);
  }, 60_000);

  it('creates topics with 3 replicas and min.insync.replicas 2, and loses nothing when a broker is killed', async () => {
    expect(await ensureTopics(kafka, namer, [spec])).toEqual([topic]);
    const admin = kafka.admin();
    await admin.connect();
    // A new topic reaches every broker's metadata a moment after its leaders are elected: until then
    // the broker asked may not list it, or not all of its partitions.
    const { meta, configs } = await waitFor(
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
        if (meta?.topics[0]?.partitions.length !== spec.partitions) return undefined;
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
        });
        return { meta, configs };
      },
      "the new topic's partitions in the cluster's metadata",
      30_000,
      500,
    );
    await admin.disconnect();
    expect(meta.topics[0].partitions).toHaveLength(6);
    for (const p of meta.topics[0].partitions) expect(p.replicas).toHaveLength(3);
    expect(configs.resources[0].configEntries[0].configValue).toBe('2');

    const received = new Set<string>();
    consumer = kafka.consumer({ groupId: namer.group('reader'), maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.add(message.key!.toString());
      },
    });

    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: { n: from + i } }));
    for (let i = 0; i < 200; i += 50) await publisher.publish(spec.name, batch(i, 50));
    await waitFor(() => received.size === 200, 'the first 200 messages', 60_000);

    // The broker leading partition 0 goes without a shutdown: its partitions move to the others.
    const leader = meta.topics[0].partitions.find((p) => p.partitionId === 0)!.leader;
    await cluster.kill(leader);

    // Until the controller fences the dead broker (broker.session.timeout.ms) its partitions have
    // no leader and a publish fails; the outbox relay retries such a publish, and so does this test.
    for (let i = 200; i < 400; i += 50) {
      await waitFor(
        () => publisher.publish(spec.name, batch(i, 50)).then(() => true),
        'a publish to the remaining brokers',
        120_000,
        500,
      );
    }
    await waitFor(() => received.size === 400, 'all 400 messages after the kill', 120_000);
    expect([...received].sort()).toEqual(
      batch(0, 400)
        .map((m) => m.key)
        .sort(),
    );
  }, 300_000);

  it('resolves a publish only when every message of it was written, across a broker killed mid-send', async () => {
    // The broker killed above comes back; each partition of a new topic then has 3 in-sync copies.
    await cluster.start();
    const spec = { name: 'callouts.responses', partitions: 6, contract: 'callout-response' as const };
    const name = namer.topic(spec.name);
    await ensureTopics(kafka, namer, [spec]);
    const admin = kafka.admin();
    await admin.connect();
    const meta = await waitFor(
      async () => {
        const m = await admin.fetchTopicMetadata({ topics: [name] }).catch(() => undefined);
        const ps = m?.topics[0]?.partitions ?? [];
        return ps.length === spec.partitions && ps.every((p) => p.isr.length === 3) ? m : undefined;
      },
      'the topic on 3 in-sync brokers',
      120_000,
      500,
    );

    const received = new Set<string>();
    const reader = kafka.consumer({ groupId: namer.group('reader-2'), maxWaitTimeInMs: 500 });
    await reader.connect();
    await reader.subscribe({ topic: name, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        received.add(message.key!.toString());
      },
    });

    // Sends of 60 keyed messages, each spanning every partition and so every broker, one after the
    // other; a broker is killed while they go on. A send that rejects is sent again, as the outbox
    // relay does. Every key of a send that resolved must arrive.
    const published: string[] = [];
    let rejected = 0;
    let stop = false;
    const sender = (async () => {
      for (let i = 0; !stop; i++) {
        const messages = Array.from({ length: 60 }, (_, k) => ({ key: `s${i}-${k}`, value: { i, k } }));
        for (;;) {
          try {
            await publisher.publish(spec.name, messages);
            published.push(...messages.map((m) => m.key));
            break;
          } catch {
            rejected++;
          }
        }
      }
    })();
    await waitFor(() => published.length >= 600, 'the first sends', 60_000);
    const victim = meta.topics[0].partitions.find((p) => p.partitionId === 0)!.leader;
    await cluster.kill(victim);
    // Past the controller's fencing of the dead broker (its partitions led by the others) and a
    // few sends more.
    await waitFor(
      async () => {
        const m = await admin.fetchTopicMetadata({ topics: [name] }).catch(() => undefined);
        return !!m && m.topics[0].partitions.every((p) => p.leader !== victim && p.leader >= 0);
      },
      'leadership away from the killed broker',
      120_000,
      500,
    );
    const after = published.length;
    await waitFor(() => published.length >= after + 600, 'sends after the fencing', 120_000);
    stop = true;
    await sender;
    await admin.disconnect();

    const missing = () => published.filter((k) => !received.has(k));
    await waitFor(() => missing().length === 0, 'every published key at the reader', 60_000).catch(
      () => undefined,
    );
    await reader.disconnect();
    expect({ published: published.length, missing: missing().length, rejected }).toEqual({
      published: published.length,
      missing: 0,
      rejected,
    });
  }, 600_000);
});
