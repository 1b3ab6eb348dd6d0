import type { CalloutStatus } from '../../contracts/generated';
import { calloutFakes, calloutRow, ladderStep, warningRow } from '../../test/support/callout-fakes';
import { CalloutRow } from './callout.types';
import { DueDeadline } from './deadline.repository';
import { TrackerService } from './tracker.service';

/**
 * The tracker's rules (redials, voice fallback, the ladder, the repeat limit, not-woken, expiry) on
 * a clock that stands still and repositories that record what they are asked: no database, so each
 * rule runs in milliseconds. callout-engine.int-spec.ts runs the same paths against PostgreSQL.
 */
describe('TrackerService rules', () => {
  let fakes: ReturnType<typeof calloutFakes>;
  let tracker: TrackerService;
  const tx = expect.anything();
  const at = (offsetSec: number) => new Date(fakes.clock.now().getTime() + offsetSec * 1000);

  beforeEach(() => {
    fakes = calloutFakes();
    tracker = new TrackerService(
      fakes.db,
      fakes.directory,
      fakes.relay,
      fakes.callouts,
      fakes.deadlines,
      fakes.clock,
    );
  });

  /** The tracker finds this warning and call-outs (by id) when it locks or reads them. */
  function given(w = warningRow(), ...rows: CalloutRow[]) {
    const byId = new Map(rows.map((c) => [c.id, c]));
    fakes.callouts.warning.mockResolvedValue(w);
    fakes.callouts.lockWarning.mockResolvedValue(w);
    fakes.callouts.lockCallout.mockImplementation(async (_tx, id) => byId.get(id));
    fakes.callouts.warnings.mockResolvedValue([w]);
    fakes.callouts.lockCallouts.mockImplementation(async (_tx, ids) =>
      ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])),
    );
    fakes.callouts.withLadderSteps.mockImplementation(async (_tx, ids) =>
      ids.filter((id) => rows.some((c) => c.subject_callout_id === id)),
    );
    fakes.callouts.lockCalloutsOfWarning.mockResolvedValue(rows);
    return w;
  }

  const deadline = (kind: DueDeadline['kind'], c: CalloutRow | null): DueDeadline => ({
    id: '1',
    kind,
    callout_id: c?.id ?? null,
    warning_id: 'W1',
    due_at: fakes.clock.now(),
  });

  const voiceStatus = (c: CalloutRow, status: CalloutStatus['status']): CalloutStatus => ({
    schemaVersion: 1,
    eventId: `e-${status}`,
    requestId: `${c.id}#1:voice:callout`,
    calloutId: c.id,
    warningId: c.warning_id,
    channel: 'voice',
    status,
    at: fakes.clock.now().toISOString(),
  });

  describe('redials', () => {
    it('a missed voice call is redialled after the level’s interval, on the clock', async () => {
      const c = calloutRow({ state: 'SENT', redials_used: 0 });
      given(warningRow(), c);
      fakes.clock.advance(42_000);
      await tracker.onStatus(voiceStatus(c, 'no-answer'));
      expect(fakes.callouts.apply).toHaveBeenCalledWith(
        tx,
        c,
        'voice-failed',
        'voice no-answer',
        expect.anything(),
      );
      expect(fakes.deadlines.add).toHaveBeenCalledWith(tx, [
        { kind: 'redial', calloutId: c.id, warningId: 'W1', dueAt: at(60), ref: `${c.id}#r1` },
      ]);
    });

    it('no redial once the level’s redials are used', async () => {
      const c = calloutRow({ state: 'SENT', redials_used: 2 });
      given(warningRow(), c);
      await tracker.onStatus(voiceStatus(c, 'busy'));
      expect(fakes.callouts.apply).not.toHaveBeenCalled();
      expect(fakes.deadlines.add).not.toHaveBeenCalled();
    });

    it('a redial deadline places one more voice call and counts it', async () => {
      const c = calloutRow({ state: 'REDIAL_PENDING', redials_used: 0 });
      given(warningRow(), c);
      await tracker.fire(deadline('redial', c), {} as never, undefined);
      expect(fakes.callouts.countRedial).toHaveBeenCalledWith(tx, c.id);
      expect(fakes.callouts.requestSends).toHaveBeenCalledWith(tx, expect.anything(), [
        {
          callout: expect.objectContaining({ id: c.id, state: 'SENT' }),
          channel: 'voice',
          purpose: 'redial',
        },
      ]);
    });
  });

  describe('voice fallback', () => {
    const yellow = () => warningRow({ level: 'yellow' });

    it('calls an SMS-first person still unconfirmed', async () => {
      const c = calloutRow({ level: 'yellow', state: 'DELIVERED' });
      given(yellow(), c);
      await tracker.fire(deadline('voice-fallback', c), {} as never, undefined);
      expect(fakes.callouts.requestSends).toHaveBeenCalledWith(tx, expect.anything(), [
        { callout: c, channel: 'voice', purpose: 'callout' },
      ]);
    });

    it.each(['HEARD', 'CONFIRMED'] as const)('calls nobody who is %s', async (state) => {
      const c = calloutRow({ level: 'yellow', state });
      given(yellow(), c);
      await tracker.fire(deadline('voice-fallback', c), {} as never, undefined);
      expect(fakes.callouts.requestSends).not.toHaveBeenCalled();
    });
  });

  describe('the ladder', () => {
    const steps = [ladderStep('S1', 'backup'), ladderStep('S2'), ladderStep('S3')];

    it('an unconfirmed person is escalated: the ladder is kept to the level’s steps, the first is called with its own deadline', async () => {
      const c = calloutRow({ state: 'SENT' });
      given(warningRow(), c);
      await tracker.fire(deadline('ack', c), {} as never, steps);
      expect(fakes.callouts.apply).toHaveBeenCalledWith(
        tx,
        c,
        'deadline',
        'not confirmed within 300 s',
        expect.anything(),
      );
      expect(fakes.callouts.storeLadder).toHaveBeenCalledWith(tx, c.id, steps.slice(0, 2));
      expect(fakes.callouts.moveOnLadder).toHaveBeenCalledWith(tx, c.id, 1, 1);
      expect(fakes.callouts.insertCallouts).toHaveBeenCalledWith(
        tx,
        [expect.objectContaining({ id: `${c.id}/e1.1`, personId: 'S1', rung: 1, subjectCalloutId: c.id })],
        'PLANNED',
      );
      const sends = fakes.callouts.requestSends.mock.calls[0][2];
      expect(sends.map((s) => [s.callout.id, s.channel, s.purpose])).toEqual([
        [`${c.id}/e1.1`, 'voice', 'escalation'],
        [`${c.id}/e1.1`, 'sms', 'escalation'],
      ]);
      expect(fakes.deadlines.add).toHaveBeenCalledWith(tx, [
        { kind: 'ack', calloutId: `${c.id}/e1.1`, warningId: 'W1', dueAt: at(120), ref: `${c.id}/e1.1` },
      ]);
    });

    it('a deadline of a person who confirmed meanwhile escalates nobody', async () => {
      const c = calloutRow({ state: 'CONFIRMED' });
      given(warningRow(), c);
      await tracker.fire(deadline('ack', c), {} as never, steps);
      expect(fakes.callouts.insertCallouts).not.toHaveBeenCalled();
      expect(fakes.deadlines.add).not.toHaveBeenCalled();
    });

    const subject = (over: Partial<CalloutRow>) =>
      calloutRow({ state: 'ESCALATED', ladder: steps.slice(0, 2), ...over });
    const step = (s: CalloutRow, n: number) =>
      calloutRow({ id: `${s.id}/e${s.round}.${n}`, person_id: `S${n}`, rung: n, subject_callout_id: s.id });

    it('a step not confirmed in time gives up and calls the next step', async () => {
      const s = subject({ ladder_pos: 1 });
      const first = step(s, 1);
      given(warningRow(), s, first);
      await tracker.fire(deadline('ack', first), {} as never, undefined);
      expect(fakes.callouts.apply).toHaveBeenCalledWith(
        tx,
        first,
        'deadline',
        'ladder step not confirmed within 120 s',
        expect.anything(),
      );
      expect(fakes.callouts.moveOnLadder).toHaveBeenCalledWith(tx, s.id, 2, 1);
      expect(fakes.callouts.insertCallouts).toHaveBeenCalledWith(
        tx,
        [expect.objectContaining({ id: `${s.id}/e1.2`, personId: 'S2', rung: 2 })],
        'PLANNED',
      );
    });

    it('after the last step the ladder is walked again, up to the repeat limit', async () => {
      const s = subject({ ladder_pos: 2, round: 1 });
      const last = step(s, 2);
      given(warningRow(), s, last);
      await tracker.fire(deadline('ack', last), {} as never, undefined);
      expect(fakes.callouts.moveOnLadder).toHaveBeenCalledWith(tx, s.id, 1, 2);
      expect(fakes.callouts.insertCallouts).toHaveBeenCalledWith(
        tx,
        [expect.objectContaining({ id: `${s.id}/e2.1`, personId: 'S1', rung: 1 })],
        'PLANNED',
      );
    });

    it('at the repeat limit the person is not woken: on the list, with an alert, nobody else called', async () => {
      const s = subject({ ladder_pos: 2, round: 2 });
      const last = step(s, 2);
      given(warningRow(), s, last);
      await tracker.fire(deadline('ack', last), {} as never, undefined);
      expect(fakes.callouts.apply).toHaveBeenCalledWith(
        tx,
        s,
        'ladder-exhausted',
        'no one on the ladder confirmed (2 round(s))',
        expect.anything(),
      );
      expect(fakes.callouts.alert).toHaveBeenCalledWith(tx, [
        expect.objectContaining({ kind: 'not-woken', calloutId: s.id, personId: s.person_id }),
      ]);
      expect(fakes.callouts.insertCallouts).not.toHaveBeenCalled();
    });

    it('a person with no ladder is not woken as soon as their deadline passes', async () => {
      const c = calloutRow({ state: 'SENT' });
      given(warningRow(), c);
      await tracker.fire(deadline('ack', c), {} as never, []);
      expect(fakes.callouts.apply).toHaveBeenCalledWith(
        tx,
        expect.objectContaining({ id: c.id, state: 'ESCALATED' }),
        'ladder-exhausted',
        'no backup or superior to escalate to',
        expect.anything(),
      );
      expect(fakes.callouts.alert).toHaveBeenCalledWith(tx, [expect.objectContaining({ kind: 'not-woken' })]);
    });
  });

  describe('expiry', () => {
    it('stops every call-out, drops the pending deadlines but other expiries, and closes the warning as expired', async () => {
      const open = calloutRow({ id: 'W1/red/P1', state: 'SENT' });
      const confirmed = calloutRow({ id: 'W1/red/P2', state: 'CONFIRMED' });
      given(warningRow(), open, confirmed);
      await tracker.fire(deadline('expire', null), {} as never, undefined);
      expect(fakes.callouts.setWarningState).toHaveBeenCalledWith(tx, 'W1', 'expired');
      const moves = fakes.callouts.apply.mock.calls.map(([, c, event]) => [c.id, event]);
      expect(moves).toEqual([
        ['W1/red/P1', 'expire'],
        ['W1/red/P2', 'expire'], // refused by the state machine: a confirmed person stays confirmed
      ]);
      expect(fakes.callouts.requestSends).toHaveBeenCalledWith(tx, expect.anything(), []); // nobody is told
      expect(fakes.deadlines.dropPending).toHaveBeenCalledWith(tx, 'W1', 'expire');
      expect(fakes.callouts.closeIfSettled).toHaveBeenCalledWith(tx, 'W1', 'expired');
    });

    it('a warning already cancelled or closed is left as it is', async () => {
      given(warningRow({ state: 'cancelled' }));
      await tracker.fire(deadline('expire', null), {} as never, undefined);
      expect(fakes.callouts.setWarningState).not.toHaveBeenCalled();
      expect(fakes.callouts.closeIfSettled).not.toHaveBeenCalled();
    });
  });

  it('reads ladders for the time on the clock', async () => {
    const c = calloutRow({ state: 'SENT' });
    fakes.callouts.callouts.mockResolvedValue([c]);
    fakes.directory.ladder.mockResolvedValue([]);
    fakes.clock.advance(3_600_000);
    await tracker.laddersFor([deadline('ack', c)]);
    expect(fakes.directory.ladder).toHaveBeenCalledWith(
      'P1',
      'flood-control',
      '140213100201',
      fakes.clock.now(),
      6,
    );
  });
});
