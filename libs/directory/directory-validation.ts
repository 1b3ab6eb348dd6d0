import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DIVISION_CODE, DivisionLevel, levelOfCode } from '../common/divisions';
import { DivisionRecord, Located, ParsedDirectory, PersonRecord, RowError } from './directory-format';
import { ROLE_CODES, ROLES, RoleCode } from './roles';

/** A person ready to be written: numbers in E.164, dates checked, roles known. */
export interface ValidPerson {
  id: string;
  name: string;
  mobile: string | null;
  altPhone: string | null;
  roles: { role: RoleCode; areaCode: string }[];
  backupPersonId: string | null;
  superiorPersonId: string | null;
  verifiedAt: string | null;
  active: boolean;
  periods: { kind: 'leave' | 'on-duty'; from: Date; to: Date; substitutePersonId: string | null }[];
}

export interface ValidDivision {
  code: string;
  name: string;
  level: DivisionLevel;
  parentCode: string;
  lat: number | null;
  lon: number | null;
}

/** A division's point: both coordinates or neither, each a number on the globe. */
export function pointOf(d: DivisionRecord): { lat: number | null; lon: number | null } | { error: string } {
  const given = (v: unknown) => v !== undefined && v !== null && String(v).trim() !== '';
  if (!given(d.lat) && !given(d.lon)) return { lat: null, lon: null };
  if (!given(d.lat) || !given(d.lon))
    return { error: `division ${d.code}: give both latitude and longitude, or neither` };
  const lat = Number(d.lat);
  const lon = Number(d.lon);
  if (!Number.isFinite(lat) || Math.abs(lat) > 90)
    return { error: `division ${d.code}: latitude '${d.lat}' is not in -90…90` };
  if (!Number.isFinite(lon) || Math.abs(lon) > 180)
    return { error: `division ${d.code}: longitude '${d.lon}' is not in -180…180` };
  return { lat, lon };
}

/** What the database already holds, so that a file may refer to earlier imports. */
export interface DirectorySnapshot {
  divisionCodes: ReadonlySet<string>;
  /** person id → superior id (null when none), for cycle detection across file and database. */
  persons: ReadonlyMap<string, string | null>;
}

export interface ValidationReport {
  persons: ValidPerson[];
  divisions: ValidDivision[];
  errors: RowError[];
  /** Records read (persons) and how many of them are good. */
  total: number;
}

const ZH_ROLE = new Map<string, RoleCode>(ROLE_CODES.map((c) => [ROLES[c].zh, c]));

/** Role code, or its Chinese name as a spreadsheet user writes it (防汛责任人 → flood-control). */
export function roleCodeOf(s: string): RoleCode | null {
  const t = s.trim();
  if ((ROLE_CODES as string[]).includes(t)) return t as RoleCode;
  return ZH_ROLE.get(t) ?? null;
}

/** A number people can be called and texted on: E.164, and for China a mobile (not a fixed line). */
export function normaliseMobile(raw: string): string | null {
  const p = parsePhoneNumberFromString(raw, 'CN');
  if (!p || !p.isValid()) return null;
  const type = p.getType();
  if (p.country === 'CN' || p.countryCallingCode === '86') return type === 'MOBILE' ? p.number : null;
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' ? p.number : null;
}

