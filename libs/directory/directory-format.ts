import * as iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { restoreCsvCell, safeCsv } from '../common/safe-csv';

/**
 * The roster exchange format (docs/directory.md): JSON (`DirectoryDocument`) or CSV with one row per
 * person. Parsing only shapes the input and remembers where each record came from; the rules live in
 * directory-validation.ts.
 */
export interface DivisionRecord {
  code: string;
  name: string;
  parentCode: string;
  /** The village's point (WGS-84), for CAP polygons and circles; both or neither. */
  lat?: number | string | null;
  lon?: number | string | null;
}

export interface RoleRecord {
  role: string;
  areaCode: string;
}

export interface PeriodRecord {
  from: string;
  to: string;
  substitutePersonId?: string | null;
}

export interface PersonRecord {
  id: string;
  name: string;
  /** E.164 or a Chinese mobile number in any usual spelling; normalised on import. Null: no number. */
  mobile: string | null;
  altPhone?: string | null;
  roles: RoleRecord[];
  backupPersonId?: string | null;
  superiorPersonId?: string | null;
  /** YYYY-MM-DD: the date the contact was last confirmed. */
  verifiedAt?: string | null;
  active?: boolean | string;
  leave?: PeriodRecord[];
  onDuty?: { from: string; to: string }[];
}

export interface DirectoryDocument {
  divisions: DivisionRecord[];
  persons: PersonRecord[];
}

/** A record and where it came from: the CSV line, or the 1-based position in the JSON list. */
export interface Located<T> {
  line: number;
  value: T;
}

export interface RowError {
  line: number;
  /** 'persons' / 'divisions' for JSON lists, 'csv' for CSV rows. */
  source: 'csv' | 'persons' | 'divisions';
  id: string | null;
  reason: string;
}

export interface ParsedDirectory {
  divisions: Located<DivisionRecord>[];
  persons: Located<PersonRecord>[];
  errors: RowError[];
  source: 'csv' | 'json';
}

export const CSV_COLUMNS = [
  'person_id',
  'name',
  'mobile',
  'alt_phone',
  'roles',
  'area_code',
  'area_name',
  'parent_code',
  'area_lat',
  'area_lon',
  'backup_person_id',
  'superior_person_id',
  'verified_at',
  'active',
  'leave_from',
  'leave_to',
  'substitute_person_id',
] as const;

export type TextEncoding = 'utf-8' | 'gbk' | 'utf-16le' | 'utf-16be';

/** A file whose bytes are no text in any encoding the import reads; nothing in it is looked at. */
export class UndecodableFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndecodableFileError';
  }
}

const UTF16_BOMS: [number, number, 'utf-16le' | 'utf-16be'][] = [
  [0xff, 0xfe, 'utf-16le'],
  [0xfe, 0xff, 'utf-16be'],
];

/**
 * Spreadsheets in China often save GBK, and "Unicode text" is UTF-16 with a BOM: a UTF-16 BOM says
 * UTF-16, valid UTF-8 (with or without BOM) is UTF-8, anything else is read as GBK. Bytes that are
 * none of these throw UndecodableFileError, so the person hears that the file is unreadable instead
 * of a row error for every line of garbage.
 */
export function decodeText(buf: Buffer): { text: string; encoding: TextEncoding } {
  for (const [b0, b1, encoding] of UTF16_BOMS) {
    if (buf.length < 2 || buf[0] !== b0 || buf[1] !== b1) continue;
    try {
      return { text: new TextDecoder(encoding, { fatal: true }).decode(buf.subarray(2)), encoding };
    } catch {
      throw new UndecodableFileError(
        `the file starts with a ${encoding.toUpperCase()} byte order mark but is not valid ${encoding.toUpperCase()} (truncated or damaged); save it again as UTF-8 or UTF-16`,
      );
    }
  }
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    return { text: buf.subarray(3).toString('utf8'), encoding: 'utf-8' };
  }
  const nul = buf.indexOf(0);
  if (nul >= 0)
    throw new UndecodableFileError(
      `the file has a NUL byte at offset ${nul}: it is binary, or UTF-16 without a byte order mark; save it as UTF-8 CSV`,
    );
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8' };
  } catch {
    const text = iconv.decode(buf, 'gbk');
    const bad = text.indexOf('\uFFFD');
    if (bad >= 0)
      throw new UndecodableFileError(
        `the file is neither UTF-8 nor GBK (character ${bad + 1} does not decode); save it as UTF-8 CSV`,
      );
    return { text, encoding: 'gbk' };
  }
}

/** JSON when the text starts with `{`, CSV otherwise (or as the caller says). */
export function detectFormat(text: string, hint?: string): 'csv' | 'json' {
  if (hint && /json/i.test(hint)) return 'json';
  if (hint && /csv|text\/plain/i.test(hint)) return 'csv';
  return text.trimStart().startsWith('{') ? 'json' : 'csv';
}

export function parseDirectory(buf: Buffer | string, hint?: string): ParsedDirectory & { encoding: string } {
  const { text, encoding } = typeof buf === 'string' ? { text: buf, encoding: 'utf-8' } : decodeText(buf);
  const format = detectFormat(text, hint);
  return { ...(format === 'json' ? parseJson(text) : parseCsv(text)), encoding };
}

const blank = (s: unknown): string | null => {
  if (s === undefined || s === null) return null;
  const t = String(s).trim();
  return t === '' ? null : t;
};

/** `flood-control;grid-worker@140212100201`: a bare role is in the row's area_code. */
export function parseRoles(cell: string | null, areaCode: string | null): RoleRecord[] {
  if (!cell) return [];
  return cell
    .split(/[;；|]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const at = item.indexOf('@');
      return at < 0
        ? { role: item, areaCode: areaCode ?? '' }
        : { role: item.slice(0, at).trim(), areaCode: item.slice(at + 1).trim() };
    });
}

