import { LineFault } from './channel';

/**
 * What Twilio's answers say about the number itself, in the project's terms (the roster's number
 * health reads `lineFault`, never a Twilio code). Plain tables so every mapping is visible and tested
 * (twilio-status.spec.ts); a code not listed says nothing about the number (a network hiccup, a
 * blocked sender, a full queue) and maps to nothing.
 */

/** Twilio error codes of messages and of create requests (REST API errors). */
export const TWILIO_ERROR_LINE_FAULTS: Record<number, LineFault> = {
  // Messaging delivery errors (status callbacks of undelivered / failed messages).
  30003: 'powered-off', // Unreachable destination handset: switched off or out of coverage
  30005: 'unallocated', // Unknown destination handset: the number does not exist (空号)
  30006: 'invalid', // Landline or unreachable carrier: not a mobile number
  // REST API errors answered to the create request itself.
  21211: 'invalid', // Invalid 'To' phone number
  21217: 'invalid', // Phone number does not appear to be valid
  21214: 'invalid', // 'To' phone number cannot be reached
  21614: 'invalid', // 'To' number is not a valid mobile number
  13223: 'invalid', // Dial: invalid phone number format
  13224: 'invalid', // Dial: invalid phone number
};

/**
 * SIP response codes of calls that did not connect (Twilio's `SipResponseCode` in call status
 * callbacks). Mainland carriers play their announcements (空号 / 停机 / 关机) as early media and end
 * the call with these codes.
 */
export const SIP_LINE_FAULTS: Record<number, LineFault> = {
  404: 'unallocated', // Not Found: 空号
  410: 'unallocated', // Gone: the number was given up
  484: 'invalid', // Address Incomplete
  403: 'suspended', // Forbidden: 停机 (line suspended)
  480: 'powered-off', // Temporarily Unavailable: 关机 / out of coverage
  503: 'unreachable', // Service Unavailable at the far end
};

export function lineFaultOfTwilioError(code: number | string | undefined): LineFault | undefined {
  const n = typeof code === 'string' ? Number(code) : code;
  return n === undefined || !Number.isFinite(n) ? undefined : TWILIO_ERROR_LINE_FAULTS[n];
}

export function lineFaultOfSip(code: number | string | undefined): LineFault | undefined {
  const n = typeof code === 'string' ? Number(code) : code;
  return n === undefined || !Number.isFinite(n) ? undefined : SIP_LINE_FAULTS[n];
}
