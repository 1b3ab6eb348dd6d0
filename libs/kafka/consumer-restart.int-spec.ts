import { Consumer, KafkaJSNonRetriableError, Producer } from 'kafkajs';
import { kafkaBrokers, uniqueId, waitFor } from '../../test/support/infra';
import { createKafka } from './kafka-client';
import { restartAfterFatalCrash } from './consumer-restart';

/**
 * A kafkajs consumer that crashes on an error kafkajs deems not retriable stops for good (it
 * disconnects and never restarts). On the real broker: such a crash, then the consumer running and
 * consuming again through restartAfterFatalCrash, and without it, staying stopped.
 */
describe('a consumer stopped by a non-retriable crash', () => {
  const kafka = createKafka(kafkaBrokers(), 'consumer-restart-test');
  let producer: Producer;
  const consumers: Consumer[] = [];
  let running = true;

  beforeAll(async () => {
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    running = false;
    await Promise.all(consumers.map((c) => c.disconnect()));
    await producer.disconnect();
  });

  /** A topic with one message, and a consumer of it whose first batch throws a non-retriable error. */
  const crashingOnce = async (restart: boolean) => {
    const topic = uniqueId('restart');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
    const consumer = kafka.consumer({ groupId: uniqueId('restart-group'), maxWaitTimeInMs: 200 });
    consumers.push(consumer);
    const seen = { batches: 0, consumed: 0, crashes: 0, stops: 0, toldStopped: 0 };
    consumer.on(consumer.events.CRASH, () => (seen.crashes += 1));
    consumer.on(consumer.events.STOP, () => (seen.stops += 1));
    const run = () =>
      consumer.run({
        eachBatch: async ({ batch }) => {
          seen.batches += 1;
          if (seen.batches === 1) throw new KafkaJSNonRetriableError('a batch that cannot ever be handled');
          seen.consumed += batch.messages.length;
        },
      });
    if (restart)
      restartAfterFatalCrash(consumer, {
        group: 'restart-test',
        run,
        running: () => running,
        initialDelayMs: 100,
        logger: { warn: () => undefined, log: () => undefined },
        onStopped: () => (seen.toldStopped += 1),
      });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await run();
    return seen;
  };

  it('is started again and consumes what it had not', async () => {
    const seen = await crashingOnce(true);
    await waitFor(() => seen.consumed === 1, 'the message consumed after the restart', 30_000);
    expect(seen.crashes).toBe(1);
    expect(seen.toldStopped).toBe(1);
  }, 60_000);

  it('without it, kafkajs leaves the consumer stopped', async () => {
    const seen = await crashingOnce(false);
    await waitFor(() => seen.crashes === 1, 'the crash', 30_000);
    // Long enough for kafkajs' own restart (its retry starts at 300 ms) had it made one.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(seen.consumed).toBe(0);
    expect(seen.batches).toBe(1);
  }, 60_000);
});
