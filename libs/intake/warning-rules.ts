/**
 * Business rules of a canonical warning that its JSON Schema cannot express. Each reason names the
 * thing it is about, so the duty officer (or the upstream bureau) can fix the message.
 */
import { WarningMessage } from '../../contracts/generated/warning';
import { hazardTopic } from '../../contracts/topics';
import { Division, shanxiDivisions } from '../common/divisions';
import {
  bilingualSubtype,
  isHazard,
  isLevel,
  LEVEL_INFO,
  levelForSourceLevel,
  SUBTYPES,
  subtypeInfo,
} from './hazards';
export { parseWarningId } from './warning-id';

export interface UnmappedArea {
  /** The code as given (12 digits, or whatever the source sent), absent for geometry-only areas. */
  code?: string;
  name?: string;
  reason: string;
}

let byCode: Map<string, Division> | undefined;
function divisions(): Map<string, Division> {
  byCode ??= new Map(shanxiDivisions().map((d) => [d.code, d]));
  return byCode;
}

/**
 * The division a code denotes: a listed Shanxi division (province → township), or a village
 * (last 3 digits ≠ 000) whose township is listed. Villages are not in the shipped list.
 */
export function knownDivision(code: string): { code: string; name?: string; level: string } | undefined {
  if (!/^\d{12}$/.test(code)) return undefined;
  const d = divisions().get(code);
  if (d) return { code, name: d.name, level: d.level };
  if (code.slice(9) !== '000') {
    const township = divisions().get(`${code.slice(0, 9)}000`);
    if (township?.level === 'township') return { code, level: 'village' };
  }
  return undefined;
}

/** Splits a warning's areas into known divisions and the rest (to raise to the duty officer). */
export function resolveAreas(areas: { code: string; name?: string }[]): {
  known: { code: string; name?: string }[];
  unmapped: UnmappedArea[];
} {
  const known: { code: string; name?: string }[] = [];
  const unmapped: UnmappedArea[] = [];
  for (const a of areas) {
    const d = knownDivision(a.code);
    if (d) known.push({ code: a.code, name: a.name ?? d.name });
    else
      unmapped.push({
        code: a.code,
        ...(a.name ? { name: a.name } : {}),
        reason: `area code ${a.code} is not a known Shanxi division`,
      });
  }
  return { known, unmapped };
}

const time = (s: string | undefined) => (s === undefined ? undefined : Date.parse(s));

/**
 * Every rule beyond the schema. `arrivedOnTopic` is the (un-prefixed) topic the warning came from,
 * when it came from Kafka. Unknown area codes are not a reason here unless NO area is known: those
 * are reported by resolveAreas() and raised to the duty officer instead.
 */
export function checkWarning(w: WarningMessage, arrivedOnTopic?: string): string[] {
  const reasons: string[] = [];
  if (!isHazard(w.hazard)) return [`unknown hazard ${JSON.stringify(w.hazard)}`];

  if (arrivedOnTopic !== undefined) {
    const expected = hazardTopic(w.hazard).name;
    if (arrivedOnTopic !== expected)
      reasons.push(`hazard ${w.hazard} belongs on topic ${expected}, but the warning arrived on ${arrivedOnTopic}`);
  }

  const info = subtypeInfo(w.hazard, w.subtype);
  if (!info) {
    reasons.push(
      `unknown subtype ${JSON.stringify(w.subtype)} for hazard ${w.hazard}; allowed: ${Object.keys(SUBTYPES[w.hazard]).join(', ')}`,
    );
  } else {
    reasons.push(...levelReasons(w, info.levels));
  }

  const sent = time(w.sentAt);
  const effective = time(w.effective);
  const expires = time(w.expires);
  const onset = time(w.onset);
  if (expires !== undefined && effective !== undefined && expires <= effective)
    reasons.push(`expires (${w.expires}) is not after effective (${w.effective})`);
  if (expires !== undefined && onset !== undefined && expires <= onset)
    reasons.push(`expires (${w.expires}) is not after onset (${w.onset})`);
  if (expires !== undefined && sent !== undefined && expires <= sent)
    reasons.push(`expires (${w.expires}) is not after sent (${w.sentAt})`);

  if ((w.msgType === 'Update' || w.msgType === 'Cancel') && !(w.references && w.references.length > 0))
    reasons.push(`msgType ${w.msgType} must reference the warning it ${w.msgType === 'Update' ? 'updates' : 'cancels'} (references is empty)`);
  if (w.references?.includes(w.id)) reasons.push(`warning ${w.id} references itself`);

  const codes = w.areas.map((a) => a.code);
  const dup = codes.filter((c, i) => codes.indexOf(c) !== i);
  if (dup.length) reasons.push(`area codes listed twice: ${[...new Set(dup)].join(', ')}`);
  if (w.areas.length > 0 && resolveAreas(w.areas).known.length === 0)
    reasons.push(`no area is a known Shanxi division: ${codes.join(', ')}`);
  return reasons;
}

function levelReasons(w: WarningMessage, allowed: readonly string[]): string[] {
  const name = bilingualSubtype(w.hazard, w.subtype);
  const level = w.level ?? null;
  const reasons: string[] = [];
  const table = subtypeInfo(w.hazard, w.subtype)?.sourceLevels;
  if (w.sourceLevel !== undefined && table) {
    const mapped = levelForSourceLevel(w.hazard, w.subtype, w.sourceLevel);
    if (mapped === undefined) {
      return [`${name}: unknown source level ${JSON.stringify(w.sourceLevel)}; allowed: ${Object.keys(table).join(', ')}`];
    }
    if (mapped !== level)
      reasons.push(
        `${name}: source level ${w.sourceLevel} means level ${mapped ?? 'null (recorded, not dispatched)'}, but level is ${level ?? 'null'}`,
      );
    return reasons;
  }
  if (level === null) {
    // A cancellation does not need a colour; anything else must say how serious it is.
    if (w.msgType !== 'Cancel') reasons.push(`${name}: level is required (allowed: ${allowed.join(', ')})`);
    return reasons;
  }
  if (!isLevel(level) || !allowed.includes(level)) {
    const what = w.hazard === 'meteorological' ? 'signal' : 'warning';
    reasons.push(
      `${what} ${name} has no ${level} level (${isLevel(level) ? LEVEL_INFO[level].zh : '?'}); allowed: ${allowed.join(', ')}`,
    );
  }
  return reasons;
}
