import { ChannelKind } from '../provider';
import { ProviderCapabilities } from './provider-capabilities';

/**
 * Capacity planner: from the number of sends per channel and the rates they go out at, when the
 * last person's phone rings and when the last person has heard the message, compared with the
 * practice targets (every call placed within 3 minutes, everyone woken within 5), and what would
 * meet them. Pure arithmetic: the console's preview and the API dry-run both call it.
 */
export interface PracticeTargets {
  /** Every first-round call placed (the phone rings) within this many seconds. */
  voiceWithinSec: number;
  /** Everyone has heard (or read) the warning within this many seconds. */
  allWokenWithinSec: number;
}
export const PRACTICE_TARGETS: PracticeTargets = { voiceWithinSec: 180, allWokenWithinSec: 300 };

/** What the deployment sends at, per channel: the send gate's limits and the provider's own. */
export interface ChannelRates {
  /** Configured sends per second (NOTIFY_SMS_PER_SECOND / NOTIFY_CALLS_PER_SECOND). */
  configuredPerSecond: number;
  /** The providers that carry this channel, in order (the first carries, the rest take over). */
  providers: Pick<ProviderCapabilities, 'name' | 'sms' | 'voice'>[];
}

export interface PlanInput {
  sends: Record<ChannelKind, number>;
  rates: Record<ChannelKind, ChannelRates>;
  /** The account-wide cap both channels share (NOTIFY_ACCOUNT_PER_SECOND). */
  accountPerSecond: number;
  targets?: PracticeTargets;
  /** From placing a call to the message heard (ringing, answering, playing once). */
  callHeardAfterSec?: number;
  /** From an SMS accepted to it read on the phone. */
  smsReadAfterSec?: number;
}

export interface ChannelPlan {
  channel: ChannelKind;
  sends: number;
  /** The rate the sends actually go out at: the lowest of the configured, provider and account rates. */
  perSecond: number;
  /** What binds the rate. */
  boundBy: 'configured' | 'provider' | 'account';
  /** Seconds until the last send is placed. */
  lastSentSec: number;
  /** Seconds until the last person has it (heard / read). */
  lastReachedSec: number;
}

export interface CapacityPlan {
  channels: ChannelPlan[];
  targets: PracticeTargets;
  /** Seconds until the last first-round call rings (null: no calls). */
  voiceAllPlacedSec: number | null;
  /** Seconds until everyone has the warning by the channel that wakes them (voice when called). */
  allWokenSec: number;
  meetsVoiceTarget: boolean;
  meetsWokenTarget: boolean;
  /** What would meet the targets, when they are not met. */
  suggestions: string[];
}

const CALL_HEARD_AFTER_SEC = 45;
const SMS_READ_AFTER_SEC = 10;

const rateOf = (p: ChannelRates['providers'][number], ch: ChannelKind) =>
  (ch === 'sms' ? p.sms : p.voice)?.requestsPerSecond ?? 0;

/** The rate of the provider that carries the channel (the first of its route). */
function providerRate(ch: ChannelKind, input: PlanInput): number {
  const first = input.rates[ch].providers[0];
  return first ? rateOf(first, ch) : 0;
}

/** A channel's rate without the account limit: the lower of the configured and the provider's. */
function ownLimit(ch: ChannelKind, input: PlanInput): number {
  return Math.min(input.rates[ch].configuredPerSecond, providerRate(ch, input));
}

function channelPlan(ch: ChannelKind, input: PlanInput, heardAfter: number): ChannelPlan | null {
  const sends = input.sends[ch];
  if (sends <= 0) return null;
  const r = input.rates[ch];
  const provider = providerRate(ch, input);
  // Both channels share the account limiter: a channel gets its share of it (in proportion to the
  // sends) while both send, and more when the other channel's own limit leaves part of that unused
  // (calls at 1/s take 1/s of the account, whatever their number).
  const other: ChannelKind = ch === 'sms' ? 'voice' : 'sms';
  const otherSends = input.sends[other];
  const otherShare = input.accountPerSecond * (otherSends / (sends + otherSends));
  const otherRate = Math.min(otherShare, ownLimit(other, input));
  const accountShare = otherSends > 0 ? input.accountPerSecond - otherRate : input.accountPerSecond;
  const candidates: [ChannelPlan['boundBy'], number][] = [
    ['configured', r.configuredPerSecond],
    ['provider', provider],
    ['account', accountShare],
  ];
  const [boundBy, perSecond] = candidates.reduce((a, b) => (b[1] < a[1] ? b : a));
  const lastSentSec = perSecond > 0 ? sends / perSecond : Infinity;
  return { channel: ch, sends, perSecond, boundBy, lastSentSec, lastReachedSec: lastSentSec + heardAfter };
}

