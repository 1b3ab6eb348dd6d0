import { readFileSync, renameSync, writeFileSync } from 'node:fs';

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

/** What an OffsetFileClock reads: how far ahead of the machine's time the clock runs. */
export interface ClockOffset {
  offsetMs: number;
}

/**
 * The machine's time moved forward by an offset kept in a JSON file (`{"offsetMs": n}`; no file is
 * 0): one clock that several processes share, moved for all of them at once by writing the file, so
 * that the services' deadlines can be made to pass without waiting for them (end-to-end tests, a
 * rehearsal in demo mode: CLOCK_OFFSET_FILE, refused outside demo mode). The file is read again at
 * most every `refreshMs`; the offset never moves back, so time never runs backwards.
 */
export class OffsetFileClock implements Clock {
  private offsetMs = 0;
  private readAt = -Infinity;

  constructor(
    private readonly file: string,
    private readonly refreshMs = 100,
  ) {}

  now(): Date {
    const t = Date.now();
    if (t - this.readAt >= this.refreshMs) {
      this.readAt = t;
      this.offsetMs = Math.max(this.offsetMs, readOffset(this.file));
    }
    return new Date(t + this.offsetMs);
  }
}

function readOffset(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  const parsed = JSON.parse(text) as Partial<ClockOffset>;
  if (typeof parsed.offsetMs !== 'number' || !Number.isFinite(parsed.offsetMs) || parsed.offsetMs < 0)
    throw new Error(`${file}: offsetMs must be a number of milliseconds ≥ 0, got ${text.trim()}`);
  return parsed.offsetMs;
}

/** Moves every OffsetFileClock reading `file` forward by `ms` (written whole, then renamed into place). */
export function advanceClockFile(file: string, ms: number): number {
  const offsetMs = readOffset(file) + ms;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ offsetMs } satisfies ClockOffset));
  renameSync(tmp, file);
  return offsetMs;
}
