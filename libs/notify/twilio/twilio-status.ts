import { ChannelStatus, ChannelStatusCode } from '../provider';

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

/** `requestId`: the rid the project put into the callback URL, when present. */
export function mapSmsStatus(params: Record<string, string>, requestId?: string): ChannelStatus | null {
  const sid = params.MessageSid ?? params.SmsSid;
  const raw = (params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase();
  const status = SMS_STATUS[raw];
  if (!sid || !status) return null;
  const code = params.ErrorCode;
  return {
    channel: 'sms',
    providerId: sid,
    status,
    providerStatus: raw,
    providerFields: params,
    ...(requestId ? { requestId } : {}),
    ...(code && code !== '0'
      ? { reason: `Twilio error ${code}${params.ErrorMessage ? `: ${params.ErrorMessage}` : ''}` }
      : {}),
  };
}

/**
 * A completed call counts as `heard` only when it was answered by a person (Twilio reports
 * "completed" only for answered calls; answering machines are not heard) and lasted at least
 * `heardSeconds` — long enough for the message to play.
 */
export function mapCallStatus(
  params: Record<string, string>,
  heardSeconds: number,
  requestId?: string,
): ChannelStatus | null {
  const sid = params.CallSid;
  const raw = (params.CallStatus ?? '').toLowerCase();
  let status = CALL_STATUS[raw];
  if (!sid || !status) return null;
  const duration = params.CallDuration !== undefined ? Number(params.CallDuration) : undefined;
  let reason: string | undefined;
  if (status === 'completed') {
    const machine = (params.AnsweredBy ?? '').startsWith('machine') || params.AnsweredBy === 'fax';
    if (!machine && duration !== undefined && duration >= heardSeconds) status = 'heard';
    else if (machine) reason = `answered by ${params.AnsweredBy}`;
    else reason = `answered but only ${duration ?? 0}s (< ${heardSeconds}s): message not fully played`;
  } else if (params.ErrorCode) {
    reason = `Twilio error ${params.ErrorCode}`;
  }
  return {
    channel: 'voice',
    providerId: sid,
    status,
    providerStatus: raw,
    providerFields: params,
    ...(requestId ? { requestId } : {}),
    ...(duration !== undefined && Number.isFinite(duration) ? { durationSec: duration } : {}),
    ...(reason ? { reason } : {}),
  };
}
