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

/** The roster context's SQL. */
export class RosterRepository {
  constructor(private readonly db: Db) {}

  /**
   * Both writes are group commits: the events that arrive together (a city-wide call-out brings
   * thousands a second) share one multi-row INSERT instead of one statement each.
   */
  private readonly callouts = new GroupCommit<CalloutEvent>(
    async (list) => {
      const col = <T>(f: (e: CalloutEvent) => T) => list.map(f);
      await this.db.query(
        `INSERT INTO roster.callouts (callout_id, warning_id, person_id, person_name, role, area_code, area_name, drill, first_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[], $9::timestamptz[])
         ON CONFLICT (callout_id) DO NOTHING`,
        [
          col((e) => e.calloutId),
          col((e) => e.warningId),
          col((e) => e.personId),
          col((e) => e.personName ?? null),
          col((e) => e.role ?? null),
          col((e) => e.areaCode ?? null),
          col((e) => e.areaName ?? null),
          col((e) => e.drill === true),
          col((e) => e.at),
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

  /** Who a call-out called; the first event that names the person wins, later ones change nothing. */
  recordCallout(e: CalloutEvent): Promise<void> {
    return this.callouts.add(e);
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
