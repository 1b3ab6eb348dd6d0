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

/** The roster context's SQL. */
export class RosterRepository {
  constructor(private readonly db: Db) {}

  /**
   * Who a call-out called (the first event that names the person wins) and where it stands: its
   * latest state (a redelivered older event changes nothing) and when the person confirmed.
   */
  async recordCallout(e: CalloutEvent): Promise<void> {
    await this.db.query(
      `INSERT INTO roster.callouts AS c (callout_id, warning_id, person_id, person_name, role, area_code, area_name, drill,
         first_at, rung, last_state, last_at, confirmed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, CASE WHEN $11 = 'CONFIRMED' THEN $9::timestamptz END)
       ON CONFLICT (callout_id) DO UPDATE SET
         rung = COALESCE(c.rung, EXCLUDED.rung),
         last_state = CASE WHEN c.last_at IS NULL OR EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_state ELSE c.last_state END,
         last_at = GREATEST(c.last_at, EXCLUDED.last_at),
         confirmed_at = LEAST(c.confirmed_at, EXCLUDED.confirmed_at)`,
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
        e.rung ?? null,
        e.to,
      ],
    );
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
