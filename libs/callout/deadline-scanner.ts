import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock, systemClock } from '../common/clock';
import { Db } from '../db/db';
import { PassOutcome, Poller } from '../infra/poller';
import { CLOCK, DB } from '../infra/tokens';
import { DeadlineRepository, DueDeadline } from './deadline.repository';
import { observeDeadlinesFired } from '../observability/metrics';
import { TrackerService } from './tracker.service';

export interface DeadlineScannerOptions {
  /** How many ladders are read at once before a pass fires (PostgreSQL; PGlite serialises anyway). */
  concurrency?: number;
  /** Time between passes. */
  intervalMs?: number;
}

/** Options of the DeadlineScanner (DeadlineScannerOptions); defaults when not provided. */
export const DEADLINE_SCANNER_OPTIONS = Symbol('DEADLINE_SCANNER_OPTIONS');

/** Settled warnings are looked for this often besides the close check after each firing. */
const SWEEP_EVERY_MS = 5_000;

/**
 * Fires due deadlines (invariant 4). Deadlines are rows; each is claimed with FOR UPDATE SKIP LOCKED
 * inside the transaction that acts on it and marked fired there, so a restart loses none and two
 * tracker replicas never fire the same one. Runs on a Poller from bootstrap to shutdown.
 */
@Injectable()
export class DeadlineScanner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeadlineScanner.name);
  readonly instance = `tracker-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly concurrency: number;
  private readonly loop: Poller;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly tracker: TrackerService,
    private readonly deadlines: DeadlineRepository,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
    @Optional() @Inject(DEADLINE_SCANNER_OPTIONS) options: DeadlineScannerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 32;
    this.loop = new Poller(() => this.pass(), {
      name: 'DeadlineScanner',
      intervalMs: options.intervalMs ?? 250,
      logger: { warn: (m) => this.logger.error(m) },
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** Fires everything due, and now and then closes the warnings that have settled. */
  private async pass(): Promise<PassOutcome> {
    while (!this.stopped && (await this.scanOnce()) > 0);
    const now = this.clock.now().getTime();
    if (now - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = now;
      await this.tracker.closeSettledWarnings();
    }
  }

  /**
   * One pass over the due deadlines; returns how many this instance fired. The pass's ladders are
   * read first, then the whole pass fires in one transaction (TrackerService.fireDue). Should that
   * transaction fail (one bad deadline, a deadlock), each deadline is fired on its own instead, so
   * one cannot hold back the others.
   */
  async scanOnce(limit = 500): Promise<number> {
    const due = await this.deadlines.due(this.db, this.clock.now(), limit);
    if (due.length === 0) return 0;
    try {
      const ladders = await this.tracker.laddersFor(due, this.concurrency);
      const { fired, warningIds } = await this.tracker.fireDue(due, ladders, this.instance);
      observeDeadlinesFired(due);
      for (const id of warningIds)
        await this.tracker
          .closeIfSettled(id)
          .catch((e: Error) =>
            this.logger.warn(`close check of ${id} failed (the sweep will retry): ${e.message}`),
          );
      return fired;
    } catch (e) {
      this.logger.warn(
        `firing ${due.length} deadlines together failed (${(e as Error).message}): one by one`,
      );
    }
    let fired = 0;
    const queue = [...due];
    const worker = async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        if (await this.fireOne(d)) fired++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
    return fired;
  }

  private async fireOne(d: DueDeadline): Promise<boolean> {
    try {
      const ladder = await this.tracker.ladderFor(d);
      const { applied } = await this.tracker.applyChange(async (tx) => {
        const claimed = await this.deadlines.claim(tx, [d.id], this.instance);
        if (claimed.size === 0) return { applied: false }; // another replica has it, or it fired already
        await this.tracker.fire(d, tx, ladder);
        return { applied: true, warningId: d.kind === 'expire' ? undefined : d.warning_id };
      });
      return applied;
    } catch (e) {
      // The transaction rolled back: the deadline stays due and is tried again on the next pass.
      this.logger.error(`deadline ${d.id} (${d.kind}) failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** Stops firing and waits for the pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}
