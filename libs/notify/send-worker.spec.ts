import { SendQueue, SendWorker } from './send-worker';

/** An in-memory queue whose sends finish when the test releases them. */
class FakeQueue implements SendQueue<number> {
  queued: number[] = [];
  claims: number[] = [];
  sent: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private releases: (() => void)[] = [];

  async claimQueued(limit: number): Promise<number[]> {
    this.claims.push(limit);
    return this.queued.splice(0, limit);
  }

  sendClaimed(a: number): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve) =>
      this.releases.push(() => {
        this.inFlight -= 1;
        this.sent.push(a);
        resolve();
      }),
    );
  }

  releaseAll() {
    const r = this.releases;
    this.releases = [];
    r.forEach((f) => f());
  }
}

/** Polls until cond holds or 2 s passed (the worker runs on timers). */
const settle = async (cond: () => boolean) => {
  const deadline = Date.now() + 2_000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  return cond();
};

describe('SendWorker', () => {
  it('keeps at most `capacity` sends in flight and claims more as sends finish, each once', async () => {
    const q = new FakeQueue();
    q.queued = Array.from({ length: 25 }, (_, i) => i);
    const w = new SendWorker(q, { capacity: 10, pollMs: 60_000 });
    w.start();
    expect(await settle(() => q.inFlight === 10)).toBe(true);
    expect(q.claims).toEqual([10]);
    q.releaseAll();
    expect(await settle(() => q.inFlight === 10 && q.sent.length === 10)).toBe(true);
    q.releaseAll();
    expect(await settle(() => q.inFlight === 5)).toBe(true);
    q.releaseAll();
    expect(await settle(() => q.sent.length === 25)).toBe(true);
    expect(q.maxInFlight).toBe(10);
    expect([...q.sent].sort((a, b) => a - b)).toEqual(q.sent.map((_, i) => i));
    await w.stop();
  });

  it('claims again as soon as a send that held others back is done, without waiting for its poll', async () => {
    const q = new FakeQueue();
    // Sends 1 and 2 wait for 0 (as calls to one number do): the claim gives only 0 until it is done.
    const held = new Set([1, 2]);
    q.claimQueued = async (limit: number) => {
      q.claims.push(limit);
      const free = q.queued.filter((a) => !held.has(a)).slice(0, limit);
      q.queued = q.queued.filter((a) => !free.includes(a));
      return free;
    };
    const behind = { 0: 1, 1: 2 } as Record<number, number>;
    Object.assign(q, { heldOthers: (a: number) => a in behind });
    const release = (a: number) => held.delete(behind[a]);
    q.queued = [0, 1, 2];
    const w = new SendWorker(q, { capacity: 10, pollMs: 60_000 });
    w.start();
    expect(await settle(() => q.inFlight === 1)).toBe(true);
    release(0);
    q.releaseAll();
    expect(await settle(() => q.sent.length === 1 && q.inFlight === 1)).toBe(true);
    release(1);
    q.releaseAll();
    expect(await settle(() => q.sent.length === 2 && q.inFlight === 1)).toBe(true);
    q.releaseAll();
    expect(await settle(() => q.sent.length === 3)).toBe(true);
    expect(q.sent).toEqual([0, 1, 2]);
    // One claim at start and one after each send that held another back; no poll (a minute) came.
    expect(q.claims).toHaveLength(3);
    await w.stop();
  });

  it('a nudge picks up work queued after the queue ran empty; nothing is claimed after stop', async () => {
    const q = new FakeQueue();
    const w = new SendWorker(q, { capacity: 4, pollMs: 60_000 });
    w.start();
    expect(await settle(() => q.claims.length === 1)).toBe(true);
    q.queued = [7, 8];
    w.nudge();
    expect(await settle(() => q.inFlight === 2)).toBe(true);
    const stopping = w.stop();
    q.releaseAll();
    await stopping; // waits for the sends in flight
    expect(q.sent.sort()).toEqual([7, 8]);
    q.queued = [9];
    const claims = q.claims.length;
    jest.useFakeTimers();
    try {
      w.nudge();
      jest.runAllTimers(); // a scheduled tick would claim synchronously here
    } finally {
      jest.useRealTimers();
    }
    expect(q.claims.length).toBe(claims);
    expect(q.queued).toEqual([9]);
  });
});
