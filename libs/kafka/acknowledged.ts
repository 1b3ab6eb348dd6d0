import { ICustomPartitioner, Message, Partitioners, RecordMetadata } from 'kafkajs';

/**
 * Proof that a produce request was acknowledged for every partition it wrote to.
 *
 * kafkajs (2.2.4, issue #1303) can resolve a send without writing some of its messages: a send
 * spanning several brokers remembers which brokers have answered, and when one broker fails (a
 * broker killed) and its partitions' leadership moves to a broker that already answered, the retry
 * sends nothing for them and the send resolves as if all was written. Those messages are lost, and
 * the outbox, told they were published, has deleted them.
 *
 * So the producer's partitioner records the partitions each message was given (kafkajs partitions
 * every message again on each retry), and after the send every message's partition must be among
 * the acknowledged ones. A message given two partitions over the retries (a message without a key
 * goes to any partition with a leader) cannot be told apart from its neighbours, so it counts as not
 * acknowledged. A send that fails this check is an error: the outbox publishes the batch again,
 * and the consumers, idempotent, absorb the copies of what did arrive.
 */
export class PartitionTracker {
  private readonly given = new WeakMap<Message, Set<number>>();

  /** kafkajs' default partitioner, recording what it gives each message. */
  readonly partitioner: ICustomPartitioner = () => {
    const inner = Partitioners.DefaultPartitioner();
    return (args) => {
      const partition = inner(args);
      const seen = this.given.get(args.message);
      if (seen) seen.add(partition);
      else this.given.set(args.message, new Set([partition]));
      return partition;
    };
  };

  /** The partitions a message was given during its send; undefined when it went through no partitioner. */
  partitionsOf(message: Message): ReadonlySet<number> | undefined {
    if (message.partition !== undefined) return new Set([message.partition]);
    return this.given.get(message);
  }
}

export interface NotAcknowledged {
  topic: string;
  /** Messages of the topic not proven written. */
  messages: number;
  /** The partitions they were given, in order. */
  partitions: number[];
}

/**
 * The messages of a send that its answer does not cover, per topic: a message is covered when it
 * was given exactly one partition and the answer acknowledges that partition without an error.
 */
export function notAcknowledged(
  sent: { topic: string; messages: Message[] }[],
  answer: RecordMetadata[],
  partitionsOf: (m: Message) => ReadonlySet<number> | undefined,
): NotAcknowledged[] {
  const acked = new Set(
    answer.filter((r) => r.errorCode === 0).map((r) => `${r.topicName}\u0000${r.partition}`),
  );
  const out: NotAcknowledged[] = [];
  for (const { topic, messages } of sent) {
    let count = 0;
    const partitions = new Set<number>();
    for (const m of messages) {
      const given = partitionsOf(m);
      const one = given?.size === 1 ? [...given][0] : undefined;
      if (one !== undefined && acked.has(`${topic}\u0000${one}`)) continue;
      count++;
      for (const p of given ?? []) partitions.add(p);
    }
    if (count) out.push({ topic, messages: count, partitions: [...partitions].sort((a, b) => a - b) });
  }
  return out;
}

/** A send kafkajs resolved without acknowledging all of it: nothing about it may be taken as published. */
export class PublishNotAcknowledgedError extends Error {
  constructor(readonly missing: NotAcknowledged[]) {
    super(
      `the broker's answer does not cover ${missing
        .map(
          (x) => `${x.messages} message(s) of ${x.topic} (partitions ${x.partitions.join(', ') || 'none'})`,
        )
        .join('; ')}; publishing again`,
    );
    this.name = 'PublishNotAcknowledgedError';
  }
}
