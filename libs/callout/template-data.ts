import type { TemplateData } from '../../contracts/generated';
import { hazardName, levelColour, levelName, subtypeName } from '../common/hazards';
import { roleName } from '../directory/roles';
import { shanxiDivisions } from '../common/divisions';
import { CalloutRow, WarningRow } from './callout.types';

/** The person an escalation call-out is about (the one who did not answer). */
export interface SubjectInfo {
  name: string;
  role: string | null;
  areaName: string | null;
}

/**
 * The render context of every message (callouts.requested `data`, its contract's
 * `$defs/templateData`).
 */
export function buildTemplateData(
  w: WarningRow,
  c: CalloutRow,
  subject?: SubjectInfo,
  note?: string,
): TemplateData {
  const content = (w.content ?? {}) as {
    instruction?: string;
    areas?: { code: string; name?: string }[];
    sender?: string;
    purpose?: string;
  };
  return {
    warning: {
      id: w.id,
      seq: w.seq,
      hazard: w.hazard ?? '',
      hazardName: hazardName(w.hazard ?? ''),
      subtype: w.subtype ?? '',
      subtypeName: subtypeName(w.hazard ?? '', w.subtype ?? ''),
      level: c.level,
      levelName: levelName(c.level),
      levelColour: levelColour(c.level),
      headline: w.headline ?? '',
      instruction: content.instruction ?? '',
      areaNames: (content.areas ?? []).map((a) => a.name ?? divisionName(a.code)),
      expires: w.expires ? new Date(w.expires).toISOString() : '',
      sender: content.sender ?? '',
      drill: w.drill,
      // The roster verification campaign asks for the number and role, not for a hazard's response.
      verification: content.purpose === 'verification',
    },
    person: { name: c.person_name, roleName: c.role ? roleName(c.role) : '', areaName: c.area_name ?? '' },
    ...(subject
      ? {
          subject: {
            name: subject.name,
            roleName: subject.role ? roleName(subject.role) : '',
            areaName: subject.areaName ?? '',
          },
        }
      : {}),
    ...(note ? { note } : {}),
  };
}

let names: Map<string, string> | undefined;
/** The name of a real division code when the warning gave none (people read names, not codes). */
function divisionName(code: string): string {
  names ??= new Map(shanxiDivisions().map((d) => [d.code, d.name]));
  return names.get(code) ?? code;
}
