import { maskPhone } from '../../common/mask';
import { InboundSms, KeyPress } from '../provider';

/** Form fields of Twilio's webhooks that carry personal data: never kept from a refused request. */
export const TWILIO_PERSONAL_FIELDS: ReadonlySet<string> = new Set(['From', 'To', 'Body']);

/** Twilio's inbound SMS webhook in the project's terms (null: not an inbound message). */
export function inboundSmsOf(params: Record<string, string>): InboundSms | null {
  const id = params.MessageSid ?? params.SmsSid;
  if (!id || !params.From || params.Body === undefined) return null;
  return {
    messageId: id,
    from: params.From,
    to: params.To ?? '',
    body: params.Body,
    // The sender's number is kept masked in the webhook record.
    providerFields: { ...params, From: maskPhone(params.From) },
  };
}

/** Twilio's <Gather> webhook: the digits pressed on the call, `requestId` from the action's URL. */
export function keyPressOf(params: Record<string, string>, requestId?: string): KeyPress {
  return {
    ...(params.CallSid ? { callId: params.CallSid } : {}),
    ...(requestId ? { requestId } : {}),
    digits: (params.Digits ?? '').trim(),
    providerFields: params,
  };
}
