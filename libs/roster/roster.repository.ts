import type { CalloutEvent } from '../../contracts/generated';
import { Db } from '../db/db';
import { GroupCommit } from '../db/group-commit';
import { Observation, ObservationKind } from './number-health';

/** An observation with the person it was about. */
export interface PersonObservation extends Observation {
  personId: string;
  personName: string | null;
  role: string | null;
  areaCode: string | null;
  areaName: string | null;
  drill: boolean;
}

interface ObservationRow {
  event_id: string;
  callout_id: string;
  warning_id: string;
  kind: ObservationKind;
  line_fault: Observation['lineFault'] | null;
  channel: Observation['channel'] | null;
  detail: string;
  at: Date;
  person_id: string;
  person_name: string | null;
  role: string | null;
  area_code: string | null;
  area_name: string | null;
  drill: boolean;
}

/** A person a warning called first (rung 0), as the roster saw it. */
export interface CalledPerson {
  calloutId: string;
  personId: string;
  personName: string | null;
  role: string | null;
  areaCode: string | null;
  areaName: string | null;
  drill: boolean;
  state: string | null;
  calledAt: string;
  confirmedAt: string | null;
}

interface CalledRow {
  callout_id: string;
  person_id: string;
  person_name: string | null;
  role: string | null;
  area_code: string | null;
  area_name: string | null;
  drill: boolean;
  last_state: string | null;
  first_at: Date;
  confirmed_at: Date | null;
}

interface FoldedCallout {
  /** The first event of the call-out in the batch: whom it called. */
  first: CalloutEvent;
  /** The latest (by `at`; of equal ones the later to arrive). */
  last: CalloutEvent;
  rung: number | null;
  confirmedAt: string | null;
}

/** One row per call-out of a batch of its events, as applying them one by one would leave it. */
export function foldCalloutEvents(list: CalloutEvent[]): FoldedCallout[] {
  const by = new Map<string, FoldedCallout>();
  for (const e of list) {
    const f = by.get(e.calloutId);
    const confirmedAt = e.to === 'CONFIRMED' ? e.at : null;
    if (!f) {
      by.set(e.calloutId, { first: e, last: e, rung: e.rung ?? null, confirmedAt });
      continue;
    }
    f.rung ??= e.rung ?? null;
    if (Date.parse(e.at) >= Date.parse(f.last.at)) f.last = e;
    if (confirmedAt && (!f.confirmedAt || Date.parse(confirmedAt) < Date.parse(f.confirmedAt)))
      f.confirmedAt = confirmedAt;
  }
  return [...by.values()];
}

/** The roster context's SQL. */
export class RosterRepository {
  constructor(private readonly db: Db) {}

  /**
   * Who a call-out called (the first event that names the person wins) and where it stands: its
   * latest state (a redelivered older event changes nothing) and when the person confirmed.
   *
   * Both writes are group commits: the events that arrive together (a city-wide call-out brings
   * thousands a second) share one multi-row statement instead of one statement each. Events of one
   * call-out in one batch are folded into one row first (an upsert may touch a row once).
   */
  private readonly callouts = new GroupCommit<CalloutEvent>(
    async (list) => {
      const rows = foldCalloutEvents(list);
      const col = <T>(f: (r: FoldedCallout) => T) => rows.map(f);
      await this.db.query(
        `INSERT INTO roster.callouts AS c (callout_id, warning_id, person_id, person_name, role, area_code, area_name, drill,
           first_at, rung, last_state, last_at, confirmed_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[],
           $9::timestamptz[], $10::int[], $11::text[], $12::timestamptz[], $13::timestamptz[])
         ON CONFLICT (callout_id) DO UPDATE SET
           rung = COALESCE(c.rung, EXCLUDED.rung),
           last_state = CASE WHEN c.last_at IS NULL OR EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_state ELSE c.last_state END,
           last_at = GREATEST(c.last_at, EXCLUDED.last_at),
           confirmed_at = LEAST(c.confirmed_at, EXCLUDED.confirmed_at)`,
        [
          col((r) => r.first.calloutId),
          col((r) => r.first.warningId),
          col((r) => r.first.personId),
          col((r) => r.first.personName ?? null),
          col((r) => r.first.role ?? null),
          col((r) => r.first.areaCode ?? null),
          col((r) => r.first.areaName ?? null),
          col((r) => r.first.drill === true),
          col((r) => r.first.at),
          col((r) => r.rung),
          col((r) => r.last.to),
          col((r) => r.last.at),
          col((r) => r.confirmedAt),
        ],
      );
      return list.map(() => undefined);
    },
    { maxBatch: 1000, maxConcurrent: 1 },
  );

