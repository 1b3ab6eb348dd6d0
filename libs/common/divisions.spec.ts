import { codePrefix, covers, levelOfCode, shanxiDivisions } from './divisions';

describe('division codes', () => {
  it('reads the level from the trailing zeros', () => {
    expect(levelOfCode('140000000000')).toBe('province');
    expect(levelOfCode('140200000000')).toBe('city');
    expect(levelOfCode('140212000000')).toBe('county');
    expect(levelOfCode('140212100000')).toBe('township');
    expect(levelOfCode('140212100201')).toBe('village');
    expect(() => levelOfCode('1402')).toThrow(/12-digit/);
  });

  it('a county code covers its townships and villages but not a neighbour', () => {
    expect(codePrefix('140212000000')).toBe('140212');
    expect(covers('140212000000', '140212100201')).toBe(true);
    expect(covers('140212000000', '140213100201')).toBe(false);
  });

  it('ships the real Shanxi codes: Datong and its 11 county-level units', () => {
    const all = shanxiDivisions();
    expect(all).toHaveLength(1485);
    expect(all.find((d) => d.code === '140200000000')?.name).toBe('大同市');
    expect(all.filter((d) => d.parentCode === '140200000000')).toHaveLength(11);
  });
});
