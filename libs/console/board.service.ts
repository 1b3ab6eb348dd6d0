import { Injectable } from '@nestjs/common';
import { shanxiDivisions } from '../common/divisions';
import { ROLE_CODES, ROLES } from '../directory/roles';
import type { AreaProgress, BoardWarning } from '../callout/callout-query.repository';
import type { CapacityComparison } from '../callout/capacity-progress';
import { backendUserOf, ConsoleBackends, OverJson } from './console-backends';
import { deadLetterView } from './console-i18n';
import { ConsoleRepository } from './console.repository';
import { LiveHub } from './live-hub';
import { groupNotWoken, NotWokenCount } from './not-woken-groups';
import { SystemHealthReader } from './system-health';

/** What the duty officer narrows the not-woken list to (query parameters of the board). */
export interface NotWokenFilter {
  warning?: string;
  area?: string;
  role?: string;
  q?: string;
}

const FILTER_KEYS = ['warning', 'area', 'role', 'q'] as const;

/** The filter from a request's query, each value trimmed and bounded. */
export function notWokenFilterOf(query: Record<string, unknown>): NotWokenFilter {
  const f: NotWokenFilter = {};
  for (const k of FILTER_KEYS) {
    const v = query[k];
    if (typeof v === 'string' && v.trim()) f[k] = v.trim().slice(0, k === 'q' ? 50 : 200);
  }
  return f;
}

/** "?warning=…&q=…" of a filter ('' when there is none), for links that keep it. */
export function filterQuery(f: NotWokenFilter, extra: Record<string, string | number> = {}): string {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) p.set(k, f[k]!);
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The tracker's query for a filter (its parameter names). */
export function trackerQuery(f: NotWokenFilter, extra: Record<string, string | number> = {}): string {
  const p = new URLSearchParams();
  if (f.warning) p.set('warningId', f.warning);
  if (f.area) p.set('area', f.area);
  if (f.role) p.set('role', f.role);
  if (f.q) p.set('q', f.q);
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The tracker's board rows as its API sends them (the tracker's own row types, over JSON). */
type TrackerWarning = OverJson<BoardWarning>;
type TrackerAreaRow = OverJson<AreaProgress>;

export interface Counts {
  persons: number;
  confirmed: number;
  pending: number;
  escalated: number;
  notWoken: number;
}

const COUNT_KEYS = ['persons', 'confirmed', 'pending', 'escalated', 'notWoken'] as const;

/** The tracker's counts (PostgreSQL's count() arrives as text) as numbers. */
function countsOf(
  r: Partial<Pick<AreaProgress, 'persons' | 'confirmed' | 'pending' | 'escalated' | 'not_woken'>>,
): Counts {
  return {
    persons: Number(r.persons ?? 0),
    confirmed: Number(r.confirmed ?? 0),
    pending: Number(r.pending ?? 0),
    escalated: Number(r.escalated ?? 0),
    notWoken: Number(r.not_woken ?? 0),
  };
}

let divisionNames: Map<string, string> | undefined;
/** Division names from the national code table (shared data, not another context's tables). */
export function divisionName(code: string): string {
  divisionNames ??= new Map(shanxiDivisions().map((d) => [d.code, d.name]));
  return divisionNames.get(code) ?? code;
}

/** Per-township rows of the tracker → counties, each with its townships, counts added up. */
export function groupByCounty(rows: TrackerAreaRow[]) {
  const counties = new Map<string, { code: string; name: string; counts: Counts; townships: unknown[] }>();
  for (const r of rows) {
    let c = counties.get(r.county);
    if (!c) {
      c = { code: r.county, name: divisionName(r.county), counts: countsOf({}), townships: [] };
      counties.set(r.county, c);
    }
    const t = countsOf(r);
    for (const k of COUNT_KEYS) c.counts[k] += t[k];
    c.townships.push({ code: r.township, name: divisionName(r.township), counts: t });
  }
  return [...counties.values()];
}

const ceil = (s: number | null | undefined) => (typeof s === 'number' ? Math.ceil(s) : null);
const verdict = (b: boolean | null) => (b === true ? 'met' : b === false ? 'missed' : 'open');

/**
 * The board's predicted-vs-actual figures, in whole seconds: per channel the planner's time for the
 * last send and the provider's actual (or, still running, the time so far and the count accepted),
 * and the practice targets with whether the prediction and the actual meet them.
 */
