import { Logger } from '@nestjs/common';

/** Signal to exit stays under this: `docker stop` waits 10 s before it kills, Kubernetes 30 s. */
export const SHUTDOWN_DEADLINE_MS = 9_000;

/**
 * Resolves with `work`, or after `ms` without it: one step of a shutdown must not hold the rest up
 * when the broker or the database it needs is already gone. What it leaves undone is durable
 * (outbox rows, queued or 'sending' attempts, uncommitted offsets) and picked up at the next start.
 */
export async function boundedStep(
  what: string,
  work: Promise<unknown> | undefined,
  ms: number,
): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const r = await Promise.race([work.then(() => 'done' as const), timedOut]);
    if (r === 'timeout')
      new Logger('Shutdown').warn(`${what}: not done after ${ms} ms, left for the next start`);
  } catch (e) {
    new Logger('Shutdown').warn(`${what}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * SIGTERM and SIGINT run `close` once and exit: 0 when it finished, 1 when it failed or did not
 * finish within `deadlineMs` (the process then exits anyway, so a hung client cannot keep it alive).
 * A second signal exits at once.
 */
export function exitOnSignals(
  title: string,
  close: () => Promise<unknown>,
  deadlineMs = SHUTDOWN_DEADLINE_MS,
): void {
  const logger = new Logger(title);
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    closing = true;
    logger.log(`${signal}: stopping (consumers first, then what is in flight; at most ${deadlineMs} ms)`);
    const started = Date.now();
    const deadline = setTimeout(() => {
      logger.error(`still stopping after ${deadlineMs} ms: exiting now`);
      process.exit(1);
    }, deadlineMs);
    close().then(
      () => {
        clearTimeout(deadline);
        logger.log(`stopped in ${Date.now() - started} ms`);
        process.exit(0);
      },
      (e: Error) => {
        clearTimeout(deadline);
        logger.error(`stopping failed: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
