/* Generated from contracts/schemas/callout-requested.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * callouts.requested: one message a person must receive on one channel. Key: calloutId. requestId is the idempotency key of the send.
 */
export interface CalloutRequested {
schemaVersion: 1
requestId: string
calloutId: string
warningId: string
personId: string
to: string
channel: ("sms" | "voice")
purpose: ("callout" | "redial" | "escalation" | "update" | "lift" | "settled" | "help" | "handoff")
attempt: number
drill: boolean
language?: string
/**
 * Values for the template (warning, person, areas, subject of an escalation, ack link).
 */
data: {

}
requestedAt: string
}
