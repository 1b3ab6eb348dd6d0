import type { CapacityComparison } from '../callout/capacity-progress';
import { NotFound, RejectedInput } from '../common/domain-errors';
import { roleName } from '../directory/roles';
import { ChainSnapshot, HAZARD_ZH, LEVEL_ZH } from './monthly-report';
import {
  AreaFigures,
  figuresBy,
  figuresOfCallouts,
  REACHED_IN_PERSON,
  ReportCallout,
  reportCallouts,
} from './report-figures';

/**
 * The after-action report of one drill: who responded and how fast (per township and per role, median
 * and p90), the weakest townships, who had to be reached in person, who never answered, and the change
 * since the previous drill of the same scope (same hazard, same areas). Drills only: a real warning is
 * refused, and no real warning is ever counted in it.
 */

/** The report is asked of a real warning (HTTP 400 at the edge). */
export class NotADrill extends RejectedInput {}

export interface AfterActionReport {
  warningId: string;
  headline?: string;
  hazardZh: string;
  levelZh: string;
  sentAt?: string;
  areas: string[];
  generatedAt: string;
  generatedBy: string;
  ledgerHead: ChainSnapshot['head'];
  summary: AreaFigures;
  townships: AreaFigures[];
  roles: AreaFigures[];
  /** The townships with the lowest share confirmed in time (then the slowest), at most three. */
  weakest: AreaFigures[];
  reachedInPerson: ReportCallout[];
  notConfirmed: ReportCallout[];
  /** The capacity planner's prediction for the drill's first round next to what happened (from the ledger). */
  capacity: CapacityComparison[];
  callouts: ReportCallout[];
  previous?: {
    warningId: string;
    sentAt?: string;
    summary: AreaFigures;
    /** This drill minus the previous one (shares in points of 0..1, times in seconds). */
    change: {
      confirmedShare: number | null;
      withinTargetShare: number | null;
      medianSecondsToConfirm: number | null;
      p90SecondsToConfirm: number | null;
    };
  };
}

export interface AfterActionInput {
  warningId: string;
  snapshots: ChainSnapshot[];
  targetOf: (hazard: string, level: string, purpose?: string) => number | undefined;
  areaName: (code: string) => string | undefined;
  generatedAt: string;
  generatedBy: string;
}

/** Same purpose (a drill is never compared with a verification campaign), hazard and areas. */
const scopeOf = (s: ChainSnapshot) =>
  `${s.chain.warning.purpose ?? ''}|${s.chain.warning.hazard ?? ''}|${[...s.areas].sort().join(',')}`;
const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

function calloutsOf(s: ChainSnapshot, input: AfterActionInput): ReportCallout[] {
  const w = s.chain.warning;
  return reportCallouts(s.chain, input.targetOf(w.hazard ?? '', w.level ?? '', w.purpose));
}

/** Weakest first: least confirmed in time (or at all, without a target), then the slowest p90. */
function weakest(townships: AreaFigures[]): AreaFigures[] {
  const share = (f: AreaFigures) => f.withinTargetShare ?? f.confirmedShare ?? 0;
  return [...townships]
    .filter((t) => t.called > 0)
    .sort(
      (a, b) =>
        share(a) - share(b) || (b.p90SecondsToConfirm ?? Infinity) - (a.p90SecondsToConfirm ?? Infinity),
    )
    .slice(0, 3);
}

export function buildAfterActionReport(input: AfterActionInput): AfterActionReport {
  const drill = input.snapshots.find((s) => s.chain.warning.warningId === input.warningId);
  if (!drill) throw new NotFound(`no ledger entries for warning ${input.warningId}`);
  if (!drill.chain.warning.drill) throw new NotADrill(`${input.warningId} is a real warning, not a drill`);
  const w = drill.chain.warning;
  const callouts = calloutsOf(drill, input);
  const label = (code: string) => {
    const n = input.areaName(code);
    return n ? `${n}（${code}）` : code;
  };
  const summary = figuresOfCallouts('all', '合计', callouts);
  const townships = figuresBy(callouts, (c) => c.townshipCode ?? c.areaCode, label);
  const previous = input.snapshots
    .filter(
      (s) =>
        s !== drill &&
        s.chain.warning.drill &&
        scopeOf(s) === scopeOf(drill) &&
        (s.chain.warning.sentAt ?? '') < (w.sentAt ?? ''),
    )
    .sort((a, b) => (b.chain.warning.sentAt ?? '').localeCompare(a.chain.warning.sentAt ?? ''))[0];
  const before = previous ? figuresOfCallouts('all', '合计', calloutsOf(previous, input)) : undefined;
  return {
    warningId: w.warningId,
    headline: w.headline,
    hazardZh: HAZARD_ZH[w.hazard ?? ''] ?? w.hazard ?? '',
    levelZh: LEVEL_ZH[w.level ?? ''] ?? w.level ?? '',
    sentAt: w.sentAt,
    areas: drill.areas.map(label),
    generatedAt: input.generatedAt,
    generatedBy: input.generatedBy,
    ledgerHead: drill.head,
    summary,
    townships,
    roles: figuresBy(
      callouts,
      (c) => c.role || undefined,
      (r) => roleName(r),
    ),
    weakest: weakest(townships),
    reachedInPerson: callouts.filter((c) => c.lastState === REACHED_IN_PERSON),
    capacity: drill.chain.capacity,
    notConfirmed: callouts.filter((c) => !c.confirmed),
    callouts,
    ...(previous && before
      ? {
          previous: {
            warningId: previous.chain.warning.warningId,
            sentAt: previous.chain.warning.sentAt,
            summary: before,
            change: {
              confirmedShare: diff(summary.confirmedShare, before.confirmedShare),
              withinTargetShare: diff(summary.withinTargetShare, before.withinTargetShare),
              medianSecondsToConfirm: diff(summary.medianSecondsToConfirm, before.medianSecondsToConfirm),
              p90SecondsToConfirm: diff(summary.p90SecondsToConfirm, before.p90SecondsToConfirm),
            },
          },
        }
      : {}),
  };
}
