/**
 * Where domain code reads the time. Services take a Clock instead of calling Date.now(), so their
 * rules (deadlines, expiry, ladders) can be tested on a clock the test moves.
 */
export interface Clock {
  now(): Date;
}

/** The real time of this machine. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved: for tests of time-dependent rules. */
export class ManualClock implements Clock {
  private at: number;

  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    this.at = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }

  set(to: Date | string | number): void {
    this.at = new Date(to).getTime();
  }
}
