import { nationalGazetteer, stripSuffix } from './gazetteer';

describe('national gazetteer', () => {
  const g = nationalGazetteer();

  it('lists every province to township level, Shanxi from the project list', () => {
    expect(g.size).toBeGreaterThan(40_000);
    expect(g.division('140213000000')?.name).toBe('平城区');
    expect(g.division('130000000000')?.name).toBe('河北省');
    expect(g.division('110101001000')?.level).toBe('township');
    expect(g.path('140213000000').map((d) => d.name)).toEqual(['山西省', '大同市', '平城区']);
  });

  it('looks codes up by 6, 9 or 12 digits; a village code counts under a listed township', () => {
    expect(g.lookupCode('140213')?.division?.name).toBe('平城区');
    expect(g.lookupCode('140212100')?.division?.name).toBe('新荣镇');
    expect(g.lookupCode('140212100201')).toEqual({ code: '140212100201' });
    expect(g.lookupCode('990000')).toBeUndefined();
    expect(g.lookupCode('14021')).toBeUndefined();
  });

  it('finds names as written, without their suffix and by former names', () => {
    expect(g.named('灵丘县').map((h) => h.division.code)).toEqual(['140224000000']);
    expect(g.named('灵丘').map((h) => [h.division.code, h.match])).toEqual([['140224000000', 'short']]);
    expect(g.named('大同县').map((h) => [h.division.code, h.match])).toEqual([['140215000000', 'former']]);
    expect(g.named('市辖区')).toEqual([]);
    expect(g.named('城关镇').length).toBeGreaterThan(10);
    expect(stripSuffix('内蒙古自治区')).toBe('内蒙古');
    expect(stripSuffix('县')).toBeUndefined();
  });
});
