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
data: TemplateData
/**
 * Send order when the notifier's rate limits hold sends back: the lowest goes first, then the oldest (libs/callout/send-priority.ts: real before drill, follow-ups before fan-outs, the higher level first, then the policy's sendOrder). Absent: computed by the notifier from purpose, level and drill alone.
 */
priority?: number
requestedAt: string
}
/**
 * The render context of every message a person receives, built by the call-out engine (libs/callout/template-data.ts) and rendered by the notifier's templates: person is who receives the message, subject (escalation only) the person who did not answer.
 */
export interface TemplateData {
warning: TemplateWarning
person: TemplatePerson
subject?: TemplatePerson
/**
 * Free text the engine adds (e.g. who confirmed, for a "settled" notice).
 */
note?: string
}
/**
 * The warning as the templates show it.
 */
export interface TemplateWarning {
id: string
/**
 * Short number of the warning; people may quote it in a reply ("1 37").
 */
seq?: number
hazard: string
hazardName: string
subtype: string
subtypeName: string
/**
 * blue | yellow | orange | red (levelName "红色", levelColour a CSS colour).
 */
level: string
levelName: string
levelColour: string
headline: string
instruction?: string
areaNames: string[]
/**
 * ISO date-time, '' when the warning has no expiry; the ack link expires then.
 */
expires: string
sender: string
drill: boolean
/**
 * The roster verification campaign (号码核查): the person is asked to confirm that the number and role are still theirs. Absent means false.
 */
verification?: boolean
}
export interface TemplatePerson {
name: string
roleName: string
areaName: string
}
