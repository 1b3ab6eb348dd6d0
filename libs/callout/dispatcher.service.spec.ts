import type { WarningMessage } from '../../contracts/generated';
import { calloutFakes, calloutRow, SNAPSHOT, warningRow } from '../../test/support/callout-fakes';
import { CalloutRow, WarningRow } from './callout.types';
import { DispatcherOptions, DispatcherService } from './dispatcher.service';
import { DEFAULT_POLICY } from './policy';
import { RejectedInput } from '../common/domain-errors';

// The national gazetteer takes seconds to load; these rules are about a warning that changes, so
// the one village they name is the one division known.
jest.mock('../intake/known-divisions', () => ({
  isKnownDivision: (code: string) => code === '140212100201',
  divisionName: () => undefined,
}));

/**
 * The dispatcher's rules for a warning that changes (level rise, update, cancel) on a clock that
 * stands still and repositories that record what they are asked. callout-engine.int-spec.ts and
 * dispatcher-chunks.int-spec.ts run them against PostgreSQL.
 */
describe('DispatcherService rules', () => {
  let fakes: ReturnType<typeof calloutFakes>;
  let dispatcher: DispatcherService;
  const tx = expect.anything();
  const dispatcherWith = (options?: DispatcherOptions) =>
    new DispatcherService(
      fakes.db,
      fakes.directory,
      DEFAULT_POLICY,
      fakes.relay,
      fakes.callouts,
      fakes.messages,
      fakes.deadlines,
      fakes.clock,
      options,
    );

  beforeEach(() => {
    fakes = calloutFakes();
    dispatcher = dispatcherWith();
    fakes.messages.messagesWithId.mockResolvedValue([]);
    fakes.messages.recordPending.mockResolvedValue(true);
    fakes.callouts.personsWithCurrentCallout.mockResolvedValue(new Set());
    fakes.directory.resolve.mockResolvedValue({
      targets: [
        {
          personId: 'P1',
          name: '张三',
          phone: '+8613800000001',
          role: 'flood-control',
          areaCode: '140213100201',
          areaName: '一村',
        },
      ],
      gaps: [],
      unknownAreas: [],
    } as never);
  });

  /** An Update of warning W1 at `level`, sent after the message the row holds. */
  const update = (over: Partial<WarningMessage> = {}): WarningMessage => ({
    schemaVersion: 1,
    id: 'W1-u',
    msgType: 'Update',
    references: ['W1'],
    status: 'Actual',
    sender: '新荣区水务局',
    sentAt: new Date(fakes.clock.now().getTime() - 1000).toISOString(),
    hazard: 'flood',
    subtype: 'flash-flood-risk',
    level: 'orange',
    headline: '山洪橙色预警',
    areas: [{ code: '140212100201', name: '一村' }],
    effective: new Date(fakes.clock.now().getTime() - 60_000).toISOString(),
    expires: new Date(fakes.clock.now().getTime() + 6 * 3600_000).toISOString(),
    ...over,
  });

  /** The warning as recorded (yellow, sent earlier), and the person's current call-out. */
  function given(current: CalloutRow, row: Partial<WarningRow> = {}) {
    const w = warningRow({ level: 'yellow', sent_at: new Date('2026-06-30T23:00:00Z'), ...row });
    fakes.callouts.warning.mockResolvedValue(w);
    fakes.callouts.lockWarning.mockResolvedValue(w);
    fakes.callouts.applyMessage.mockImplementation(async (_tx, _id, m) => ({ ...w, level: m.level ?? null }));
    fakes.callouts.lockCurrentFirstCallouts.mockResolvedValue([current]);
    return w;
  }

  it('a level rise calls everyone again at the new level, the confirmed too, with the new level’s deadline', async () => {
    const confirmed = calloutRow({ id: 'W1/yellow/P1', level: 'yellow', state: 'CONFIRMED' });
    given(confirmed);
    expect(await dispatcher.handle(update(), 'warnings.flood')).toBe('updated');
    expect(fakes.callouts.markSuperseded).toHaveBeenCalledWith(tx, 'W1/yellow/P1');
    expect(fakes.callouts.insertCallouts).toHaveBeenCalledWith(
      tx,
      [expect.objectContaining({ id: 'W1/orange/P1', personId: 'P1', level: 'orange', rung: 0 })],
      'PLANNED',
    );
    // The warning's policy snapshot decides, not the policy of today.
    const orange = SNAPSHOT.levels.orange;
    const ack = fakes.deadlines.add.mock.calls.flatMap(([, list]) => list).find((d) => d.kind === 'ack');
    expect(ack).toEqual({
      kind: 'ack',
      calloutId: 'W1/orange/P1',
      warningId: 'W1',
      dueAt: new Date(fakes.clock.now().getTime() + orange.ackDeadlineSec * 1000),
      ref: 'W1/orange/P1',
    });
  });

  it('an update at the same level tells the open call-outs by SMS and calls nobody again', async () => {
    const open = calloutRow({ id: 'W1/yellow/P1', level: 'yellow', state: 'SENT' });
    given(open);
    expect(await dispatcher.handle(update({ level: 'yellow' }), 'warnings.flood')).toBe('updated');
    expect(fakes.callouts.markSuperseded).not.toHaveBeenCalled();
    expect(fakes.callouts.requestSends).toHaveBeenCalledWith(tx, expect.anything(), [
      { callout: open, channel: 'sms', purpose: 'update' },
    ]);
    expect(fakes.callouts.insertCallouts).not.toHaveBeenCalled();
  });

  it('a cancel stops the warning and tells those already called it is lifted', async () => {
    const sent = calloutRow({ id: 'W1/yellow/P1', level: 'yellow', state: 'SENT' });
    const planned = calloutRow({ id: 'W1/yellow/P2', level: 'yellow', state: 'PLANNED' });
    given(sent);
    fakes.callouts.lockCalloutsOfWarning.mockResolvedValue([sent, planned]);
    const cancel = update({ id: 'W1-c', msgType: 'Cancel' });
    expect(await dispatcher.handle(cancel, 'warnings.flood')).toBe('cancelled');
    expect(fakes.callouts.setWarningState).toHaveBeenCalledWith(tx, 'W1', 'cancelled');
    expect(fakes.callouts.requestSends).toHaveBeenCalledWith(tx, expect.anything(), [
      {
        callout: expect.objectContaining({ id: 'W1/yellow/P1', state: 'CANCELLED' }),
        channel: 'sms',
        purpose: 'lift',
      },
    ]);
    expect(fakes.deadlines.dropPending).toHaveBeenCalledWith(tx, 'W1', 'none');
    expect(fakes.callouts.closeIfSettled).toHaveBeenCalledWith(tx, 'W1', 'cancelled');
  });

  it('refuses a warning already expired on the clock', async () => {
    const late = update();
    fakes.clock.advance(7 * 3600_000);
    await expect(dispatcher.handle(late, 'warnings.flood')).rejects.toThrow(/rejected/);
    expect(fakes.messages.recordPending).not.toHaveBeenCalled();
  });

  describe('a verification campaign (every person, any level) from a feed', () => {
    /** The dispatcher with the campaign window of a re-filing date; the clock stands at 1 July. */
    const withWindow = (refilingDate: string) =>
      dispatcherWith({ verification: { refilingDate, leadDays: 30 } });
    const campaign = (over: Partial<WarningMessage> = {}) =>
      update({
        id: 'verify-2027-140212',
        msgType: 'Alert',
        references: undefined,
        status: 'Exercise',
        purpose: 'verification',
        ...over,
      });

    it('is rejected outside its window, naming the window', async () => {
      const err: unknown = await withWindow('04-20')
        .handle(campaign(), 'warnings.flood')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RejectedInput);
      expect((err as RejectedInput).details).toEqual([
        expect.stringMatching(
          /^purpose verification outside the campaign window: the 2027 verification campaign opens on 2027-03-21/,
        ),
      ]);
      expect(fakes.messages.recordPending).not.toHaveBeenCalled();
    });

    it('is taken inside its window, and its cancel at any time', async () => {
      fakes.callouts.warning.mockResolvedValue(undefined as never);
      await withWindow('07-15')
        .handle(campaign(), 'warnings.flood')
        .catch(() => undefined);
      expect(fakes.messages.recordPending).toHaveBeenCalled();
      fakes.messages.recordPending.mockClear();
      await withWindow('04-20')
        .handle(
          campaign({ id: 'verify-2027-140212-c', msgType: 'Cancel', references: ['verify-2027-140212'] }),
          'warnings.flood',
        )
        .catch(() => undefined);
      expect(fakes.messages.recordPending).toHaveBeenCalled();
    });
  });
});
