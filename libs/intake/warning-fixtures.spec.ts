import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateContract } from '../../contracts/validate';
import { fromRoot } from '../common/project-root';
import { checkWarning } from './warning-rules';

/** Canonical warning fixtures (test/fixtures/warnings), as upstream systems publish them, with their outcome. */
const dir = fromRoot('test', 'fixtures', 'warnings');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { topic: string; schemaValid: boolean; errors?: string[]; unmappedAreas?: string[] }
>;

describe('canonical warning fixtures', () => {
  it('lists every fixture file', () => {
    expect(
      readdirSync(dir)
        .filter((f) => f !== 'expected.json')
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s', (file, exp) => {
    const value = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const schema = validateContract('warning', value);
    expect(schema.ok).toBe(exp.schemaValid);
    if (!schema.ok) return;
    expect(checkWarning(value, exp.topic)).toEqual({ errors: exp.errors, unmappedAreas: exp.unmappedAreas });
  });
});
