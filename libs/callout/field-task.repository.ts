import { Injectable } from '@nestjs/common';
import { Queryable } from '../db/db';
import { CalloutRow } from './callout.types';

export type FieldOutcome = 'reached' | 'not-found' | 'moved';
export const FIELD_OUTCOMES: readonly FieldOutcome[] = ['reached', 'not-found', 'moved'];

export interface FieldTaskRow {
  id: string;
  warning_id: string;
  area_code: string;
  area_name: string | null;
  assignee_person_id: string;
  assignee_name: string;
  assignee_role: string;
  assignee_phone: string;
  opened_by: string;
  opened_at: string;
  closed_at: string | null;
}

export interface FieldTaskItemRow {
  task_id: string;
  callout_id: string;
  person_name: string;
  phone: string;
  role: string | null;
  area_code: string | null;
  area_name: string | null;
  state: string;
  outcome: FieldOutcome | null;
  note: string | null;
  reported_by: string | null;
  reported_at: string | null;
}

export interface FieldTaskSummary extends FieldTaskRow {
  seq: number;
  headline: string | null;
  drill: boolean;
  persons: number;
  reported: number;
}

/** SQL of door-to-door hand-offs (callout.field_tasks and their items). */
@Injectable()
export class FieldTaskRepository {
  /** The not-woken call-outs of one warning in or under an area not already out with a team, locked. */
  async lockNotWokenUnder(tx: Queryable, warningId: string, prefix: string): Promise<CalloutRow[]> {
    const r = await tx.query<CalloutRow>(
      `SELECT * FROM callout.callouts
       WHERE warning_id = $1 AND state = 'NOT_WOKEN' AND area_code LIKE $2 || '%'
         AND NOT EXISTS (
           SELECT 1 FROM callout.field_task_items i JOIN callout.field_tasks t ON t.id = i.task_id
           WHERE i.callout_id = callouts.id AND i.outcome IS NULL AND t.closed_at IS NULL)
       ORDER BY area_code, created_at, id FOR NO KEY UPDATE`,
      [warningId, prefix],
    );
    return r.rows;
  }

  async insert(tx: Queryable, t: Omit<FieldTaskRow, 'opened_at' | 'closed_at'>, calloutIds: string[]) {
    await tx.query(
      `INSERT INTO callout.field_tasks (id, warning_id, area_code, area_name, assignee_person_id, assignee_name,
         assignee_role, assignee_phone, opened_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        t.id,
        t.warning_id,
        t.area_code,
        t.area_name,
        t.assignee_person_id,
        t.assignee_name,
        t.assignee_role,
        t.assignee_phone,
        t.opened_by,
      ],
    );
    await tx.query(
      `INSERT INTO callout.field_task_items (task_id, callout_id) SELECT $1, unnest($2::text[])`,
      [t.id, calloutIds],
    );
  }

  async lockTask(tx: Queryable, id: string): Promise<FieldTaskRow | undefined> {
    const r = await tx.query<FieldTaskRow>(`SELECT * FROM callout.field_tasks WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    return r.rows[0];
  }

  /** Records one person's outcome once; false when it was already reported (or is not in the task). */
  async report(
    tx: Queryable,
    taskId: string,
    calloutId: string,
    o: { outcome: FieldOutcome; note: string | null; actor: string },
  ): Promise<boolean> {
    const r = await tx.query(
      `UPDATE callout.field_task_items SET outcome = $3, note = $4, reported_by = $5, reported_at = now()
       WHERE task_id = $1 AND callout_id = $2 AND outcome IS NULL`,
      [taskId, calloutId, o.outcome, o.note, o.actor],
    );
    return r.rowCount === 1;
  }

  /** Closes the task when every person's outcome is in; true when this call closed it. */
  async closeIfDone(tx: Queryable, taskId: string): Promise<boolean> {
    const r = await tx.query(
      `UPDATE callout.field_tasks SET closed_at = now()
       WHERE id = $1 AND closed_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM callout.field_task_items WHERE task_id = $1 AND outcome IS NULL)`,
      [taskId],
    );
    return r.rowCount === 1;
  }

  async list(
    q: Queryable,
    opts: { open: boolean; warningId?: string; id?: string },
  ): Promise<FieldTaskSummary[]> {
    const r = await q.query<FieldTaskSummary & { persons: string; reported: string }>(
      `SELECT t.*, w.seq, w.headline, w.drill,
              (SELECT count(*) FROM callout.field_task_items i WHERE i.task_id = t.id) AS persons,
              (SELECT count(*) FROM callout.field_task_items i WHERE i.task_id = t.id AND i.outcome IS NOT NULL) AS reported
       FROM callout.field_tasks t JOIN callout.warnings w ON w.id = t.warning_id
       WHERE (NOT $1::boolean OR t.closed_at IS NULL) AND ($2::text IS NULL OR t.warning_id = $2)
         AND ($3::text IS NULL OR t.id = $3)
       ORDER BY t.opened_at LIMIT 200`,
      [opts.open, opts.warningId ?? null, opts.id ?? null],
    );
    return r.rows.map((t) => ({ ...t, persons: Number(t.persons), reported: Number(t.reported) }));
  }

  async task(q: Queryable, id: string): Promise<FieldTaskSummary | undefined> {
    return (await this.list(q, { open: false, id }))[0];
  }

  async items(q: Queryable, taskId: string): Promise<FieldTaskItemRow[]> {
    const r = await q.query<FieldTaskItemRow>(
      `SELECT i.task_id, i.callout_id, c.person_name, c.phone, c.role, c.area_code, c.area_name, c.state,
              i.outcome, i.note, i.reported_by, i.reported_at
       FROM callout.field_task_items i JOIN callout.callouts c ON c.id = i.callout_id
       WHERE i.task_id = $1 ORDER BY c.area_code, c.created_at, c.id`,
      [taskId],
    );
    return r.rows;
  }
}
