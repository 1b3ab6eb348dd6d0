import { Division, DivisionLevel } from '../common/divisions';
import { Db, Queryable } from '../db/db';
import { DirectorySnapshot, ValidDivision, ValidPerson } from './directory-validation';
import { RoleCode } from './roles';

export interface AssignmentRow {
  person_id: string;
  role: RoleCode;
  area_code: string;
  name: string;
  mobile: string | null;
  alt_phone: string | null;
  active: boolean;
}

export interface PersonRow {
  id: string;
  name: string;
  mobile: string | null;
  alt_phone: string | null;
  backup_person_id: string | null;
  superior_person_id: string | null;
  verified_at: string | null;
  active: boolean;
}

export interface PeriodRow {
  person_id: string;
  kind: 'leave' | 'on-duty';
  from_at: Date;
  to_at: Date;
  substitute_person_id: string | null;
}

export interface DivisionRow {
  code: string;
  name: string;
  level: DivisionLevel;
  parent_code: string | null;
}

const CHUNK = 20_000;
const chunks = <T>(xs: T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
};

/** Prefix patterns for LIKE: "140212" covers 140212000000 and everything under it. */
const likeAny = (prefixes: string[], column: string, firstParam: number) =>
  prefixes.length ? `(${prefixes.map((_, i) => `${column} LIKE $${firstParam + i}`).join(' OR ')})` : 'false';
const patterns = (prefixes: string[]) => prefixes.map((p) => `${p}%`);

/** Role holders of the roles in $1 with their contact details; the caller adds which areas. */
const ASSIGNMENTS_OF_ROLES = `SELECT ra.person_id, ra.role, ra.area_code, p.name, p.mobile, p.alt_phone, p.active
       FROM directory.role_assignments ra
       JOIN directory.persons p ON p.id = ra.person_id
       WHERE ra.role = ANY($1::text[])`;

/** SQL of the directory schema. Bulk writes go through unnest(): one statement per table per chunk. */
export class DirectoryRepository {
  constructor(private readonly db: Db) {}

  get database(): Db {
    return this.db;
  }

  async upsertDivisions(q: Queryable, divisions: (Division | ValidDivision)[]): Promise<void> {
    // Parents before children: the parent foreign key is checked per statement.
    const order: Record<DivisionLevel, number> = { province: 0, city: 1, county: 2, township: 3, village: 4 };
    const sorted = [...divisions].sort(
      (a, b) => order[a.level] - order[b.level] || a.code.localeCompare(b.code),
    );
    for (const level of ['province', 'city', 'county', 'township', 'village'] as DivisionLevel[]) {
      for (const part of chunks(sorted.filter((d) => d.level === level))) {
        await q.query(
          `INSERT INTO directory.divisions (code, name, level, parent_code, lat, lon)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[])
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code,
             lat = COALESCE(EXCLUDED.lat, directory.divisions.lat), lon = COALESCE(EXCLUDED.lon, directory.divisions.lon)
             WHERE (directory.divisions.name, directory.divisions.parent_code)
                   IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_code)
                OR (EXCLUDED.lat IS NOT NULL AND (directory.divisions.lat, directory.divisions.lon)
                   IS DISTINCT FROM (EXCLUDED.lat, EXCLUDED.lon))`,
          [
            part.map((d) => d.code),
            part.map((d) => d.name),
            part.map((d) => d.level),
            part.map((d) => d.parentCode),
            part.map((d) => ('lat' in d ? d.lat : null)),
            part.map((d) => ('lon' in d ? d.lon : null)),
          ],
        );
      }
    }
  }

  async snapshot(): Promise<DirectorySnapshot> {
    const [d, p] = await Promise.all([
      this.db.query<{ code: string }>(`SELECT code FROM directory.divisions`),
      this.db.query<{ id: string; superior_person_id: string | null }>(
        `SELECT id, superior_person_id FROM directory.persons`,
      ),
    ]);
    return {
      divisionCodes: new Set(d.rows.map((r) => r.code)),
      persons: new Map(p.rows.map((r) => [r.id, r.superior_person_id])),
    };
  }

