import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KafkaContext, ServerKafka } from '@nestjs/microservices';
import { KafkaRetriableException } from '@nestjs/microservices';
import { Partitioners } from 'kafkajs';
import { EventPublisher, TopicNamer } from './kafka-client';
import { DEFAULT_RETRY, RawMessage, RetryPolicy, SafeConsumer, TopicHandler } from './safe-consumer';

export interface ConsumerHostOptions {
  brokers: string[];
  /** Consumer group name without prefix, e.g. "dispatcher". */
  group: string;
  namer: TopicNamer;
  publisher: EventPublisher;
  handlers: TopicHandler<never>[];
  retry?: RetryPolicy;
  /**
   * Partitions handled in parallel (messages within a partition stay in order). Default 12, the
   * partition count of the call-out topics: a tracker or notifier then has one message of each
   * partition in flight, which its group commits write together.
   */
  concurrency?: number;
}

/**
 * Hosts one consumer group on @nestjs/microservices' Kafka transport (ServerKafka over kafkajs).
 * Each bounded context gets its own host and group, also inside the all-in-one process, so a
 * context consumes exactly as it does when deployed alone. Every message passes through SafeConsumer.
 */
export class ConsumerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private server?: ServerKafka;
  readonly safe: SafeConsumer;

  constructor(private readonly opts: ConsumerHostOptions) {
    this.logger = new Logger(`ConsumerHost:${opts.group}`);
    this.safe = new SafeConsumer(
      (topic, m) => opts.publisher.publishRaw(topic, { key: m.key, value: m.value, headers: m.headers }),
      opts.namer.group(opts.group),
      opts.retry ?? DEFAULT_RETRY,
    );
  }

  async start(): Promise<void> {
    if (this.opts.handlers.length === 0) return;
    const groupId = this.opts.namer.group(this.opts.group);
    const server = new ServerKafka({
      client: {
        clientId: groupId,
        brokers: this.opts.brokers,
        retry: { initialRetryTime: 200, retries: 10 },
      },
      consumer: {
        groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 30_000,
        heartbeatInterval: 3_000,
        // A short fetch wait lets a stopping consumer leave within about a second instead of five or more.
        maxWaitTimeInMs: 1_000,
      },
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: this.opts.concurrency ?? 12 },
      parser: { keepBinary: true },
      // ServerKafka's own producer (for replies, unused here): the current partitioner, stated.
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
      postfixId: '',
    });
    for (const h of this.opts.handlers) {
      const topic = this.opts.namer.topic(h.topic);
      server.addHandler(
        topic,
        async (_data: unknown, ctx: KafkaContext) => {
          try {
            await this.safe.process(
              h,
              ctx.getTopic(),
              ctx.getPartition(),
              ctx.getMessage() as unknown as RawMessage,
            );
          } catch (e) {
            // Only a failed DLQ write gets here: do not commit; Kafka redelivers the message.
            this.logger.error(`could not dead-letter a message of ${topic}: ${(e as Error).message}`);
            throw new KafkaRetriableException((e as Error).message);
          }
        },
        true,
      );
    }
    await new Promise<void>((resolve, reject) => {
      server.listen((err?: unknown) => (err ? reject(err) : resolve())).catch(reject);
    });
    this.server = server;
    this.logger.log(`consuming ${this.opts.handlers.map((h) => h.topic).join(', ')} as ${groupId}`);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}

/** A class of a bounded context that declares what it consumes. */
export interface TopicHandlerSource {
  handlers(): TopicHandler<never>[];
}
