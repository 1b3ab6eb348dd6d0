import type { CapacityPlanned } from '../../contracts/generated';
import type { CapacityPlan } from '../notify/providers/capacity-planner';

/**
 * Predicted vs actual for a warning's first call-outs. The dispatcher records the capacity planner's
 * prediction when it plans them (callouts.plans, kept on the warning too); what happened is counted
 * per channel from the first-round sends requested since the plan: how many the provider accepted
 * (and when the last was), how many reached the person (delivered / heard), how many ended. The
 * board (from the tracker's tables) and the audit report (from the ledger) both compare them here.
 */

/** The capacity planner fed from the deployment's rates and routes (provider-plan.ts planFromConfig). */
export type CapacityPredictor = (sends: { sms: number; voice: number }) => CapacityPlan;
export const CAPACITY_PREDICTOR = Symbol('CAPACITY_PREDICTOR');

/** The planner's prediction as the event that records it (no Infinity in JSON: null, "never"). */
export function plannedEvent(
  plan: CapacityPlan,
  p: {
    warningId: string;
    messageKey: string;
    messageId: string;
    level: string;
    drill: boolean;
    persons: number;
    at: Date;
  },
): CapacityPlanned {
  const finite = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);
  return {
    schemaVersion: 1,
    planId: `${p.warningId}|${p.messageKey}`,
    warningId: p.warningId,
    messageId: p.messageId,
    level: p.level,
    drill: p.drill,
    persons: p.persons,
    channels: plan.channels.map((c) => ({
      channel: c.channel,
      sends: c.sends,
      perSecond: c.perSecond,
      boundBy: c.boundBy,
      lastSentSec: finite(c.lastSentSec),
      lastReachedSec: finite(c.lastReachedSec),
    })),
    voiceAllPlacedSec: finite(plan.voiceAllPlacedSec),
    allWokenSec: finite(plan.allWokenSec),
    targets: plan.targets,
    meetsVoiceTarget: plan.meetsVoiceTarget,
    meetsWokenTarget: plan.meetsWokenTarget,
    suggestions: plan.suggestions,
    at: p.at.toISOString(),
  };
}

/** What happened to one channel's first-round sends since the plan. */
export interface ChannelActual {
  channel: string;
  /** Sends the engine requested (chunk by chunk: fewer than planned while planning goes on). */
  requested: number;
  /** Sends the provider accepted (a status after the API's answer). */
  accepted: number;
  lastAcceptedAt: string | null;
  /** Sends that ended without the provider ever accepting them (refused: an invalid number …). */
  refused: number;
  /** Sends that reached the person: delivered (SMS) or heard (voice). */
  reached: number;
  lastReachedAt: string | null;
  /** Sends with a final status (delivered, heard, failed, busy, no answer …): nothing more to wait for. */
  ended: number;
}

/** A channel with nothing requested yet (what counting starts from). */
export const noSends = (channel: string): ChannelActual => ({
  channel,
  requested: 0,
  accepted: 0,
  lastAcceptedAt: null,
  refused: 0,
  reached: 0,
  lastReachedAt: null,
  ended: 0,
});

export interface ChannelComparison {
  channel: 'sms' | 'voice';
  predicted: {
    sends: number;
    perSecond: number;
    boundBy: string;
    lastSentSec: number | null;
    lastReachedSec: number | null;
  };
  actual: {
    requested: number;
    accepted: number;
    refused: number;
    reached: number;
    ended: number;
    /** Every planned send requested, and each accepted or refused: lastAcceptedSec is final. */
    done: boolean;
    /** From the plan to the last send the provider accepted (done), or to now (still running). */
    lastAcceptedSec: number | null;
    elapsedSec: number;
    lastReachedSec: number | null;
  };
}

