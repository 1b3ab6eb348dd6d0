import { buildAfterActionReport, NotADrill } from './after-action-report';
import { compareCapacity } from '../callout/capacity-progress';
import { afterActionCsv, afterActionHtml } from './report-render';
import { fixtureSnapshot, FixtureWarning } from './report-fixtures';

const A = '140212100000';
const B = '140212101000';
const drill = (
  id: string,
  sentAt: string,
  persons: FixtureWarning['persons'],
  areas = [A, B],
): FixtureWarning => ({
  id,
  hazard: 'flood',
  level: 'orange',
  drill: true,
  sentAt,
  areas,
  persons,
});

const SNAPSHOTS = [
  // The previous drill of the same scope: 1 of 2 confirmed, in 500 s.
  drill('D-may', '2026-05-04T02:00:00.000Z', [
    { id: 'P1', area: '140212100201', confirmAfterSec: 500 },
    { id: 'P2', area: '140212101201' },
  ]),
  // An older drill of the same scope, and a later one of another scope: neither is "the previous".
  drill('D-apr', '2026-04-06T02:00:00.000Z', [{ id: 'P1', area: '140212100201', confirmAfterSec: 5 }]),
  drill('D-other', '2026-05-20T02:00:00.000Z', [{ id: 'P1', area: '140212100201', confirmAfterSec: 5 }], [A]),
  drill('D-jun', '2026-06-01T02:00:00.000Z', [
    { id: 'P1', area: '140212100201', confirmAfterSec: 60, role: 'flood-control' },
    { id: 'P3', area: '140212100202', confirmAfterSec: 120, role: 'grid-worker' },
    { id: 'P2', area: '140212101201', notWoken: 'REACHED', role: 'flood-control' },
    { id: 'P4', area: '140212101202', role: 'flood-control' },
    { id: 'P5', area: '140212101203', confirmAfterSec: 900, role: 'grid-worker' },
  ]),
  {
    id: 'REAL',
    hazard: 'flood',
    level: 'orange',
    sentAt: '2026-06-01T03:00:00.000Z',
    areas: [A, B],
    persons: [{ id: 'P1', area: '140212100201', confirmAfterSec: 1 }],
  },
].map(fixtureSnapshot);

const report = (warningId = 'D-jun') =>
  buildAfterActionReport({
    warningId,
    snapshots: SNAPSHOTS,
    targetOf: () => 600,
    areaName: (c) => ({ [A]: '新荣镇', [B]: '破鲁堡乡' })[c],
    generatedAt: '2026-06-01T05:00:00.000Z',
    generatedBy: 'spec',
  });

describe("a drill's after-action report", () => {
  it('who responded and how fast, per township and role', () => {
    const r = report();
    expect(r.summary).toMatchObject({
      called: 5,
      confirmed: 3,
      withinTarget: 2,
      medianSecondsToConfirm: 120,
    });
    expect(r.townships.map((t) => [t.key, t.called, t.confirmed, t.withinTarget])).toEqual([
      [A, 2, 2, 2],
      [B, 3, 1, 0],
    ]);
    expect(r.roles.map((x) => [x.label, x.called, x.confirmed])).toEqual([
      ['防汛责任人', 3, 1],
      ['网格员', 2, 2],
    ]);
  });

  it('names the weakest townships first, who was reached in person, and who never confirmed', () => {
    const r = report();
    expect(r.weakest.map((t) => t.key)).toEqual([B, A]);
    expect(r.reachedInPerson.map((c) => c.personId)).toEqual(['P2']);
    expect(r.notConfirmed.map((c) => c.personId).sort()).toEqual(['P2', 'P4']);
  });

  it('compares with the previous drill of the same scope only', () => {
    const r = report();
    expect(r.previous?.warningId).toBe('D-may');
    expect(r.previous?.summary).toMatchObject({ called: 2, confirmed: 1, medianSecondsToConfirm: 500 });
    expect(r.previous?.change.confirmedShare).toBeCloseTo(3 / 5 - 1 / 2);
    expect(r.previous?.change.medianSecondsToConfirm).toBe(120 - 500);
    expect(report('D-apr').previous).toBeUndefined();
  });

  it('refuses a real warning', () => {
    expect(() => report('REAL')).toThrow(NotADrill);
  });

  it('prints as HTML marked 演练 and exports one CSV row per person', () => {
    const r = report();
    const html = afterActionHtml(r);
    expect(html).toContain('演练评估报告');
    expect(html).toContain("<tr data-person='P2'>");
    expect(html).toContain('上次演练：D-may');
    expect(html).toContain(r.ledgerHead.lastHash);
    const lines = afterActionCsv(r).trim().split('\n');
    expect(lines).toHaveLength(2 + 5);
    expect(lines.find((l) => l.startsWith('P2,'))).toContain('上门当面确认');
    // A drill planned before capacity plans were recorded says so.
    expect(html).toContain('二、首轮叫应：预测与实际');
    expect(html).toContain('本预警无容量预测记录');
  });

  it("keeps the capacity planner's prediction next to the drill's actual first round", () => {
    const drill = SNAPSHOTS.find((s) => s.chain.warning.warningId === 'D-jun')!;
    const plan = compareCapacity(
      {
        schemaVersion: 1,
        planId: 'D-jun|p',
        warningId: 'D-jun',
        messageId: 'D-jun',
        level: 'orange',
        drill: true,
        persons: 5,
        channels: [
          {
            channel: 'voice',
            sends: 5,
            perSecond: 1,
            boundBy: 'configured',
            lastSentSec: 5,
            lastReachedSec: 50,
          },
        ],
        voiceAllPlacedSec: 5,
        allWokenSec: 50,
        targets: { voiceWithinSec: 180, allWokenWithinSec: 300 },
        meetsVoiceTarget: true,
        meetsWokenTarget: true,
        suggestions: [],
        at: '2026-06-01T03:00:00.000Z',
      },
      [
        {
          channel: 'voice',
          requested: 5,
          accepted: 5,
          lastAcceptedAt: '2026-06-01T03:00:07.000Z',
          refused: 0,
          reached: 4,
          lastReachedAt: '2026-06-01T03:01:00.000Z',
          ended: 5,
        },
      ],
      new Date('2026-06-01T04:00:00.000Z'),
    );
    const withPlan = { ...drill, chain: { ...drill.chain, capacity: [plan] } };
    const r = buildAfterActionReport({
      warningId: 'D-jun',
      snapshots: SNAPSHOTS.map((s) => (s === drill ? withPlan : s)),
      targetOf: () => 600,
      areaName: () => undefined,
      generatedAt: '2026-06-01T05:00:00.000Z',
      generatedBy: 'spec',
    });
    expect(r.capacity).toEqual([plan]);
    const html = afterActionHtml(r);
    expect(html).toMatch(/<td>语音 voice<\/td><td class='num'>5<\/td>/);
    expect(html).toMatch(/class='num'\s*>5 \/ 5<\/td><td\s*class='num'\s*>7 秒<\/td>/);
    // 7 s to the last call, in the 3-minute target; one person not reached, so not everyone was woken.
    expect(html).toMatch(/5 秒 达标 met<\/td><td>7 秒\s*达标 met/);
    expect(html).toMatch(/— 未达标 missed<\/td><\/tr>/);
  });
});
