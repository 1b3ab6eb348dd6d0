import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { observeDeadlinesFired } from '../observability/metrics';
import { DueDeadline, TrackerService } from './tracker.service';

/**
 * Fires due deadlines (invariant 4). Deadlines are rows; each is claimed with FOR UPDATE SKIP LOCKED
 * inside the transaction that acts on it and marked fired there, so a restart loses none and two
 * tracker replicas never fire the same one. Runs on @nestjs/schedule's interval.
 */
@Injectable()
export class DeadlineScanner {
  private readonly logger = new Logger(DeadlineScanner.name);
  readonly instance = `tracker-${process.pid}-${randomUUID().slice(0, 8)}`;
  private busy = false;
  private stopped = false;
  /** How many ladders are read at once before a pass fires (PostgreSQL; PGlite serialises anyway). */
  concurrency = 32;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly tracker: TrackerService,
  ) {}

  private lastSweep = 0;

  @Interval('callout-deadlines', 250)
  async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      while (!this.stopped && (await this.scanOnce()) > 0);
      if (Date.now() - this.lastSweep > 5_000) {
        this.lastSweep = Date.now();
        await this.tracker.closeSettledWarnings();
      }
    } catch (e) {
      this.logger.error(`deadline scan failed: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /**
   * One pass over the due deadlines; returns how many this instance fired. The pass's ladders are
   * read first, then the whole pass fires in one transaction (TrackerService.fireDue). Should that
   * transaction fail (one bad deadline, a deadlock), each deadline is fired on its own instead, so
   * one cannot hold back the others.
   */
  async scanOnce(limit = 500): Promise<number> {
    const due = (
      await this.db.query<DueDeadline>(
        `SELECT id::text, kind, callout_id, warning_id, due_at FROM callout.deadlines
         WHERE fired_at IS NULL AND due_at <= now()
         -- Due at the same instant: an expiry first (nobody is escalated after it), a call before the
         -- escalation it might make unnecessary, then creation order.
         ORDER BY due_at, CASE kind WHEN 'expire' THEN 0 WHEN 'ack' THEN 2 ELSE 1 END, id
         LIMIT $1`,
        [limit],
      )
    ).rows;
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
        const claimed = await tx.query(
          `UPDATE callout.deadlines SET fired_at = now(), fired_by = $2
           WHERE id = (SELECT id FROM callout.deadlines WHERE id = $1 AND fired_at IS NULL FOR UPDATE SKIP LOCKED)
           RETURNING id`,
          [d.id, this.instance],
        );
        if (claimed.rowCount === 0) return { applied: false }; // another replica has it, or it fired already
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

  stop(): void {
    this.stopped = true;
  }
}
