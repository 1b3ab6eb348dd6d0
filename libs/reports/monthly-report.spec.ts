import { buildMonthlyReport, ledgerDigest, monthBounds } from './monthly-report';
import { monthlyReportCsv, monthlyReportHtml } from './report-render';
import { fixtureSnapshot, FixtureWarning } from './report-fixtures';

const A = '140212100000'; // a township
const B = '140212101000'; // another township of the same county
const va = (n: number) => `1402121002${String(n).padStart(2, '0')}`;
const vb = (n: number) => `1402121012${String(n).padStart(2, '0')}`;

/** A month with three real warnings, a drill, and one real warning of the month before (Beijing time). */
const WARNINGS: FixtureWarning[] = [
  {
    id: 'W1',
    hazard: 'flood',
    level: 'red',
    sentAt: '2026-06-03T02:00:00.000Z',
    persons: [
      { id: 'P1', area: va(1), confirmAfterSec: 60 },
      { id: 'P2', area: va(2), confirmAfterSec: 200 },
      { id: 'P3', area: va(3), confirmAfterSec: 400 },
      { id: 'P4', area: va(4), notWoken: 'REACHED' },
      // The ladder's call about P4: not a person the warning called.
      { id: 'P9', area: A, rung: 1, confirmAfterSec: 20 },
    ],
  },
  {
    id: 'W2',
    hazard: 'meteorological',
    level: 'orange',
    sentAt: '2026-06-20T08:00:00.000Z',
    persons: [
      { id: 'P5', area: vb(1), confirmAfterSec: 30 },
      { id: 'P6', area: vb(2), notWoken: 'NOT_WOKEN' },
    ],
  },
  // 00:30 on 1 June in Beijing: this month.
  {
    id: 'W4',
    hazard: 'geologic',
    level: 'yellow',
    sentAt: '2026-05-31T16:30:00.000Z',
    persons: [{ id: 'P7', area: va(5), confirmAfterSec: 100 }],
  },
  // 23:59 on 31 May in Beijing: last month.
  {
    id: 'W5',
    hazard: 'flood',
    level: 'red',
    sentAt: '2026-05-31T15:59:00.000Z',
    persons: [{ id: 'P8', area: va(6), confirmAfterSec: 10 }],
  },
  {
    id: 'D1',
    hazard: 'flood',
    level: 'blue',
    drill: true,
    sentAt: '2026-06-10T02:00:00.000Z',
    persons: [{ id: 'P1', area: va(1), confirmAfterSec: 5 }],
  },
];
const TARGETS: Record<string, number> = {
  'flood/red': 300,
  'meteorological/orange': 600,
  'geologic/yellow': 1800,
};

const report = () =>
  buildMonthlyReport({
    month: '2026-06',
    snapshots: WARNINGS.map(fixtureSnapshot),
    targetOf: (h, l) => TARGETS[`${h}/${l}`],
    areaName: (code) => ({ [A]: '新荣镇', [B]: '破鲁堡乡', '140212000000': '新荣区' })[code],
    generatedAt: '2026-07-01T01:00:00.000Z',
    generatedBy: 'spec',
  });

describe('the monthly 叫应 report on a known month', () => {
  it('takes the month in Beijing time', () => {
    expect(monthBounds('2026-06')).toEqual({
      from: '2026-05-31T16:00:00.000Z',
      to: '2026-06-30T16:00:00.000Z',
    });
    expect(monthBounds('2026-12').to).toBe('2026-12-31T16:00:00.000Z');
    expect(() => monthBounds('2026-13')).toThrow(RangeError);
  });

  it('counts the real warnings by hazard and level; the drill and last month are left out', () => {
    const r = report();
    expect(r.warnings).toBe(3);
    expect(r.drillsLeftOut).toBe(1);
    expect(r.byHazardLevel.map((x) => [x.hazardZh, x.levelZh, x.warnings])).toEqual([
      ['水旱灾害', '红色', 1],
      ['地质灾害', '黄色', 1],
      ['气象灾害', '橙色', 1],
    ]);
    expect(r.ledgerHeads.map((h) => h.chainId)).toEqual(['W1', 'W2', 'W4']);
  });

  it('figures: persons called, share within the target, median and p90, not woken and how each closed', () => {
    const r = report();
    expect(r.personsCalled).toBe(7);
    expect(r.summary).toMatchObject({
      called: 7,
      confirmed: 5,
      // P1 60 ≤ 300, P2 200 ≤ 300, P5 30 ≤ 600, P7 100 ≤ 1800; P3 400 > 300.
      withinTarget: 4,
      withinTargetShare: 4 / 7,
      medianSecondsToConfirm: 100,
      // [30, 60, 100, 200, 400]: rank 3.6 → 200 + 0.6 × 200.
      p90SecondsToConfirm: 320,
      notWoken: 2,
      reachedInPerson: 1,
    });
    expect(r.notWoken).toEqual([
      { closedAs: 'NOT_WOKEN', closedAsZh: '仍未叫醒（未闭环）', count: 1 },
      { closedAs: 'REACHED', closedAsZh: '上门当面确认', count: 1 },
    ]);
  });

  it('per county and township', () => {
    const r = report();
    expect(r.counties).toEqual([
      expect.objectContaining({
        key: '140212000000',
        label: '新荣区（140212000000）',
        called: 7,
        confirmed: 5,
      }),
    ]);
    expect(
      r.townships.map((t) => [t.key, t.called, t.confirmed, t.withinTarget, t.medianSecondsToConfirm]),
    ).toEqual([
      [A, 5, 4, 3, 150],
      [B, 2, 1, 1, 30],
    ]);
  });

  it('prints the heads of the chains it was computed from; any other head gives another digest', () => {
    const r = report();
    const w1 = fixtureSnapshot(WARNINGS[0]).head;
    expect(r.ledgerHeads[0]).toEqual(w1);
    expect(r.ledgerDigest).toMatch(/^[0-9a-f]{64}$/);
    const changed = r.ledgerHeads.map((h, i) => (i === 0 ? { ...h, lastSeq: h.lastSeq + 1 } : h));
    expect(ledgerDigest(changed)).not.toBe(r.ledgerDigest);
  });
});

describe('the monthly report as printed and exported', () => {
  it('HTML (Chinese) carries the figures and the ledger digest; CSV one row per scope', () => {
    const r = report();
    const html = monthlyReportHtml(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('预警叫应工作月报（2026-06）');
    expect(html).toContain(`<span class='hash' id='ledger-digest'>${r.ledgerDigest}</span>`);
    expect(html).toContain('上门当面确认');
    expect(html).toContain('新荣镇（140212100000）');
    const lines = monthlyReportCsv(r)
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toContain(r.ledgerDigest);
    // header + total + 1 county + 2 townships
    expect(lines.slice(1)).toHaveLength(5);
    expect(lines[2]).toMatch(/^合计,,,7,5,71\.4%,4,57\.1%,100,320,2,1$/);
  });
});
