import { Admin, IHeaders, Kafka, logLevel, Message, Partitioners, Producer } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { allTopicSpecs, TopicSpec } from '../../contracts/topics';

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
  const logger = new Logger('kafkajs');
  return new Kafka({
    clientId,
    brokers,
    retry: { initialRetryTime: 200, retries: 10 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        // Bounded producer retries are deliberate: the outbox retries a failed publish and every
        // consumer is idempotent, so Kafka's exactly-once producer guarantee is not relied on.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        const text = `${message} ${JSON.stringify(extra)}`;
        if (level <= logLevel.ERROR) logger.error(text);
        else logger.warn(text);
      },
  });
}

export interface TopicReplication {
  /** Copies of each partition; the broker count capped at 3 when not given. */
  replicationFactor?: number;
}

/**
 * How topics are replicated on this cluster: `replicationFactor` copies (default min(3, brokers)),
 * and with 3 or more copies `min.insync.replicas` 2, so an acks=all write is on two brokers before
 * it is acknowledged and one broker can be lost without losing or refusing writes.
 */
export async function topicReplication(
  admin: Admin,
  opts: TopicReplication = {},
): Promise<{ replicationFactor: number; minInsyncReplicas: number }> {
  const replicationFactor =
    opts.replicationFactor ?? Math.min(3, (await admin.describeCluster()).brokers.length);
  return { replicationFactor, minInsyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}

/** Creates every topic of the system that does not exist yet, with its explicit partition count. */
export async function ensureTopics(
  kafka: Kafka,
  namer: TopicNamer,
  specs: TopicSpec[] = allTopicSpecs(),
  opts: TopicReplication = {},
): Promise<string[]> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(namer.topic(s.name)));
    if (missing.length === 0) return [];
    const { replicationFactor, minInsyncReplicas } = await topicReplication(admin, opts);
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: namer.topic(s.name),
        numPartitions: s.partitions,
        replicationFactor,
        configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
      })),
    });
    return missing.map((s) => namer.topic(s.name));
  } catch (e) {
    // Another service may have created them between listTopics and createTopics.
    if ((e as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return [];
    throw e;
  } finally {
    await admin.disconnect();
  }
}

export interface OutgoingMessage {
  key: string;
  value: unknown;
  headers?: IHeaders;
}

/**
 * The producer every service uses: idempotent, acks from all in-sync replicas, one request in
 * flight per broker (what kafkajs requires for idempotence), JSON values.
 */
export class EventPublisher {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly namer: TopicNamer,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
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
    await this.producer.sendBatch({ acks: -1, topicMessages });
  }

  /** Publishes raw bytes to an already-prefixed topic name (used by the DLQ path). */
  async publishRaw(prefixedTopic: string, message: Message): Promise<void> {
    await this.connect();
    await this.producer.send({ topic: prefixedTopic, acks: -1, messages: [message] });
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }
}
