import { observeStage } from '../observability/metrics';
import { Logger } from '@nestjs/common';
import { CalloutStatus } from '../../contracts/generated/callout-status';
import { FINAL_CHANNEL_STATUSES } from '../common/channel-status';
import { Db } from '../db/db';
import { GroupCommit, PER_REQUEST_LINGER_MS } from '../db/group-commit';
import { NotifyEvents } from './notify-events';
import { AttemptRow, NotifyRepository } from './notify.repository';
import { onceKnown, UNKNOWN } from './overtaking-callbacks';
import { ChannelStatus } from './provider';

/**
 * Provider status webhooks → callouts.status, once each (by providerId + status). They are written in
 * group commits: during a city-wide call-out they arrive by the thousand a second.
 */
export class StatusCallbacks {
  private readonly logger = new Logger('Notify');
  // Webhooks arrive one request at a time: the linger lets a batch gather them.
  private readonly batches = new GroupCommit<ChannelStatus, boolean | typeof UNKNOWN>(
    (statuses) => this.write(statuses),
    { lingerMs: PER_REQUEST_LINGER_MS },
  );

  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
    private readonly events: NotifyEvents,
  ) {}

  /** Answers whether the status was new (a repeat, or one for an unknown send, changes nothing). */
  async record(status: ChannelStatus): Promise<boolean> {
    const applied = await onceKnown(() => this.batches.add(status));
    if (applied !== UNKNOWN) return applied;
    this.logger.warn(`status ${status.providerId}:${status.status} for an unknown send`);
    return false;
  }

  /**
   * One transaction for a batch of status callbacks: each recorded once by its sid + status (a
   * repeat, in an earlier batch or in this one, changes nothing), and published as callouts.status.
   */
  private async write(statuses: ChannelStatus[]): Promise<(boolean | typeof UNKNOWN)[]> {
    const applied = await this.db.transaction(async (tx) => {
      const byRid = await this.repo.byRequestIds(
        tx,
        statuses.flatMap((s) => (s.requestId ? [s.requestId] : [])),
      );
      const attempts: (AttemptRow | undefined)[] = [];
      for (const s of statuses)
        attempts.push(
          (s.requestId ? byRid.get(s.requestId) : undefined) ?? (await this.repo.bySid(tx, s.providerId)),
        );
      const webhookEvents = statuses.map((s, k) => ({
        eventId: `${s.providerId}:${s.status}`,
        kind: `${s.channel}-status`,
        requestId: attempts[k]?.request_id ?? null,
        payload: s.providerFields,
      }));
      // A status for a send not known (yet) is not recorded as seen: it is looked up again.
      const first = await this.repo.firstTimes(
        tx,
        webhookEvents.filter((_, k) => attempts[k]),
      );
      const taken = new Set<string>();
      const sentNow: { requestId: string; sid: string; tries: number }[] = [];
      const ended: string[] = [];
      const messages: { key: string; value: CalloutStatus }[] = [];
      const result = statuses.map((s, k) => {
        const { eventId } = webhookEvents[k];
        const attempt = attempts[k];
        if (!attempt) return UNKNOWN;
        if (!first.has(eventId) || taken.has(eventId)) return false;
        taken.add(eventId);
        // The callback may overtake the API answer: the sid in it settles the attempt.
        if (attempt.state === 'sending')
          sentNow.push({ requestId: attempt.request_id, sid: s.providerId, tries: 0 });
        if (s.status === 'delivered') observeStage('accept_to_deliver', attempt.sent_at);
        if (FINAL_CHANNEL_STATUSES.includes(s.status)) ended.push(attempt.request_id);
        messages.push(
          this.events.statusMessage(attempt, {
            eventId,
            status: s.status,
            providerId: s.providerId,
            durationSec: s.durationSec,
            reason: s.reason,
            lineFault: s.lineFault,
            answeredBy: s.answeredBy,
          }),
        );
        return true;
      });
      await this.repo.markSent(tx, sentNow);
      // The status check (status-check.ts) no longer asks about these.
      await this.repo.markFinalStatus(tx, ended);
      await this.events.addStatuses(tx, messages);
      return result;
    });
    if (applied.some((a) => a === true)) this.events.announce();
    return applied;
  }
}
