import { covers, DIVISION_CODE, DivisionLevel, levelOfCode } from '../common/divisions';
import type { CalloutRequested } from '../../contracts/generated';
import { levelRank, LEVELS, SendOrderRule } from './policy';

/**
 * The order in which the notifier takes queued sends when its rate limits hold them back
 * (callouts.requested `priority`, stored in notify.attempts.priority; the lowest goes first):
 *
 * 1. a real warning before a drill (a drill or the roster verification campaign never delays one);
 * 2. follow-ups (redial, escalation, settled, lift, help, hand-off) before fan-outs (first
 *    call-outs and update notices): one warning's long first call-out never holds back another
 *    warning's escalations and redials;
 * 3. the higher warning level first (red, orange, yellow, blue);
 * 4. within those, the policy's send order (`sendOrder`: the first rule a call-out's role and area
 *    match; county and township heads before the villages by default);
 * 5. then the oldest first (the claim's second key, created_at).
 *
 * Computed by the engine when it requests the send, from the policy snapshotted on the warning, so
 * the notifier's claim stays one indexed query: ORDER BY priority, created_at.
 */
export interface SendPriorityInput {
  purpose: CalloutRequested['purpose'];
  /** The call-out's warning level (blue … red; anything else counts as below blue). */
  level: string | null | undefined;
  drill: boolean;
  role?: string | null;
  areaCode?: string | null;
}

/** Purposes that go to the whole roster of a warning at once: they wait behind every follow-up. */
const FAN_OUT: ReadonlySet<string> = new Set(['callout', 'update']);

/** Positions within one class and level: the send order's rules, at most this many. */
export const ORDER_SLOTS = 1000;
const LEVEL_SLOTS = LEVELS.length + 1;
const CLASS_SPAN = LEVEL_SLOTS * ORDER_SLOTS;

/** The largest priority there is (a drill's fan-out, below blue, matching no rule). */
export const LOWEST_PRIORITY = 2 * 2 * CLASS_SPAN - 1;

function areaLevelOf(code: string | null | undefined): DivisionLevel | undefined {
  return code && DIVISION_CODE.test(code) ? levelOfCode(code) : undefined;
}

/** Whether a call-out's role and area fall under a rule (every field the rule gives must match). */
export function matchesRule(rule: SendOrderRule, role: string | null | undefined, areaCode?: string | null) {
  if (rule.role !== undefined && rule.role !== role) return false;
  const level = areaLevelOf(areaCode);
  if (rule.levels !== undefined && (!level || !rule.levels.includes(level))) return false;
  if (rule.areas !== undefined && !(areaCode && rule.areas.some((a) => covers(a, areaCode)))) return false;
  return true;
}

/** The index of the first rule a call-out matches; past the last rule when none does. */
export function orderPosition(
  order: readonly SendOrderRule[],
  role: string | null | undefined,
  areaCode?: string | null,
): number {
  const i = order.findIndex((r) => matchesRule(r, role, areaCode));
  return Math.min(i === -1 ? order.length : i, ORDER_SLOTS - 1);
}

export function sendPriority(input: SendPriorityInput, order: readonly SendOrderRule[]): number {
  const drill = input.drill ? 1 : 0;
  const fanOut = FAN_OUT.has(input.purpose) ? 1 : 0;
  // red (rank 4) → 0 … blue (rank 1) → 3; no or an unknown level → 4.
  const rank = levelRank(input.level);
  const level = rank > 0 ? LEVELS.length - rank : LEVELS.length;
  return (
    (drill * 2 + fanOut) * CLASS_SPAN + level * ORDER_SLOTS + orderPosition(order, input.role, input.areaCode)
  );
}
