import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes the items of one tick as one batch and answers each caller with its own result', async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number, number>(async (xs) => {
      batches.push(xs);
      return xs.map((x) => x * 10);
    });
    const results = await Promise.all([1, 2, 3].map((x) => g.add(x)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('gathers what arrives while a batch is written into the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const g = new GroupCommit<number>(
      async (xs) => {
        batches.push(xs);
        if (batches.length === 1) await gate;
        return xs.map(() => undefined);
      },
      { maxBatch: 100, maxConcurrent: 1 },
    );
    const first = g.add(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((x) => g.add(x));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps batches within maxBatch', async () => {
    const sizes: number[] = [];
    const g = new GroupCommit<number>(
      async (xs) => {
        sizes.push(xs.length);
        return xs.map(() => undefined);
      },
      { maxBatch: 4, maxConcurrent: 1 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => g.add(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('after a failed batch writes its items one by one: only the bad item fails', async () => {
    const g = new GroupCommit<number, string>(async (xs) => {
      if (xs.includes(2)) throw new Error(`bad item in [${xs.join(',')}]`);
      return xs.map((x) => `ok ${x}`);
    });
    const settled = await Promise.allSettled([1, 2, 3].map((x) => g.add(x)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'ok 1' },
      { status: 'rejected', reason: new Error('bad item in [2]') },
      { status: 'fulfilled', value: 'ok 3' },
    ]);
  });

  it('with a linger, items arriving one by one within it share a batch', async () => {
    jest.useFakeTimers();
    try {
      const batches: number[][] = [];
      const g = new GroupCommit<number>(
        async (xs) => {
          batches.push(xs);
          return xs.map(() => undefined);
        },
        { lingerMs: 20 },
      );
      const done = [g.add(1)];
      jest.advanceTimersByTime(5);
      done.push(g.add(2));
      jest.advanceTimersByTime(5);
      done.push(g.add(3));
      jest.advanceTimersByTime(5);
      expect(batches).toEqual([]);
      jest.advanceTimersByTime(5);
      await Promise.all(done);
      expect(batches).toEqual([[1, 2, 3]]);
      // A full batch does not wait for the linger.
      const full = new GroupCommit<number>(
        async (xs) => {
          batches.push(xs);
          return xs.map(() => undefined);
        },
        { maxBatch: 2, lingerMs: 1000 },
      );
      await Promise.all([full.add(4), full.add(5)]);
      expect(batches).toEqual([
        [1, 2, 3],
        [4, 5],
      ]);
    } finally {
      jest.useRealTimers();
    }
  });
});
