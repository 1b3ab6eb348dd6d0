import type { CalloutEvent, CalloutStatus } from '../../contracts/generated';

/**
 * A person's number health, from what really happened when they were called: the provider's word on
 * the number (unallocated, suspended, switched off, not a valid mobile), voicemail pick-ups (the
 * provider's answering-machine detection) and calls nobody answered. Plain functions over the
 * observations, so every rule is unit-tested (number-health.spec.ts).
 */

export type ObservationKind =
  /** The person answered: a confirmation, or a call a person listened to. Clears what came before. */
  | 'reached'
  /** The provider or the network said something about the number itself. */
  | 'line-fault'
  /** A machine (voicemail) took the call. */
  | 'voicemail'
  /** The call rang out or was busy. */
  | 'unanswered';

export type LineFault = NonNullable<CalloutStatus['lineFault']>;

export interface Observation {
  /** Idempotency key: the event's own id. */
  eventId: string;
  calloutId: string;
  warningId: string;
  kind: ObservationKind;
  lineFault?: LineFault;
  channel?: 'sms' | 'voice';
  /** One line for the admin: what was observed, in the provider-neutral words of the contract. */
  detail: string;
  at: string;
}

export type NumberHealth =
  | 'ok'
  | 'unallocated'
  | 'suspended'
  | 'invalid'
  | 'powered-off'
  | 'unreachable'
  | 'voicemail'
  | 'repeated-no-answer';

export interface HealthRules {
  /** Switched off (or the carrier unreachable) in this many warnings since the person last answered. */
  poweredOffAfter: number;
  /** Voicemail picked up this many calls since the person last answered. */
  voicemailAfter: number;
  /** Calls that got nobody (rang out, busy, voicemail, switched off) since the person last answered. */
  noAnswerAfter: number;
}

export const DEFAULT_HEALTH_RULES: HealthRules = { poweredOffAfter: 2, voicemailAfter: 2, noAnswerAfter: 3 };

/** A single answer of these is enough: the number itself is wrong, no retry will change it. */
const DEFINITE: ReadonlySet<LineFault> = new Set(['unallocated', 'suspended', 'invalid']);

export const HEALTH_ZH: Record<NumberHealth, string> = {
  ok: '正常',
  unallocated: '空号',
  suspended: '停机',
  invalid: '号码无效',
  'powered-off': '关机或不在服务区',
  unreachable: '无法接通',
  voicemail: '语音信箱接听',
  'repeated-no-answer': '多次无人接听',
};

/** What one status report says about the number, or undefined when it says nothing. */
export function observationFromStatus(s: CalloutStatus): Observation | undefined {
  const base = { eventId: `status:${s.eventId}`, calloutId: s.calloutId, warningId: s.warningId, at: s.at };
  const how = `${s.channel === 'voice' ? '电话' : '短信'} ${s.status}${s.reason ? `（${s.reason}）` : ''}`;
  if (s.lineFault)
    return { ...base, kind: 'line-fault', lineFault: s.lineFault, channel: s.channel, detail: how };
  if (s.channel !== 'voice') return undefined;
  if (s.answeredBy === 'machine')
    return { ...base, kind: 'voicemail', channel: 'voice', detail: `电话由语音信箱接听（${s.status}）` };
  if (s.status === 'heard') return { ...base, kind: 'reached', channel: 'voice', detail: '电话已接听并听完' };
  if (s.status === 'no-answer' || s.status === 'busy')
    return { ...base, kind: 'unanswered', channel: 'voice', detail: how };
  return undefined;
}

/** A confirmation is the person's own answer: the number works. Other state changes say nothing. */
export function observationFromEvent(e: CalloutEvent): Observation | undefined {
  if (e.to !== 'CONFIRMED') return undefined;
  return {
    eventId: `event:${e.eventId}`,
    calloutId: e.calloutId,
    warningId: e.warningId,
    kind: 'reached',
    detail: '本人已确认',
    at: e.at,
  };
}

export interface HealthVerdict<T extends Observation = Observation> {
  health: NumberHealth;
  /** The observations the verdict rests on, oldest first. */
  evidence: T[];
  /** When the evidence began and when it was last seen. */
  since?: string;
  lastAt?: string;
}

/** In how many warnings: a phone switched off for one night fails every redial of that one warning. */
const warnings = (os: Observation[]) => new Set(os.map((o) => o.warningId)).size;

/**
 * The health of one person's number from their observations (any order): only what happened after
 * they last answered counts. A definite line fault needs one report; switched off, voicemail and
 * no answer need repeats (a phone can be off for a night).
 */
export function healthOf<T extends Observation>(
  observations: T[],
  rules: HealthRules = DEFAULT_HEALTH_RULES,
): HealthVerdict<T> {
  const sorted = [...observations].sort(
    (a, b) => a.at.localeCompare(b.at) || a.eventId.localeCompare(b.eventId),
  );
  const lastReached = sorted.map((o) => o.kind).lastIndexOf('reached');
  const open = sorted.slice(lastReached + 1);
  const verdict = (health: NumberHealth, evidence: T[]): HealthVerdict<T> =>
    evidence.length === 0
      ? { health: 'ok', evidence: [] }
      : { health, evidence, since: evidence[0].at, lastAt: evidence[evidence.length - 1].at };

  const definite = open.filter((o) => o.lineFault && DEFINITE.has(o.lineFault));
  if (definite.length) return verdict(definite[definite.length - 1].lineFault!, definite);
  const poweredOff = open.filter((o) => o.lineFault === 'powered-off');
  if (warnings(poweredOff) >= rules.poweredOffAfter) return verdict('powered-off', poweredOff);
  const voicemail = open.filter((o) => o.kind === 'voicemail');
  if (voicemail.length >= rules.voicemailAfter) return verdict('voicemail', voicemail);
  const unreachable = open.filter((o) => o.lineFault === 'unreachable');
  if (warnings(unreachable) >= rules.poweredOffAfter) return verdict('unreachable', unreachable);
  // Voice outcomes only: an SMS that was not delivered is not a call nobody answered.
  const nobody = open.filter((o) => o.channel === 'voice' && o.kind !== 'reached');
  if (nobody.length >= rules.noAnswerAfter) return verdict('repeated-no-answer', nobody);
  return { health: 'ok', evidence: [] };
}
