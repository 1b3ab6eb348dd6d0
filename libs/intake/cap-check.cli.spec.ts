import { fromRoot } from '../common/project-root';
import { main } from './cap-check.cli';

const f = (name: string) => fromRoot('test', 'fixtures', 'cap', name);

function run(files: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(files, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('cap:check', () => {
  it('prints the canonical warning as JSON and exits 0 for good files', () => {
    const r = run([f('met-frost-blue.xml'), f('status-test.xml')]);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    const [first, second] = r.out.map((o) => JSON.parse(o));
    expect(first.outcome).toBe('warning');
    expect(first.warning).toMatchObject({ hazard: 'meteorological', subtype: 'frost', level: 'blue' });
    expect(second.outcome).toBe('record-only');
  });

  it('prints the reasons and exits 2 when any file is rejected', () => {
    const r = run([f('met-frost-blue.xml'), f('malformed-frost-red.xml')]);
    expect(r.code).toBe(2);
    expect(r.out).toHaveLength(1);
    expect(r.err).toEqual([
      `${f('malformed-frost-red.xml')}: REJECTED`,
      '  - signal 霜冻 (frost) has no red level; allowed: blue, yellow, orange',
    ]);
  });

  it('reports usage and unreadable files with exit 1', () => {
    expect(run([]).code).toBe(1);
    expect(run(['/nonexistent/file.xml']).code).toBe(1);
  });
});
