import type { CalloutEvent } from '../../contracts/generated';
import { foldCalloutEvents } from './roster.repository';

const event = (
  calloutId: string,
  to: string,
  at: string,
  extra: Partial<CalloutEvent> = {},
): CalloutEvent => ({
  schemaVersion: 1,
  eventId: `${calloutId}:${to}:${at}`,
  calloutId,
  warningId: 'W1',
  personId: `p-${calloutId}`,
  from: null,
  to,
  reason: 'test',
  at,
  ...extra,
});

/** The roster writes a batch of call-out events as one row per call-out: as one by one would leave it. */
describe('folding a batch of call-out events', () => {
  it('keeps whom the first event named, the latest state, the first rung and the earliest confirmation', () => {
    const [a, b] = foldCalloutEvents([
      event('A', 'PLANNED', '2026-07-12T08:00:00Z', { personName: '张伟', rung: 0 }),
      event('B', 'PLANNED', '2026-07-12T08:00:01Z'),
      event('A', 'CONFIRMED', '2026-07-12T08:02:00Z', { personName: 'someone else', rung: 3 }),
      // A redelivered older event changes nothing…
      event('A', 'SENT', '2026-07-12T08:01:00Z'),
      // …and of two events at the same instant the later to arrive wins.
      event('B', 'SENT', '2026-07-12T08:00:01Z'),
    ]);
    expect(a).toMatchObject({ rung: 0, confirmedAt: '2026-07-12T08:02:00Z' });
    expect(a.first.personName).toBe('张伟');
    expect(a.last.to).toBe('CONFIRMED');
    expect(b).toMatchObject({ rung: null, confirmedAt: null });
    expect(b.last.to).toBe('SENT');
  });
});
