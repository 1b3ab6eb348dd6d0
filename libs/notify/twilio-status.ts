import { AnsweredBy, ChannelStatus, ChannelStatusCode } from './channel';
import { lineFaultOfSip, lineFaultOfTwilioError } from './twilio-line-faults';

/**
 * Twilio's message and call statuses mapped to the project's own. Kept as plain tables so every
 * mapping is visible and tested (twilio-status.spec.ts). null = not a status of an outbound send.
 */
export const SMS_STATUS: Record<string, ChannelStatusCode | null> = {
  accepted: 'submitted',
  scheduled: 'submitted',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'canceled',
  receiving: null,
  received: null,
};

export const CALL_STATUS: Record<string, ChannelStatusCode | null> = {
  queued: 'queued',
  initiated: 'queued',
  ringing: 'ringing',
  'in-progress': 'answered',
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no-answer',
  failed: 'failed',
  canceled: 'canceled',
};

export function mapSmsStatus(params: Record<string, string>): ChannelStatus | null {
  const sid = params.MessageSid ?? params.SmsSid;
  const raw = (params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase();
  const status = SMS_STATUS[raw];
  if (!sid || !status) return null;
  const code = params.ErrorCode;
  const lineFault = lineFaultOfTwilioError(code);
  return {
    providerId: sid,
    status,
    providerStatus: raw,
    ...(lineFault ? { lineFault } : {}),
    ...(code && code !== '0'
      ? { reason: `Twilio error ${code}${params.ErrorMessage ? `: ${params.ErrorMessage}` : ''}` }
      : {}),
  };
}

/**
 * Twilio's AnsweredBy (present when the call was placed with MachineDetection): machine_start,
 * machine_end_beep, machine_end_silence, machine_end_other and fax are machines.
 */
export function answeredByOf(value: string | undefined): AnsweredBy | undefined {
  if (!value) return undefined;
  if (value.startsWith('machine') || value === 'fax') return 'machine';
  return value === 'human' ? 'human' : 'unknown';
}

/**
 * A completed call counts as `heard` only when it was answered by a person (Twilio reports
 * "completed" only for answered calls; answering machines are not heard) and lasted at least
 * `heardSeconds` — long enough for the message to play.
 */
export function mapCallStatus(params: Record<string, string>, heardSeconds: number): ChannelStatus | null {
  const sid = params.CallSid;
  const raw = (params.CallStatus ?? '').toLowerCase();
  let status = CALL_STATUS[raw];
  if (!sid || !status) return null;
  const duration = params.CallDuration !== undefined ? Number(params.CallDuration) : undefined;
  let reason: string | undefined;
  const answeredBy = answeredByOf(params.AnsweredBy);
  const lineFault = lineFaultOfSip(params.SipResponseCode) ?? lineFaultOfTwilioError(params.ErrorCode);
  if (status === 'completed') {
    const machine = answeredBy === 'machine';
    if (!machine && duration !== undefined && duration >= heardSeconds) status = 'heard';
    else if (machine) reason = `answered by ${params.AnsweredBy}`;
    else reason = `answered but only ${duration ?? 0}s (< ${heardSeconds}s): message not fully played`;
  } else if (params.ErrorCode || params.SipResponseCode) {
    reason = [
      params.ErrorCode ? `Twilio error ${params.ErrorCode}` : '',
      params.SipResponseCode ? `SIP ${params.SipResponseCode}` : '',
    ]
      .filter(Boolean)
      .join(', ');
  }
  return {
    providerId: sid,
    status,
    providerStatus: raw,
    ...(duration !== undefined && Number.isFinite(duration) ? { durationSec: duration } : {}),
    ...(reason ? { reason } : {}),
    ...(lineFault ? { lineFault } : {}),
    ...(answeredBy ? { answeredBy } : {}),
  };
}
