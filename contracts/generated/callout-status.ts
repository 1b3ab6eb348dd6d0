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
at: string
}
