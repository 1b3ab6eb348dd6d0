import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateContract } from '../../../contracts/validate';
import { fromRoot } from '../../common/project-root';
import { demoVillagePoints } from '../cap-check.cli';
import { capToWarning } from './cap-to-warning';

/** One table-driven check of the whole CAP corpus against test/fixtures/cap/expected.json. */
interface Expected {
  outcome: 'warning' | 'needs-mapping' | 'record-only' | 'rejected';
  id?: string;
  hazard?: string;
  subtype?: string;
  level?: string | null;
  sourceLevel?: string;
  msgType?: string;
  status?: string;
  references?: string[];
  areas?: string[];
  /** How each area was mapped (code, name, polygon), in the order of `areas`. */
  how?: string[];
  unmappedAreas?: (string | null)[];
  headline?: string;
  language?: string;
  geometry?: number;
  descriptionIncludes?: string;
  reasonIncludes?: string;
  hostile?: boolean;
}

const dir = fromRoot('test', 'fixtures', 'cap');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Expected>;

describe('CAP corpus', () => {
  it('has an expectation for every file and a file for every expectation, with enough cases', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    const values = Object.values(expected);
    const warnings = values.filter((e) => e.outcome === 'warning');
    expect(warnings.length).toBeGreaterThanOrEqual(30);
    expect(values.filter((e) => e.hostile).length).toBeGreaterThanOrEqual(15);
    for (const h of ['meteorological', 'flood', 'geologic', 'forest-fire'])
      expect(warnings.filter((w) => w.hazard === h).length).toBeGreaterThanOrEqual(4);
    for (const l of ['blue', 'yellow', 'orange', 'red'])
      expect(warnings.filter((w) => w.level === l).length).toBeGreaterThanOrEqual(2);
    // Areas as feeds send them: each way of mapping, and areas held for mapping.
    for (const how of ['code', 'name', 'polygon'])
      expect(warnings.filter((w) => w.how?.includes(how)).length).toBeGreaterThanOrEqual(3);
    expect(values.filter((e) => e.outcome === 'needs-mapping').length).toBeGreaterThanOrEqual(3);
  });

  it.each(Object.entries(expected))('%s', (file, exp) => {
    const result = capToWarning(readFileSync(join(dir, file)), { villages: demoVillagePoints() });
    if (exp.outcome === 'rejected') {
      expect(result.kind).toBe('rejected');
      if (result.kind !== 'rejected') return;
      expect(result.reasons.join(' | ')).toContain(exp.reasonIncludes);
      return;
    }
    if (result.kind === 'rejected') throw new Error(`rejected: ${result.reasons.join('; ')}`);
    expect(result.kind).toBe(exp.outcome);
    if (result.kind === 'needs-mapping') {
      // Held for the duty officer, never dropped: the warning is whole but for its areas.
      expect(result.warning.id).toBe(exp.id);
      expect(result.warning.areas).toEqual([]);
      expect(result.warning.hazard).toBe(exp.hazard);
      expect(result.unmappedAreas.map((u) => u.code)).toEqual(exp.unmappedAreas);
      expect(result.unmappedAreas[0].reason).toContain(exp.reasonIncludes);
      expect(result.warning.geometry?.length ?? 0).toBe(exp.geometry ?? 0);
      return;
    }
    if (result.kind === 'record-only') {
      expect(result.reason).toContain(exp.reasonIncludes);
      if (exp.hazard) expect(result.warning?.hazard).toBe(exp.hazard);
      expect(result.cap.identifier).toBe(exp.id);
      return;
    }
    const w = result.warning;
    expect(validateContract('warning', w)).toEqual({ ok: true, value: w });
    expect(w.id).toBe(exp.id);
    expect(w.source).toBe('cap');
    expect(w.hazard).toBe(exp.hazard);
    expect(w.subtype).toBe(exp.subtype);
    expect(w.level).toBe(exp.level);
    expect(w.msgType).toBe(exp.msgType ?? 'Alert');
    expect(w.status).toBe(exp.status ?? 'Actual');
    expect(w.references).toEqual(exp.references);
    if (exp.sourceLevel !== undefined) expect(w.sourceLevel).toBe(exp.sourceLevel);
    expect(w.areas.map((a) => a.code)).toEqual(exp.areas);
    if (exp.how) expect(w.areas.map((a) => a.how)).toEqual(exp.how);
    expect(result.mappings.map((m) => m.code)).toEqual(expect.arrayContaining(exp.areas ?? []));
    expect(result.unmappedAreas.map((u) => u.code)).toEqual(exp.unmappedAreas ?? []);
    if (exp.headline) expect(w.headline).toBe(exp.headline);
    if (exp.language) expect(w.language).toBe(exp.language);
    expect(w.geometry?.length ?? 0).toBe(exp.geometry ?? (exp.unmappedAreas?.includes(null) ? 1 : 0));
    if (exp.descriptionIncludes) expect(w.description).toContain(exp.descriptionIncludes);
  });
});
