import { Queryable } from '../db/db';
import { CalloutRepository, SendSpec } from './callout.repository';
import { WarningRow } from './callout.types';
import { DeadlineRepository } from './deadline.repository';

export type WarningEnd =
  /** Cancelled by a Cancel message: everyone already called hears it is lifted. */
  | { as: 'cancelled'; reason: string }
  /** Its expiry passed: the call-outs stop, nobody is told. */
  | { as: 'expired' };

/**
 * Ends a warning (locked by the caller) before its call-outs settle: every call-out of it stops
 * (the state machine leaves settled ones as they are), no deadline of it fires any more, and it
 * closes with the counts. One implementation for a cancel (dispatcher) and an expiry (tracker).
 */
export async function endWarning(
  tx: Queryable,
  repos: { callouts: CalloutRepository; deadlines: DeadlineRepository },
  w: WarningRow,
  end: WarningEnd,
): Promise<void> {
  await repos.callouts.setWarningState(tx, w.id, end.as);
  const all = await repos.callouts.lockCalloutsOfWarning(tx, w.id);
  const lifts: SendSpec[] = [];
  for (const c of all) {
    const after =
      end.as === 'cancelled'
        ? await repos.callouts.apply(tx, c, 'cancel', end.reason, { drill: w.drill })
        : await repos.callouts.apply(tx, c, 'expire', 'warning expired', { drill: w.drill });
    if (end.as === 'cancelled' && c.state !== 'PLANNED' && !c.superseded)
      lifts.push({ callout: after ?? c, channel: 'sms', purpose: 'lift' });
  }
  await repos.callouts.requestSends(tx, w, lifts);
  // An expiry leaves the warning's other expiry deadlines (one per expires it had): they find it ended.
  await repos.deadlines.dropPending(tx, w.id, end.as === 'expired' ? 'expire' : 'none');
  await repos.callouts.closeIfSettled(tx, w.id, end.as);
}
