/* Generated from contracts/schemas/callout-status.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * callouts.status: what a channel reported about one send, in the project's own terms. Key: calloutId.
 */
export interface CalloutStatus {
schemaVersion: 1
/**
 * Idempotency key: provider id + status.
 */
eventId: string
requestId: string
calloutId: string
warningId: string
channel: ("sms" | "voice")
/**
 * heard = a voice call answered and played long enough to count.
 */
status: ("submitted" | "queued" | "sent" | "delivered" | "undelivered" | "failed" | "ringing" | "answered" | "heard" | "completed" | "busy" | "no-answer" | "canceled")
providerId?: string
durationSec?: number
reason?: string
/**
 * What the provider's error or the network's answer says about the number itself (an unallocated number, a suspended line, a phone switched off, a number that is not a valid mobile, an unreachable carrier). Absent when the outcome says nothing about the number.
 */
lineFault?: ("unallocated" | "suspended" | "powered-off" | "invalid" | "unreachable")
/**
 * Who answered a voice call, from the provider's answering-machine detection: a machine (voicemail) is never heard.
 */
answeredBy?: ("human" | "machine" | "unknown")
at: string
}
