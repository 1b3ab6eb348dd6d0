import type { CalloutEvent, CalloutStatus } from '../../contracts/generated';
import { healthOf, Observation, observationFromEvent, observationFromStatus } from './number-health';

let n = 0;
const status = (over: Partial<CalloutStatus>): CalloutStatus => ({
  schemaVersion: 1,
  eventId: `e${++n}`,
  requestId: 'r1',
  calloutId: 'c1',
  warningId: 'w1',
  channel: 'voice',
  status: 'no-answer',
  at: new Date(Date.UTC(2026, 5, 1, 0, 0, n)).toISOString(),
  ...over,
});
const obs = (over: Partial<CalloutStatus>): Observation => observationFromStatus(status(over))!;
const confirmed = (at: string): Observation =>
  observationFromEvent({
    schemaVersion: 1,
    eventId: `ev${++n}`,
    calloutId: 'c1',
    warningId: 'w1',
    personId: 'p1',
    from: 'SENT',
    to: 'CONFIRMED',
    reason: 'confirmed by sms',
    at,
  } as CalloutEvent)!;

describe('provider outcome → observation', () => {
  it.each([
    [{ channel: 'voice', status: 'failed', lineFault: 'unallocated' }, 'line-fault'],
    [{ channel: 'sms', status: 'undelivered', lineFault: 'powered-off' }, 'line-fault'],
    [{ channel: 'voice', status: 'completed', answeredBy: 'machine' }, 'voicemail'],
    [{ channel: 'voice', status: 'heard', answeredBy: 'human' }, 'reached'],
    [{ channel: 'voice', status: 'no-answer' }, 'unanswered'],
    [{ channel: 'voice', status: 'busy' }, 'unanswered'],
  ] as const)('%j is %s', (over, kind) => {
    expect(obs(over as Partial<CalloutStatus>).kind).toBe(kind);
  });

  it.each([
    { channel: 'sms', status: 'delivered' },
    { channel: 'sms', status: 'failed', reason: 'Twilio error 30008' },
    { channel: 'voice', status: 'failed' },
    { channel: 'voice', status: 'submitted' },
    { channel: 'voice', status: 'completed', answeredBy: 'human', durationSec: 4 },
  ] as const)('%j says nothing about the number', (over) => {
    expect(observationFromStatus(status(over as Partial<CalloutStatus>))).toBeUndefined();
  });

  it('only a confirmation among the state changes counts as reached', () => {
    const base = {
      schemaVersion: 1,
      eventId: 'x',
      calloutId: 'c',
      warningId: 'w',
      personId: 'p',
      from: 'SENT',
    };
    expect(
      observationFromEvent({ ...base, to: 'CONFIRMED', reason: '', at: 'a' } as CalloutEvent)?.kind,
    ).toBe('reached');
    for (const to of ['REACHED', 'NOT_WOKEN', 'ESCALATED', 'HEARD'])
      expect(observationFromEvent({ ...base, to, reason: '', at: 'a' } as CalloutEvent)).toBeUndefined();
  });
});

describe('observations → number health', () => {
  it('one unallocated, suspended or invalid answer is enough', () => {
    for (const fault of ['unallocated', 'suspended', 'invalid'] as const) {
      const v = healthOf([obs({ status: 'failed', lineFault: fault })]);
      expect(v.health).toBe(fault);
      expect(v.evidence).toHaveLength(1);
      expect(v.since).toBe(v.evidence[0].at);
    }
  });

  it('switched off in one warning is not yet a bad number; in two warnings it is', () => {
    const night = [
      obs({ warningId: 'w1', status: 'failed', lineFault: 'powered-off' }),
      obs({ warningId: 'w1', channel: 'sms', status: 'undelivered', lineFault: 'powered-off' }),
    ];
    expect(healthOf(night).health).toBe('ok');
    const again = [...night, obs({ warningId: 'w2', status: 'failed', lineFault: 'powered-off' })];
    const v = healthOf(again);
    expect(v.health).toBe('powered-off');
    expect(v.evidence).toHaveLength(3);
  });

  it('voicemail twice since the last answer is a number to check, once is not', () => {
    expect(healthOf([obs({ status: 'completed', answeredBy: 'machine' })]).health).toBe('ok');
    const v = healthOf([
      obs({ status: 'completed', answeredBy: 'machine' }),
      obs({ status: 'completed', answeredBy: 'machine' }),
    ]);
    expect(v.health).toBe('voicemail');
  });

  it('three calls nobody answered (rang out, busy, voicemail) is repeated no-answer', () => {
    const two = [obs({ status: 'no-answer' }), obs({ status: 'busy' })];
    expect(healthOf(two).health).toBe('ok');
    const v = healthOf([...two, obs({ status: 'completed', answeredBy: 'machine' })]);
    expect(v.health).toBe('repeated-no-answer');
    expect(v.evidence.map((o) => o.kind)).toEqual(['unanswered', 'unanswered', 'voicemail']);
  });

  it('an undelivered SMS is not a call nobody answered', () => {
    const sms = Array.from({ length: 4 }, () =>
      obs({ channel: 'sms', status: 'undelivered', lineFault: 'unreachable' }),
    );
    expect(healthOf(sms).health).toBe('ok');
  });

  it('a later answer clears what came before; what comes after it counts again', () => {
    const bad = obs({ status: 'failed', lineFault: 'unallocated' });
    const later = new Date(Date.parse(bad.at) + 60_000).toISOString();
    expect(healthOf([confirmed(later), bad]).health).toBe('ok');
    const heard = obs({ status: 'heard' });
    const after = obs({ status: 'failed', lineFault: 'suspended' });
    expect(healthOf([bad, heard, after]).health).toBe('suspended');
  });

  it('a definite fault outranks voicemail and no answer', () => {
    const v = healthOf([
      obs({ status: 'no-answer' }),
      obs({ status: 'no-answer' }),
      obs({ status: 'no-answer' }),
      obs({ status: 'failed', lineFault: 'unallocated' }),
    ]);
    expect(v.health).toBe('unallocated');
  });
});
