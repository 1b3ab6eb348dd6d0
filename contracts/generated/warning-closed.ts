/* Generated from contracts/schemas/warning-closed.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * warnings.closed: a warning whose every call-out is settled (confirmed or given up with a reason). Key: warning id.
 */
export interface WarningClosed {
schemaVersion: 1
warningId: string
reason: ("all-settled" | "cancelled" | "expired")
drill?: boolean
/**
 * Number of call-outs per final state.
 */
counts: {
[k: string]: number
}
at: string
}
