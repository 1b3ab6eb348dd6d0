import { BOARD_EVENT_INTERVAL_MS, BoardUpdate, LiveHub } from './live-hub';

describe('LiveHub at scale', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends a 10,000-person fan-out as a few aggregated events per second, counts per township', () => {
    const hub = new LiveHub();
    const chunks: string[] = [];
    hub.subscribe({ write: (c) => chunks.push(c) });
    chunks.length = 0; // the hello
    // 10,000 transitions over 4 seconds across 150 townships, as a big dispatch and its answers are.
    const townships = Array.from({ length: 150 }, (_, i) => `140212${String(100 + i).padStart(3, '0')}201`);
    for (let i = 0; i < 10_000; i++) {
      hub.boardChanged({ areaCode: townships[i % 150], to: i % 10 === 7 ? 'NOT_WOKEN' : 'CONFIRMED' });
      if (i % 25 === 24) jest.advanceTimersByTime(10);
    }
    jest.advanceTimersByTime(BOARD_EVENT_INTERVAL_MS);
    const events = chunks
      .filter((c) => c.startsWith('event: board'))
      .map((c) => JSON.parse(/data: (.*)\n/.exec(c)![1]) as BoardUpdate);
    const seconds = 4 + BOARD_EVENT_INTERVAL_MS / 1000;
    console.log(`live hub: 10,000 transitions → ${events.length} board events over ${seconds} s`);
    expect(events.length).toBeGreaterThan(1);
    expect(events.length).toBeLessThanOrEqual(Math.ceil((seconds * 1000) / BOARD_EVENT_INTERVAL_MS));
    // Nothing lost in the aggregation: every transition counted once, per township and state.
    expect(events.reduce((s, e) => s + e.changes, 0)).toBe(10_000);
    const perState = (state: string) =>
      events.reduce((s, e) => s + Object.values(e.areas).reduce((t, a) => t + (a[state] ?? 0), 0), 0);
    expect(perState('CONFIRMED')).toBe(9_000);
    expect(perState('NOT_WOKEN')).toBe(1_000);
    expect(Object.keys(events[0].areas).every((c) => /^\d{9}000$/.test(c))).toBe(true);
    hub.onModuleDestroy();
  });
});
