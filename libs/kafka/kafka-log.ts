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
 */
export class KafkaConnectivity {
  private waiting = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly brokers: string[],
    private readonly probe: BrokerProbe,
    private readonly logger: Pick<Logger, 'warn' | 'log'> = new Logger('kafka'),
    private readonly probeEveryMs = 2_000,
  ) {}

  get isWaiting(): boolean {
    return this.waiting;
  }

  /** A connection error: the first one while connected says so; the rest are already said. */
  lost(detail: string): void {
    if (this.waiting) return;
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

  stop(): void {
    clearTimeout(this.timer);
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
        const error = (extra as { error?: unknown }).error;
        connectivity.lost(typeof error === 'string' ? error : message);
        return logger.debug(line);
      }
      if (connectivity.isWaiting || TRANSIENT.test(text) || level > logLevel.WARN) return logger.debug(line);
      if (level <= logLevel.ERROR) logger.error(line);
      else logger.warn(line);
    };
}
