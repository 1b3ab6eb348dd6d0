/* Generated from contracts/schemas/field-task-event.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * fieldtasks.events: one step of a door-to-door hand-off. 'opened': a township's or village's not-woken persons handed to its head or grid worker (the list sent to them); 'outcome': one person's door visited and what was found, with who reported it; 'closed': every person's outcome is in. Key: task id.
 */
export interface FieldTaskEvent {
schemaVersion: 1
eventId: string
taskId: string
warningId: string
kind: ("opened" | "outcome" | "closed")
areaCode: string
areaName?: string
assignee: {
personId: string
name: string
role: string
}
/**
 * opened: the not-woken call-outs handed over.
 */
calloutIds?: string[]
/**
 * opened: how the list was sent.
 */
channels?: ("sms" | "voice")[]
/**
 * outcome: whose door.
 */
calloutId?: string
outcome?: ("reached" | "not-found" | "moved")
note?: string
/**
 * Who opened the task or reported the outcome (console:<user>).
 */
actor: string
drill: boolean
at: string
}
