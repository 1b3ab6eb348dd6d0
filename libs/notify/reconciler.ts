import { Logger } from '@nestjs/common';
import { Poller } from '../infra/poller';

/** The reconciler looks for stuck sends this often at most (more often when they count stuck sooner). */
const RECONCILE_EVERY_MS = 30_000;

/**
 * Runs the send use case's reconciliation at start and then periodically, one run at a time (a slow
 * one never overlaps the next), on the project's Poller.
 */
export class Reconciler {
  private readonly logger = new Logger('Reconciler');
  private readonly loop: Poller;

  constructor(
    private readonly sending: { reconcile(): Promise<{ adopted: number; resent: number }> },
    /** NOTIFY_RECONCILE_AFTER_MS: a send 'sending' this long counts as stuck. */
    reconcileAfterMs: number,
  ) {
    this.loop = new Poller(() => this.pass(), {
      name: 'Reconciler',
      intervalMs: Math.min(RECONCILE_EVERY_MS, reconcileAfterMs / 2),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Waits for the run under way, if any. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(): Promise<void> {
    const r = await this.sending.reconcile();
    if (r.adopted + r.resent) this.logger.log(`reconciled: ${r.adopted} adopted, ${r.resent} sent`);
  }
}