export function planCapacity(input: PlanInput): CapacityPlan {
  const targets = input.targets ?? PRACTICE_TARGETS;
  const heard = input.callHeardAfterSec ?? CALL_HEARD_AFTER_SEC;
  const read = input.smsReadAfterSec ?? SMS_READ_AFTER_SEC;
  const sms = channelPlan('sms', input, read);
  const voice = channelPlan('voice', input, heard);
  const channels = [sms, voice].filter((c): c is ChannelPlan => c !== null);
  const voiceAllPlacedSec = voice ? voice.lastSentSec : null;
  const allWokenSec = voice ? voice.lastReachedSec : (sms?.lastReachedSec ?? 0);
  const meetsVoiceTarget = voiceAllPlacedSec === null || voiceAllPlacedSec <= targets.voiceWithinSec;
  const meetsWokenTarget = allWokenSec <= targets.allWokenWithinSec;
  const plan: CapacityPlan = {
    channels,
    targets,
    voiceAllPlacedSec,
    allWokenSec,
    meetsVoiceTarget,
    meetsWokenTarget,
    suggestions: [],
  };
  if (voice && (!meetsVoiceTarget || !meetsWokenTarget))
    plan.suggestions = suggest(input, voice, sms, targets, heard);
  return plan;
}

/** Calls per second that would place `sends` calls within `sec` (and have them heard in time). */
const neededRate = (sends: number, sec: number) => (sec > 0 ? sends / sec : Infinity);
const round1 = (x: number) => Math.ceil(x * 10) / 10;

function suggest(
  input: PlanInput,
  voice: ChannelPlan,
  sms: ChannelPlan | null,
  targets: PracticeTargets,
  heard: number,
): string[] {
  const out: string[] = [];
  const within = Math.min(targets.voiceWithinSec, targets.allWokenWithinSec - heard);
  const need = neededRate(voice.sends, within);
  const r = input.rates.voice;
  const providerMax = providerRate('voice', input);
  const combined = r.providers.reduce((sum, p) => sum + rateOf(p, 'voice'), 0);
  if (need <= providerMax && voice.boundBy === 'configured')
    out.push(
      `raise NOTIFY_CALLS_PER_SECOND from ${r.configuredPerSecond} to ${round1(need)} (${r.providers[0].name} allows ${providerMax}): ${voice.sends} calls placed in ${Math.ceil(voice.sends / round1(need))} s`,
    );
  if (voice.boundBy === 'account' && need <= Math.min(providerMax, r.configuredPerSecond))
    out.push(
      `raise NOTIFY_ACCOUNT_PER_SECOND: the calls share it with the SMS and get ${round1(voice.perSecond)}/s of it`,
    );
  if (need > providerMax) {
    if (r.providers.length > 1 && combined >= need)
      out.push(
        `call through a second provider too (${r.providers.map((p) => p.name).join(' + ')}: ${combined} calls/s together)`,
      );
    else
      out.push(
        `add a voice provider or raise its rate: ${round1(need)} calls/s are needed, ${r.providers[0]?.name ?? 'the provider'} allows ${providerMax}`,
      );
  }
  if (sms && sms.lastReachedSec <= targets.allWokenWithinSec)
    out.push(
      `send the SMS first (all ${sms.sends} have it in ${Math.ceil(sms.lastReachedSec)} s) and call those who have not confirmed: fewer calls need the rate`,
    );
  return out;
}

/** Rounds a plan's seconds for display (the arithmetic keeps fractions). */
export function describePlan(plan: CapacityPlan): string {
  const parts = plan.channels.map(
    (c) =>
      `${c.channel}: ${c.sends} at ${round1(c.perSecond)}/s (${c.boundBy}), last sent at ${Math.ceil(c.lastSentSec)} s`,
  );
  return parts.join('; ');
}
