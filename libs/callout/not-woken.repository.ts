import { Injectable } from '@nestjs/common';
import { codePrefix, DIVISION_CODE } from '../common/divisions';
import { Queryable } from '../db/db';

/** What the duty officer narrows the not-woken list to; every field optional. */
export interface NotWokenFilter {
  warningId?: string;
  /** A division code (county, township or village): persons in it or under it. */
  area?: string;
  role?: string;
  /** Part of a name, or digits of a number. */
  q?: string;
}

/** Persons of one warning not woken in one village (or other area), the unit the board groups by. */
export interface NotWokenGroupRow {
  warning_id: string;
  area_code: string;
  area_name: string | null;
  n: number;
  /** When the one who has waited longest was first called. */
  oldest: string;
}

export interface NotWokenPersonRow {
  id: string;
  warning_id: string;
  seq: number;
  headline: string;
  drill: boolean;
  person_id: string;
  person_name: string;
  phone: string;
  role: string | null;
  area_code: string | null;
  area_name: string | null;
  state_reason: string | null;
  created_at: string;
  updated_at: string;
  handled_by_name: string | null;
}

/** Confirmations of one warning (optionally one county) counted per second after the first call. */
export interface ProgressRows {
  startedAt: string | null;
  total: number;
  /** Seconds after startedAt → persons confirmed in that second. */
  confirmedAt: { sec: number; n: number }[];
}

/** A free-text search kept to what names and numbers contain; LIKE's own characters are escaped. */
function searchTerms(q: string | undefined): { text: string | null; digits: string | null } {
  const t = (q ?? '').trim().slice(0, 50);
  if (!t) return { text: null, digits: null };
  const digits = t.replace(/[\s+-]/g, '');
  const esc = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
  return { text: `%${esc(t)}%`, digits: /^\d{3,}$/.test(digits) ? `%${digits}%` : null };
}

/** The prefix every code under a division starts with; undefined for anything not a division code. */
export function areaPrefix(area: string | undefined): string | undefined {
  return area && DIVISION_CODE.test(area) ? codePrefix(area) : undefined;
}

/** The WHERE clause of a filtered not-woken read, with its parameters from $1. */
function where(f: NotWokenFilter): { sql: string; params: unknown[] } {
  const s = searchTerms(f.q);
  return {
    sql: `c.state = 'NOT_WOKEN'
      AND ($1::text IS NULL OR c.warning_id = $1)
      AND ($2::text IS NULL OR c.area_code LIKE $2 || '%')
      AND ($3::text IS NULL OR c.role = $3)
      AND ($4::text IS NULL OR c.person_name ILIKE $4 OR ($5::text IS NOT NULL AND c.phone LIKE $5))`,
    params: [f.warningId || null, areaPrefix(f.area) ?? null, f.role || null, s.text, s.digits],
  };
}

/**
 * Reads of the not-woken list at city scale: counts per village (the board groups them by county and
 * township), one page of persons under an area (longest waiting first), and the confirmation curve.
 */
@Injectable()
export class NotWokenRepository {
  async groups(q: Queryable, f: NotWokenFilter): Promise<NotWokenGroupRow[]> {
    const w = where(f);
    const r = await q.query<NotWokenGroupRow & { n: string | number; oldest: Date | string }>(
      `SELECT c.warning_id, c.area_code, min(c.area_name) AS area_name, count(*) AS n, min(c.created_at) AS oldest
       FROM callout.callouts c WHERE ${w.sql} AND c.area_code IS NOT NULL
       GROUP BY c.warning_id, c.area_code ORDER BY c.area_code, c.warning_id`,
      w.params,
    );
    return r.rows.map((x) => ({ ...x, n: Number(x.n), oldest: new Date(x.oldest).toISOString() }));
  }

  async persons(
    q: Queryable,
    f: NotWokenFilter,
    page: { limit: number; offset: number },
  ): Promise<NotWokenPersonRow[]> {
    const w = where(f);
    const r = await q.query<NotWokenPersonRow>(
      `SELECT c.id, c.warning_id, w.seq, w.headline, w.drill, c.person_id, c.person_name, c.phone, c.role,
              c.area_code, c.area_name, c.state_reason, c.created_at, c.updated_at, h.person_name AS handled_by_name
       FROM callout.callouts c JOIN callout.warnings w ON w.id = c.warning_id
       LEFT JOIN callout.callouts h ON h.id = c.handled_by
       WHERE ${w.sql}
       ORDER BY c.created_at, c.area_code, c.id LIMIT $6 OFFSET $7`,
      [...w.params, page.limit, page.offset],
    );
    return r.rows;
  }

  async progress(q: Queryable, warningId: string, county?: string): Promise<ProgressRows> {
    const prefix = areaPrefix(county) ?? null;
    const r = await q.query<{ started: Date | null; total: string }>(
      `SELECT min(created_at) AS started, count(*) AS total FROM callout.callouts
       WHERE warning_id = $1 AND rung = 0 AND NOT superseded AND ($2::text IS NULL OR area_code LIKE $2 || '%')`,
      [warningId, prefix],
    );
    const started = r.rows[0]?.started ?? null;
    if (!started) return { startedAt: null, total: 0, confirmedAt: [] };
    const per = await q.query<{ sec: number; n: string }>(
      `SELECT floor(extract(epoch FROM confirmed_at - $3::timestamptz))::int AS sec, count(*) AS n
       FROM callout.callouts
       WHERE warning_id = $1 AND rung = 0 AND NOT superseded AND state = 'CONFIRMED' AND confirmed_at IS NOT NULL
         AND ($2::text IS NULL OR area_code LIKE $2 || '%')
       GROUP BY 1 ORDER BY 1`,
      [warningId, prefix, started],
    );
    return {
      startedAt: new Date(started).toISOString(),
      total: Number(r.rows[0].total),
      confirmedAt: per.rows.map((x) => ({ sec: Math.max(0, x.sec), n: Number(x.n) })),
    };
  }
}
