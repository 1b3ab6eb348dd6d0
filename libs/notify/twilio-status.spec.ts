import { CALL_STATUS, mapCallStatus, mapSmsStatus, SMS_STATUS } from './twilio-status';
import { toChannelError } from './twilio.channels';

describe('Twilio SMS status mapping', () => {
  it.each([
    ['accepted', 'submitted'],
    ['scheduled', 'submitted'],
    ['queued', 'queued'],
    ['sending', 'queued'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'delivered'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'canceled'],
  ])('%s → %s', (twilio, ours) => {
    expect(mapSmsStatus({ MessageSid: 'SM1', MessageStatus: twilio })?.status).toBe(ours);
  });

  it('covers every status in the table', () => {
    expect(Object.keys(SMS_STATUS).sort()).toEqual(
      [
        'accepted',
        'canceled',
        'delivered',
        'failed',
        'queued',
        'read',
        'received',
        'receiving',
        'scheduled',
        'sending',
        'sent',
        'undelivered',
      ].sort(),
    );
  });

  it('ignores inbound and unknown statuses', () => {
    expect(mapSmsStatus({ MessageSid: 'SM1', MessageStatus: 'received' })).toBeNull();
    expect(mapSmsStatus({ MessageSid: 'SM1', MessageStatus: 'bogus' })).toBeNull();
    expect(mapSmsStatus({ MessageStatus: 'sent' })).toBeNull();
  });

  it('keeps the error code as the reason', () => {
    expect(
      mapSmsStatus({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' }),
    ).toMatchObject({
      status: 'undelivered',
      reason: 'Twilio error 30003',
    });
  });
});

describe('Twilio call status mapping', () => {
  it.each([
    ['queued', 'queued'],
    ['initiated', 'queued'],
    ['ringing', 'ringing'],
    ['in-progress', 'answered'],
    ['busy', 'busy'],
    ['no-answer', 'no-answer'],
    ['failed', 'failed'],
    ['canceled', 'canceled'],
  ])('%s → %s', (twilio, ours) => {
    expect(mapCallStatus({ CallSid: 'CA1', CallStatus: twilio }, 20)?.status).toBe(ours);
  });

  it('has a row for every Twilio call status', () => {
    expect(Object.keys(CALL_STATUS)).toHaveLength(9);
  });

  it('completed and long enough → heard', () => {
    expect(mapCallStatus({ CallSid: 'CA1', CallStatus: 'completed', CallDuration: '20' }, 20)).toMatchObject({
      status: 'heard',
      durationSec: 20,
    });
  });

  it('completed but too short → completed, with the reason', () => {
    const s = mapCallStatus({ CallSid: 'CA1', CallStatus: 'completed', CallDuration: '7' }, 20);
    expect(s).toMatchObject({ status: 'completed', durationSec: 7 });
    expect(s?.reason).toContain('7s');
  });

  it('answered by a machine is never heard', () => {
    expect(
      mapCallStatus(
        { CallSid: 'CA1', CallStatus: 'completed', CallDuration: '60', AnsweredBy: 'machine_start' },
        20,
      )?.status,
    ).toBe('completed');
  });

  it('respects the configured seconds', () => {
    expect(mapCallStatus({ CallSid: 'CA1', CallStatus: 'completed', CallDuration: '12' }, 10)?.status).toBe(
      'heard',
    );
  });
});

describe('what Twilio says about the number (line faults) and who answered', () => {
  it.each([
    ['30005', 'unallocated'],
    ['30003', 'powered-off'],
    ['30006', 'invalid'],
    ['30008', undefined],
  ])('SMS error %s → %s', (code, fault) => {
    expect(
      mapSmsStatus({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: code })?.lineFault,
    ).toBe(fault);
  });

  it.each([
    ['404', 'unallocated'],
    ['410', 'unallocated'],
    ['403', 'suspended'],
    ['480', 'powered-off'],
    ['484', 'invalid'],
    ['486', undefined],
  ])('call ended with SIP %s → %s', (sip, fault) => {
    const s = mapCallStatus({ CallSid: 'CA1', CallStatus: 'failed', SipResponseCode: sip }, 20);
    expect(s?.lineFault).toBe(fault);
    expect(s?.reason).toBe(`SIP ${sip}`);
  });

  it('a REST error of the create request carries its line fault (21211 invalid number)', () => {
    expect(toChannelError({ status: 400, code: 21211, message: 'invalid To' })).toMatchObject({
      permanent: true,
      lineFault: 'invalid',
    });
    expect(toChannelError({ status: 500, code: 20500, message: 'oops' }).lineFault).toBeUndefined();
  });

  it.each([
    ['machine_start', 'machine'],
    ['machine_end_beep', 'machine'],
    ['fax', 'machine'],
    ['human', 'human'],
    ['unknown', 'unknown'],
  ])('AnsweredBy %s → %s; a machine is never heard', (answeredBy, who) => {
    const s = mapCallStatus(
      { CallSid: 'CA1', CallStatus: 'completed', CallDuration: '60', AnsweredBy: answeredBy },
      20,
    );
    expect(s?.answeredBy).toBe(who);
    expect(s?.status).toBe(who === 'machine' ? 'completed' : 'heard');
  });
});
