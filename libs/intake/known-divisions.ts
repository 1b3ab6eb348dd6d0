import { DIVISION_CODE, shanxiDivisions } from '../common/divisions';

/**
 * Which division codes the system knows: the real Shanxi province → township codes shipped in
 * libs/common/data, plus any village code (last 3 digits ≠ 000) whose township is among them
 * (villages are not in the published list; rosters add them under real townships).
 */
let codes: Map<string, string> | undefined;

function table(): Map<string, string> {
  codes ??= new Map(shanxiDivisions().map((d) => [d.code, d.name]));
  return codes;
}

export function isKnownDivision(code: string): boolean {
  if (!DIVISION_CODE.test(code)) return false;
  if (table().has(code)) return true;
  return code.slice(9) !== '000' && table().has(`${code.slice(0, 9)}000`);
}

/** The official name of a listed division (villages have none here). */
export function divisionName(code: string): string | undefined {
  return table().get(code);
}
