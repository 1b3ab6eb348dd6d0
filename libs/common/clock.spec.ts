import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advanceClockFile, OffsetFileClock } from './clock';

describe('OffsetFileClock', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'clock-'));
    file = join(dir, 'clock.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ahead = (clock: OffsetFileClock) => clock.now().getTime() - Date.now();

  it("is the machine's time while the file does not exist", () => {
    expect(Math.abs(ahead(new OffsetFileClock(file, 0)))).toBeLessThan(50);
  });

  it('runs ahead by what every advance added, for each clock reading the file', () => {
    const a = new OffsetFileClock(file, 0);
    const b = new OffsetFileClock(file, 0);
    expect(advanceClockFile(file, 300_000)).toBe(300_000);
    expect(advanceClockFile(file, 60_000)).toBe(360_000);
    for (const c of [a, b]) expect(ahead(c)).toBeGreaterThanOrEqual(360_000 - 50);
    for (const c of [a, b]) expect(ahead(c)).toBeLessThan(360_000 + 50);
  });

  it('reads the file again only after refreshMs, and never moves back', () => {
    const clock = new OffsetFileClock(file, 60_000);
    expect(ahead(clock)).toBeLessThan(50); // read now: no file yet
    advanceClockFile(file, 600_000);
    expect(ahead(clock)).toBeLessThan(50); // not read again within the minute
    const fresh = new OffsetFileClock(file, 0);
    expect(ahead(fresh)).toBeGreaterThanOrEqual(600_000 - 50);
    writeFileSync(file, JSON.stringify({ offsetMs: 1_000 }));
    expect(ahead(fresh)).toBeGreaterThanOrEqual(600_000 - 50);
  });

  it('refuses a file that is not an offset, naming it', () => {
    writeFileSync(file, '{"offsetMs": -5}');
    expect(() => new OffsetFileClock(file, 0).now()).toThrow(
      /clock\.json: offsetMs must be .* got \{"offsetMs": -5\}/,
    );
  });
});
