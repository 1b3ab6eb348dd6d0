import { Scrape } from '../observability/prometheus-text';
import { ConsoleBackends } from './console-backends';

/**
 * The board's "system health" strip: the figures an operator's dashboard shows, read from the
 * tracker's and the notifier's /metrics, so a duty officer knows when a slow board means a slow
 * system. Each figure is absent when its service could not be read.
 */
export interface SystemHealth {
  /** Messages the call-out consumers have still to read (largest group). */
  consumerLag?: number;
  /** Sends queued in the notifier, not yet handed to the provider. */
  sendQueue?: number;
  /** Seconds the most overdue ack deadline or redial is late. */
  deadlineLagSeconds?: number;
  /** Seconds the oldest event waits in an outbox for Kafka. */
  outboxOldestSeconds?: number;
  /** The provider since the last reading: ok, failing (over 10 % of sends failed), idle (no sends). */
  provider: 'ok' | 'failing' | 'idle' | 'unknown';
  /** Providers whose circuit breaker is open: their sends go to the next provider of their route. */
  openCircuits: string[];
  /** Any figure past what keeps call-outs on time. */
  slow: boolean;
}

/** Past these the strip says the system is behind (the alert rules' thresholds, lower). */
const SLOW = { consumerLag: 100, sendQueue: 1000, deadlineLagSeconds: 30, outboxOldestSeconds: 30 };
const FAILING_SHARE = 0.1;
/** notify_provider_circuit_state of an open breaker (0 closed, 1 half-open, 2 open). */
const CIRCUIT_OPEN = 2;

export class SystemHealthReader {
  /** Send counters at the last reading: the provider state is judged on what happened since. */
  private lastSends?: { total: number; failed: number };

  constructor(private readonly backends: ConsoleBackends) {}

  private async scrape(service: 'tracker' | 'notifier'): Promise<Scrape | undefined> {
    return Scrape.of(this.backends.url(service, '')).catch(() => undefined);
  }

  async read(): Promise<SystemHealth> {
    const [tracker, notifier] = await Promise.all([this.scrape('tracker'), this.scrape('notifier')]);
    const lags = [tracker, notifier].map((s) => s?.max('kafka_consumer_lag'));
    const ages = [tracker, notifier].map((s) => s?.max('outbox_oldest_age_seconds'));
    const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
    const health: SystemHealth = {
      consumerLag: defined(lags).length ? Math.max(...defined(lags)) : undefined,
      sendQueue: notifier?.max('notify_send_queue', { state: 'queued' }),
      deadlineLagSeconds: tracker?.max('callout_deadline_lag_seconds'),
      outboxOldestSeconds: defined(ages).length ? Math.max(...defined(ages)) : undefined,
      provider: this.providerState(notifier),
      openCircuits: (notifier?.matching('notify_provider_circuit_state') ?? [])
        .filter((x) => x.value === CIRCUIT_OPEN)
        .map((x) => x.labels.provider)
        .sort(),
      slow: false,
    };
    health.slow =
      (Object.keys(SLOW) as (keyof typeof SLOW)[]).some((k) => (health[k] ?? 0) > SLOW[k]) ||
      health.provider === 'failing' ||
      health.openCircuits.length > 0;
    return health;
  }

  private providerState(notifier: Scrape | undefined): SystemHealth['provider'] {
    if (!notifier?.has('notify_sends_total')) return 'unknown';
    const total = notifier.value('notify_sends_total');
    const failed = total - notifier.value('notify_sends_total', { outcome: 'accepted' });
    const last = this.lastSends ?? { total: 0, failed: 0 };
    // A restarted notifier starts its counters again from 0.
    const since =
      total >= last.total ? { total: total - last.total, failed: failed - last.failed } : { total, failed };
    this.lastSends = { total, failed };
    if (since.total === 0) return 'idle';
    return since.failed / since.total > FAILING_SHARE ? 'failing' : 'ok';
  }
}
