import { automock } from '../../test/support/automock';
import { calloutFakes } from '../../test/support/callout-fakes';
import { DeadlineScanner } from './deadline-scanner';
import { DueDeadline } from './deadline.repository';
import { TrackerService } from './tracker.service';

describe('DeadlineScanner', () => {
  const due = (id: string): DueDeadline => ({
    id,
    kind: 'ack',
    callout_id: `W1/red/P${id}`,
    warning_id: 'W1',
    due_at: new Date('2026-07-01T00:00:00Z'),
  });

  function setup() {
    const fakes = calloutFakes();
    const tracker = automock(TrackerService);
    tracker.laddersFor.mockResolvedValue(new Map());
    tracker.closeIfSettled.mockResolvedValue();
    const scanner = new DeadlineScanner(fakes.db, tracker, fakes.deadlines, fakes.clock, { concurrency: 2 });
    return { fakes, tracker, scanner };
  }

  it('fires what is due at the clock’s time, the whole pass together, then checks its warnings for closing', async () => {
    const { fakes, tracker, scanner } = setup();
    fakes.clock.advance(300_000);
    fakes.deadlines.due.mockResolvedValue([due('1'), due('2')]);
    tracker.fireDue.mockResolvedValue({ fired: 2, warningIds: ['W1'] });
    expect(await scanner.scanOnce(50)).toBe(2);
    expect(fakes.deadlines.due).toHaveBeenCalledWith(fakes.db, fakes.clock.now(), 50);
    expect(tracker.laddersFor).toHaveBeenCalledWith([due('1'), due('2')], 2);
    expect(tracker.fireDue).toHaveBeenCalledWith([due('1'), due('2')], new Map(), scanner.instance);
    expect(tracker.closeIfSettled).toHaveBeenCalledWith('W1');
  });

  it('when the pass fails together, fires each deadline on its own: a bad one holds back no other', async () => {
    const { fakes, tracker, scanner } = setup();
    fakes.deadlines.due.mockResolvedValue([due('1'), due('2'), due('3')]);
    tracker.fireDue.mockRejectedValue(new Error('deadlock detected'));
    // Each firing claims its deadline inside the change's transaction; the second is the bad one.
    tracker.applyChange.mockImplementation(async (change) => change({} as never));
    fakes.deadlines.claim.mockImplementation(async (_tx, [id]) => new Set([id]));
    tracker.fire.mockImplementation(async (d) => {
      if (d.id === '2') throw new Error('bad deadline');
    });
    expect(await scanner.scanOnce()).toBe(2);
    expect(fakes.deadlines.claim.mock.calls.map(([, ids]) => ids)).toEqual([['1'], ['2'], ['3']]);
  });

  it('a deadline another replica claimed is not fired here', async () => {
    const { fakes, tracker, scanner } = setup();
    fakes.deadlines.due.mockResolvedValue([due('1')]);
    tracker.fireDue.mockRejectedValue(new Error('serialization failure'));
    tracker.applyChange.mockImplementation(async (change) => change({} as never));
    fakes.deadlines.claim.mockResolvedValue(new Set());
    expect(await scanner.scanOnce()).toBe(0);
    expect(tracker.fire).not.toHaveBeenCalled();
  });
});