  /** Writes validated persons: upsert by external id; their roles and periods are replaced. */
  async upsertPersons(q: Queryable, persons: ValidPerson[]): Promise<void> {
    for (const part of chunks(persons)) {
      await q.query(
        `INSERT INTO directory.persons
           (id, name, mobile, alt_phone, backup_person_id, superior_person_id, verified_at, active, updated_at)
         SELECT id, name, mobile, alt_phone, backup, superior, verified::date, active, now()
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[])
           AS t(id, name, mobile, alt_phone, backup, superior, verified, active)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, mobile = EXCLUDED.mobile,
           alt_phone = EXCLUDED.alt_phone, backup_person_id = EXCLUDED.backup_person_id,
           superior_person_id = EXCLUDED.superior_person_id, verified_at = EXCLUDED.verified_at,
           active = EXCLUDED.active, updated_at = now()`,
        [
          part.map((p) => p.id),
          part.map((p) => p.name),
          part.map((p) => p.mobile),
          part.map((p) => p.altPhone),
          part.map((p) => p.backupPersonId),
          part.map((p) => p.superiorPersonId),
          part.map((p) => p.verifiedAt),
          part.map((p) => p.active),
        ],
      );
      const ids = part.map((p) => p.id);
      await q.query(`DELETE FROM directory.role_assignments WHERE person_id = ANY($1::text[])`, [ids]);
      await q.query(`DELETE FROM directory.availability WHERE person_id = ANY($1::text[])`, [ids]);
      const roles = part.flatMap((p) => p.roles.map((r) => [p.id, r.role, r.areaCode]));
      if (roles.length)
        await q.query(
          `INSERT INTO directory.role_assignments (person_id, role, area_code)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
          [roles.map((r) => r[0]), roles.map((r) => r[1]), roles.map((r) => r[2])],
        );
      const periods = part.flatMap((p) => p.periods.map((x) => ({ id: p.id, ...x })));
      if (periods.length)
        await q.query(
          `INSERT INTO directory.availability (person_id, kind, from_at, to_at, substitute_person_id)
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[])`,
          [
            periods.map((x) => x.id),
            periods.map((x) => x.kind),
            periods.map((x) => x.from.toISOString()),
            periods.map((x) => x.to.toISOString()),
            periods.map((x) => x.substitutePersonId),
          ],
        );
    }
  }

  async divisionsByCode(codes: string[]): Promise<DivisionRow[]> {
    const r = await this.db.query<DivisionRow>(
      `SELECT code, name, level, parent_code FROM directory.divisions WHERE code = ANY($1::text[])`,
      [codes],
    );
    return r.rows;
  }

  /** Every division whose code starts with one of the prefixes (the areas and all below them). */
  async divisionsUnder(prefixes: string[]): Promise<DivisionRow[]> {
    const r = await this.db.query<DivisionRow>(
      `SELECT code, name, level, parent_code FROM directory.divisions WHERE ${likeAny(prefixes, 'code', 1)}`,
      patterns(prefixes),
    );
    return r.rows;
  }

  async children(parent: string | null): Promise<DivisionRow[]> {
    const r = parent
      ? await this.db.query<DivisionRow>(
          `SELECT code, name, level, parent_code FROM directory.divisions WHERE parent_code = $1 ORDER BY code`,
          [parent],
        )
      : await this.db.query<DivisionRow>(
          `SELECT code, name, level, parent_code FROM directory.divisions WHERE parent_code IS NULL ORDER BY code`,
        );
    return r.rows;
  }

  /** Role holders under the prefixes, with their contact details (division details come from divisionsUnder). */
  async assignmentsUnder(prefixes: string[], roles: RoleCode[]): Promise<AssignmentRow[]> {
    const r = await this.db.query<AssignmentRow>(
      `${ASSIGNMENTS_OF_ROLES} AND ${likeAny(prefixes, 'ra.area_code', 2)}`,
      [roles, ...patterns(prefixes)],
    );
    return r.rows;
  }

  /** Role holders assigned exactly in the given divisions (not below them). */
  async assignmentsAt(codes: string[], roles: RoleCode[]): Promise<AssignmentRow[]> {
    const r = await this.db.query<AssignmentRow>(
      `${ASSIGNMENTS_OF_ROLES} AND ra.area_code = ANY($2::text[])`,
      [roles, codes],
    );
    return r.rows;
  }

  /** Holders of a role in exactly one division (the ladder's "same role one level up"). */
  async holders(role: RoleCode, areaCode: string): Promise<PersonRow[]> {
    const r = await this.db.query<PersonRow>(
      `SELECT p.id, p.name, p.mobile, p.alt_phone, p.backup_person_id, p.superior_person_id,
              p.verified_at::text, p.active
       FROM directory.role_assignments ra JOIN directory.persons p ON p.id = ra.person_id
       WHERE ra.role = $1 AND ra.area_code = $2 ORDER BY p.id`,
      [role, areaCode],
    );
    return r.rows;
  }

  async persons(ids: string[]): Promise<PersonRow[]> {
    const r = await this.db.query<PersonRow>(
      `SELECT id, name, mobile, alt_phone, backup_person_id, superior_person_id, verified_at::text, active
       FROM directory.persons WHERE id = ANY($1::text[])`,
      [ids],
    );
    return r.rows;
  }

  async assignmentsOf(
    personId: string,
  ): Promise<{ role: RoleCode; area_code: string; level: DivisionLevel }[]> {
    const r = await this.db.query<{ role: RoleCode; area_code: string; level: DivisionLevel }>(
      `SELECT ra.role, ra.area_code, d.level FROM directory.role_assignments ra
       JOIN directory.divisions d ON d.code = ra.area_code WHERE ra.person_id = $1 ORDER BY ra.area_code, ra.role`,
      [personId],
    );
    return r.rows;
  }

  /**
   * Availability rows that matter at `at`: leave covering it, and every on-duty period of persons
   * who keep a roster (having one at all means "reachable only on duty").
   */
  async periodsAt(at: Date, personIds?: string[]): Promise<PeriodRow[]> {
    const r = await this.db.query<PeriodRow>(
      `SELECT person_id, kind, from_at, to_at, substitute_person_id FROM directory.availability
       WHERE (kind = 'on-duty' OR (from_at <= $1 AND to_at > $1))
         ${personIds ? 'AND person_id = ANY($2::text[])' : ''}`,
      personIds ? [at.toISOString(), personIds] : [at.toISOString()],
    );
    return r.rows;
  }

  async allPersons(): Promise<PersonRow[]> {
    const r = await this.db.query<PersonRow>(
      `SELECT id, name, mobile, alt_phone, backup_person_id, superior_person_id, verified_at::text, active
       FROM directory.persons ORDER BY id`,
    );
    return r.rows;
  }

  async allAssignments(): Promise<{ person_id: string; role: RoleCode; area_code: string }[]> {
    const r = await this.db.query<{ person_id: string; role: RoleCode; area_code: string }>(
      `SELECT person_id, role, area_code FROM directory.role_assignments ORDER BY person_id, area_code, role`,
    );
    return r.rows;
  }

  async allPeriods(): Promise<PeriodRow[]> {
    const r = await this.db.query<PeriodRow>(
      `SELECT person_id, kind, from_at, to_at, substitute_person_id FROM directory.availability ORDER BY person_id, from_at`,
    );
    return r.rows;
  }

  async allDivisions(): Promise<(DivisionRow & { lat: number | null; lon: number | null })[]> {
    const r = await this.db.query<DivisionRow & { lat: number | null; lon: number | null }>(
      `SELECT code, name, level, parent_code, lat, lon FROM directory.divisions`,
    );
    return r.rows;
  }

  async sharedNumbers(): Promise<{ number: string; person_ids: string[] }[]> {
    const r = await this.db.query<{ number: string; person_ids: string[] }>(
      `SELECT mobile AS number, array_agg(id ORDER BY id) AS person_ids FROM directory.persons
       WHERE active AND mobile IS NOT NULL GROUP BY mobile HAVING count(*) > 1 ORDER BY mobile`,
    );
    return r.rows;
  }

  /** Villages with a point, for CAP polygons and circles. */
  async villagePoints(): Promise<{ code: string; name: string; lat: number; lon: number }[]> {
    const { rows } = await this.db.query<{ code: string; name: string; lat: number; lon: number }>(
      `SELECT code, name, lat, lon FROM directory.divisions WHERE level = 'village' AND lat IS NOT NULL ORDER BY code`,
    );
    return rows;
  }
}
