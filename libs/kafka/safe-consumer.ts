import { Logger } from '@nestjs/common';
import { backOff } from 'exponential-backoff';
import { IHeaders } from 'kafkajs';
import { ContractName, deadLetterId, dlqName } from '../../contracts/topics';
import { validateContract } from '../../contracts/validate';
import { withMessageContext } from '../observability/context';
import { observeDeadLetter } from '../observability/metrics';

/** What a handler knows about the message besides its value. */
export interface MessageMeta {
  /** Topic name without the prefix. */
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

/** One consumer of one topic: the value arrives decoded and validated against the topic's contract. */
export interface TopicHandler<T = unknown> {
  topic: string;
  contract: ContractName;
  handle(value: T, meta: MessageMeta): Promise<void>;
  /**
   * Messages of different keys of one fetched batch handled at once (default 1: one after the
   * other, as the partition orders them). Messages of the same key always run one after the other,
   * in partition order. A handler whose writes are group-committed sets this high, so the messages
   * of a batch share a few transactions instead of waiting for one commit each.
   */
  keyConcurrency?: number;
}

/**
 * Thrown by a handler for a message that can never succeed (a business rule it breaks, e.g. a level
 * the signal does not allow). It goes to the DLQ at once, with this reason, without retries.
 */
export class RejectMessage extends Error {
  constructor(
    reason: string,
    readonly details: string[] = [],
  ) {
    super(reason);
    this.name = 'RejectMessage';
  }
}

export interface RetryPolicy {
  /** Total tries of a handler (first try included) before the message goes to the DLQ. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 5_000 };

export interface RawMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, unknown>;
  offset: string;
  timestamp: string;
}

export type DlqSender = (
  dlqTopic: string,
  message: { key: Buffer | string | null; value: Buffer | string | null; headers: IHeaders },
) => Promise<void>;

export type Outcome =
  { kind: 'handled'; attempts: number } | { kind: 'dead-lettered'; reason: string; attempts: number };

function headerString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * The one piece of code every service uses to consume a Kafka message safely (invariant 3):
 * decode → validate against the contract → run the handler with bounded retries and backoff →
 * on a permanent failure or exhausted retries, publish the original bytes and headers to `<topic>.dlq`
 * with the reason, the group and the bad message's id (x-dlq-id: topic, partition, offset; several
 * groups reading one topic each dead-letter it under the same id), and return, so the partition moves on. If even the DLQ cannot be written, it
 * throws: the offset is not committed and Kafka delivers the message again.
 */
export class SafeConsumer {
  private readonly logger = new Logger(SafeConsumer.name);

  constructor(
    private readonly sendToDlq: DlqSender,
    private readonly groupId: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async process<T>(
    handler: TopicHandler<T>,
    prefixedTopic: string,
    partition: number,
    raw: RawMessage,
  ): Promise<Outcome> {
    const headers = Object.fromEntries(
      Object.entries(raw.headers ?? {}).map(([k, v]) => [k, headerString(v)]),
    );
    const meta: MessageMeta = {
      topic: handler.topic,
      partition,
      offset: raw.offset,
      key: raw.key === null ? null : headerString(raw.key),
      headers,
      timestamp: raw.timestamp,
    };
    const decoded = this.decode(handler.contract, raw.value);
    if (!decoded.ok)
      return this.deadLetter(handler.topic, prefixedTopic, partition, raw, headers, decoded.reason, 0);
    return withMessageContext(handler.topic, headers, decoded.value, () =>
      this.handleDecoded(handler, prefixedTopic, partition, raw, meta, decoded.value as T),
    );
  }

  private async handleDecoded<T>(
    handler: TopicHandler<T>,
    prefixedTopic: string,
    partition: number,
    raw: RawMessage,
    meta: MessageMeta,
    value: T,
  ): Promise<Outcome> {
    const headers = meta.headers;
    let attempts = 0;
    try {
      await backOff(
        async () => {
          attempts += 1;
          await handler.handle(value, meta);
        },
        {
          numOfAttempts: this.retry.attempts,
          startingDelay: this.retry.initialDelayMs,
          maxDelay: this.retry.maxDelayMs,
          timeMultiple: 2,
          jitter: 'full',
          retry: (e: unknown) => {
            if (e instanceof RejectMessage) return false;
            this.logger.warn(
              `${handler.topic}@${partition}:${raw.offset} try ${attempts} failed: ${(e as Error).message}`,
            );
            return true;
          },
        },
      );
      return { kind: 'handled', attempts };
    } catch (e) {
      const reason =
        e instanceof RejectMessage
          ? [`rejected: ${e.message}`, ...e.details].join('; ')
          : `handler failed after ${attempts} tries: ${(e as Error).message}`;
      return this.deadLetter(handler.topic, prefixedTopic, partition, raw, headers, reason, attempts);
    }
  }

  private decode(
    contract: ContractName,
    value: Buffer | string | null,
  ): { ok: true; value: unknown } | { ok: false; reason: string } {
    // 'raw' (the audit's reading of dead letters): any bytes, even none, exactly as they are.
    if (contract === 'raw')
      return { ok: true, value: value === null || Buffer.isBuffer(value) ? value : Buffer.from(value) };
    if (value === null) return { ok: false, reason: 'empty message (null value)' };
    const text = Buffer.isBuffer(value) ? value.toString('utf8') : value;
    if (contract === 'cap-xml')
      return { ok: true, value: Buffer.isBuffer(value) ? value : Buffer.from(value) };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return { ok: false, reason: `not JSON: ${(e as Error).message}` };
    }
    const version = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (parsed && typeof parsed === 'object' && version !== undefined && version !== 1) {
      return {
        ok: false,
        reason: `unsupported schemaVersion ${JSON.stringify(version)} for contract ${contract} (this service reads 1)`,
      };
    }
    const v = validateContract(contract, parsed);
    if (!v.ok) return { ok: false, reason: `schema ${contract}: ${v.errors.join('; ')}` };
    return { ok: true, value: v.value };
  }

  private async deadLetter(
    /** The topic without its prefix (the metrics' label). */
    topic: string,
    prefixedTopic: string,
    partition: number,
    raw: RawMessage,
    headers: Record<string, string>,
    reason: string,
    attempts: number,
  ): Promise<Outcome> {
    this.logger.error(`dead-lettering ${prefixedTopic}@${partition}:${raw.offset}: ${reason}`);
    observeDeadLetter(topic, reason);
    await this.sendToDlq(dlqName(prefixedTopic), {
      key: raw.key,
      value: raw.value,
      headers: {
        ...headers,
        'x-dlq-reason': reason.slice(0, 8000),
        'x-dlq-topic': prefixedTopic,
        'x-dlq-partition': String(partition),
        'x-dlq-offset': raw.offset,
        'x-dlq-id': deadLetterId(prefixedTopic, partition, raw.offset),
        'x-dlq-group': this.groupId,
        'x-dlq-attempts': String(attempts),
        'x-dlq-at': new Date().toISOString(),
      },
    });
    return { kind: 'dead-lettered', reason, attempts };
  }
}
