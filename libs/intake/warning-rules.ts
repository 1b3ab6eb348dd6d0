/**
 * Business rules of a canonical warning that its JSON Schema cannot express. Each reason names the
 * thing it is about, so the duty officer (or the upstream bureau) can fix the message. Used by
 * intake (HTTP and CAP) before publishing and by the dispatcher on every hazard topic.
 */
import { WarningMessage } from '../../contracts/generated/warning';
import { hazardTopic, HAZARDS } from '../../contracts/topics';
import {
  isHazard,
  isLevel,
  levelOfSourceLevel,
  subtypeSpec,
  subtypesOf,
  SubtypeSpec,
} from '../common/hazards';
import { isKnownDivision } from './known-divisions';
export { parseWarningId } from './warning-id';

export interface WarningCheck {
  /** Reasons to reject the warning; empty when it may be published / dispatched. */
  errors: string[];
  /**
   * Area codes that are not known divisions. The warning is still accepted (when at least one area
   * is known) and these are raised to the duty officer as unmapped areas.
   */
  unmappedAreas: string[];
}

const HAZARD_TOPICS = new Set(HAZARDS.map((h) => hazardTopic(h).name));

export function checkWarning(w: WarningMessage, arrivedOnTopic?: string): WarningCheck {
  const errors: string[] = [];
  if (!isHazard(w.hazard))
    return { errors: [`unknown hazard ${JSON.stringify(w.hazard)}`], unmappedAreas: [] };

  if (arrivedOnTopic !== undefined) {
    const expected = hazardTopic(w.hazard).name;
    if (!HAZARD_TOPICS.has(arrivedOnTopic))
      errors.push(`${arrivedOnTopic} is not a hazard topic; ${w.hazard} warnings belong on ${expected}`);
    else if (arrivedOnTopic !== expected)
      errors.push(
        `hazard ${w.hazard} arrived on ${arrivedOnTopic}; ${w.hazard} warnings belong on ${expected}`,
      );
  }

  const spec = subtypeSpec(w.hazard, w.subtype);
  if (!spec)
    errors.push(
      `unknown subtype ${w.subtype} for hazard ${w.hazard}; allowed: ${subtypesOf(w.hazard)
        .map((s) => s.code)
        .join(', ')}`,
    );
  else errors.push(...levelErrors(w, spec));

  const t = (s?: string) => (s === undefined ? undefined : Date.parse(s));
  const [effective, expires, onset] = [t(w.effective), t(w.expires), t(w.onset)];
  if (expires !== undefined && effective !== undefined && expires <= effective)
    errors.push(`expires (${w.expires}) is not after effective (${w.effective})`);
  if (expires !== undefined && onset !== undefined && expires <= onset)
    errors.push(`expires (${w.expires}) is not after onset (${w.onset})`);

  if ((w.msgType === 'Update' || w.msgType === 'Cancel') && !w.references?.length)
    errors.push(
      `msgType ${w.msgType} needs references naming the warning it ${w.msgType === 'Update' ? 'updates' : 'cancels'}`,
    );
  if (w.references?.includes(w.id)) errors.push(`warning ${w.id} references itself`);
  // A verification campaign asks persons to confirm their number: never a real warning.
  if (w.purpose === 'verification' && w.status !== 'Exercise')
    errors.push(`purpose verification needs status Exercise, not ${w.status}`);

  const codes = w.areas.map((a) => a.code);
  const dup = [...new Set(codes.filter((c, i) => codes.indexOf(c) !== i))];
  if (dup.length) errors.push(`area codes listed more than once: ${dup.join(', ')}`);
  const unmappedAreas = [...new Set(codes.filter((c) => !isKnownDivision(c)))];
  if (codes.length > 0 && unmappedAreas.length === new Set(codes).size)
    errors.push(`no affected area maps to a known division: ${unmappedAreas.join(', ')}`);
  return { errors, unmappedAreas };
}

function levelErrors(w: WarningMessage, spec: SubtypeSpec): string[] {
  const name = `${spec.zh} (${spec.code})`;
  const what = spec.hazard === 'meteorological' ? 'signal' : 'subtype';
  const level = w.level ?? null;
  const table = spec.sourceLevels;
  if (w.sourceLevel !== undefined && table) {
    const mapped = levelOfSourceLevel(w.hazard, w.subtype, w.sourceLevel);
    if (mapped === undefined)
      return [
        `${what} ${name} has no source level ${JSON.stringify(w.sourceLevel)}; allowed: ${Object.keys(table).join(', ')}`,
      ];
    if (mapped !== level)
      return [
        `${what} ${name}: source level ${w.sourceLevel} means level ${mapped ?? 'null'}, but the level is ${level ?? 'null'}`,
      ];
    return [];
  }
  if (level === null) {
    // A cancellation need not repeat a colour; anything else must say how serious it is.
    if (w.msgType === 'Cancel') return [];
    const recordOnly = Object.entries(table ?? {})
      .filter(([, v]) => v === null)
      .map(([k]) => k);
    return recordOnly.length
      ? [`${what} ${name}: level null needs sourceLevel ${recordOnly.join(' or ')}`]
      : [`${what} ${name}: level is required; allowed: ${spec.levels.join(', ')}`];
  }
  if (!isLevel(level) || !spec.levels.includes(level))
    return [`${what} ${spec.zh} (${spec.code}) has no ${level} level; allowed: ${spec.levels.join(', ')}`];
  return [];
}

/**
 * A warning (or an update) that has already expired when it arrives calls nobody and would sit in
 * the record as if it had been issued: it is refused like one without `effective`. A Cancel is let
 * through, so lifting a warning never fails on its dates.
 */
export function expiryErrors(w: WarningMessage, now: Date): string[] {
  if (w.msgType === 'Cancel') return [];
  const expires = Date.parse(w.expires);
  return expires <= now.getTime()
    ? [`expires (${w.expires}) is already past (now ${now.toISOString()})`]
    : [];
}