export interface CapacityComparison {
  planId: string;
  messageId: string;
  plannedAt: string;
  persons: number;
  targets: CapacityPlanned['targets'];
  predicted: Pick<
    CapacityPlanned,
    'voiceAllPlacedSec' | 'allWokenSec' | 'meetsVoiceTarget' | 'meetsWokenTarget' | 'suggestions'
  >;
  channels: ChannelComparison[];
  actual: {
    /** Seconds until the provider had accepted the last first-round call; null while running or without calls. */
    voiceAllPlacedSec: number | null;
    /** true / false once known; null while still open (running and not yet past the target). */
    meetsVoiceTarget: boolean | null;
    /** Seconds until the last person was reached by the channel that wakes them (voice when called). */
    allWokenSec: number | null;
    meetsWokenTarget: boolean | null;
    running: boolean;
  };
}

const secondsBetween = (from: string, to: string | null) =>
  to === null ? null : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/** Whether a target is met: known once final, known missed as soon as the time is past it. */
function against(
  target: number,
  finalSec: number | null,
  elapsedSec: number,
  final: boolean,
): boolean | null {
  if (final) return finalSec !== null && finalSec <= target;
  return elapsedSec > target ? false : null;
}

export function compareCapacity(
  plan: CapacityPlanned,
  actuals: ChannelActual[],
  now: Date,
): CapacityComparison {
  const elapsedSec = Math.max(0, (now.getTime() - Date.parse(plan.at)) / 1000);
  const channels: ChannelComparison[] = plan.channels
    .filter((c) => c.sends > 0)
    .map((c) => {
      const a = actuals.find((x) => x.channel === c.channel);
      const requested = a?.requested ?? 0;
      const accepted = a?.accepted ?? 0;
      const refused = a?.refused ?? 0;
      const done = requested > 0 && requested >= c.sends && accepted + refused >= requested;
      return {
        channel: c.channel,
        predicted: {
          sends: c.sends,
          perSecond: c.perSecond,
          boundBy: c.boundBy,
          lastSentSec: c.lastSentSec,
          lastReachedSec: c.lastReachedSec,
        },
        actual: {
          requested,
          accepted,
          refused,
          reached: a?.reached ?? 0,
          ended: a?.ended ?? 0,
          done,
          lastAcceptedSec: done ? secondsBetween(plan.at, a?.lastAcceptedAt ?? null) : null,
          elapsedSec,
          lastReachedSec: secondsBetween(plan.at, a?.lastReachedAt ?? null),
        },
      };
    });
  const voice = channels.find((c) => c.channel === 'voice');
  // Everyone is woken by voice when the level calls; by SMS otherwise.
  const waking = voice ?? channels.find((c) => c.channel === 'sms');
  const voiceFinal = voice ? voice.actual.done : true;
  // Woken: every send of the waking channel ended; met when each reached its person in time.
  const w = waking?.actual;
  const wokenFinal = w ? w.done && w.ended >= w.requested : true;
  const allWokenSec = w && wokenFinal && w.reached === w.requested ? w.lastReachedSec : null;
  return {
    planId: plan.planId,
    messageId: plan.messageId,
    plannedAt: plan.at,
    persons: plan.persons,
    targets: plan.targets,
    predicted: {
      voiceAllPlacedSec: plan.voiceAllPlacedSec,
      allWokenSec: plan.allWokenSec,
      meetsVoiceTarget: plan.meetsVoiceTarget,
      meetsWokenTarget: plan.meetsWokenTarget,
      suggestions: plan.suggestions,
    },
    channels,
    actual: {
      voiceAllPlacedSec: voice?.actual.lastAcceptedSec ?? null,
      meetsVoiceTarget: voice
        ? against(plan.targets.voiceWithinSec, voice.actual.lastAcceptedSec, elapsedSec, voiceFinal)
        : null,
      allWokenSec,
      meetsWokenTarget: waking
        ? against(plan.targets.allWokenWithinSec, allWokenSec, elapsedSec, wokenFinal)
        : null,
      running: channels.some((c) => !c.actual.done),
    },
  };
}