export function parseCsv(text: string): ParsedDirectory {
  const out: ParsedDirectory = { divisions: [], persons: [], errors: [], source: 'csv' };
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: true,
      // The project's own export neutralises formula-like cells ('+86…); read them back as they were.
      cast: (value) => restoreCsvCell(value),
    });
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 1;
    out.errors.push({ line, source: 'csv', id: null, reason: `malformed CSV: ${(e as Error).message}` });
    return out;
  }
  for (const { record: r, info } of records) {
    // info.lines is the line where the record ends; records here are one line each unless quoted.
    const line = info.lines;
    const area = blank(r.area_code);
    const areaName = blank(r.area_name);
    const parentCode = blank(r.parent_code);
    if (area && areaName && parentCode)
      out.divisions.push({
        line,
        value: {
          code: area,
          name: areaName,
          parentCode,
          ...(blank(r.area_lat) || blank(r.area_lon)
            ? { lat: blank(r.area_lat), lon: blank(r.area_lon) }
            : {}),
        },
      });
    const leaveFrom = blank(r.leave_from);
    const leaveTo = blank(r.leave_to);
    out.persons.push({
      line,
      value: {
        id: blank(r.person_id) ?? '',
        name: blank(r.name) ?? '',
        mobile: blank(r.mobile),
        altPhone: blank(r.alt_phone),
        roles: parseRoles(blank(r.roles), area),
        backupPersonId: blank(r.backup_person_id),
        superiorPersonId: blank(r.superior_person_id),
        verifiedAt: blank(r.verified_at),
        active: blank(r.active) ?? true,
        leave:
          leaveFrom || leaveTo
            ? [
                {
                  from: leaveFrom ?? '',
                  to: leaveTo ?? '',
                  substitutePersonId: blank(r.substitute_person_id),
                },
              ]
            : [],
      },
    });
  }
  return out;
}

export function parseJson(text: string): ParsedDirectory {
  const out: ParsedDirectory = { divisions: [], persons: [], errors: [], source: 'json' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    out.errors.push({
      line: 1,
      source: 'persons',
      id: null,
      reason: `malformed JSON: ${(e as Error).message}`,
    });
    return out;
  }
  const d = (doc ?? {}) as Partial<Record<'divisions' | 'persons', unknown>>;
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  if (!Array.isArray(d.persons)) {
    out.errors.push({ line: 1, source: 'persons', id: null, reason: 'JSON must have a "persons" array' });
  }
  list(d.divisions).forEach((x, i) => {
    const o = (x ?? {}) as Record<string, unknown>;
    out.divisions.push({
      line: i + 1,
      value: {
        code: String(o.code ?? ''),
        name: String(o.name ?? ''),
        parentCode: String(o.parentCode ?? ''),
        ...(o.lat != null || o.lon != null
          ? { lat: (o.lat as number | string | null) ?? null, lon: (o.lon as number | string | null) ?? null }
          : {}),
      },
    });
  });
  list(d.persons).forEach((x, i) => {
    const o = (x ?? {}) as Record<string, unknown>;
    const roles = list(o.roles).map((r) => {
      const rr = (r ?? {}) as Record<string, unknown>;
      return { role: String(rr.role ?? ''), areaCode: String(rr.areaCode ?? '') };
    });
    out.persons.push({
      line: i + 1,
      value: {
        id: blank(o.id) ?? '',
        name: blank(o.name) ?? '',
        mobile: blank(o.mobile),
        altPhone: blank(o.altPhone),
        roles,
        backupPersonId: blank(o.backupPersonId),
        superiorPersonId: blank(o.superiorPersonId),
        verifiedAt: blank(o.verifiedAt),
        active: o.active === undefined ? true : (o.active as boolean | string),
        leave: list(o.leave).map((p) => {
          const pp = (p ?? {}) as Record<string, unknown>;
          return {
            from: String(pp.from ?? ''),
            to: String(pp.to ?? ''),
            substitutePersonId: blank(pp.substitutePersonId),
          };
        }),
        onDuty: list(o.onDuty).map((p) => {
          const pp = (p ?? {}) as Record<string, unknown>;
          return { from: String(pp.from ?? ''), to: String(pp.to ?? '') };
        }),
      },
    });
  });
  return out;
}

/**
 * CSV with one row per person. A person's village (a division not in the seeded codes) travels in
 * area_name/parent_code so that the file re-imports on its own. On-duty rosters and more than one
 * leave period exist only in JSON.
 */
export function toCsv(doc: DirectoryDocument): string {
  const villages = new Map(doc.divisions.map((d) => [d.code, d]));
  const rows = doc.persons.map((p) => {
    const primary = p.roles[0]?.areaCode ?? '';
    const v = villages.get(primary);
    const leave = p.leave?.[0];
    return [
      p.id,
      p.name,
      p.mobile ?? '',
      p.altPhone ?? '',
      p.roles.map((r) => (r.areaCode === primary ? r.role : `${r.role}@${r.areaCode}`)).join(';'),
      primary,
      v?.name ?? '',
      v?.parentCode ?? '',
      v?.lat ?? '',
      v?.lon ?? '',
      p.backupPersonId ?? '',
      p.superiorPersonId ?? '',
      p.verifiedAt ?? '',
      p.active === false ? 'false' : 'true',
      leave?.from ?? '',
      leave?.to ?? '',
      leave?.substitutePersonId ?? '',
    ];
  });
  // Divisions that no person's row carries would be lost in CSV: they are exported only in JSON.
  return safeCsv([[...CSV_COLUMNS], ...rows]);
}