export function capacityView(c: CapacityComparison | null) {
  if (!c) return null;
  const target = (
    predictedSec: number | null,
    predicted: boolean,
    actualSec: number | null,
    actual: boolean | null,
  ) => ({
    predictedSec: ceil(predictedSec),
    predicted: verdict(predicted),
    actualSec: ceil(actualSec),
    actual: verdict(actual),
  });
  return {
    plannedAt: c.plannedAt,
    persons: c.persons,
    targets: c.targets,
    running: c.actual.running,
    channels: c.channels.map((ch) => ({
      channel: ch.channel,
      sends: ch.predicted.sends,
      perSecond: ch.predicted.perSecond,
      predictedSec: ceil(ch.predicted.lastSentSec),
      accepted: ch.actual.accepted,
      refused: ch.actual.refused,
      done: ch.actual.done,
      actualSec: ceil(ch.actual.done ? ch.actual.lastAcceptedSec : ch.actual.elapsedSec),
    })),
    voice:
      c.predicted.voiceAllPlacedSec === null
        ? null
        : target(
            c.predicted.voiceAllPlacedSec,
            c.predicted.meetsVoiceTarget,
            c.actual.voiceAllPlacedSec,
            c.actual.meetsVoiceTarget,
          ),
    woken: target(
      c.predicted.allWokenSec,
      c.predicted.meetsWokenTarget,
      c.actual.allWokenSec,
      c.actual.meetsWokenTarget,
    ),
  };
}

/** Everything the duty-officer board shows, fetched fresh (the tracker is the source of truth). */
@Injectable()
export class BoardService {
  private readonly health: SystemHealthReader;

  constructor(
    private readonly backends: ConsoleBackends,
    private readonly hub: LiveHub,
    private readonly repo: ConsoleRepository,
  ) {
    this.health = new SystemHealthReader(backends);
  }

  /**
   * Fetched with the viewer's own role token. A directory admin sees the warnings and their figures
   * but not the not-woken list (persons' names): the tracker would refuse it, so it is not asked.
   */
  async load(viewer: { username: string; role: string }, filter: NotWokenFilter = {}) {
    const as = backendUserOf(viewer);
    const seesPersons = viewer.role !== 'directory-admin';
    const [warnings, notWoken, tasks, alerts, dlq, held, health] = await Promise.all([
      this.backends.call<TrackerWarning[]>('tracker', '/api/callouts/warnings', { as }),
      seesPersons
        ? this.backends.call<NotWokenCount[]>(
            'tracker',
            `/api/callouts/not-woken/groups${trackerQuery(filter)}`,
            {
              as,
            },
          )
        : { body: [] },
      seesPersons
        ? this.backends.call<Record<string, unknown>[]>('tracker', '/api/callouts/field-tasks?open=true', {
            as,
          })
        : { body: [] },
      this.repo.recent('alert', 30),
      this.repo.recent('dlq', 30),
      // Warnings held for mapping (intake answers duty officers only; others see none).
      this.backends.call<{ held?: unknown[] }>('intake', '/api/warnings/held', { as }),
      this.health.read(),
    ]);
    const active = Array.isArray(warnings.body) ? warnings.body : [];
    const withAreas = await Promise.all(
      active.map(async (w) => {
        const path = `/api/callouts/warnings/${encodeURIComponent(w.id)}`;
        const [areas, capacity] = await Promise.all([
          this.backends.call<TrackerAreaRow[]>('tracker', `${path}/areas`, { as }),
          this.backends.call<{ capacity?: CapacityComparison | null }>('tracker', `${path}/capacity`, { as }),
        ]);
        return {
          ...w,
          counts: countsOf(w),
          counties: groupByCounty(Array.isArray(areas.body) ? areas.body : []),
          capacity: capacity.ok ? capacityView(capacity.body?.capacity ?? null) : null,
        };
      }),
    );
    return {
      held: held.ok && Array.isArray(held.body?.held) ? held.body.held : [],
      warnings: withAreas,
      notWoken: groupNotWoken(Array.isArray(notWoken.body) ? notWoken.body : []),
      seesPersons,
      filter,
      filterQs: filterQuery(filter),
      fragmentUrl: `/console/board/fragment${filterQuery(filter)}`,
      tasks: Array.isArray(tasks.body) ? tasks.body : [],
      areaOptions: [
        ...new Map(withAreas.flatMap((w) => w.counties.map((c) => [c.code, c.name]))).entries(),
      ].map(([code, name]) => ({ code, name, selected: filter.area === code })),
      roleOptions: ROLE_CODES.map((code) => ({ code, ...ROLES[code], selected: filter.role === code })),
      alerts,
      dlq: dlq.map((d) => ({ ...d, ...deadLetterView(d) })),
      activity: this.hub
        .recentActivity(15)
        .map((a) => ({ ...a, areaName: a.areaName ?? (a.areaCode ? divisionName(a.areaCode) : '') })),
      health,
      loadedAt: new Date().toISOString(),
    };
  }
}
