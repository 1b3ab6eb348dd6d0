import { createTwilioClient, TwilioSmsChannel } from './twilio/twilio.channels';
import { SendGate, SendGateOptions } from './send-gate';
import { startTwilioSimulator, TwilioSimulator } from './simulator/twilio-simulator';

/**
 * The send gate's limits, counted where they matter: at the Twilio simulator, reached through the
 * official SDK. Every check is an upper bound on a rate (at most so many requests arrive in any
 * window) or a lower bound on a spread, so a slow, loaded machine can only make them easier to meet;
 * none asserts that anything is fast.
 */
jest.setTimeout(60_000);

const ACCOUNT = 'AC' + '5e'.repeat(16);
const TOKEN = 'send-gate-auth-token-0123456789';
const FROM_A = '+8610690000101';
const FROM_B = '+8610690000102';

/** The most create requests whose arrivals fall within any window of `ms` milliseconds. */
function maxInWindow(arrivals: number[], ms: number): number {
  const t = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j] - t[i] >= ms) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe('SendGate against the Twilio simulator', () => {
  let sim: TwilioSimulator;
  let gate: SendGate | undefined;
  let n = 0;

  const start = async (over: { apiLatencyMs?: number } = {}) => {
    sim = await startTwilioSimulator({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      latencyMs: 0,
      behaviours: { default: 'deliver' },
      ...over,
    });
  };
  const channels = new Map<string, TwilioSmsChannel>();
  const channel = (from: string, timeoutMs?: number) => {
    let ch = channels.get(from);
    if (!ch) {
      ch = new TwilioSmsChannel(
        createTwilioClient({ accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: sim.url, timeoutMs }),
        from,
      );
      channels.set(from, ch);
    }
    return ch;
  };
  /**
   * The first requests of a fresh client are slow (connections opened, code warmed up), and a
   * slow one bunches with those behind it at the simulator: warm each sender's client outside the
   * gate first, then count from a clean slate.
   */
  const warmUp = async (...froms: string[]) => {
    for (const from of froms)
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          channel(from).send({ requestId: `warm-${i}`, to: `+8613700000${100 + i}`, body: 'warm-up' }),
        ),
      );
    await sim.idle();
    sim.reset();
  };
  const makeGate = (opts: Partial<SendGateOptions>) =>
    (gate = new SendGate({
      smsPerSecond: 1000,
      callsPerSecond: 1000,
      accountPerSecond: 1000,
      concurrency: 100,
      tries: 3,
      initialDelayMs: 50,
      ...opts,
    }));
  /** Sends `count` SMS from `from` through the gate, each to a number of its own. */
  const sendMany = (g: SendGate, from: string, count: number) => {
    const ch = channel(from);
    return Promise.all(
      Array.from({ length: count }, () => {
        const to = `+86139${String(10_000_000 + n++)}`;
        return g.run(
          'sms',
          from,
          () => ch.send({ requestId: to, to, body: '演练：限速测试' }),
          async () => null,
        );
      }),
    );
  };
  /** Arrival times (ms) at the simulator of the message creates it answered with `status`. */
  const creates = (status: number) =>
    sim
      .requests()
      .filter((r) => r.method === 'POST' && /Messages\.json$/.test(r.path) && r.httpStatus === status)
      .map((r) => Date.parse(r.at));
  const sentFrom = (from: string) => sim.sent().filter((r) => r.from === from);
  const arrivalsFrom = (from: string) => sentFrom(from).map((r) => Date.parse(r.createdAt));

  afterEach(async () => {
    await gate?.stop();
    gate = undefined;
    await sim?.stop();
    channels.clear();
  });

  it('holds the per-number rate: no second within which one sender number sends more than its limit', async () => {
    await start();
    await warmUp(FROM_A, FROM_B);
    const g = makeGate({ smsPerSecond: 5, accountPerSecond: 1000 });
    await Promise.all([sendMany(g, FROM_A, 16), sendMany(g, FROM_B, 16)]);
    expect(sentFrom(FROM_A)).toHaveLength(16);
    expect(sentFrom(FROM_B)).toHaveLength(16);
    // 5 a second is one launch every 200 ms; a request reaches the simulator some time after the
    // gate let it go (the SDK, the connection), and one held up bunches with the next, hence a
    // margin of two in any second. Without the limit all 16 would arrive within a fraction of one.
    if (maxInWindow(arrivalsFrom(FROM_A), 1000) > 7)
      console.log(arrivalsFrom(FROM_A).map((t, i, a) => t - a[0]));
    expect(maxInWindow(arrivalsFrom(FROM_A), 1000)).toBeLessThanOrEqual(7);
    expect(maxInWindow(arrivalsFrom(FROM_B), 1000)).toBeLessThanOrEqual(7);
  });

  it('holds the per-account rate across sender numbers', async () => {
    await start();
    await warmUp(FROM_A, FROM_B);
    const g = makeGate({ smsPerSecond: 1000, accountPerSecond: 8 });
    await Promise.all([sendMany(g, FROM_A, 12), sendMany(g, FROM_B, 12)]);
    expect(sim.sent()).toHaveLength(24);
    // 8 a second, with the same margin of two as above; without the limit, 24 at once.
    expect(maxInWindow(creates(201), 1000)).toBeLessThanOrEqual(10);
  });

  it('holds the concurrency limit: never more requests in flight than allowed', async () => {
    // Every create is held 300 ms at the simulator: a request that arrived is in flight for at least
    // that long, so more than `concurrency` arrivals within 300 ms would mean more in flight at once.
    const API_LATENCY_MS = 300;
    await start({ apiLatencyMs: API_LATENCY_MS });
    const g = makeGate({ concurrency: 3 });
    await sendMany(g, FROM_A, 15);
    const arrivals = creates(201);
    expect(arrivals).toHaveLength(15);
    expect(maxInWindow(arrivals, API_LATENCY_MS - 10)).toBeLessThanOrEqual(3);
  });

  it('slows down in a 429 storm (backoff), then sends every message once when it passes', async () => {
    await start();
    // Without backoff the gate would retry as fast as its account rate (100 a second) and this
    // machine allow: well over 40 requests for 10 messages in 2 s.
    const g = makeGate({
      accountPerSecond: 100,
      concurrency: 10,
      tries: 12,
      initialDelayMs: 1000,
      maxDelayMs: 2000,
    });
    sim.storm(1_000_000);
    const sending = sendMany(g, FROM_A, 10);
    const first = Date.now();
    await new Promise((r) => setTimeout(r, 2_500));
    sim.storm(0);
    const results = await sending;
    const storm = creates(429).filter((t) => t < first + 2_000);
    // Backing off from 1 s (full jitter, doubling up to 2 s), each message is tried 2 or 3 times in
    // those 2 s: about 25 requests.
    expect(storm.length).toBeGreaterThanOrEqual(10); // each message was tried at least once
    expect(storm.length).toBeLessThan(40);
    expect(sentFrom(FROM_A)).toHaveLength(10);
    expect(new Set(sentFrom(FROM_A).map((r) => r.to)).size).toBe(10);
    for (const r of results) expect(r.tries).toBeGreaterThan(1);
  });

  /**
   * A create the provider takes only after the client gave up on it (queued at a busy provider):
   * asked at once, the Messages list does not show it yet, and a resend is a second SMS. The gate
   * asks only once the in-flight grace has passed. Client timeout 1 s, the create taken at 3 s (2 s
   * after the ask of a gate without grace, 1 s before the ask of one with 4 s of grace).
   */
  const lateCreate = async (inFlightGraceMs: number) => {
    await start();
    const to = '+8613900000777';
    const body = '演练：迟到的创建请求';
    const ch = channel(FROM_A, 1_000);
    const g = makeGate({ tries: 6, initialDelayMs: 50, maxDelayMs: 100, inFlightGraceMs });
    const after = new Date();
    sim.setFaults({ lateCreateRate: 1, lateCreateMs: 3_000 });
    const sending = g.run(
      'sms',
      FROM_A,
      () => ch.send({ requestId: 'late-1', to, body }),
      async () => (await ch.findSent(to, body, after))[0] ?? null,
    );
    const result = await sending;
    sim.setFaults({});
    // Every create still held at the simulator lands before the count.
    await new Promise((r) => setTimeout(r, 3_500));
    await sim.idle();
    return { result, sent: sim.sent().filter((r) => r.to === to) };
  };

  it('asks whether a timed-out send was taken only after the in-flight grace: one SMS, adopted', async () => {
    const { result, sent } = await lateCreate(4_000);
    expect(sent).toHaveLength(1);
    expect(result.value.providerId).toBe(sent[0].sid);
    expect(result.tries).toBe(1);
  });

  it('without the grace the same send is made twice (what the grace is for)', async () => {
    const { sent } = await lateCreate(0);
    expect(sent.length).toBeGreaterThan(1);
  });
});
