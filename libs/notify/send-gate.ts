import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import { backOff } from 'exponential-backoff';
import { ChannelError } from './provider';

export interface SendGateOptions {
  smsPerSecond: number;
  callsPerSecond: number;
  accountPerSecond: number;
  concurrency: number;
  tries: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * After a try that timed out, the wait before `alreadySent` is asked (NOTIFY_IN_FLIGHT_GRACE_MS):
   * the request may still be on its way to the provider, which does not list it until it arrives.
   */
  inFlightGraceMs?: number;
}

export interface GatedResult<T> {
  value: T;
  tries: number;
}

/**
 * Sending discipline: a rate limit per sender number and channel, chained to one for the whole
 * account (which also caps requests in flight), and retries with exponential backoff and full
 * jitter on 429, 5xx and network errors. Permanent errors are never retried. Before retrying an
 * error whose outcome is unknown (network, 5xx), `alreadySent` is asked whether the provider took
 * the request after all, so a retry never sends a second copy; after a timeout, only once the
 * in-flight grace has passed (a request given up by the client may still arrive).
 */
export class SendGate {
  private readonly account: Bottleneck;
  private readonly perNumber = new Map<string, Bottleneck>();

  constructor(private readonly opts: SendGateOptions) {
    this.account = new Bottleneck({
      maxConcurrent: opts.concurrency,
      minTime: Math.floor(1000 / opts.accountPerSecond),
    });
  }

  private limiter(channel: 'sms' | 'voice', from: string): Bottleneck {
    const key = `${channel}:${from}`;
    let l = this.perNumber.get(key);
    if (!l) {
      const rate = channel === 'sms' ? this.opts.smsPerSecond : this.opts.callsPerSecond;
      l = new Bottleneck({ minTime: Math.floor(1000 / rate) });
      l.chain(this.account);
      this.perNumber.set(key, l);
    }
    return l;
  }

  async run<T>(
    channel: 'sms' | 'voice',
    from: string,
    send: () => Promise<T>,
    alreadySent: () => Promise<T | null>,
  ): Promise<GatedResult<T>> {
    const limiter = this.limiter(channel, from);
    let tries = 0;
    let ambiguous = false;
    let timedOut = false;
    const value = await backOff(
      async () => {
        if (ambiguous) {
          if (timedOut) await sleep(this.opts.inFlightGraceMs ?? 0);
          const found = await alreadySent();
          if (found) return found;
        }
        tries += 1;
        return limiter.schedule(send);
      },
      {
        numOfAttempts: this.opts.tries,
        startingDelay: this.opts.initialDelayMs ?? 200,
        maxDelay: this.opts.maxDelayMs ?? 5_000,
        timeMultiple: 2,
        jitter: 'full',
        retry: (e: unknown) => {
          if (e instanceof ChannelError && e.permanent) return false;
          ambiguous = !(e instanceof ChannelError && e.definitelyNotAccepted);
          timedOut = e instanceof ChannelError && e.timedOut;
          return true;
        },
      },
    );
    return { value, tries };
  }

  /** Waits out the in-flight grace after an error that was a timeout (before the provider is asked). */
  async afterTimeout(e: ChannelError): Promise<void> {
    if (e.timedOut) await sleep(this.opts.inFlightGraceMs ?? 0);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.perNumber.values()].map((l) => l.disconnect()));
    await this.account.disconnect();
  }
}
