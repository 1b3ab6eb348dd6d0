import { capacityCheck, DispatchFigures, parseRates } from './callout-pipeline';

const dist = { n: 0, p50: 0, p99: 0, max: 0 };
const dispatch = (byChannel: DispatchFigures['byChannel']): DispatchFigures => ({
  warningId: 'w',
  calloutsPlanned: 200,
  allFirstCalloutsMs: 0,
  allSendsMs: 0,
  perCalloutMs: dist,
  hops: {
    producedToPlanCommitMs: 0,
    planToNotifierClaim: dist,
    claimToApiAccepted: dist,
    acceptedToClaimed: dist,
    claimedToSent: dist,
  },
  sendsPerSecond: 0,
  byChannel,
});

describe("the benchmark's throttled mode", () => {
  it('reads --rates, the account rate defaulting to both channels together', () => {
    expect(parseRates(undefined)).toBeUndefined();
    expect(parseRates('sms=100,calls=1')).toEqual({ sms: 100, calls: 1, account: 101, concurrency: 200 });
    expect(parseRates('sms=50,calls=2,account=30')).toMatchObject({ sms: 50, calls: 2, account: 30 });
  });

  it('refuses rates it cannot use, naming the part', () => {
    expect(() => parseRates('sms=100')).toThrow('--rates needs sms=N and calls=N');
    expect(() => parseRates('sms=100,calls=0')).toThrow('"calls=0"');
    expect(() => parseRates('sms=100,voice=1')).toThrow('"voice=1"');
  });

  it("puts the measured span of each channel next to the capacity planner's estimate", () => {
    // 200 SMS at 50/s and 100 calls at 0.5/s (the account's 300/s binds neither): 4 s and 200 s.
    const c = capacityCheck(
      dispatch({
        sms: { sends: 200, firstAcceptedMs: 3_000, lastAcceptedMs: 8_000 },
        voice: { sends: 100, firstAcceptedMs: 3_100, lastAcceptedMs: 223_100 },
      }),
      { sms: 50, calls: 0.5, account: 300 },
    );
    expect(c.channels).toEqual([
      { channel: 'sms', sends: 200, boundBy: 'configured', plannedSec: 4, measuredSec: 5, ratio: 1.25 },
      { channel: 'voice', sends: 100, boundBy: 'configured', plannedSec: 200, measuredSec: 220, ratio: 1.1 },
    ]);
    expect(c.plan).toMatchObject({ voiceAllPlacedSec: 200, meetsVoiceTarget: false });
  });

  it("caps a channel at the provider's own rate, as the planner does (Twilio: 1 call/s)", () => {
    // Configured at 5 calls/s, 200 calls take 200 s at Twilio's 1/s; the simulator placed them at 5/s.
    const c = capacityCheck(dispatch({ voice: { sends: 200, firstAcceptedMs: 0, lastAcceptedMs: 40_000 } }), {
      sms: 100,
      calls: 5,
      account: 105,
    });
    expect(c.channels).toEqual([
      { channel: 'voice', sends: 200, boundBy: 'provider', plannedSec: 200, measuredSec: 40, ratio: 0.2 },
    ]);
    expect(c.plan.meetsVoiceTarget).toBe(false);
  });
});
