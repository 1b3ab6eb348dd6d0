/* Generated from contracts/schemas/warning.schema.json by scripts/gen-contracts.js. Do not edit. */

/**
 * A canonical warning on a hazard topic (warnings.meteorological | warnings.flood | warnings.geologic | warnings.forest-fire). Key: the warning id.
 */
export interface WarningMessage {
schemaVersion: 1
/**
 * Identifier, unique per sender; the national pattern ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N is recognised but not required.
 */
id: string
msgType: ("Alert" | "Update" | "Cancel")
/**
 * Exercise = drill (演练): dispatched, marked as a drill everywhere.
 */
status: ("Actual" | "Exercise" | "Test" | "Draft" | "System")
/**
 * Ids of earlier warnings this one updates or cancels.
 */
references?: string[]
/**
 * Issuing agency.
 */
sender: string
sentAt: string
hazard: ("meteorological" | "flood" | "geologic" | "forest-fire")
/**
 * Signal or kind within the hazard (libs/intake/hazards.ts): meteorological typhoon, rainstorm, snowstorm, cold-wave, gale, heat, fog, sandstorm, lightning, road-icing, frost, drought, hail, haze; flood river, flash-flood-risk, village-flash-flood; geologic risk; forest-fire fire-danger, forest-fire.
 */
subtype: string
/**
 * Warning colour; null when the source grade is recorded but not dispatched (geologic grade 4).
 */
level?: ("blue" | "yellow" | "orange" | "red" | null)
/**
 * The level as the source states it: grade-1..grade-4 (geologic), rating-1..rating-5 (fire danger), 准备转移 / 立即转移 (village flash flood).
 */
sourceLevel?: string
headline: string
description?: string
instruction?: string
language?: string
/**
 * Affected divisions. Codes not among the known divisions are kept and raised to the duty officer (alerts.coverage, kind unmapped-area); at least one must be known.
 * 
 * @minItems 1
 */
areas: [{
/**
 * 12-digit administrative division code.
 */
code: string
name?: string
/**
 * How the area was mapped to this division: a geocode's value, the area's name read against the gazetteer, a village point inside a CAP polygon/circle, or a duty officer's mapping of a held warning.
 */
how?: ("code" | "name" | "polygon" | "officer")
/**
 * What the mapping used: the geocode's valueName, the name read, the shape, or the officer who mapped it.
 */
via?: string
}, ...({
/**
 * 12-digit administrative division code.
 */
code: string
name?: string
/**
 * How the area was mapped to this division: a geocode's value, the area's name read against the gazetteer, a village point inside a CAP polygon/circle, or a duty officer's mapping of a held warning.
 */
how?: ("code" | "name" | "polygon" | "officer")
/**
 * What the mapping used: the geocode's valueName, the name read, the shape, or the officer who mapped it.
 */
via?: string
})[]]
/**
 * Shapes from CAP polygon/circle; points and center are [latitude, longitude] as CAP writes them. Intake maps a shape to the villages whose point lies inside (areas with how = polygon); persons are resolved by area codes.
 */
geometry?: {
kind: ("polygon" | "circle")
points?: [number, number][]
/**
 * @minItems 2
 * @maxItems 2
 */
center?: [number, number]
radiusKm?: number
}[]
onset?: string
effective: string
expires: string
/**
 * How the warning entered the system.
 */
source?: ("upstream" | "cap" | "duty-officer")
/**
 * Absent for a warning. verification = the yearly roster verification campaign (号码核查): an Exercise that calls every responsible person in its areas, whatever their role, under the policy's verification section, and asks them to confirm that the number and role are still theirs. Hazard, subtype and level are carried for the contract only.
 */
purpose?: "verification"
}
