import { Message, PartitionMetadata, RecordMetadata } from 'kafkajs';
import { notAcknowledged, PartitionTracker, PublishNotAcknowledgedError } from './acknowledged';

const TOPIC = 'callouts.events';
/** Six partitions led by brokers 1, 2 and 3 in turn, as on the 3-broker cluster. */
const six = (leaders = [1, 2, 3, 1, 2, 3]): PartitionMetadata[] =>
  leaders.map((leader, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
  }));

const ack = (partition: number, errorCode = 0): RecordMetadata => ({
  topicName: TOPIC,
  partition,
  errorCode,
});

/** A producer's partitioner: kafkajs makes one per producer. */
type Partition = ReturnType<PartitionTracker['partitioner']>;

/** Partitions the messages as kafkajs does on each attempt of a send: every message, in order. */
function attempt(partition: Partition, messages: Message[], meta = six()) {
  return messages.map((message) => partition({ topic: TOPIC, partitionMetadata: meta, message }));
}

describe('notAcknowledged', () => {
  const keyed = (n: number): Message[] =>
    Array.from({ length: n }, (_, i) => ({ key: `c${i}`, value: '{}' }));

  it('passes a send whose answer acknowledges every partition its messages went to', () => {
    const tracker = new PartitionTracker();
    const partition = tracker.partitioner();
    const messages = keyed(40);
    const used = [...new Set(attempt(partition, messages))];
    expect(used.length).toBeGreaterThan(1);
    expect(
      notAcknowledged(
        [{ topic: TOPIC, messages }],
        used.map((p) => ack(p)),
        (m) => tracker.partitionsOf(m),
      ),
    ).toEqual([]);
  });

  it("finds the messages of a partition the answer leaves out (the partitions of a killed broker's)", () => {
    const tracker = new PartitionTracker();
    const partition = tracker.partitioner();
    const messages = keyed(40);
    const given = attempt(partition, messages);
    // A retry after the leadership moved partitions the messages again, to the same partitions.
    attempt(partition, messages, six([2, 2, 3, 2, 2, 3]));
    // Brokers 2 and 3 answered the first attempt; broker 1's partitions 0 and 3 are in no answer.
    const answer = [1, 2, 4, 5].map((p) => ack(p));
    const lost = given.filter((p) => p === 0 || p === 3).length;
    expect(lost).toBeGreaterThan(0);
    expect(notAcknowledged([{ topic: TOPIC, messages }], answer, (m) => tracker.partitionsOf(m))).toEqual([
      { topic: TOPIC, messages: lost, partitions: [0, 3] },
    ]);
  });

  it('counts a partition answered with an error as not acknowledged', () => {
    const tracker = new PartitionTracker();
    const partition = tracker.partitioner();
    const messages = keyed(12);
    const used = [...new Set(attempt(partition, messages))];
    const answer = used.map((p, i) => ack(p, i === 0 ? 6 : 0));
    const missing = notAcknowledged([{ topic: TOPIC, messages }], answer, (m) => tracker.partitionsOf(m));
    expect(missing).toHaveLength(1);
    expect(missing[0].partitions).toEqual([used[0]]);
  });

  it('counts a message without a key that went to another partition on a retry as not acknowledged', () => {
    const tracker = new PartitionTracker();
    const partition = tracker.partitioner();
    const messages: Message[] = [{ key: null, value: 'a' }];
    // Without a key the partition is chosen round the partitions: the two attempts differ.
    const [first] = attempt(partition, messages);
    const [second] = attempt(partition, messages);
    expect(second).not.toBe(first);
    const answer = [0, 1, 2, 3, 4, 5].map((p) => ack(p));
    expect(notAcknowledged([{ topic: TOPIC, messages }], answer, (m) => tracker.partitionsOf(m))).toEqual([
      { topic: TOPIC, messages: 1, partitions: [first, second].sort((a, b) => a - b) },
    ]);
  });

  it('takes a message given its partition by the sender at its word', () => {
    const tracker = new PartitionTracker();
    const messages: Message[] = [{ key: 'x', value: 'a', partition: 4 }];
    expect(notAcknowledged([{ topic: TOPIC, messages }], [ack(4)], (m) => tracker.partitionsOf(m))).toEqual(
      [],
    );
    expect(
      notAcknowledged([{ topic: TOPIC, messages }], [ack(5)], (m) => tracker.partitionsOf(m)),
    ).toHaveLength(1);
  });

  it('names what is missing in its error', () => {
    const e = new PublishNotAcknowledgedError([{ topic: TOPIC, messages: 3, partitions: [0, 3] }]);
    expect(e.message).toBe(
      "the broker's answer does not cover 3 message(s) of callouts.events (partitions 0, 3); publishing again",
    );
  });
});
