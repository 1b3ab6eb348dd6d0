/**
 * The national early-warning identifier: ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N
 * (6-digit area code, 3-digit agency, 3-digit unit, 2-digit extension, Beijing time, sequence).
 * Recognised when present, never required: upstream systems and CAP feeds may use other identifiers.
 */
export interface NationalWarningId {
  /** The 6-digit area code as written. */
  area: string;
  agency: string;
  unit: string;
  ext: string;
  /** Issue time (written in Beijing time) as a UTC ISO timestamp. */
  issuedAt: string;
  seq: number;
}

const PATTERN = /^(\d{6})(\d{3})(\d{3})(\d{2})_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_(\d+)$/;
const BEIJING_MS = 8 * 3600_000;

/** Parses an identifier in the national pattern; null when it does not follow it (not an error). */
export function parseWarningId(id: string): NationalWarningId | null {
  const m = PATTERN.exec(id);
  if (!m) return null;
  const [, area, agency, unit, ext, y, mo, d, h, mi, s, seq] = m;
  const t = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`);
  // Refuse impossible calendar values (month 13, 30 February) that Date would roll over.
  if (Number.isNaN(t.getTime()) || beijingStamp(t) !== `${y}${mo}${d}${h}${mi}${s}`) return null;
  return { area, agency, unit, ext, issuedAt: t.toISOString(), seq: Number(seq) };
}

/** YYYYMMDDhhmmss in Beijing time. */
export function beijingStamp(at: Date): string {
  return new Date(at.getTime() + BEIJING_MS).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

/**
 * Builds an identifier in the national pattern for a warning a duty officer issues without one.
 * `issuer` is DDDUUU (6 digits; the extension becomes 00) or DDDUUUXX (8 digits).
 */
export function formatWarningId(areaCode: string, issuer: string, at: Date, seq: number): string {
  if (!/^\d{6}/.test(areaCode)) throw new Error(`area code must start with 6 digits: ${areaCode}`);
  if (!/^\d{6}(\d{2})?$/.test(issuer)) throw new Error(`issuer code must be 6 or 8 digits: ${issuer}`);
  const agency = issuer.length === 6 ? `${issuer}00` : issuer;
  return `${areaCode.slice(0, 6)}${agency}_${beijingStamp(at)}_${seq}`;
}
