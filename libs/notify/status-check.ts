import { Logger } from '@nestjs/common';
import { Db } from '../db/db';
import { Poller } from '../infra/poller';
import { statusChecks } from '../observability/metrics';
import { AttemptRow, NotifyRepository } from './notify.repository';
import { ProviderRouter } from './providers/provider-router';
import { StatusCallbacks } from './status-callbacks.usecase';

export interface StatusCheckSettings {
  /** NOTIFY_STATUS_CHECK_AFTER_MS: how long after acceptance a send is first asked about (then at 2×, 4× … that age). */
  afterMs: number;
  /** NOTIFY_STATUS_CHECK_MAX_AGE_MS: sends accepted longer ago than this are no longer asked about. */
  maxAgeMs: number;
}

/** Sends asked about in one pass at most, and at once. */
const PER_PASS = 500;
const AT_ONCE = 8;

/**
 * The status check: a send the provider accepted but whose last status webhook never came (posted
 * while the notifier was down or restarting; a provider posts each callback once) is asked about at
 * its provider by id, and the answer goes the way of a webhook (StatusCallbacks: once per id and
 * status, a webhook arriving later changes nothing). Without it a call that went unanswered during
 * a restart is never redialled and its call-out waits for its deadline. A provider that cannot be
 * asked by id (no `statusOf`) is left to its webhooks.
 */
export class StatusCheck {
  private readonly logger = new Logger('StatusCheck');

  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
    private readonly router: ProviderRouter,
    private readonly statuses: StatusCallbacks,
    private readonly settings: StatusCheckSettings,
  ) {}

  /** One pass: how many sends were due, how many the providers answered about, how many answers were news. */
  async run(): Promise<{ due: number; asked: number; recorded: number }> {
    const due = await this.repo.claimStatusChecks(this.db, {
      afterMs: this.settings.afterMs,
      maxAgeMs: this.settings.maxAgeMs,
      limit: PER_PASS,
    });
    let asked = 0;
    let recorded = 0;
    for (let i = 0; i < due.length; i += AT_ONCE) {
      const answers = await Promise.all(due.slice(i, i + AT_ONCE).map((a) => this.ask(a)));
      asked += answers.filter((a) => a !== undefined).length;
      recorded += answers.filter((a) => a === true).length;
    }
    if (recorded) this.logger.log(`${recorded} statuses no webhook brought, read from the providers`);
    return { due: due.length, asked, recorded };
  }

  /** undefined: not asked (the provider cannot be, or did not answer); else whether the status was new. */
  private async ask(a: AttemptRow): Promise<boolean | undefined> {
    const provider = this.router.providerOf(a);
    const { sms, voice } = this.router.channels(provider);
    const channel = a.channel === 'sms' ? sms : voice;
    if (!channel.statusOf) return undefined;
    const count = (outcome: 'recorded' | 'known' | 'unknown' | 'error') =>
      statusChecks.inc({ provider, outcome });
    try {
      const status = await channel.statusOf({
        providerId: a.provider_sid!,
        to: a.to_number,
        sentAt: a.sent_at ?? a.created_at,
      });
      if (!status) {
        count('unknown');
        return false;
      }
      const recorded = await this.statuses.record({ ...status, requestId: a.request_id });
      count(recorded ? 'recorded' : 'known');
      return recorded;
    } catch (e) {
      count('error');
      this.logger.warn(`status of ${a.channel} ${a.request_id} not read: ${(e as Error).message}`);
      return undefined;
    }
  }
}

/** Runs the status check on the project's Poller: every half of NOTIFY_STATUS_CHECK_AFTER_MS, at most a minute. */
export class StatusChecker {
  private readonly loop: Poller;

  constructor(check: Pick<StatusCheck, 'run'>, afterMs: number) {
    this.loop = new Poller(async () => ((await check.run()).due >= PER_PASS ? 'again' : 'idle'), {
      name: 'StatusCheck',
      intervalMs: Math.min(60_000, afterMs / 2),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
