import { groupNotWoken, waited } from './not-woken-groups';
import { cumulativeShare, progressSvg, TARGETS } from './progress-chart';

describe('groupNotWoken', () => {
  it('groups villages by county and township with counts and the longest wait at every level', () => {
    const g = groupNotWoken([
      {
        warning_id: 'w1',
        area_code: '140212100201',
        area_name: '甲村',
        n: 3,
        oldest: '2026-07-12T00:02:00Z',
      },
      {
        warning_id: 'w2',
        area_code: '140212100201',
        area_name: '甲村',
        n: 1,
        oldest: '2026-07-12T00:01:00Z',
      },
      {
        warning_id: 'w1',
        area_code: '140212100202',
        area_name: '乙村',
        n: 2,
        oldest: '2026-07-12T00:03:00Z',
      },
      {
        warning_id: 'w1',
        area_code: '140212101201',
        area_name: '丙村',
        n: 5,
        oldest: '2026-07-12T00:00:30Z',
      },
      {
        warning_id: 'w1',
        area_code: '140213100201',
        area_name: '丁村',
        n: 1,
        oldest: '2026-07-12T00:05:00Z',
      },
    ]);
    expect(g.total).toBe(12);
    expect(g.counties.map((c) => [c.code, c.name, c.n])).toEqual([
      ['140212000000', '新荣区', 11],
      ['140213000000', '平城区', 1],
    ]);
    const [xinrong] = g.counties;
    expect(xinrong.oldest).toBe('2026-07-12T00:00:30Z');
    expect(xinrong.townships.map((t) => [t.code, t.name, t.n, t.oldest])).toEqual([
      ['140212100000', '新荣镇', 6, '2026-07-12T00:01:00Z'],
      ['140212101000', '古店镇', 5, '2026-07-12T00:00:30Z'],
    ]);
    expect(xinrong.townships[0].warningIds).toEqual(['w1', 'w2']);
    expect(xinrong.townships[0].villages).toEqual([
      { code: '140212100201', name: '甲村', n: 4, oldest: '2026-07-12T00:01:00Z' },
      { code: '140212100202', name: '乙村', n: 2, oldest: '2026-07-12T00:03:00Z' },
    ]);
  });

  it('says how long someone has waited', () => {
    const now = Date.parse('2026-07-12T01:05:10Z');
    expect(waited('2026-07-12T01:05:00Z', now, 'zh-CN')).toBe('10秒');
    expect(waited('2026-07-12T01:00:10Z', now, 'zh-CN')).toBe('5分');
    expect(waited('2026-07-12T00:00:00Z', now, 'zh-CN')).toBe('1小时05分');
    expect(waited('2026-07-12T01:00:10Z', now, 'en')).toBe('5 min');
  });
});

describe('progress chart', () => {
  const data = {
    startedAt: '2026-07-12T00:00:00Z',
    total: 10,
    confirmedAt: [
      { sec: 30, n: 4 },
      { sec: 10, n: 2 },
      { sec: 200, n: 3 },
    ],
  };

  it('accumulates confirmations as a share of everyone called', () => {
    expect(cumulativeShare(data)).toEqual([
      [0, 0],
      [10, 0.2],
      [30, 0.6],
      [200, 0.9],
    ]);
    expect(cumulativeShare({ ...data, total: 0 })).toEqual([]);
  });

  it('draws the curve and the practice targets (3 and 5 minutes) in an SVG with no script', () => {
    const svg = progressSvg(data, { title: '#37 暴雨红色预警', lang: 'zh-CN' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/<script/i);
    for (const t of TARGETS) expect(svg).toContain(`data-target-sec="${t.sec}"`);
    expect(svg).toContain('语音叫应 3 分钟');
    expect(svg).toContain('全部叫醒 5 分钟');
    expect(svg).toContain('data-share="0.9000"');
    expect(svg).toContain('已确认 90%（共 10 人）');
    // The 3-minute line sits at half of a 6-minute axis.
    const line = /data-target-sec="180"[^>]*><line [^>]*x1="([\d.]+)"/.exec(svg)!;
    expect(Number(line[1])).toBeCloseTo(48 + (180 / 360) * (640 - 48 - 16), 0);
    expect(progressSvg(data, { title: '<x>', lang: 'en' })).toContain('&lt;x&gt;');
  });
});
