import type { LadderStep, ResolveQuery, Resolution } from '../directory/directory.types';
import type { CalloutState } from './callout-state';
import type { LevelPolicy, SendOrderRule } from './policy';

/** What the call-out engine needs from the directory (DirectoryService satisfies it). */
export interface TargetDirectory {
  resolve(q: ResolveQuery): Promise<Resolution>;
  ladder(
    personId: string,
    role: string,
    areaCode: string,
    at: Date,
    maxSteps?: number,
  ): Promise<LadderStep[]>;
}
export const TARGET_DIRECTORY = Symbol('TARGET_DIRECTORY');
export const CALLOUT_POLICY = Symbol('CALLOUT_POLICY');

/** Policy snapshot stored on a warning: every level of its hazard, so a level change uses the same snapshot. */
export interface PolicySnapshot {
  version: string;
  levels: Record<string, LevelPolicy>;
  /** The policy's send order (snapshots taken before it existed: DEFAULT_SEND_ORDER). */
  sendOrder?: SendOrderRule[];
}

export interface WarningRow {
  id: string;
  seq: number;
  hazard: string | null;
  subtype: string | null;
  level: string | null;
  status: string | null;
  drill: boolean;
  headline: string | null;
  sent_at: Date | null;
  expires: Date | null;
  area_codes: string[];
  content: Record<string, unknown> | null;
  policy: PolicySnapshot | null;
  state: 'placeholder' | 'recorded' | 'active' | 'cancelled' | 'expired' | 'closed';
}

export interface CalloutRow {
  id: string;
  warning_id: string;
  person_id: string;
  person_name: string;
  phone: string;
  role: string | null;
  area_code: string | null;
  area_name: string | null;
  level: string;
  rung: number;
  subject_callout_id: string | null;
  state: CalloutState;
  late: boolean;
  handled_by: string | null;
  ladder: LadderStep[] | null;
  ladder_pos: number;
  round: number;
  attempts: number;
  redials_used: number;
  superseded: boolean;
  created_at: Date;
  updated_at: Date;
  confirmed_at: Date | null;
}
