import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KafkaOptions, ServerKafka } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { Readiness } from '../infra/readiness';
import { watchConsumerGroup } from '../observability/collectors';
import { boundedStep } from '../infra/shutdown';
import { EventPublisher, TopicNamer } from './kafka-client';
import { restartAfterFatalCrash } from './consumer-restart';
import { connectivityOf, kafkaLogCreator } from './kafka-log';
import { DEFAULT_RETRY, RetryPolicy, SafeConsumer, TopicHandler } from './safe-consumer';

export interface ConsumerHostOptions {
  brokers: string[];
  /** Consumer group name without prefix, e.g. "dispatcher". */
  group: string;
  namer: TopicNamer;
  publisher: EventPublisher;
  handlers: TopicHandler[];
  retry?: RetryPolicy;
  /**
   * Partitions handled in parallel (messages within a partition stay in order). Default 12, the
   * partition count of the call-out topics: a tracker or notifier then has one message of each
   * partition in flight, which its group commits write together.
   */
  concurrency?: number;
  /** Told when the group is joined (the service is not ready before). */
  readiness?: Readiness;
}

/**
 * Nest's Kafka transport (connection, group membership, status events, logging, close) consuming
 * whole fetched batches instead of one message at a time, so a handler can take the messages of a
 * batch together (TopicHandler.keyConcurrency).
 */
class BatchingServerKafka extends ServerKafka {
  constructor(
    options: Required<KafkaOptions>['options'],
    private readonly topics: string[],
    private readonly onBatch: (p: EachBatchPayload) => Promise<void>,
    private readonly onJoin: () => void,
    private readonly onStopped: () => void,
  ) {
    super(options);
  }

  /** Between the start and close: a consumer stopped by a crash is started again only then. */
  private open = false;

  override async bindEvents(consumer: Consumer): Promise<void> {
    this.open = true;
    consumer.on(consumer.events.GROUP_JOIN, () => this.onJoin());
    await consumer.subscribe({ ...(this.options.subscribe ?? {}), topics: this.topics });
    const run = () =>
      consumer.run({
        ...(this.options.run ?? {}),
        // Offsets are resolved here, only for messages that are done (or dead-lettered).
        eachBatchAutoResolve: false,
        eachBatch: (p) => this.onBatch(p),
      });
    restartAfterFatalCrash(consumer, {
      group: this.options.consumer?.groupId ?? 'consumer',
      run,
      running: () => this.open,
      onStopped: () => this.onStopped(),
    });
    await run();
  }

  override async close(): Promise<void> {
    this.open = false;
    await super.close();
  }
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
  /** Handlers by prefixed topic name. */
  private readonly byTopic = new Map<string, TopicHandler>();
  /** Marks the group joined for readiness. */
  private readonly joined: () => void;
  private get joinAwaited(): string {
    return `consumer group ${this.opts.group} joined`;
  }

  constructor(private readonly opts: ConsumerHostOptions) {
    this.logger = new Logger(`ConsumerHost:${opts.group}`);
    this.safe = new SafeConsumer(
      (topic, m) => opts.publisher.publishRaw(topic, { key: m.key, value: m.value, headers: m.headers }),
      opts.namer.group(opts.group),
      opts.retry ?? DEFAULT_RETRY,
    );
    for (const h of opts.handlers) this.byTopic.set(opts.namer.topic(h.topic), h);
    watchConsumerGroup(opts.group, [...new Set(opts.handlers.map((h) => h.topic))]);
    // Registered now, before the HTTP port opens, so readiness never answers before the join.
    this.joined = opts.readiness?.expect(this.joinAwaited) ?? (() => undefined);
  }

  async start(): Promise<void> {
    if (this.opts.handlers.length === 0) return this.joined();
    const groupId = this.opts.namer.group(this.opts.group);
    const server = new BatchingServerKafka(
      {
        client: {
          clientId: groupId,
          brokers: this.opts.brokers,
          retry: { initialRetryTime: 200, retries: 10 },
          // kafkajs' own info (joins, assignments) at debug; a broker away said once, not per retry.
          logLevel: logLevel.INFO,
          logCreator: kafkaLogCreator(connectivityOf(this.opts.brokers)),
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
        // ServerKafka's own producer (for replies, unused here): the current partitioner, stated.
        producer: { createPartitioner: Partitioners.DefaultPartitioner },
        postfixId: '',
      },
      [...this.byTopic.keys()],
      (p) => this.handleBatch(p),
      () => this.joined(),
      // Not ready again until the group is joined again (/health/ready names it meanwhile).
      () => this.opts.readiness?.expect(this.joinAwaited),
    );
    await new Promise<void>((resolve, reject) => {
      server.listen((err?: unknown) => (err ? reject(err) : resolve())).catch(reject);
    });
    this.server = server;
    this.logger.log(`consuming ${this.opts.handlers.map((h) => h.topic).join(', ')} as ${groupId}`);
  }

  /**
   * One fetched batch of one partition. By default its messages run one after the other and each
   * offset is resolved as soon as its message is done, exactly as the partition orders them. A
   * handler with keyConcurrency > 1 gets the messages of different keys at once (each key's
   * messages still in order); the batch's offset is resolved when all of them are done, so a crash
   * or a rebalance midway redelivers the batch, which idempotent handlers absorb.
   */
  private async handleBatch(p: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = p;
    const h = this.byTopic.get(batch.topic);
    if (!h || batch.messages.length === 0) return;
    // A message held through a database outage gives up its wait when the consumer stops or the
    // partition moves to another member; it stays unresolved and is delivered again.
    const control = { keepWaiting: () => isRunning() && !isStale(), heartbeat };
    /** Handles one message; false when it was interrupted (not done: its offset must not be resolved). */
    const one = async (m: KafkaMessage): Promise<boolean> => {
      // Throws only when even the DLQ cannot be written: the offset stays unresolved and Kafka
      // delivers the message again.
      const outcome = await this.safe.process(h, batch.topic, batch.partition, m, control);
      if (outcome.kind === 'interrupted') return false;
      await heartbeat();
      return true;
    };
    const width = h.keyConcurrency ?? 1;
    if (width <= 1) {
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) return;
        if (!(await one(m))) return;
        resolveOffset(m.offset);
      }
      return;
    }
    const lanes = new Map<string, KafkaMessage[]>();
    for (const m of batch.messages) {
      // Messages without a key belong to no sequence: each is a lane of its own.
      const key = m.key ? m.key.toString('utf8') : `#${m.offset}`;
      const lane = lanes.get(key);
      if (lane) lane.push(m);
      else lanes.set(key, [m]);
    }
    const queue = [...lanes.values()];
    let stopped = false;
    const worker = async () => {
      for (let lane = queue.shift(); lane && !stopped; lane = queue.shift()) {
        if (!isRunning() || isStale()) stopped = true;
        else
          for (const m of lane)
            if (!(await one(m))) {
              stopped = true;
              break;
            }
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, queue.length) }, worker));
    if (!stopped) resolveOffset(batch.messages[batch.messages.length - 1].offset);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /**
   * Leaves the group. kafkajs waits for the running fetch and the group's session on the way out
   * (15 s or more when the broker is gone); past 3 s the offsets not yet committed are simply
   * delivered again after the restart, which the idempotent handlers absorb.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await boundedStep(`consumer group ${this.opts.group}: leaving`, server?.close(), 3_000);
  }
}

/** A class of a bounded context that declares what it consumes. */
export interface TopicHandlerSource {
  handlers(): TopicHandler[];
}
