import { Logger } from '@nestjs/common';

/** The timer functions a Poller schedules with (the global ones unless a test gives its own). */
export interface PollerTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: PollerTimers = {
  setTimeout: (run, ms) => {
    const handle = setTimeout(run, ms);
    // A waiting poller does not keep the process alive; a pass about to run does.
    if (ms > 0) handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What a pass answers: 'again' when it left work behind and the next pass should come soon. */
export type PassOutcome = 'again' | 'idle' | void;

export interface PollerOptions {
  /** Named in the log lines. */
  name: string;
  /** Time between passes when nothing asks for one sooner. */
  intervalMs: number;
  /** Time before the next pass when a pass answered 'again' or a nudge came during it (default 0). */
  againMs?: number;
  timers?: PollerTimers;
  logger?: Pick<Logger, 'warn'>;
}

/**
 * A polling loop: runs `pass` every `intervalMs`, one pass at a time, sooner when nudged. A failed
 * pass is logged and the loop goes on at the next interval; stop() waits for the pass under way.
 * The database-backed queues (outbox, deadlines, sends) poll, since other processes fill them too,
 * and are nudged when this process adds to them.
 */
export class Poller {
  private readonly timers: PollerTimers;
  private readonly logger: Pick<Logger, 'warn'>;
  private timer?: unknown;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(
    private readonly pass: () => Promise<PassOutcome>,
    private readonly opts: PollerOptions,
  ) {
    this.timers = opts.timers ?? globalTimers;
    this.logger = opts.logger ?? new Logger(opts.name);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Run a pass soon: now if idle, right after the current one otherwise. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Stops scheduling passes and waits for the one under way, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.running;
  }

  private clear() {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number) {
    this.clear();
    this.timer = this.timers.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.running || this.stopped) return;
    this.again = false;
    this.running = this.runPass();
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    this.schedule(this.again ? (this.opts.againMs ?? 0) : this.opts.intervalMs);
  }

  private async runPass(): Promise<void> {
    try {
      if ((await this.pass()) === 'again') this.again = true;
    } catch (e) {
      this.logger.warn(
        `${this.opts.name}: pass failed, next one in ${this.opts.intervalMs} ms: ${(e as Error).message}`,
      );
    }
  }
}
