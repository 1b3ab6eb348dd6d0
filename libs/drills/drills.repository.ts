import { Db } from '../db/db';
import { DrillSchedule } from './drill-schedule';

export interface StoredSchedule {
  id: string;
  spec: DrillSchedule;
  enabled: boolean;
  version: number;
  createdBy: string;
  updatedBy: string;
  updatedAt: string;
}

export interface DrillRun {
  scheduleId: string;
  fireAt: string;
  warningId: string;
  issuedAt: string | null;
  outcome: string | null;
}

interface ScheduleRow {
  id: string;
  spec: DrillSchedule;
  enabled: boolean;
  version: number;
  created_by: string;
  updated_by: string;
  updated_at: Date;
}

const toSchedule = (r: ScheduleRow): StoredSchedule => ({
  id: r.id,
  spec: r.spec,
  enabled: r.enabled,
  version: r.version,
  createdBy: r.created_by,
  updatedBy: r.updated_by,
  updatedAt: new Date(r.updated_at).toISOString(),
});

interface RunRow {
  schedule_id: string;
  fire_at: Date;
  warning_id: string;
  issued_at: Date | null;
  outcome: string | null;
}

const toRun = (r: RunRow): DrillRun => ({
  scheduleId: r.schedule_id,
  fireAt: new Date(r.fire_at).toISOString(),
  warningId: r.warning_id,
  issuedAt: r.issued_at ? new Date(r.issued_at).toISOString() : null,
  outcome: r.outcome,
});

/** The drills context's SQL. */
export class DrillsRepository {
  constructor(private readonly db: Db) {}

  async create(id: string, spec: DrillSchedule, actor: string): Promise<StoredSchedule> {
    const r = await this.db.query<ScheduleRow>(
      `INSERT INTO drills.schedules (id, spec, enabled, created_by, updated_by) VALUES ($1, $2, $3, $4, $4)
       RETURNING *`,
      [id, JSON.stringify(spec), spec.enabled, actor],
    );
    return toSchedule(r.rows[0]);
  }

  async update(id: string, spec: DrillSchedule, actor: string): Promise<StoredSchedule | undefined> {
    const r = await this.db.query<ScheduleRow>(
      `UPDATE drills.schedules SET spec = $2, enabled = $3, updated_by = $4, updated_at = now(), version = version + 1
       WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
      [id, JSON.stringify(spec), spec.enabled, actor],
    );
    return r.rows[0] ? toSchedule(r.rows[0]) : undefined;
  }

  /** Kept (its runs name it), never fired again. */
  async remove(id: string, actor: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE drills.schedules SET deleted_at = now(), enabled = false, updated_by = $2, updated_at = now(),
         version = version + 1
       WHERE id = $1 AND deleted_at IS NULL`,
      [id, actor],
    );
    return r.rowCount > 0;
  }

  async get(id: string): Promise<StoredSchedule | undefined> {
    const r = await this.db.query<ScheduleRow>(
      `SELECT * FROM drills.schedules WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return r.rows[0] ? toSchedule(r.rows[0]) : undefined;
  }

  async list(): Promise<StoredSchedule[]> {
    const r = await this.db.query<ScheduleRow>(
      `SELECT * FROM drills.schedules WHERE deleted_at IS NULL ORDER BY created_at, id`,
    );
    return r.rows.map(toSchedule);
  }

  /** Claims one fire of a schedule: true only for the caller whose row this INSERT created. */
  async claimRun(scheduleId: string, fireAt: Date, warningId: string): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO drills.runs (schedule_id, fire_at, warning_id) VALUES ($1, $2, $3)
       ON CONFLICT (schedule_id, fire_at) DO NOTHING`,
      [scheduleId, fireAt.toISOString(), warningId],
    );
    return r.rowCount > 0;
  }

  async runIssued(scheduleId: string, fireAt: Date, outcome: string): Promise<void> {
    await this.db.query(
      `UPDATE drills.runs SET issued_at = now(), outcome = $3 WHERE schedule_id = $1 AND fire_at = $2`,
      [scheduleId, fireAt.toISOString(), outcome],
    );
  }

  /** Runs claimed but never issued (the process died in between). */
  async unissuedRuns(): Promise<DrillRun[]> {
    const r = await this.db.query<RunRow>(
      `SELECT * FROM drills.runs WHERE issued_at IS NULL ORDER BY fire_at`,
    );
    return r.rows.map(toRun);
  }

  async runs(scheduleId?: string): Promise<DrillRun[]> {
    const r = await this.db.query<RunRow>(
      `SELECT * FROM drills.runs WHERE ($1::text IS NULL OR schedule_id = $1) ORDER BY fire_at DESC LIMIT 200`,
      [scheduleId ?? null],
    );
    return r.rows.map(toRun);
  }
}
