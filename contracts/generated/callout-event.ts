/* Generated from contracts/schemas/callout-event.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * callouts.events: every state change of a call-out, as the tracker records it. Key: calloutId.
 */
export interface CalloutEvent {
schemaVersion: 1
eventId: string
calloutId: string
warningId: string
personId: string
rung?: number
/**
 * For an escalation call-out: the call-out of the person who did not answer.
 */
subjectCalloutId?: (string | null)
from: (string | null)
to: string
reason: string
drill?: boolean
at: string
personName?: string
role?: string
areaCode?: string
/**
 * The area's name as the directory knows it (generated villages have no national name).
 */
areaName?: string
/**
 * Anything the transition carries: attempt number, channel, feedback, late flag.
 */
details?: {

}
}
