import { Db } from '../db/db';
import { observeRejectedWebhook } from '../observability/metrics';
import { NotifyRepository } from './notify.repository';
import { RefusedWebhook } from './provider';
import { webhookExcerpt } from './rejected-webhook';

/**
 * A refused provider webhook (bad signature, not the provider's shape), kept for auditors as a
 * bounded excerpt without personal data; past a rate per source address it is only counted.
 */
export class RejectedWebhooks {
  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
  ) {}

  /** Answers whether it was stored (false: only counted). */
  record(refused: RefusedWebhook): Promise<boolean> {
    observeRejectedWebhook(refused.reason);
    return this.repo.recordRejected(this.db, {
      path: refused.path,
      reason: refused.reason,
      remoteAddr: refused.remoteAddr,
      signature: refused.signature,
      excerpt: webhookExcerpt(refused.params, refused.personalFields),
    });
  }
}
