import { Logger } from '@nestjs/common';
import { Poller } from '../infra/poller';

/** Where the worker takes its sends from (NotifyService over notify.attempts). */
export interface SendQueue<A> {
  /** Claims up to `limit` queued attempts; no other worker or replica gets them afterwards. */
  claimQueued(limit: number): Promise<A[]>;
  /** Sends one claimed attempt; a rejection is logged (the attempt is left to the reconciler). */
  sendClaimed(attempt: A): Promise<unknown>;
  /** True when attempts the claim left queued were waiting for this one: claim again once it is done. */
  heldOthers?(attempt: A): boolean;
}

export interface SendWorkerOptions {
  /**
   * Attempts in flight at most (claimed, in the SendGate's queue or at the API). Kept near the gate's
   * concurrency so a claimed attempt never waits long enough to look crashed to the reconciler.
   */
  capacity: number;
  /** How often to look for queued attempts without a nudge (other replicas' accepts, restarts). */
  pollMs: number;
}

/**
 * The "send" half of the notifier: claims queued attempts in batches and sends them concurrently,
 * keeping up to `capacity` in flight. Nudged after each accepted request, polls otherwise (the
 * project's Poller); on a restart it resumes whatever is still queued, since the queue is the
 * attempts table.
 */
export class SendWorker<A> {
  private readonly logger = new Logger('SendWorker');
  private readonly sending = new Set<Promise<unknown>>();
  private readonly loop: Poller;
  /** The last fill stopped because capacity was full: finished sends should claim more. */
  private full = false;
  private stopped = true;

  constructor(
    private readonly queue: SendQueue<A>,
    private readonly opts: SendWorkerOptions,
  ) {
    this.loop = new Poller(() => this.fill(), { name: 'SendWorker', intervalMs: opts.pollMs });
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  /** Look for queued attempts soon (called after a request was accepted). */
  nudge(): void {
    this.loop.nudge();
  }

  get inFlight(): number {
    return this.sending.size;
  }

  /** Stops claiming and waits for the sends in flight, so none is left half-done by a clean stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    await Promise.allSettled([...this.sending]);
  }

  private async fill(): Promise<void> {
    while (!this.stopped) {
      const room = this.opts.capacity - this.sending.size;
      this.full = room <= 0;
      if (this.full) return;
      let batch: A[];
      try {
        batch = await this.queue.claimQueued(room);
      } catch (e) {
        this.logger.warn(`claiming queued attempts failed: ${(e as Error).message}`);
        return;
      }
      for (const attempt of batch) this.launch(attempt);
      if (batch.length < room) return; // the queue is empty for now
    }
  }

  private launch(attempt: A) {
    const p: Promise<unknown> = this.queue
      .sendClaimed(attempt)
      .catch((e: Error) => this.logger.warn(`send left to the reconciler: ${e.message}`))
      .finally(() => {
        this.sending.delete(p);
        // Refill in batches (once half the slots are free), not with one claim query per finished
        // send; but at once when queued sends were waiting for this one (calls to one number).
        if (this.full && this.sending.size <= this.opts.capacity / 2) this.nudge();
        else if (this.queue.heldOthers?.(attempt)) this.nudge();
      });
    this.sending.add(p);
  }
}
