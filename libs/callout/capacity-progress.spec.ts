import { planCapacity } from '../notify/providers/capacity-planner';
import { TWILIO_TO_MAINLAND } from '../notify/providers/provider-capabilities';
import { ChannelActual, compareCapacity, noSends, plannedEvent } from './capacity-progress';

const AT = '2026-07-12T08:00:00.000Z';
const after = (sec: number) => new Date(Date.parse(AT) + sec * 1000).toISOString();

/** 600 persons called by voice and SMS at 1 call/s and 10 SMS/s: the calls take 600 s. */
const plan = plannedEvent(
  planCapacity({
    sends: { sms: 600, voice: 600 },
    rates: {
      sms: { configuredPerSecond: 10, providers: [TWILIO_TO_MAINLAND] },
      voice: { configuredPerSecond: 1, providers: [TWILIO_TO_MAINLAND] },
    },
    accountPerSecond: 30,
  }),
  {
    warningId: 'w1',
    messageKey: 'w1|Alert|2026-07-12T08:00:00Z',
    messageId: 'w1',
    level: 'red',
    drill: false,
    persons: 600,
    at: new Date(AT),
  },
);

const channel = (c: Partial<ChannelActual> & { channel: string }): ChannelActual => ({
  ...noSends(c.channel),
  ...c,
});

describe('capacity: predicted vs actual', () => {
  it("records the planner's prediction as an event: per channel, the targets, one id per message", () => {
    expect(plan).toMatchObject({
      planId: 'w1|w1|Alert|2026-07-12T08:00:00Z',
      persons: 600,
      voiceAllPlacedSec: 600,
      meetsVoiceTarget: false,
      meetsWokenTarget: false,
      targets: { voiceWithinSec: 180, allWokenWithinSec: 300 },
      at: AT,
    });
    expect(plan.channels.map((c) => [c.channel, c.sends, c.perSecond, c.lastSentSec])).toEqual([
      ['sms', 600, 10, 60],
      ['voice', 600, 1, 600],
    ]);
    expect(plan.suggestions.length).toBeGreaterThan(0);
    // No rate at all: "never", which JSON can carry (null), not Infinity.
    const never = plannedEvent(
      planCapacity({
        sends: { sms: 0, voice: 5 },
        rates: {
          sms: { configuredPerSecond: 10, providers: [] },
          voice: { configuredPerSecond: 1, providers: [] },
        },
        accountPerSecond: 30,
      }),
      { ...plan, messageKey: 'k', at: new Date(AT) },
    );
    expect(never.voiceAllPlacedSec).toBeNull();
    expect(never.channels[0].lastSentSec).toBeNull();
    expect(JSON.parse(JSON.stringify(never))).toEqual(never);
  });

  it('while running: the time so far and the count accepted; a target already passed is missed', () => {
    const c = compareCapacity(
      plan,
      [
        channel({ channel: 'voice', requested: 600, accepted: 200, lastAcceptedAt: after(199) }),
        channel({ channel: 'sms', requested: 600, accepted: 600, lastAcceptedAt: after(58), reached: 590 }),
      ],
      new Date(after(200)),
    );
    const voice = c.channels.find((x) => x.channel === 'voice')!;
    expect(voice.actual).toMatchObject({
      accepted: 200,
      done: false,
      lastAcceptedSec: null,
      elapsedSec: 200,
    });
    const sms = c.channels.find((x) => x.channel === 'sms')!;
    expect(sms.actual).toMatchObject({ accepted: 600, done: true, lastAcceptedSec: 58 });
    expect(c.actual).toMatchObject({ running: true, voiceAllPlacedSec: null, meetsVoiceTarget: false });
    // Everyone woken: not known yet, and 200 s is not past 300 s.
    expect(c.actual.meetsWokenTarget).toBeNull();
  });

  it('done: the last send accepted, measured from the plan; woken when every call reached its person', () => {
    const c = compareCapacity(
      plan,
      [
        channel({
          channel: 'voice',
          requested: 600,
          accepted: 598,
          refused: 2,
          lastAcceptedAt: after(170),
          reached: 598,
          lastReachedAt: after(230),
          ended: 600,
        }),
        channel({ channel: 'sms', requested: 600, accepted: 600, lastAcceptedAt: after(58), ended: 600 }),
      ],
      new Date(after(400)),
    );
    expect(c.actual).toMatchObject({
      running: false,
      voiceAllPlacedSec: 170,
      meetsVoiceTarget: true,
      // Two calls were refused (invalid numbers): not everyone was woken by the first round.
      allWokenSec: null,
      meetsWokenTarget: false,
    });
    const allReached = compareCapacity(
      plan,
      [
        channel({
          channel: 'voice',
          requested: 600,
          accepted: 600,
          lastAcceptedAt: after(170),
          reached: 600,
          lastReachedAt: after(230),
          ended: 600,
        }),
      ],
      new Date(after(400)),
    );
    expect(allReached.actual).toMatchObject({ allWokenSec: 230, meetsWokenTarget: true });
  });

  it('is not done while the plan is still being written chunk by chunk (fewer requested than planned)', () => {
    const c = compareCapacity(
      plan,
      [channel({ channel: 'voice', requested: 100, accepted: 100, lastAcceptedAt: after(100) })],
      new Date(after(120)),
    );
    expect(c.channels.find((x) => x.channel === 'voice')!.actual.done).toBe(false);
    expect(c.actual.voiceAllPlacedSec).toBeNull();
    expect(c.actual.meetsVoiceTarget).toBeNull();
  });
});
