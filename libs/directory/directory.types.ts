import type { DivisionLevel } from '../common/divisions';
import type { RoleCode } from './roles';

export type { DivisionLevel, RoleCode };

/** Which holders of a role are called; `levels` restricts the division levels (default: all). */
export interface TargetRule {
  role: RoleCode;
  levels?: DivisionLevel[];
}

export interface ResolveQuery {
  hazard: string;
  areaCodes: string[];
  /**
   * Divisions whose own holders are resolved too, without what lies below them: the townships and
   * counties of villages a CAP polygon reached, so their heads are called as the policy says.
   */
  alsoHoldersOf?: string[];
  rules: TargetRule[];
  at: Date;
}

export interface ResolvedTarget {
  personId: string;
  name: string;
  phone: string;
  altPhone: string | null;
  role: RoleCode;
  areaCode: string;
  areaName: string;
  areaLevel: DivisionLevel;
  /** The person on leave this target stands in for; null when the target is the holder. */
  substituteFor: string | null;
}

export interface CoverageGap {
  areaCode: string;
  areaName: string;
  reason: 'no-role-holder' | 'no-number' | 'all-on-leave';
  roles: RoleCode[];
}

export interface Resolution {
  targets: ResolvedTarget[];
  gaps: CoverageGap[];
  unknownAreas: string[];
}

export interface LadderStep {
  kind: 'backup' | 'superior';
  personId: string;
  name: string;
  phone: string;
  role: RoleCode | null;
  areaCode: string | null;
  areaName: string | null;
}
