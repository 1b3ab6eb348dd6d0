/* Generated from contracts/schemas/coverage-alert.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * alerts.coverage: an affected area with no reachable responsible person, or another condition the duty officer must see at once. Key: warning id.
 */
export interface CoverageAlert {
schemaVersion: 1
alertId: string
warningId: string
kind: ("no-reachable-person" | "unmapped-area" | "need-help" | "not-woken" | "rejected")
areaCode?: string
areaName?: string
personId?: string
calloutId?: string
message: string
details?: {

}
at: string
}
