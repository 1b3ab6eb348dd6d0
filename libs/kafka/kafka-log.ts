import { Logger } from '@nestjs/common';
import { Kafka, logCreator, LogEntry, logLevel } from 'kafkajs';

/** What kafkajs logs while it cannot reach the broker (down, restarting, slow to come up). */
const CONNECTION =
  /Connection (error|timeout)|connect ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Failed to connect|Closed connection|socket hang up|KafkaJSConnection|Broker not connected|KafkaJSNumberOfRetriesExceeded|Restarting the consumer/i;

/**
 * Error answers kafkajs retries on its own: a topic just created whose metadata has not reached the
 * broker yet, leaders or group coordinators moving, groups rebalancing while members join. Logged
 * at debug; an error that outlasts its retries reaches the caller, which reports it.
 */
const TRANSIENT =
  /does not host this topic-partition|no leader for this topic-partition|not the leader for that topic-partition|coordinator is not available|not the correct coordinator|coordinator is loading|group is rebalancing|leader is not available/i;

/** Bounded producer retries are deliberate: the outbox retries a failed publish and every consumer is idempotent. */
const IGNORED = /^Limiting retries for the idempotent producer/;

export interface BrokerProbe {
  /** True when a broker of the list answers (speaks Kafka). */
  (brokers: string[]): Promise<boolean>;
}

/** True when a broker of the list answers the Kafka protocol within a few seconds (one try, silent). */
export const brokerAnswers: BrokerProbe = async (brokers) => {
  const admin = new Kafka({
    clientId: 'broker-probe',
    brokers,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

/**
 * One state per broker list, shared by every kafkajs client of the process (each consumer group,
 * the producer, admin calls), so a broker that goes away is reported once, not once per client and
 * retry: "waiting for Kafka at …", then "Kafka at … answers again" when a probe reaches it.
 *
 * With a list of several brokers (a cluster) an error naming one broker is that broker's alone: it
 * is reported once as not answering and probed on its own until it does, while the clients go on
 * with the others; a probe of the whole list would answer at once and the next error to the dead
 * broker say "waiting" again, two lines every few seconds for as long as it is down. Only when
 * every broker of the list is away does the whole-list wait begin.
 */
export class KafkaConnectivity {
  private waiting = false;
  private timer?: NodeJS.Timeout;
  /**
   * Brokers that do not answer while the list has several (a broker may be named by the address it
   * advertises, not in the list), each with its probe's timer.
   */
  private readonly away = new Map<string, NodeJS.Timeout | undefined>();

  constructor(
    private readonly brokers: string[],
    private readonly probe: BrokerProbe,
    private readonly logger: Pick<Logger, 'warn' | 'log'> = new Logger('kafka'),
    private readonly probeEveryMs = 2_000,
  ) {}

  get isWaiting(): boolean {
    return this.waiting;
  }

  /** The broker of this list that a log line names, if any. */
  brokerNamedIn(text: string): string | undefined {
    return this.brokers.find((b) => text.includes(b));
  }

  /**
   * A connection error, naming the broker it is about when it is known: the first one while
   * connected says so; the rest are already said.
   */
  lost(detail: string, broker?: string): void {
    if (this.waiting) return;
    if (broker && this.brokers.length > 1) {
      if (this.away.has(broker)) return;
      this.away.set(broker, undefined);
      if (!this.brokers.every((b) => this.away.has(b))) {
        this.logger.warn(
          `Kafka broker ${broker} does not answer (${detail}); the clients go on with the other brokers of ${this.brokers.join(',')} and retry it`,
        );
        return this.scheduleBroker(broker);
      }
      // None of them answers: the whole list is waited for, and each broker's own probe stops.
      this.stopBrokerProbes();
    }
    this.waiting = true;
    this.logger.warn(
      `waiting for Kafka at ${this.brokers.join(',')} (${detail}); the services retry on their own and resume when it answers`,
    );
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.probe(this.brokers).then((up) => {
        if (!this.waiting) return;
        if (!up) return this.schedule();
        this.waiting = false;
        this.timer = undefined;
        this.logger.log(`Kafka at ${this.brokers.join(',')} answers again`);
      });
    }, this.probeEveryMs);
    // Waiting for the broker never keeps a stopping process alive.
    this.timer.unref();
  }

  private scheduleBroker(broker: string): void {
    const timer = setTimeout(() => {
      void this.probe([broker]).then((up) => {
        if (!this.away.has(broker)) return;
        if (!up) return this.scheduleBroker(broker);
        this.away.delete(broker);
        this.logger.log(`Kafka broker ${broker} answers again`);
      });
    }, this.probeEveryMs);
    timer.unref();
    this.away.set(broker, timer);
  }

  private stopBrokerProbes(): void {
    for (const t of this.away.values()) clearTimeout(t);
    this.away.clear();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.stopBrokerProbes();
    this.waiting = false;
  }
}

const shared = new Map<string, KafkaConnectivity>();

/** The process-wide connectivity state of a broker list. */
export function connectivityOf(brokers: string[], probe: BrokerProbe = brokerAnswers): KafkaConnectivity {
  const key = brokers.join(',');
  let c = shared.get(key);
  if (!c) shared.set(key, (c = new KafkaConnectivity(brokers, probe)));
  return c;
}

function errorText(log: LogEntry['log']): string {
  const e = (log as { error?: unknown }).error;
  return `${log.message} ${typeof e === 'string' ? e : e instanceof Error ? e.message : ''}`;
}

/**
 * The kafkajs logCreator of every client: connection errors collapse into the connectivity state's
 * one line, errors kafkajs retries by itself go to debug, the rest are logged as warnings and errors.
 */
export function kafkaLogCreator(connectivity: KafkaConnectivity, logger = new Logger('kafkajs')): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      if (IGNORED.test(message)) return;
      const text = errorText(log);
      const line = `${namespace ? `[${namespace}] ` : ''}${message} ${JSON.stringify(extra)}`;
      if (level <= logLevel.WARN && CONNECTION.test(text)) {
        const { error, broker } = extra as { error?: unknown; broker?: unknown };
        const named = typeof broker === 'string' ? broker : connectivity.brokerNamedIn(text);
        connectivity.lost(typeof error === 'string' ? error : message, named);
        return logger.debug(line);
      }
      if (connectivity.isWaiting || TRANSIENT.test(text) || level > logLevel.WARN) return logger.debug(line);
      if (level <= logLevel.ERROR) logger.error(line);
      else logger.warn(line);
    };
}
