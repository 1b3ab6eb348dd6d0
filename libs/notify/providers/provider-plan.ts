import { AppConfig } from '../../config/config';
import { loadPolicy } from '../../callout/policy';
import { CapacityPlan, planCapacity } from './capacity-planner';
import { checkPolicyAgainstProviders, PolicyFinding } from './policy-check';
import { DEFAULT_ROUTES, mainlandRoute, parseRoutes } from './routes';

/**
 * The planner and the policy check fed from the deployment's config: the routes (NOTIFY_ROUTES, or
 * Twilio alone), the send gate's rates and the policy in force.
 */
export function configuredRoute(cfg: AppConfig) {
  return mainlandRoute(parseRoutes(cfg.NOTIFY_ROUTES ?? DEFAULT_ROUTES));
}

export function planFromConfig(cfg: AppConfig, sends: { sms: number; voice: number }): CapacityPlan {
  const route = configuredRoute(cfg);
  return planCapacity({
    sends,
    rates: {
      sms: { configuredPerSecond: cfg.NOTIFY_SMS_PER_SECOND, providers: route.sms },
      voice: { configuredPerSecond: cfg.NOTIFY_CALLS_PER_SECOND, providers: route.voice },
    },
    accountPerSecond: cfg.NOTIFY_ACCOUNT_PER_SECOND,
  });
}

export function policyFindings(cfg: AppConfig): PolicyFinding[] {
  return checkPolicyAgainstProviders(loadPolicy(cfg.POLICY_FILE), configuredRoute(cfg));
}
