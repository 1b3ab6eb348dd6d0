import { DIVISION_CODE } from '../common/divisions';
import { nationalGazetteer } from '../common/gazetteer';

/**
 * Which division codes the system knows: the national gazetteer (libs/common/gazetteer.ts, province →
 * township for the whole country, Shanxi from the project's own list), plus any village code (last 3
 * digits ≠ 000) whose township is listed (villages are not in the published list; rosters add them).
 */
export function isKnownDivision(code: string): boolean {
  return DIVISION_CODE.test(code) && nationalGazetteer().lookupCode(code) !== undefined;
}

/** The official name of a listed division (villages have none here). */
export function divisionName(code: string): string | undefined {
  return nationalGazetteer().division(code)?.name;
}
