import { Admin, IHeaders, Kafka, logLevel, Message, Producer, RecordMetadata } from 'kafkajs';
import { backOff } from 'exponential-backoff';
import { allTopicSpecs, TopicSpec } from '../../contracts/topics';
import { notAcknowledged, PartitionTracker, PublishNotAcknowledgedError } from './acknowledged';
import { connectivityOf, kafkaLogCreator } from './kafka-log';

/** Naming of topics and consumer groups under an optional prefix (KAFKA_TOPIC_PREFIX), so test runs can share a broker. */
export class TopicNamer {
  constructor(readonly prefix: string = '') {}
  topic(name: string): string {
    return this.prefix + name;
  }
  /** The un-prefixed name of a prefixed topic. */
  base(prefixed: string): string {
    return prefixed.startsWith(this.prefix) ? prefixed.slice(this.prefix.length) : prefixed;
  }
  group(name: string): string {
    return `${this.prefix}${name}`;
  }
}

export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers,
    retry: { initialRetryTime: 200, retries: 10 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(connectivityOf(brokers)),
  });
}

export interface TopicReplication {
  /** Copies of each partition; the cluster's `default.replication.factor` when not given. */
  replicationFactor?: number;
}

/**
 * How new topics are replicated. By default the cluster decides: replication factor -1 takes the
 * brokers' `default.replication.factor` and `min.insync.replicas` (1 and 1 on a single broker; 3 and
 * 2 on the 3-broker cluster of scripts/kafka.sh and docker-compose.yml). The controller applies
 * those, so the result does not depend on which broker this client asks: counting the brokers in
 * one broker's metadata gave fewer copies when a broker that had just started did not list the
 * others yet. With `replicationFactor` given, that many copies, and with 3 or more
 * `min.insync.replicas` 2, so an acks=all write is on two brokers before it is acknowledged.
 */
export function topicReplication(opts: TopicReplication = {}): {
  replicationFactor: number;
  configEntries: { name: string; value: string }[];
} {
  if (opts.replicationFactor === undefined) return { replicationFactor: -1, configEntries: [] };
  const minInsyncReplicas = opts.replicationFactor >= 3 ? 2 : 1;
  return {
    replicationFactor: opts.replicationFactor,
    configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
  };
}

/**
 * A broker's answer worth asking again: one kafkajs calls retriable, or a replication factor the
 * cluster cannot meet yet because not all of its brokers have registered with the controller.
 */
function retriableTopicError(e: {
  retriable?: boolean;
  type?: string;
  errors?: { type?: string }[];
}): boolean {
  if (e.retriable === true) return true;
  const errors = e.errors ?? [e];
  return errors.length > 0 && errors.every((x) => x.type === 'INVALID_REPLICATION_FACTOR');
}

/** Runs `work` on one admin connection, closed afterwards whatever happens. */
export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates every topic of the system that does not exist yet, with its explicit partition count. */
export function ensureTopics(
  kafka: Kafka,
  namer: TopicNamer,
  specs: TopicSpec[] = allTopicSpecs(),
  opts: TopicReplication = {},
): Promise<string[]> {
  return withAdmin(kafka, (admin) => createMissingTopics(admin, namer, specs, opts));
}

/** ensureTopics on an admin connection the caller holds (start-up checks more on the same one). */
export async function createMissingTopics(
  admin: Admin,
  namer: TopicNamer,
  specs: TopicSpec[] = allTopicSpecs(),
  opts: TopicReplication = {},
): Promise<string[]> {
  const created = new Set<string>();
  try {
    // Retried while the broker answers with a retriable error: right after creation a busy broker
    // may not host the new partitions yet when their leaders are looked up, and a cluster that is
    // starting may have fewer brokers registered than its replication factor.
    await backOff(
      async () => {
        const existing = new Set(await admin.listTopics());
        const missing = specs.filter((s) => !existing.has(namer.topic(s.name)));
        if (missing.length === 0) return;
        for (const s of missing) created.add(namer.topic(s.name));
        const { replicationFactor, configEntries } = topicReplication(opts);
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: namer.topic(s.name),
            numPartitions: s.partitions,
            replicationFactor,
            configEntries,
          })),
        });
      },
      {
        numOfAttempts: 10,
        startingDelay: 200,
        maxDelay: 3_000,
        retry: retriableTopicError,
      },
    );
    return [...created];
  } catch (e) {
    // Another service may have created them between listTopics and createTopics.
    if ((e as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return [...created];
    throw e;
  }
}

/** A topic with fewer copies than the cluster could give it: losing one broker loses partitions. */
export interface UnderReplicated {
  topic: string;
  /** Copies of its least-replicated partition. */
  replicas: number;
  brokers: number;
}

/**
 * The topics (full names) whose partitions have fewer replicas than the cluster's brokers, up to 3:
 * e.g. created on a cluster whose `default.replication.factor` was left at 1. None on one broker.
 */
export async function underReplicatedTopics(admin: Admin, topics: string[]): Promise<UnderReplicated[]> {
  const brokers = (await admin.describeCluster()).brokers.length;
  const wanted = Math.min(brokers, 3);
  if (wanted <= 1) return [];
  const meta = await admin.fetchTopicMetadata({ topics });
  return meta.topics
    .map((t) => ({
      topic: t.name,
      replicas: Math.min(...t.partitions.map((p) => p.replicas.length)),
      brokers,
    }))
    .filter((t) => t.replicas < wanted);
}

export interface OutgoingMessage {
  key: string;
  value: unknown;
  headers?: IHeaders;
}

/**
 * The producer every service uses: idempotent, acks from all in-sync replicas, one request in
 * flight per broker (what kafkajs requires for idempotence), JSON values. A send resolves only
 * when the brokers' answer covers every message (acknowledged.ts): one that kafkajs resolved
 * without writing all of it rejects, so the outbox publishes it again.
 */
export class EventPublisher {
  private readonly producer: Producer;
  private readonly partitions = new PartitionTracker();
  private connected?: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly namer: TopicNamer,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: this.partitions.partitioner,
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  /** Publishes to a topic by its un-prefixed name; values are serialised as JSON unless already a Buffer/string. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    return this.publishMany([{ topic, messages }]);
  }

  /** Publishes to several topics in one produce request (the outbox relay's batches span topics). */
  async publishMany(batches: { topic: string; messages: OutgoingMessage[] }[]): Promise<void> {
    const topicMessages = batches
      .filter((b) => b.messages.length > 0)
      .map((b) => ({
        topic: this.namer.topic(b.topic),
        messages: b.messages.map((m): Message => ({
          key: m.key,
          value: Buffer.isBuffer(m.value) || typeof m.value === 'string' ? m.value : JSON.stringify(m.value),
          headers: m.headers,
        })),
      }));
    if (topicMessages.length === 0) return;
    await this.connect();
    this.check(topicMessages, await this.producer.sendBatch({ acks: -1, topicMessages }));
  }

  private check(sent: { topic: string; messages: Message[] }[], answer: RecordMetadata[]): void {
    const missing = notAcknowledged(sent, answer, (m) => this.partitions.partitionsOf(m));
    if (missing.length) throw new PublishNotAcknowledgedError(missing);
  }

  /** Publishes raw bytes to an already-prefixed topic name (used by the DLQ path). */
  async publishRaw(prefixedTopic: string, message: Message): Promise<void> {
    await this.connect();
    const messages = [message];
    this.check(
      [{ topic: prefixedTopic, messages }],
      await this.producer.send({ topic: prefixedTopic, acks: -1, messages }),
    );
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }
}
