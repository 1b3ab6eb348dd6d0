/* Generated from contracts/schemas/coverage-alert.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * alerts.coverage: an affected area with no reachable responsible person, or another condition the duty officer must see at once. Key: warning id.
 */
export interface CoverageAlert {
schemaVersion: 1
alertId: string
warningId: string
/**
 * needs-mapping: a warning is held until the duty officer names its divisions; area-mapped: the officer (actor) did.
 */
kind: ("no-reachable-person" | "unmapped-area" | "needs-mapping" | "area-mapped" | "need-help" | "not-woken" | "rejected")
/**
 * Who acted, when a person did (area-mapped: console:<username>).
 */
actor?: string
areaCode?: string
areaName?: string
personId?: string
calloutId?: string
message: string
details?: {

}
at: string
}
