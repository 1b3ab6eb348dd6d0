import { LevelPolicy, Policy } from '../../callout/policy';
import { ChannelKind } from '../provider';
import { CalleeLimit, describeLimit, ProviderCapabilities } from './provider-capabilities';

/**
 * Start-up check of the call-out policy against the providers that will carry it: what a provider's
 * limits or missing capabilities will do to each hazard × level, said before a warning finds out.
 * Errors make the policy unusable with these providers (a call that cannot be confirmed); warnings
 * say what will happen instead (a redial refused and moved to the next provider or channel).
 */
export interface PolicyFinding {
  severity: 'error' | 'warning';
  /** hazard.level */
  where: string;
  message: string;
}

/** The providers a mainland number is routed to, per channel, in order (the first carries, the rest take over). */
export type MainlandRoute = Record<ChannelKind, ProviderCapabilities[]>;

/** Seconds after the first call at which a person's voice calls are placed: the call, then each redial. */
export function voiceCallTimes(lp: LevelPolicy): number[] {
  const first = lp.channels.includes('voice') ? 0 : lp.voiceFallbackAfterSec;
  if (first === null) return [];
  return Array.from({ length: lp.redials + 1 }, (_, k) => first + k * lp.redialIntervalSec);
}

/** The calls (1-based) a per-callee limit refuses, for calls placed at these times. */
export function refusedByLimit(times: number[], limit: CalleeLimit): number[] {
  const admitted: number[] = [];
  const refused: number[] = [];
  times.forEach((t, i) => {
    const inWindow = admitted.filter((a) => a > t - limit.windowSec).length;
    if (inWindow >= limit.max) refused.push(i + 1);
    else admitted.push(t);
  });
  return refused;
}

export function checkPolicyAgainstProviders(policy: Policy, route: MainlandRoute): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const [hazard, levels] of Object.entries(policy.hazards))
    for (const [level, lp] of Object.entries(levels)) {
      const where = `${hazard}.${level}`;
      const add = (severity: PolicyFinding['severity'], message: string) =>
        findings.push({ severity, where, message });
      const channels = new Set<ChannelKind>([...lp.channels, ...lp.escalationChannels]);
      if (lp.voiceFallbackAfterSec !== null || lp.redials > 0) channels.add('voice');
      for (const ch of channels)
        if (route[ch].length === 0) add('error', `no provider carries ${ch} to mainland numbers`);
      const voice = route.voice[0];
      const sms = route.sms[0];
      if (channels.has('voice') && voice && !voice.voice?.keyPress)
        add('error', `voice through ${voice.name} offers no key press: a call cannot be confirmed`);
      if (
        sms &&
        channels.has('sms') &&
        !channels.has('voice') &&
        !sms.sms?.twoWaySms &&
        !sms.sms?.linksAllowed
      )
        add(
          'error',
          `SMS through ${sms.name} brings no reply back and allows no link, and the level places no call: nobody can confirm`,
        );
      if (voice?.voice) checkVoiceLimits(lp, voice, route.voice.slice(1), channels.has('sms'), add);
    }
  return findings;
}

function checkVoiceLimits(
  lp: LevelPolicy,
  voice: ProviderCapabilities,
  next: ProviderCapabilities[],
  smsToo: boolean,
  add: (severity: PolicyFinding['severity'], message: string) => void,
) {
  const times = voiceCallTimes(lp);
  const instead = next.length
    ? `the notifier places each refused call through ${next.map((p) => p.name).join(', then ')} voice instead (as an SMS when that is out too) and says so on the call-out's timeline`
    : smsToo
      ? "the notifier sends each refused call as an SMS instead and says so on the call-out's timeline"
      : undefined;
  for (const limit of voice.voice!.perCallee) {
    const refused = refusedByLimit(times, limit);
    if (refused.length === 0) continue;
    const at = refused.map((n) => `call ${n} at ${times[n - 1]} s`).join(', ');
    add(
      instead ? 'warning' : 'error',
      `${lp.redials} redials every ${lp.redialIntervalSec} s exceed ${voice.name} voice's per-callee limit of ${describeLimit(limit)}: ${at} will be refused; ${instead ?? 'no other provider or channel can take them, so they are lost'}`,
    );
  }
  const quiet = voice.voice!.quietHours;
  if (quiet && times.length > quiet.max)
    add(
      'warning',
      `between ${quiet.fromHour}:00 and ${quiet.toHour}:00 (${quiet.timeZone}) ${voice.name} places at most ${quiet.max} call per person: at night only the first ${quiet.max} of ${times.length} calls get through${instead ? `; ${instead}` : ''}`,
    );
}
