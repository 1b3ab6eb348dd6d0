/**
 * Group commit: callers hand in one item each and wait; the items that arrive while a batch is being
 * written are written together as the next batch, in one transaction (`write`). Under load that turns
 * thousands of small transactions into a few dozen larger ones; when idle a lone item goes at once.
 *
 * If a batch fails, its items are written again one by one, so one bad item fails only its own
 * caller and the others still commit. `write` must therefore be safe to repeat for items whose batch
 * rolled back (it runs in a transaction, so nothing of the failed batch is left behind).
 */
export interface GroupCommitOptions {
  /** Items per batch at most (500). */
  maxBatch?: number;
  /**
   * Batches written at once (1): while one batch is written the next gathers, so batches grow with
   * the load; more lanes shorten the wait of a lone item but split the batches.
   */
  maxConcurrent?: number;
  /** How long a batch waits for more items before it leaves (0: only the items of the same tick). */
  lingerMs?: number;
}

/**
 * The linger of a group commit fed one request at a time (the notifier's provider answers and status
 * webhooks): a few milliseconds lets a batch gather, where items of the same tick would be one each.
 * Its caller waits that long (a send slot is held meanwhile), so it stays small.
 */
export const PER_REQUEST_LINGER_MS = 5;

export class GroupCommit<T, R = void> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;
  private scheduled = false;
  private readonly opts: Required<GroupCommitOptions>;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    opts: GroupCommitOptions = {},
  ) {
    this.opts = { maxBatch: 500, maxConcurrent: 1, lingerMs: 0, ...opts };
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.running >= this.opts.maxConcurrent) return;
      if (this.pending.length >= this.opts.maxBatch) this.next();
      else this.schedule();
    });
  }

  /** Items waiting or being written. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * The next batch leaves after the items of the same tick joined, or lingerMs later: items that
   * arrive one by one (sends finishing at the API's pace) then share a transaction too.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      this.next();
    };
    if (this.opts.lingerMs > 0) setTimeout(go, this.opts.lingerMs);
    else setImmediate(go);
  }

  private next(): void {
    if (this.running >= this.opts.maxConcurrent || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.maxBatch);
    this.running += 1;
    void this.flush(batch).finally(() => {
      this.running -= 1;
      if (this.pending.length >= this.opts.maxBatch) this.next();
      else if (this.pending.length > 0) this.schedule();
    });
  }

  private async flush(batch: typeof this.pending): Promise<void> {
    try {
      const results = await this.write(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
      return;
    } catch (e) {
      if (batch.length === 1) return batch[0].reject(e);
    }
    for (const b of batch) {
      try {
        b.resolve((await this.write([b.item]))[0]);
      } catch (e) {
        b.reject(e);
      }
    }
  }
}
