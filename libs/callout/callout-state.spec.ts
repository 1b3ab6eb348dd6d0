import { CALLOUT_STATES, CalloutEventKind, CalloutState, transition } from './callout-state';

const legal: [CalloutState, CalloutEventKind, number, CalloutState][] = [
  ['PLANNED', 'send', 0, 'SENT'],
  ['SENT', 'delivered', 0, 'DELIVERED'],
  ['SENT', 'heard', 0, 'HEARD'],
  ['DELIVERED', 'heard', 0, 'HEARD'],
  ['REDIAL_PENDING', 'heard', 0, 'HEARD'],
  ['SENT', 'voice-failed', 0, 'REDIAL_PENDING'],
  ['DELIVERED', 'voice-failed', 0, 'REDIAL_PENDING'],
  ['HEARD', 'voice-failed', 0, 'REDIAL_PENDING'],
  ['REDIAL_PENDING', 'redial', 0, 'SENT'],
  ['PLANNED', 'confirm', 0, 'CONFIRMED'],
  ['SENT', 'confirm', 0, 'CONFIRMED'],
  ['DELIVERED', 'confirm', 0, 'CONFIRMED'],
  ['HEARD', 'confirm', 0, 'CONFIRMED'],
  ['REDIAL_PENDING', 'confirm', 0, 'CONFIRMED'],
  ['ESCALATED', 'confirm', 0, 'CONFIRMED'],
  ['NOT_WOKEN', 'confirm', 0, 'CONFIRMED'],
  ['SENT', 'deadline', 0, 'ESCALATED'],
  ['HEARD', 'deadline', 0, 'ESCALATED'],
  ['SENT', 'deadline', 1, 'GIVEN_UP'],
  ['ESCALATED', 'ladder-exhausted', 0, 'NOT_WOKEN'],
  ['ESCALATED', 'step-confirmed', 0, 'NOT_WOKEN'],
  ['ESCALATED', 'reached', 0, 'REACHED'],
  ['NOT_WOKEN', 'reached', 0, 'REACHED'],
  ['SENT', 'settle', 2, 'SETTLED'],
  ['SENT', 'cancel', 0, 'CANCELLED'],
  ['ESCALATED', 'cancel', 0, 'CANCELLED'],
  ['NOT_WOKEN', 'cancel', 0, 'CANCELLED'],
  ['DELIVERED', 'expire', 0, 'EXPIRED'],
  ['ESCALATED', 'expire', 0, 'EXPIRED'],
];

describe('call-out state machine', () => {
  it.each(legal)('%s --%s (rung %d)--> %s', (from, event, rung, to) => {
    const t = transition(from, event, rung);
    expect(t).toEqual({
      ok: true,
      to,
      late: event === 'confirm' && (from === 'ESCALATED' || from === 'NOT_WOKEN'),
    });
  });

  it('refuses every transition that is not listed', () => {
    const events: CalloutEventKind[] = [
      'send',
      'delivered',
      'heard',
      'voice-failed',
      'redial',
      'confirm',
      'deadline',
      'ladder-exhausted',
      'step-confirmed',
      'reached',
      'settle',
      'cancel',
      'expire',
    ];
    const allowed = new Set(legal.map(([f, e, r]) => `${f}|${e}|${r === 0 ? 0 : 1}`));
    // Everything legal for rung 1 mirrors rung 0 except the rung-specific rules above.
    for (const [f, e] of [
      ['PLANNED', 'send'],
      ['SENT', 'delivered'],
      ['SENT', 'heard'],
      ['DELIVERED', 'heard'],
      ['REDIAL_PENDING', 'heard'],
      ['SENT', 'voice-failed'],
      ['DELIVERED', 'voice-failed'],
      ['HEARD', 'voice-failed'],
      ['REDIAL_PENDING', 'redial'],
      ['PLANNED', 'confirm'],
      ['SENT', 'confirm'],
      ['DELIVERED', 'confirm'],
      ['HEARD', 'confirm'],
      ['REDIAL_PENDING', 'confirm'],
      ['ESCALATED', 'confirm'],
      ['NOT_WOKEN', 'confirm'],
      ['HEARD', 'deadline'],
      ['DELIVERED', 'deadline'],
      ['PLANNED', 'deadline'],
      ['REDIAL_PENDING', 'deadline'],
      ['PLANNED', 'settle'],
      ['DELIVERED', 'settle'],
      ['HEARD', 'settle'],
      ['REDIAL_PENDING', 'settle'],
      ['PLANNED', 'cancel'],
      ['DELIVERED', 'cancel'],
      ['HEARD', 'cancel'],
      ['REDIAL_PENDING', 'cancel'],
      ['ESCALATED', 'cancel'],
      ['NOT_WOKEN', 'cancel'],
      ['SENT', 'cancel'],
      ['PLANNED', 'expire'],
      ['SENT', 'expire'],
      ['DELIVERED', 'expire'],
      ['HEARD', 'expire'],
      ['REDIAL_PENDING', 'expire'],
      ['ESCALATED', 'expire'],
    ] as [CalloutState, CalloutEventKind][]) {
      allowed.add(`${f}|${e}|1`);
    }
    for (const [f, e] of [
      ['PLANNED', 'deadline'],
      ['DELIVERED', 'deadline'],
      ['REDIAL_PENDING', 'deadline'],
      ['PLANNED', 'cancel'],
      ['DELIVERED', 'cancel'],
      ['HEARD', 'cancel'],
      ['REDIAL_PENDING', 'cancel'],
      ['PLANNED', 'expire'],
      ['SENT', 'expire'],
      ['HEARD', 'expire'],
      ['REDIAL_PENDING', 'expire'],
    ] as [CalloutState, CalloutEventKind][]) {
      allowed.add(`${f}|${e}|0`);
    }
    let refused = 0;
    for (const from of CALLOUT_STATES) {
      for (const event of events) {
        for (const rung of [0, 1]) {
          const t = transition(from, event, rung);
          if (allowed.has(`${from}|${event}|${rung}`)) expect(t.ok).toBe(true);
          else {
            expect(t).toEqual({
              ok: false,
              reason: `illegal transition: ${event} from ${from} (rung ${rung})`,
            });
            refused++;
          }
        }
      }
    }
    expect(refused).toBeGreaterThan(200);
  });

  it('delivered and heard never confirm', () => {
    expect(transition('SENT', 'delivered', 0)).toEqual({ ok: true, to: 'DELIVERED', late: false });
    expect(transition('DELIVERED', 'heard', 0)).toEqual({ ok: true, to: 'HEARD', late: false });
  });

  it('nothing leaves a final state', () => {
    for (const from of [
      'CONFIRMED',
      'REACHED',
      'CANCELLED',
      'EXPIRED',
      'GIVEN_UP',
      'SETTLED',
    ] as CalloutState[]) {
      for (const event of [
        'confirm',
        'deadline',
        'cancel',
        'expire',
        'reached',
        'send',
      ] as CalloutEventKind[]) {
        expect(transition(from, event, 0).ok).toBe(false);
      }
    }
  });

  it('a confirmation after escalation is late', () => {
    expect(transition('ESCALATED', 'confirm', 0)).toEqual({ ok: true, to: 'CONFIRMED', late: true });
  });
});