  private readonly observations = new GroupCommit<Observation>(
    async (list) => {
      const col = <T>(f: (o: Observation) => T) => list.map(f);
      await this.db.query(
        `INSERT INTO roster.observations (event_id, callout_id, warning_id, kind, line_fault, channel, detail, at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
         ON CONFLICT (event_id) DO NOTHING`,
        [
          col((o) => o.eventId),
          col((o) => o.calloutId),
          col((o) => o.warningId),
          col((o) => o.kind),
          col((o) => o.lineFault ?? null),
          col((o) => o.channel ?? null),
          col((o) => o.detail),
          col((o) => o.at),
        ],
      );
      return list.map(() => undefined);
    },
    { maxBatch: 1000, maxConcurrent: 1 },
  );

  /** Who a call-out called and where it stands (see `callouts`). */
  recordCallout(e: CalloutEvent): Promise<void> {
    return this.callouts.add(e);
  }

  /** The first call-outs (rung 0) of a warning: whom it called, and who confirmed. */
  async firstCalloutsOf(warningId: string): Promise<CalledPerson[]> {
    const r = await this.db.query<CalledRow>(
      `SELECT callout_id, person_id, person_name, role, area_code, area_name, drill, last_state, first_at, confirmed_at
       FROM roster.callouts WHERE warning_id = $1 AND COALESCE(rung, 0) = 0 ORDER BY area_code, person_id`,
      [warningId],
    );
    return r.rows.map((x) => ({
      calloutId: x.callout_id,
      personId: x.person_id,
      personName: x.person_name,
      role: x.role,
      areaCode: x.area_code,
      areaName: x.area_name,
      drill: x.drill,
      state: x.last_state,
      calledAt: new Date(x.first_at).toISOString(),
      confirmedAt: x.confirmed_at ? new Date(x.confirmed_at).toISOString() : null,
    }));
  }

  recordObservation(o: Observation): Promise<void> {
    return this.observations.add(o);
  }

  /**
   * Every observation of the persons called in an area (its code prefix: a county's first 6 digits,
   * a township's first 9), oldest first. Persons are those of the call-outs, so a person's whole
   * history comes along even when they were once called for another area.
   */
  async observationsUnder(areaPrefix: string): Promise<PersonObservation[]> {
    const r = await this.db.query<ObservationRow>(
      `WITH persons AS (
         SELECT DISTINCT person_id FROM roster.callouts WHERE area_code LIKE $1 || '%')
       SELECT o.*, c.person_id, c.person_name, c.role, c.area_code, c.area_name, c.drill
       FROM roster.observations o
       JOIN roster.callouts c ON c.callout_id = o.callout_id
       WHERE c.person_id IN (SELECT person_id FROM persons)
       ORDER BY o.at, o.event_id`,
      [areaPrefix],
    );
    return r.rows.map((x) => ({
      eventId: x.event_id,
      calloutId: x.callout_id,
      warningId: x.warning_id,
      kind: x.kind,
      ...(x.line_fault ? { lineFault: x.line_fault } : {}),
      ...(x.channel ? { channel: x.channel } : {}),
      detail: x.detail,
      at: new Date(x.at).toISOString(),
      personId: x.person_id,
      personName: x.person_name,
      role: x.role,
      areaCode: x.area_code,
      areaName: x.area_name,
      drill: x.drill,
    }));
  }
}
