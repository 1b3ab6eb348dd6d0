import { levelPolicy, loadPolicy } from '../callout/policy';
import { AppConfig } from '../config/config';
import { CapacityPlan } from '../notify/providers/capacity-planner';
import { planFromConfig } from '../notify/providers/provider-plan';
import type { IntakeBody } from './warning-form';

export interface CapacityPreview {
  sends: { sms: number; voice: number };
  plan: CapacityPlan;
  voiceSec: number | null;
  wokenSec: number;
}

/**
 * The capacity plan shown beside the message preview. The persons are estimated before dispatch
 * resolves them: one holder of each village role the level's policy calls, per village chosen.
 */
export function estimateSends(cfg: AppConfig, body: Pick<IntakeBody, 'hazard' | 'level' | 'areas'>) {
  const lp = levelPolicy(loadPolicy(cfg.POLICY_FILE), body.hazard, body.level);
  if (!lp) return { sms: 0, voice: 0 };
  const persons = body.areas.length * lp.targets.filter((t) => t.levels?.includes('village')).length;
  return {
    sms: lp.channels.includes('sms') ? persons : 0,
    voice: lp.channels.includes('voice') ? persons : 0,
  };
}

export function previewCapacity(cfg: AppConfig, body: IntakeBody): CapacityPreview {
  const sends = estimateSends(cfg, body);
  const plan = planFromConfig(cfg, sends);
  return {
    sends,
    plan,
    voiceSec: plan.voiceAllPlacedSec === null ? null : Math.ceil(plan.voiceAllPlacedSec),
    wokenSec: Math.ceil(plan.allWokenSec),
  };
}
