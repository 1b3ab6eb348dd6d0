/* Generated from contracts/schemas/callout-response.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * callouts.responses: what a person answered (SMS reply, key press, web page, duty officer on their behalf). Key: calloutId.
 */
export interface CalloutResponse {
schemaVersion: 1
/**
 * Idempotency key (provider message id, call id + digits, web nonce).
 */
responseId: string
calloutId: string
warningId: string
via: ("sms" | "voice" | "web" | "duty-officer")
kind: ("confirm" | "feedback" | "unrecognised")
feedback?: {
action: ("patrol-done" | "evacuated" | "shelter-opened" | "need-help" | "reached-in-person" | "other")
count?: number
note?: string
}
text?: string
/**
 * Who acted, when not the person (duty officer id).
 */
actor?: string
at: string
}
