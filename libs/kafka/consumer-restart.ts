import { Logger } from '@nestjs/common';
import type { Consumer, ConsumerCrashEvent } from 'kafkajs';

/** The part of a kafkajs consumer the restart needs. */
export type RestartableConsumer = Pick<Consumer, 'on' | 'connect' | 'events'>;

export interface CrashRestartOptions {
  /** Consumer group, for the log lines. */
  group: string;
  /** Joins the group and consumes again (consumer.run with the same handlers). */
  run: () => Promise<void>;
  /** False once the service is stopping: no restart then. */
  running: () => boolean;
  /** First wait before a restart (1 s), doubled after each failed one up to maxDelayMs (30 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  logger?: Pick<Logger, 'warn' | 'log'>;
  /** Told when such a crash stopped the consumer (the service's readiness then waits for its join). */
  onStopped?: () => void;
}

/**
 * kafkajs restarts a crashed consumer only when the error is retriable; after any other (e.g.
 * KafkaJSGroupCoordinatorNotFound, thrown when the group coordinator stayed unavailable past the
 * client's retries: a broker that has just started or restarted and is still loading its offsets)
 * it disconnects and stays stopped, while the process lives on and consumes nothing. Seen in the
 * small fault suite on a loaded machine: the audit service never joined its group.
 * This starts such a consumer again, with backoff, until it runs or the service stops.
 * The wait is a timer of its own, not exponential-backoff's: that library's waits can be neither
 * cancelled nor unref'd, so a service stopping during one (up to 30 s) would not exit until it ends.
 */
export function restartAfterFatalCrash(consumer: RestartableConsumer, opts: CrashRestartOptions): void {
  const logger = opts.logger ?? new Logger(`ConsumerHost:${opts.group}`);
  const first = opts.initialDelayMs ?? 1_000;
  const max = opts.maxDelayMs ?? 30_000;
  let delay = first;
  let timer: NodeJS.Timeout | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    delay = first;
  });
  const attempt = async () => {
    timer = undefined;
    if (!opts.running()) return;
    try {
      await consumer.connect();
      await opts.run();
      logger.log(`consumer group ${opts.group}: started again after its crash`);
    } catch (e) {
      delay = Math.min(delay * 2, max);
      logger.warn(
        `consumer group ${opts.group}: starting again failed (${(e as Error).message}); next try in ${delay} ms`,
      );
      schedule();
    }
  };
  const schedule = () => {
    if (timer || !opts.running()) return;
    timer = setTimeout(() => void attempt(), delay);
    timer.unref();
  };
  consumer.on(consumer.events.CRASH, (event: ConsumerCrashEvent) => {
    if (event.payload.restart) return; // kafkajs restarts it itself
    opts.onStopped?.();
    logger.warn(
      `consumer group ${opts.group} stopped after ${event.payload.error.name}: ${event.payload.error.message}; ` +
        `starting it again in ${delay} ms`,
    );
    schedule();
  });
}
