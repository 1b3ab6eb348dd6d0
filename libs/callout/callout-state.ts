/**
 * The state machine of one call-out (one person, one warning, one rung of the ladder).
 * Delivered or heard is never confirmed: only the person's own answer (or, for the subject of an
 * escalation, being reached in person) settles it. Every transition not listed is refused.
 *
 *   PLANNED ──send──► SENT ──delivered──► DELIVERED ──heard──► HEARD
 *      SENT / DELIVERED / HEARD ──voice failed, redials left──► REDIAL_PENDING ──redial──► SENT
 *      any open state ──confirm──► CONFIRMED
 *      open, rung 0 ──deadline──► ESCALATED ──ladder exhausted / step confirmed──► NOT_WOKEN
 *      ESCALATED / NOT_WOKEN ──confirm──► CONFIRMED (late)   ──reached in person──► REACHED
 *      open, rung ≥ 1 ──deadline──► GIVEN_UP (next step called)   ──subject settled──► SETTLED
 *      open or waiting ──cancel──► CANCELLED   ──expire──► EXPIRED
 */
export const CALLOUT_STATES = [
  'PLANNED',
  'SENT',
  'DELIVERED',
  'HEARD',
  'REDIAL_PENDING',
  'CONFIRMED',
  'ESCALATED',
  'NOT_WOKEN',
  'REACHED',
  'CANCELLED',
  'EXPIRED',
  'GIVEN_UP',
  'SETTLED',
] as const;
export type CalloutState = (typeof CALLOUT_STATES)[number];

export type CalloutEventKind =
  | 'send'
  | 'delivered'
  | 'heard'
  | 'voice-failed'
  | 'redial'
  | 'confirm'
  | 'deadline'
  | 'ladder-exhausted'
  | 'step-confirmed'
  | 'reached'
  | 'settle'
  | 'cancel'
  | 'expire';

/** States in which the person has not answered yet and the engine is still working. */
export const OPEN_STATES: readonly CalloutState[] = [
  'PLANNED',
  'SENT',
  'DELIVERED',
  'HEARD',
  'REDIAL_PENDING',
];
/** States that end a call-out; nothing leaves them. */
export const FINAL_STATES: readonly CalloutState[] = [
  'CONFIRMED',
  'REACHED',
  'CANCELLED',
  'EXPIRED',
  'GIVEN_UP',
  'SETTLED',
];
/** States that count as settled when deciding whether a warning can close. */
export const SETTLED_FOR_CLOSING: readonly CalloutState[] = [...FINAL_STATES, 'NOT_WOKEN'];

const open = OPEN_STATES;
const waiting: readonly CalloutState[] = ['ESCALATED', 'NOT_WOKEN'];

interface Rule {
  from: readonly CalloutState[];
  to: CalloutState;
  rung?: 'person' | 'ladder';
}

const RULES: Record<CalloutEventKind, Rule[]> = {
  send: [{ from: ['PLANNED'], to: 'SENT' }],
  delivered: [{ from: ['SENT'], to: 'DELIVERED' }],
  heard: [{ from: ['SENT', 'DELIVERED', 'REDIAL_PENDING'], to: 'HEARD' }],
  'voice-failed': [{ from: ['SENT', 'DELIVERED', 'HEARD'], to: 'REDIAL_PENDING' }],
  redial: [{ from: ['REDIAL_PENDING'], to: 'SENT' }],
  confirm: [{ from: [...open, ...waiting], to: 'CONFIRMED' }],
  deadline: [
    { from: open, to: 'ESCALATED', rung: 'person' },
    { from: open, to: 'GIVEN_UP', rung: 'ladder' },
  ],
  'ladder-exhausted': [{ from: ['ESCALATED'], to: 'NOT_WOKEN', rung: 'person' }],
  'step-confirmed': [{ from: ['ESCALATED'], to: 'NOT_WOKEN', rung: 'person' }],
  reached: [{ from: waiting, to: 'REACHED', rung: 'person' }],
  settle: [{ from: open, to: 'SETTLED', rung: 'ladder' }],
  cancel: [{ from: [...open, ...waiting], to: 'CANCELLED' }],
  expire: [{ from: [...open, 'ESCALATED'], to: 'EXPIRED' }],
};

export type Transition = { ok: true; to: CalloutState; late: boolean } | { ok: false; reason: string };

/** Decides the next state; `rung` 0 is the person themselves, ≥ 1 a step of their escalation ladder. */
export function transition(from: CalloutState, event: CalloutEventKind, rung: number): Transition {
  const kind = rung === 0 ? 'person' : 'ladder';
  for (const rule of RULES[event]) {
    if (rule.rung && rule.rung !== kind) continue;
    if (rule.from.includes(from)) {
      return { ok: true, to: rule.to, late: event === 'confirm' && waiting.includes(from) };
    }
  }
  return { ok: false, reason: `illegal transition: ${event} from ${from} (rung ${rung})` };
}

export const isOpen = (s: CalloutState) => OPEN_STATES.includes(s);
export const isFinal = (s: CalloutState) => FINAL_STATES.includes(s);
