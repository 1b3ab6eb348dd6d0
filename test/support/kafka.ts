import { Kafka } from 'kafkajs';
import { uniqueId, waitFor } from './infra';

export interface ReadMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * Reads a topic from its beginning (a reader group of its own) until `count` messages (those that
 * `which` accepts, when given) have arrived; returns those.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  which: (m: ReadMessage) => boolean = () => true,
) {
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  const got: ReadMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const m = {
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      };
      if (which(m)) got.push(m);
    },
  });
  await waitFor(() => got.length >= count, `${count} messages on ${topic}`, 30_000);
  await consumer.disconnect();
  return got;
}

/**
 * Collects the JSON messages of a topic as they arrive (read from its beginning by a group of its
 * own) into `all`, until `stop()`.
 */
export async function collectJson<T>(
  kafka: Kafka,
  topic: string,
): Promise<{ all: T[]; stop(): Promise<void> }> {
  const all: T[] = [];
  const consumer = kafka.consumer({ groupId: uniqueId('collector') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => void all.push(JSON.parse(message.value!.toString())),
  });
  return { all, stop: () => consumer.disconnect() };
}
