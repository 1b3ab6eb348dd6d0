import type { CalloutEvent } from '../../contracts/generated';
import { Db } from '../db/db';
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

  /** Who a call-out called; the first event that names the person wins, later ones change nothing. */
  async recordCallout(e: CalloutEvent): Promise<void> {
    await this.db.query(
      `INSERT INTO roster.callouts (callout_id, warning_id, person_id, person_name, role, area_code, area_name, drill, first_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (callout_id) DO NOTHING`,
      [
        e.calloutId,
        e.warningId,
        e.personId,
        e.personName ?? null,
        e.role ?? null,
        e.areaCode ?? null,
        e.areaName ?? null,
        e.drill === true,
        e.at,
      ],
    );
  }

  async recordObservation(o: Observation): Promise<void> {
    await this.db.query(
      `INSERT INTO roster.observations (event_id, callout_id, warning_id, kind, line_fault, channel, detail, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
      [o.eventId, o.calloutId, o.warningId, o.kind, o.lineFault ?? null, o.channel ?? null, o.detail, o.at],
    );
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
