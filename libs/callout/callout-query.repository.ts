import { Inject, Injectable } from '@nestjs/common';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { CapacityPlanRepository } from './capacity-plan.repository';
import { CapacityComparison, compareCapacity } from './capacity-progress';
import { OPEN_STATES } from './callout-state';
import { CalloutRow, WarningRow } from './callout.types';

/** A warning on the duty officers' board with the progress of its persons (first call-outs). */
export type BoardWarning = Pick<
  WarningRow,
  'id' | 'seq' | 'hazard' | 'subtype' | 'level' | 'status' | 'drill' | 'headline' | 'state' | 'expires'
> & { updated_at: Date } & Record<
    'persons' | 'confirmed' | 'pending' | 'escalated' | 'not_woken' | 'reached',
    string
  >;

/** One township's progress for a warning. */
export type AreaProgress = Record<
  'township' | 'county' | 'persons' | 'confirmed' | 'pending' | 'escalated' | 'not_woken',
  string
>;

/** What the board shows of a person: the call-out's own columns. */
type PersonColumns = Pick<
  CalloutRow,
  'id' | 'person_id' | 'person_name' | 'phone' | 'role' | 'area_code' | 'area_name'
> & { state_reason: string | null };

/** A call-out as the board lists it (the phone number unmasked: the controller masks it). */
export type BoardCallout = PersonColumns &
  Pick<
    CalloutRow,
    | 'level'
    | 'rung'
    | 'subject_callout_id'
    | 'state'
    | 'late'
    | 'handled_by'
    | 'attempts'
    | 'created_at'
    | 'confirmed_at'
  >;

/** A person on the not-woken list, with their warning and who is handling them. */
export type NotWokenEntry = PersonColumns &
  Pick<WarningRow, 'seq' | 'headline' | 'drill'> & {
    warning_id: string;
    updated_at: Date;
    handled_by_name: string | null;
  };

/** The duty officers' reads of the call-out context (the board, a warning, the not-woken list). */
@Injectable()
export class CalloutQueryRepository {
  private readonly plans = new CapacityPlanRepository();

  constructor(@Inject(DB) private readonly db: Db) {}

  /** Active warnings (or, with `all`, every warning), the latest changed first. */
  async boardWarnings(all: boolean): Promise<BoardWarning[]> {
    const r = await this.db.query<BoardWarning>(
      `SELECT w.id, w.seq, w.hazard, w.subtype, w.level, w.status, w.drill, w.headline, w.state, w.expires, w.updated_at,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded) AS persons,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'CONFIRMED') AS confirmed,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = ANY($2::text[])) AS pending,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'ESCALATED') AS escalated,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'NOT_WOKEN') AS not_woken,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'REACHED') AS reached
       FROM callout.warnings w LEFT JOIN callout.callouts c ON c.warning_id = w.id
       WHERE $1::boolean OR w.state = 'active'
       GROUP BY w.id ORDER BY w.updated_at DESC LIMIT 200`,
      [all, OPEN_STATES],
    );
    return r.rows;
  }

  /** Per-area progress of one warning (county and township of each call-out). */
  async areaProgress(warningId: string): Promise<AreaProgress[]> {
    const r = await this.db.query<AreaProgress>(
      `SELECT substr(area_code, 1, 9) || '000' AS township, substr(area_code, 1, 6) || '000000' AS county,
              count(*) AS persons,
              count(*) FILTER (WHERE state = 'CONFIRMED') AS confirmed,
              count(*) FILTER (WHERE state = ANY($2::text[])) AS pending,
              count(*) FILTER (WHERE state = 'ESCALATED') AS escalated,
              count(*) FILTER (WHERE state = 'NOT_WOKEN') AS not_woken
       FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND NOT superseded
       GROUP BY 1, 2 ORDER BY 1`,
      [warningId, OPEN_STATES],
    );
    return r.rows;
  }

  /**
   * Predicted vs actual of a warning's latest capacity plan: the planner's figures recorded when its
   * first call-outs were planned, and what their sends have done since (null: no plan recorded).
   */
  async capacity(warningId: string, now: Date): Promise<CapacityComparison | null> {
    const plan = await this.plans.latest(this.db, warningId);
    if (!plan) return null;
    return compareCapacity(plan, await this.plans.actual(this.db, warningId, plan.at), now);
  }

  async warning(id: string): Promise<WarningRow | undefined> {
    const r = await this.db.query<WarningRow>(`SELECT * FROM callout.warnings WHERE id = $1`, [id]);
    return r.rows[0];
  }

  /** Every call-out of a warning, ladder steps included, by area. */
  async calloutsOf(warningId: string): Promise<BoardCallout[]> {
    const r = await this.db.query<BoardCallout>(
      `SELECT id, person_id, person_name, phone, role, area_code, area_name, level, rung, subject_callout_id, state, state_reason,
              late, handled_by, attempts, created_at, confirmed_at
       FROM callout.callouts WHERE warning_id = $1 ORDER BY area_code, rung, id`,
      [warningId],
    );
    return r.rows;
  }

  /** The not-woken list (未叫醒), of one warning or of all, the longest waiting first. */
  async notWoken(warningId?: string): Promise<NotWokenEntry[]> {
    const r = await this.db.query<NotWokenEntry>(
      `SELECT c.id, c.warning_id, w.seq, w.headline, w.drill, c.person_id, c.person_name, c.phone, c.role, c.area_code, c.area_name,
              c.state_reason, c.updated_at, h.person_name AS handled_by_name
       FROM callout.callouts c JOIN callout.warnings w ON w.id = c.warning_id
       LEFT JOIN callout.callouts h ON h.id = c.handled_by
       WHERE c.state = 'NOT_WOKEN' AND ($1::text IS NULL OR c.warning_id = $1)
       ORDER BY c.updated_at`,
      [warningId ?? null],
    );
    return r.rows;
  }
}
