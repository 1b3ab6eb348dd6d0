import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureFreshBuild, staleSources } = require('./dist-freshness') as {
  staleSources(root: string): string[];
  ensureFreshBuild(root: string, build?: () => void): { built: boolean; stale: string[] };
};

describe('dist freshness (the e2e tier runs dist/)', () => {
  let root: string;
  const at = (path: string, seconds: number) => {
    const t = new Date(1_700_000_000_000 + seconds * 1000);
    utimesSync(join(root, path), t, t);
  };
  const file = (path: string, seconds: number) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
    at(path, seconds);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dist-freshness-'));
    file('libs/a/a.ts', 10);
    file('libs/a/a.spec.ts', 50); // tests are not built: never stale
    file('apps/x/main.ts', 10);
    file('dist/.tsbuildinfo', 20);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the sources newer than the last build, and none when dist/ is newer', () => {
    expect(staleSources(root)).toEqual([]);
    at('libs/a/a.ts', 30);
    file('contracts/schemas/x.json', 40);
    expect(staleSources(root)).toEqual(['contracts/schemas/x.json', 'libs/a/a.ts']);
  });

  it('takes every source as stale without a build', () => {
    rmSync(join(root, 'dist'), { recursive: true });
    expect(staleSources(root)).toEqual(['apps/x/main.ts', 'libs/a/a.ts']);
  });

  it('builds only when stale, and refuses to go on when the build fails', () => {
    const build = jest.fn();
    expect(ensureFreshBuild(root, build)).toEqual({ built: false, stale: [] });
    expect(build).not.toHaveBeenCalled();
    at('libs/a/a.ts', 30);
    expect(ensureFreshBuild(root, build)).toEqual({ built: true, stale: ['libs/a/a.ts'] });
    expect(build).toHaveBeenCalledTimes(1);
    expect(staleSources(root)).toEqual([]);
    at('libs/a/a.ts', Date.now() / 1000 - 1_700_000_000 + 60);
    expect(() =>
      ensureFreshBuild(root, () => {
        throw new Error('tsc exited with 2');
      }),
    ).toThrow(/libs\/a\/a\.ts and the build failed \(tsc exited with 2\): refusing to test a stale build/);
  });
});
