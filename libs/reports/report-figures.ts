import { percentile, ResponseChain } from '../audit/response-chain';

/**
 * The figures both upward reports share (the monthly 叫应 report, a drill's after-action report),
 * computed from response chains rebuilt from the ledger. Only the persons a warning called (rung 0)
 * are counted: the ladder's escalation calls are about someone else and are counted apart.
 */

export const REACHED_IN_PERSON = 'REACHED';
const NOT_WOKEN = 'NOT_WOKEN';

export interface ReportCallout {
  warningId: string;
  calloutId: string;
  personId: string;
  personName: string;
  role: string;
  areaCode: string;
  countyCode?: string;
  townshipCode?: string;
  confirmed: boolean;
  secondsToConfirm: number | null;
  /** Confirmed within the policy's confirmation deadline; null when the policy names none. */
  withinTarget: boolean | null;
  /** Was on the not-woken list at some point (whatever happened after). */
  everNotWoken: boolean;
  /** How the call-out ended: its last state (REACHED = reached in person, CONFIRMED = their own answer…). */
  lastState: string;
}

export interface AreaFigures {
  key: string;
  label: string;
  called: number;
  confirmed: number;
  confirmedShare: number | null;
  withinTarget: number;
  /** Confirmed within the target / called; null without a target. */
  withinTargetShare: number | null;
  medianSecondsToConfirm: number | null;
  p90SecondsToConfirm: number | null;
  notWoken: number;
  reachedInPerson: number;
}

/** The rung-0 call-outs of one warning, with the target confirmation time of its hazard × level. */
export function reportCallouts(chain: ResponseChain, targetSec: number | undefined): ReportCallout[] {
  const everNotWoken = new Set(
    chain.timeline.filter((t) => t.kind === 'state' && t.state === NOT_WOKEN).map((t) => t.calloutId),
  );
  return chain.callouts
    .filter((c) => (c.rung ?? 0) === 0 && c.personId)
    .map((c) => ({
      warningId: chain.warning.warningId,
      calloutId: c.calloutId,
      personId: c.personId!,
      personName: c.personName ?? c.personId!,
      role: c.role ?? '',
      areaCode: c.areaCode ?? '',
      countyCode: c.countyCode,
      townshipCode: c.townshipCode,
      confirmed: c.confirmedAt !== undefined,
      secondsToConfirm: c.secondsToConfirm,
      withinTarget:
        targetSec === undefined ? null : c.secondsToConfirm !== null && c.secondsToConfirm <= targetSec,
      everNotWoken: everNotWoken.has(c.calloutId),
      lastState: c.lastState ?? '',
    }));
}

export function figuresOfCallouts(key: string, label: string, cs: ReportCallout[]): AreaFigures {
  const times = cs.map((c) => c.secondsToConfirm).filter((t): t is number => t !== null);
  const confirmed = cs.filter((c) => c.confirmed).length;
  const targeted = cs.some((c) => c.withinTarget !== null);
  const within = cs.filter((c) => c.withinTarget === true).length;
  return {
    key,
    label,
    called: cs.length,
    confirmed,
    confirmedShare: cs.length ? confirmed / cs.length : null,
    withinTarget: within,
    withinTargetShare: cs.length && targeted ? within / cs.length : null,
    medianSecondsToConfirm: percentile(times, 0.5),
    p90SecondsToConfirm: percentile(times, 0.9),
    notWoken: cs.filter((c) => c.everNotWoken).length,
    reachedInPerson: cs.filter((c) => c.lastState === REACHED_IN_PERSON).length,
  };
}

/** Figures per group, in key order; call-outs whose key is undefined are left out. */
export function figuresBy(
  cs: ReportCallout[],
  keyOf: (c: ReportCallout) => string | undefined,
  labelOf: (key: string) => string = (k) => k,
): AreaFigures[] {
  const groups = new Map<string, ReportCallout[]>();
  for (const c of cs) {
    const k = keyOf(c);
    if (k !== undefined) groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, members]) => figuresOfCallouts(key, labelOf(key), members));
}
