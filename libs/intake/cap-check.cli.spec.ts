import { mkdirSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../common/project-root';
import { main } from './cap-check.cli';

const f = (name: string) => fromRoot('test', 'fixtures', 'cap', name);

/** The lines that name a file (or the summary), without the indented mapping lines under them. */
const fileLines = (out: string[]) => out.filter((l) => !l.startsWith('  '));

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('cap:check', () => {
  it('prints one line per good file plus a summary and exits 0', () => {
    const r = run([f('met-frost-blue.xml'), f('status-test.xml')]);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out).toHaveLength(4);
    expect(r.out[0]).toMatch(
      new RegExp(`^${f('met-frost-blue.xml')}: warning \\S+ Alert meteorological/frost blue, 1 area`),
    );
    // Under the warning, how its area was mapped.
    expect(r.out[1]).toBe(
      '  mapped: 新荣区 → 140212000000 新荣区 · by code (geocode 行政区划代码), confidence high',
    );
    expect(r.out[2]).toMatch(new RegExp(`^${f('status-test.xml')}: record-only: `));
    expect(r.out[3]).toBe('2 file(s): 2 accepted (1 warning(s), 1 record-only), 0 rejected');
  });

  it('prints the canonical warning as one JSON line per file with --json, the summary on stderr', () => {
    const r = run(['--json', f('met-frost-blue.xml'), f('status-test.xml')]);
    expect(r.code).toBe(0);
    const [first, second] = r.out.map((o) => JSON.parse(o));
    expect(first.outcome).toBe('warning');
    expect(first.warning).toMatchObject({ hazard: 'meteorological', subtype: 'frost', level: 'blue' });
    expect(second.outcome).toBe('record-only');
    expect(r.err).toEqual(['2 file(s): 2 accepted (1 warning(s), 1 record-only), 0 rejected']);
  });

  it('prints the reasons on the file line and exits 2 when any file is rejected', () => {
    const r = run([f('met-frost-blue.xml'), f('malformed-frost-red.xml')]);
    expect(r.code).toBe(2);
    expect(fileLines(r.out)).toHaveLength(2);
    expect(r.err).toEqual([
      `${f('malformed-frost-red.xml')}: REJECTED: signal 霜冻 (frost) has no red level; allowed: blue, yellow, orange`,
    ]);
    expect(fileLines(r.out)[1]).toBe('2 file(s): 1 accepted (1 warning(s), 0 record-only), 1 rejected');
  });

  it('checks every .xml file of a folder, nested folders included, in name order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cap-check-'));
    try {
      mkdirSync(join(dir, 'nested'));
      copyFileSync(f('met-frost-blue.xml'), join(dir, 'b.xml'));
      copyFileSync(f('malformed-frost-red.xml'), join(dir, 'nested', 'a.xml'));
      copyFileSync(f('status-test.xml'), join(dir, 'a.xml'));
      copyFileSync(f('met-frost-blue.xml'), join(dir, 'notes.txt'));
      const r = run([dir]);
      expect(r.code).toBe(2);
      expect(fileLines(r.out).map((l) => l.split(':')[0])).toEqual([
        join(dir, 'a.xml'),
        join(dir, 'b.xml'),
        '3 file(s)',
      ]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(new RegExp(`^${join(dir, 'nested', 'a.xml')}: REJECTED: `));
      expect(r.out[r.out.length - 1]).toBe('3 file(s): 2 accepted (1 warning(s), 1 record-only), 1 rejected');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks the whole fixture corpus in one call', () => {
    const r = run([fromRoot('test', 'fixtures', 'cap')]);
    const files = fileLines(r.out).length - 1 + r.err.length;
    expect(files).toBeGreaterThan(50);
    expect(r.out[r.out.length - 1]).toMatch(
      new RegExp(`^${files} file\\(s\\): \\d+ accepted .*, \\d+ rejected$`),
    );
  });

  it('reports usage, an unknown option, unreadable files and empty folders', () => {
    expect(run([]).code).toBe(1);
    expect(run(['--jsn', f('met-frost-blue.xml')]).err[0]).toMatch(/^unknown option --jsn; usage/);
    const missing = run(['/nonexistent/file.xml']);
    expect(missing.code).toBe(1);
    expect(missing.out).toEqual([
      '1 file(s): 0 accepted (0 warning(s), 0 record-only), 0 rejected, 1 unreadable',
    ]);
    const empty = mkdtempSync(join(tmpdir(), 'cap-check-'));
    try {
      expect(run([empty]).err).toEqual([`${empty}: no .xml files in this folder`]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
