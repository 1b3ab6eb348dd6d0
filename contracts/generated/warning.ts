/* Generated from contracts/schemas/warning.schema.json by scripts/gen-contracts.ts. Do not edit. */

/**
 * A canonical warning on a hazard topic (warnings.meteorological | warnings.flood | warnings.geologic | warnings.forest-fire). Key: the warning id.
 */
export interface WarningMessage {
  schemaVersion: 1;
  /**
   * Identifier, unique per sender; the national pattern ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N is recognised but not required.
   */
  id: string;
  msgType: 'Alert' | 'Update' | 'Cancel';
  /**
   * Exercise = drill (演练): dispatched, marked as a drill everywhere.
   */
  status: 'Actual' | 'Exercise' | 'Test' | 'Draft' | 'System';
  /**
   * Ids of earlier warnings this one updates or cancels.
   */
  references?: string[];
  /**
   * Issuing agency.
   */
  sender: string;
  sentAt: string;
  hazard: 'meteorological' | 'flood' | 'geologic' | 'forest-fire';
  /**
   * Signal or kind within the hazard, e.g. rainstorm, river, flash-flood-risk, village-flash-flood, risk, fire-danger, forest-fire.
   */
  subtype: string;
  /**
   * Warning colour; null when the source grade is recorded but not dispatched (geologic grade 4).
   */
  level?: 'blue' | 'yellow' | 'orange' | 'red' | null;
  /**
   * The level as the source states it (e.g. grade-3, rating-5, 立即转移).
   */
  sourceLevel?: string;
  headline: string;
  description?: string;
  instruction?: string;
  language?: string;
  /**
   * @minItems 1
   */
  areas: [
    {
      /**
       * 12-digit administrative division code.
       */
      code: string;
      name?: string;
    },
    ...{
      /**
       * 12-digit administrative division code.
       */
      code: string;
      name?: string;
    }[]
  ];
  geometry?: {
    kind: 'polygon' | 'circle';
    points?: [number, number][];
    /**
     * @minItems 2
     * @maxItems 2
     */
    center?: [number, number];
    radiusKm?: number;
  }[];
  onset?: string;
  effective: string;
  expires: string;
  /**
   * How the warning entered the system.
   */
  source?: 'upstream' | 'cap' | 'duty-officer';
}
