/* Generated from contracts/schemas/capacity-plan.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * callouts.plans: the capacity planner's prediction for one warning's first call-outs, recorded by the dispatcher when it plans them (libs/notify/providers/capacity-planner.ts): per channel the sends and when the last goes out and is heard, against the practice targets. The board and the audit report show it next to what happened. Key: warningId.
 */
export interface CapacityPlanned {
schemaVersion: 1
/**
 * One per warning message that creates first call-outs: warningId|message key.
 */
planId: string
warningId: string
/**
 * The warning message (Alert or Update) whose call-outs this plan is for.
 */
messageId: string
level: string
drill: boolean
/**
 * First call-outs planned (one per person).
 */
persons: number
channels: CapacityChannelPlan[]
/**
 * Seconds from the plan until the last first-round call is placed (null: no calls, or no rate to place them).
 */
voiceAllPlacedSec: (number | null)
/**
 * Seconds until everyone has the warning by the channel that wakes them (null: never at the rates configured).
 */
allWokenSec: (number | null)
targets: {
voiceWithinSec: number
allWokenWithinSec: number
}
meetsVoiceTarget: boolean
meetsWokenTarget: boolean
suggestions: string[]
/**
 * When the plan was made: the start of the time the actual figures are measured from.
 */
at: string
}
export interface CapacityChannelPlan {
channel: ("sms" | "voice")
sends: number
/**
 * The rate the sends go out at: the lowest of the configured, provider and account rates.
 */
perSecond: number
boundBy: ("configured" | "provider" | "account")
/**
 * Seconds until the last send is placed (null: no rate).
 */
lastSentSec: (number | null)
/**
 * Seconds until the last person has it, heard or read (null: no rate).
 */
lastReachedSec: (number | null)
}
