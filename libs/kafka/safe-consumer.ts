import { Logger } from '@nestjs/common';
import { backOff } from 'exponential-backoff';
import { IHeaders } from 'kafkajs';
import { ContractName, ContractPayload, deadLetterId, dlqName, TopicSpecOf } from '../../contracts/topics';
import { validateContract } from '../../contracts/validate';
import { DomainError, RejectedInput } from '../common/domain-errors';
import { isConnectionError } from '../db/db';
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

/**
 * One consumer of one topic of contract C: the value arrives decoded and validated against the
 * contract, typed by it (contracts/topics.ts ContractPayloads).
 */
export interface ContractHandler<C extends ContractName> {
  topic: string;
  contract: C;
  handle(value: ContractPayload<C>, meta: MessageMeta): Promise<void>;
  /**
   * Messages of different keys of one fetched batch handled at once (default 1: one after the
   * other, as the partition orders them). Messages of the same key always run one after the other,
   * in partition order. A handler whose writes are group-committed sets this high, so the messages
   * of a batch share a few transactions instead of waiting for one commit each.
   */
  keyConcurrency?: number;
}

/** A handler of any topic: the registry's element, each one typed by its own contract. */
export type TopicHandler = { [C in ContractName]: ContractHandler<C> }[ContractName];

/**
 * A handler of one topic, its value typed by the topic's contract:
 * `onTopic(TOPICS.calloutsStatus, (s) => …)` hands `s` over as a CalloutStatus.
 */
export function onTopic<C extends ContractName>(
  spec: TopicSpecOf<C>,
  handle: (value: ContractPayload<C>, meta: MessageMeta) => Promise<void>,
  options: { keyConcurrency?: number } = {},
): ContractHandler<C> {
  return { topic: spec.name, contract: spec.contract, handle, ...options };
}

/**
 * Thrown by a handler for a message that can never succeed (a business rule it breaks, e.g. a level
 * the signal does not allow). It goes to the DLQ at once, with this reason, without retries, as does
 * every DomainError a handler's domain code throws (libs/common/domain-errors.ts): domain code throws
 * those, this name is for the Kafka handlers themselves.
 */
export class RejectMessage extends RejectedInput {}

/** A handler's error that no retry can change: the message goes to the DLQ at once. */
const isPermanent = (e: unknown): e is DomainError => e instanceof DomainError;

export interface RetryPolicy {
  /** Total tries of a handler (first try included) before the message goes to the DLQ. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Pause between two tries while the database is unreachable (default OUTAGE_RETRY_MS). */
  outageDelayMs?: number;
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
  | { kind: 'handled'; attempts: number }
  | { kind: 'dead-lettered'; reason: string; attempts: number }
  /** The consumer stopped (or lost the partition) while the database was away: not done, offset not to be committed. */
  | { kind: 'interrupted'; reason: string; attempts: number };

/** What the consumer loop lends a message held through a database outage. */
export interface ProcessControl {
  /** False once the consumer is stopping or its partition was taken away: the wait ends, the message stays uncommitted. */
  keepWaiting(): boolean;
  /** Keeps the group membership alive during the wait. */
  heartbeat(): Promise<void>;
}

const ALWAYS_WAIT: ProcessControl = { keepWaiting: () => true, heartbeat: async () => undefined };

/** Pause between two tries of a message while the database is unreachable. */
export const OUTAGE_RETRY_MS = 1_000;
/** How often a message held through an outage says so in the log. */
const OUTAGE_LOG_EVERY_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
 *
 * A database that is unreachable (a restart, a crash, a failover) is no fault of the message: every
 * message would fail the same way, and dead-lettering them would drop state changes (the ledger
 * missing events, a status never applied). Such a message is held and tried again every
 * OUTAGE_RETRY_MS, however long the outage lasts, its tries not counted against the retry budget;
 * the partition waits with it, as it must to keep its order.
 */
export class SafeConsumer {
  private readonly logger = new Logger(SafeConsumer.name);

  constructor(
    private readonly sendToDlq: DlqSender,
    private readonly groupId: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async process<C extends ContractName>(
    handler: ContractHandler<C>,
    prefixedTopic: string,
    partition: number,
    raw: RawMessage,
    control: ProcessControl = ALWAYS_WAIT,
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
      this.handleDecoded(
        handler,
        prefixedTopic,
        partition,
        raw,
        meta,
        // decode() checked the value against the handler's contract: it is that contract's payload.
        decoded.value as ContractPayload<C>,
        control,
      ),
    );
  }

  /** The handler's tries for a decoded message; a database outage is waited out (control says how long). */
  private async handleDecoded<C extends ContractName>(
    handler: ContractHandler<C>,
    prefixedTopic: string,
    partition: number,
    raw: RawMessage,
    meta: MessageMeta,
    value: ContractPayload<C>,
    control: ProcessControl,
  ): Promise<Outcome> {
    const headers = meta.headers;
    const where = `${handler.topic}@${partition}:${raw.offset}`;
    let attempts = 0;
    let outageSince = 0;
    let outageLoggedAt = 0;
    for (;;) {
      try {
        await this.withRetries(where, () => {
          attempts += 1;
          return handler.handle(value, meta);
        });
        if (outageSince)
          this.logger.warn(`${where} handled after the database came back (${this.since(outageSince)})`);
        return { kind: 'handled', attempts };
      } catch (e) {
        if (!isConnectionError(e)) {
          const reason = isPermanent(e)
            ? [`rejected: ${e.message}`, ...e.details].join('; ')
            : `handler failed after ${attempts} tries: ${(e as Error).message}`;
          return this.deadLetter(handler.topic, prefixedTopic, partition, raw, headers, reason, attempts);
        }
        const now = Date.now();
        outageSince ||= now;
        if (!control.keepWaiting()) {
          const reason = `database unreachable (${(e as Error).message}); left for redelivery`;
          this.logger.warn(`${where}: ${reason}`);
          return { kind: 'interrupted', reason, attempts };
        }
        if (now - outageLoggedAt >= OUTAGE_LOG_EVERY_MS) {
          outageLoggedAt = now;
          this.logger.warn(
            `${where}: database unreachable (${(e as Error).message}) for ${this.since(outageSince)}; holding the message until it answers`,
          );
        }
        await control.heartbeat().catch(() => undefined);
        await sleep(this.retry.outageDelayMs ?? OUTAGE_RETRY_MS);
      }
    }
  }

  private since(t: number): string {
    return `${((Date.now() - t) / 1000).toFixed(1)} s`;
  }

  /**
   * The handler with bounded retries and backoff. A rejection, or the database unreachable, ends the
   * tries at once: the first goes to the DLQ, the second is waited out by the caller.
   */
  private withRetries(where: string, handle: () => Promise<void>): Promise<void> {
    let tries = 0;
    return backOff(
      async () => {
        tries += 1;
        await handle();
      },
      {
        numOfAttempts: this.retry.attempts,
        startingDelay: this.retry.initialDelayMs,
        maxDelay: this.retry.maxDelayMs,
        timeMultiple: 2,
        jitter: 'full',
        retry: (e: unknown) => {
          if (isPermanent(e) || isConnectionError(e)) return false;
          this.logger.warn(`${where} try ${tries} failed: ${(e as Error).message}`);
          return true;
        },
      },
    );
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
