import { PassOutcome, Poller, PollerTimers } from './poller';

/** Timers a test fires by hand: each scheduled run waits until the test calls fireNext(). */
class HandTimers implements PollerTimers {
  readonly pending = new Map<number, { run: () => void; ms: number }>();
  private next = 1;

  setTimeout(run: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { run, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** The delays now scheduled. */
  get delays(): number[] {
    return [...this.pending.values()].map((p) => p.ms);
  }

  fireNext(): void {
    const [id, timer] = [...this.pending][0] ?? [];
    if (id === undefined) throw new Error('no timer scheduled');
    this.pending.delete(id);
    timer.run();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Poller', () => {
  const logger = { warn: jest.fn() };
  let timers: HandTimers;
  beforeEach(() => {
    timers = new HandTimers();
    logger.warn.mockReset();
  });

  const poller = (pass: () => Promise<PassOutcome>, againMs?: number) =>
    new Poller(pass, { name: 'test', intervalMs: 250, againMs, timers, logger });

  it('runs a pass at start, then every interval', async () => {
    const pass = jest.fn(async () => undefined);
    const loop = poller(pass);
    loop.start();
    expect(timers.delays).toEqual([0]);
    timers.fireNext();
    await settle();
    expect(pass).toHaveBeenCalledTimes(1);
    expect(timers.delays).toEqual([250]);
    timers.fireNext();
    await settle();
    expect(pass).toHaveBeenCalledTimes(2);
    await loop.stop();
  });

  it('comes back soon after a pass that answered again', async () => {
    const loop = poller(async () => 'again', 20);
    loop.start();
    timers.fireNext();
    await settle();
    expect(timers.delays).toEqual([20]);
    await loop.stop();
  });

  it('runs one pass at a time; a nudge during a pass runs another right after it', async () => {
    const gate = deferred();
    let passes = 0;
    const loop = poller(async () => {
      passes++;
      await gate.promise;
    });
    loop.start();
    timers.fireNext();
    await settle();
    expect(loop.isRunning).toBe(true);
    loop.nudge();
    expect(timers.delays).toEqual([]); // no second pass while the first runs
    gate.resolve();
    await settle();
    expect(passes).toBe(1);
    expect(timers.delays).toEqual([0]);
    await loop.stop();
  });

  it('a nudge while idle replaces the wait by a pass now', async () => {
    const loop = poller(async () => undefined);
    loop.start();
    timers.fireNext();
    await settle();
    expect(timers.delays).toEqual([250]);
    loop.nudge();
    expect(timers.delays).toEqual([0]);
    await loop.stop();
  });

  it('logs a failed pass and goes on at the next interval', async () => {
    const pass = jest.fn(async () => {
      throw new Error('database gone');
    });
    const loop = poller(pass);
    loop.start();
    timers.fireNext();
    await settle();
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('database gone'));
    expect(timers.delays).toEqual([250]);
    await loop.stop();
  });

  it('stop waits for the pass under way and schedules nothing after it', async () => {
    const gate = deferred();
    let finished = false;
    const loop = poller(async () => {
      await gate.promise;
      finished = true;
    });
    loop.start();
    timers.fireNext();
    await settle();
    const stopped = loop.stop();
    loop.nudge();
    gate.resolve();
    await stopped;
    expect(finished).toBe(true);
    expect(timers.delays).toEqual([]);
  });
});
