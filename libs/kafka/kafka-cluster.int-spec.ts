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
});