/** Any valid number (a second number may be a fixed line), E.164. */
export function normalisePhone(raw: string): string | null {
  const p = parsePhoneNumberFromString(raw, 'CN');
  return p && p.isValid() ? p.number : null;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function validDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function parseInstant(s: string): Date | null {
  if (!s) return null;
  // A bare date means midnight Beijing time: rosters are kept in local dates.
  const iso = DATE.test(s) ? `${s}T00:00:00+08:00` : s;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function parseActive(v: boolean | string | undefined): boolean | null {
  if (v === undefined || v === true || v === false) return v ?? true;
  const t = String(v).trim().toLowerCase();
  if (['true', '1', 'yes', 'y', '是', '在岗'].includes(t)) return true;
  if (['false', '0', 'no', 'n', '否', '停用'].includes(t)) return false;
  return null;
}

/**
 * Checks every record and reports each bad one with its line and reason. `partial` decides nothing
 * here; the report also lists the good records whose references all point at good or existing ones,
 * so that a partial import never writes a row that names a rejected person or division.
 */
export function validateDirectory(parsed: ParsedDirectory, snapshot: DirectorySnapshot): ValidationReport {
  const errors: RowError[] = [...parsed.errors];
  const src = (which: 'persons' | 'divisions') => (parsed.source === 'csv' ? 'csv' : which);

  // Divisions first: persons may sit in a division the same file brings.
  const divisions = new Map<string, { rec: Located<DivisionRecord>; bad: boolean }>();
  const badDivision = (d: Located<DivisionRecord>, reason: string) =>
    errors.push({ line: d.line, source: src('divisions'), id: d.value.code || null, reason });
  for (const d of parsed.divisions) {
    const { code, name, parentCode } = d.value;
    if (!DIVISION_CODE.test(code)) {
      badDivision(d, `invalid division code '${code}' (12 digits)`);
      continue;
    }
    const seen = divisions.get(code);
    if (seen) {
      if (seen.rec.value.name !== name || seen.rec.value.parentCode !== parentCode)
        badDivision(d, `division ${code} given differently on line ${seen.rec.line}`);
      continue;
    }
    divisions.set(code, { rec: d, bad: false });
  }
  // A file division is good when its fields are, and its parent is seeded or itself a good file division.
  const verdict = new Map<string, boolean>();
  const divisionOk = (code: string, depth = 0): boolean => {
    if (snapshot.divisionCodes.has(code) && !divisions.has(code)) return true;
    const entry = divisions.get(code);
    if (!entry) return false;
    if (verdict.has(code)) return verdict.get(code)!;
    const { rec } = entry;
    const { name, parentCode } = rec.value;
    let reason: string | null = null;
    const point = pointOf(rec.value);
    if (!name) reason = `division ${code} has no name`;
    else if ('error' in point) reason = point.error;
    else if (levelOfCode(code) === 'province')
      reason = `division ${code}: provinces come from the seeded codes`;
    else if (!DIVISION_CODE.test(parentCode)) reason = `division ${code}: missing parent division code`;
    else if (parentCode === code || !code.startsWith(parentCode.replace(/0+$/, '')))
      reason = `division ${code} does not lie inside its parent ${parentCode}`;
    else if (depth > 5 || !divisionOk(parentCode, depth + 1))
      reason = divisions.has(parentCode)
        ? `missing parent division ${parentCode} (its own row is rejected)`
        : `missing parent division ${parentCode}`;
    verdict.set(code, !reason);
    if (reason) {
      entry.bad = true;
      badDivision(rec, reason);
    }
    return !reason;
  };
  for (const code of divisions.keys()) divisionOk(code);
  const divisionKnown = (code: string) => divisionOk(code);

  // Persons: field checks.
  const firstLine = new Map<string, number>();
  const good = new Map<string, { line: number; person: ValidPerson }>();
  const badPerson = (p: Located<PersonRecord>, reasons: string[]) =>
    errors.push({ line: p.line, source: src('persons'), id: p.value.id || null, reason: reasons.join('; ') });
  const mentioned = (id: string) => firstLine.has(id) || snapshot.persons.has(id);
  for (const p of parsed.persons)
    if (p.value.id && !firstLine.has(p.value.id)) firstLine.set(p.value.id, p.line);

  const seenIds = new Set<string>();
  for (const p of parsed.persons) {
    const r = p.value;
    const reasons: string[] = [];
    if (!r.id) reasons.push('missing person id');
    else if (seenIds.has(r.id))
      reasons.push(`duplicate person ${r.id} (first on line ${firstLine.get(r.id)})`);
    if (r.id) seenIds.add(r.id);
    if (!r.name) reasons.push('missing name');
    let mobile: string | null = null;
    if (r.mobile) {
      mobile = normaliseMobile(r.mobile);
      if (!mobile)
        reasons.push(`invalid mobile number '${r.mobile}' (not a valid E.164 / Chinese mobile number)`);
    }
    let altPhone: string | null = null;
    if (r.altPhone) {
      altPhone = normalisePhone(r.altPhone);
      if (!altPhone) reasons.push(`invalid second number '${r.altPhone}'`);
    }
    const roles: { role: RoleCode; areaCode: string }[] = [];
    for (const a of r.roles) {
      const role = roleCodeOf(a.role);
      if (!role) reasons.push(`unknown role '${a.role}'`);
      if (!a.areaCode) reasons.push(`role ${a.role} has no area code`);
      else if (!DIVISION_CODE.test(a.areaCode) || !divisionKnown(a.areaCode))
        reasons.push(
          divisions.get(a.areaCode)?.bad
            ? `division ${a.areaCode} is rejected (see its row)`
            : `unknown division code ${a.areaCode}`,
        );
      if (role && a.areaCode && !roles.some((x) => x.role === role && x.areaCode === a.areaCode))
        roles.push({ role, areaCode: a.areaCode });
    }
    const ref = (what: string, id: string | null | undefined) => {
      if (!id) return;
      if (id === r.id) reasons.push(`${what} equal to self`);
      else if (!mentioned(id)) reasons.push(`unknown ${what} ${id}`);
    };
    ref('backup', r.backupPersonId);
    if (r.superiorPersonId === r.id && r.id) reasons.push(`superior cycle: ${r.id} → ${r.id}`);
    else ref('superior', r.superiorPersonId);
    if (r.verifiedAt && !validDate(r.verifiedAt))
      reasons.push(`invalid verified_at '${r.verifiedAt}' (YYYY-MM-DD)`);
    const active = parseActive(r.active);
    if (active === null) reasons.push(`invalid active '${String(r.active)}'`);
    const periods: ValidPerson['periods'] = [];
    for (const [kind, list] of [
      ['leave', r.leave ?? []],
      ['on-duty', r.onDuty ?? []],
    ] as const) {
      for (const per of list) {
        const from = parseInstant(per.from);
        const to = parseInstant(per.to);
        if (!from || !to || to <= from) {
          reasons.push(`invalid ${kind} period '${per.from}'–'${per.to}'`);
          continue;
        }
        const sub = 'substitutePersonId' in per ? (per.substitutePersonId ?? null) : null;
        ref('substitute', sub);
        periods.push({ kind, from, to, substitutePersonId: sub });
      }
    }
    if (reasons.length) {
      badPerson(p, reasons);
      continue;
    }
    good.set(r.id, {
      line: p.line,
      person: {
        id: r.id,
        name: r.name,
        mobile,
        altPhone,
        roles,
        backupPersonId: r.backupPersonId ?? null,
        superiorPersonId: r.superiorPersonId ?? null,
        verifiedAt: r.verifiedAt ?? null,
        active: active ?? true,
        periods,
      },
    });
  }
  const goodLines = new Set([...good.values()].map((g) => g.line));
  const rejectedIds = new Set(
    parsed.persons.filter((p) => p.value.id && !good.has(p.value.id)).map((p) => p.value.id),
  );
  // A duplicate's first row stays good; but the id is then not "rejected".
  for (const id of good.keys()) rejectedIds.delete(id);

  // Superior cycles over the file merged with the database.
  const superiorOf = new Map(snapshot.persons);
  for (const p of parsed.persons)
    if (p.value.id && goodLines.has(p.line)) superiorOf.set(p.value.id, p.value.superiorPersonId ?? null);
  for (const p of parsed.persons)
    if (p.value.id && !good.has(p.value.id) && !snapshot.persons.has(p.value.id))
      superiorOf.set(p.value.id, p.value.superiorPersonId ?? null);
  const onCycle = new Map<string, string[]>();
  for (const id of good.keys()) {
    const path: string[] = [];
    const index = new Map<string, number>();
    let cur: string | null | undefined = id;
    while (cur && !index.has(cur) && path.length <= superiorOf.size) {
      index.set(cur, path.length);
      path.push(cur);
      cur = superiorOf.get(cur);
    }
    if (cur && index.get(cur) === 0) onCycle.set(id, [...path, cur]);
  }
  for (const [id, cycle] of onCycle) {
    const g = good.get(id)!;
    errors.push({ line: g.line, source: src('persons'), id, reason: `superior cycle: ${cycle.join(' → ')}` });
    good.delete(id);
    rejectedIds.add(id);
  }

  // A good row that names a rejected person (not already in the database) cannot be written alone.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [id, g] of good) {
      const refs = [
        g.person.backupPersonId,
        g.person.superiorPersonId,
        ...g.person.periods.map((x) => x.substitutePersonId),
      ];
      const broken = refs.find((x) => x && rejectedIds.has(x) && !snapshot.persons.has(x));
      if (broken) {
        errors.push({
          line: g.line,
          source: src('persons'),
          id,
          reason: `refers to person ${broken}, whose row is rejected`,
        });
        good.delete(id);
        rejectedIds.add(id);
        changed = true;
      }
    }
  }

  errors.sort((a, b) => a.line - b.line || a.source.localeCompare(b.source));
  return {
    persons: [...good.values()].map((g) => g.person),
    divisions: [...divisions.values()]
      .filter((d) => !d.bad)
      .map(({ rec }) => ({
        code: rec.value.code,
        name: rec.value.name,
        level: levelOfCode(rec.value.code),
        parentCode: rec.value.parentCode,
        ...(pointOf(rec.value) as { lat: number | null; lon: number | null }),
      })),
    errors,
    total: parsed.persons.length,
  };
}
