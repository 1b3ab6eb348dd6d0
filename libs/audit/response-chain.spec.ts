import { CalloutEvent, CalloutStatus } from '../../contracts/generated';
import { SAMPLE_DATA } from '../templates/template-data';
import { chainEntry, EntryDraft, GENESIS_HASH, LedgerEntry } from './ledger-entry';
import { renderReport } from './audit-report';
import {
  fromCalloutEvent,
  fromCapacityPlan,
  fromRequested,
  fromResponse,
  fromStatus,
  fromWarning,
} from './ledger-mapper';
import { areaParents, buildResponseChain, percentile } from './response-chain';
import { ChainReport } from './verify';

const T0 = Date.parse('2024-07-01T08:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const NOW = at(10_000);

function chain(drafts: EntryDraft[]): LedgerEntry[] {
  let head = { lastSeq: 0, lastHash: GENESIS_HASH };
  return drafts.map((d) => {
    const e = chainEntry(d, head, NOW);
    head = { lastSeq: e.seq, lastHash: e.hash };
    return e;
  });
}

const requested = (calloutId: string, personId: string, s: number, channel: 'sms' | 'voice' = 'sms') =>
  fromRequested(
    'callouts.requested',
    {
      schemaVersion: 1,
      requestId: `${calloutId}:${s}:${channel}`,
      calloutId,
      warningId: 'W1',
      personId,
      to: '+8613800001234',
      channel,
      purpose: 'callout',
      attempt: 1,
      drill: false,
      data: SAMPLE_DATA,
      requestedAt: at(s),
    },
    NOW,
  );

const event = (
  calloutId: string,
  personId: string,
  areaCode: string,
  from: string | null,
  to: string,
  s: number,
  extra: Partial<CalloutEvent> = {},
) =>
  fromCalloutEvent(
    'callouts.events',
    {
      schemaVersion: 1,
      eventId: `${calloutId}:${to}:${s}`,
      calloutId,
      warningId: 'W1',
      personId,
      personName: `责任人${personId}`,
      areaCode,
      rung: 0,
      from,
      to,
      reason: 'test',
      at: at(s),
      ...extra,
    },
    NOW,
  );

const confirmResponse = (calloutId: string, s: number) =>
  fromResponse(
    'callouts.responses',
    {
      schemaVersion: 1,
      responseId: `r:${calloutId}:${s}`,
      calloutId,
      warningId: 'W1',
      via: 'sms',
      kind: 'confirm',
      at: at(s),
    },
    NOW,
  );

// A known dataset: five call-outs, four confirmed after 30, 90, 60 and 120 s; one not woken and escalated.
const V1 = '140212101001';
const V2 = '140212101002';
const V3 = '140212102001';
const T2 = '140212102000';
const dataset = () =>
  chain([
    fromWarning(
      'warnings.meteorological',
      {
        schemaVersion: 1,
        id: 'W1',
        msgType: 'Alert',
        status: 'Actual',
        sender: '大同市气象台',
        sentAt: at(-60),
        hazard: 'meteorological',
        subtype: 'rainstorm',
        level: 'red',
        headline: '大同市气象台发布暴雨红色预警信号',
        areas: [{ code: '140212000000' }],
        effective: at(-60),
        expires: at(86_400),
      },
      NOW,
    ),
    requested('c1', 'p1', 0),
    requested('c2', 'p2', 0, 'voice'),
    requested('c3', 'p3', 0),
    requested('c5', 'p1', 10),
    event('c1', 'p1', V1, null, 'SENT', 1),
    event('c2', 'p2', V2, null, 'SENT', 1),
    event('c3', 'p3', V3, null, 'SENT', 1),
    event('c5', 'p1', V1, null, 'SENT', 11),
    confirmResponse('c1', 30),
    event('c1', 'p1', V1, 'SENT', 'CONFIRMED', 31),
    event('c2', 'p2', V2, 'SENT', 'CONFIRMED', 90),
    confirmResponse('c5', 130),
    confirmResponse('c5', 200),
    event('c3', 'p3', V3, 'SENT', 'ESCALATED', 300),
    event('c3', 'p3', V3, 'ESCALATED', 'NOT_WOKEN', 301),
    requested('c4', 'p4', 301, 'voice'),
    event('c4', 'p4', T2, null, 'SENT', 302, { rung: 1, subjectCalloutId: 'c3' }),
    event('c4', 'p4', T2, 'SENT', 'CONFIRMED', 361, { rung: 1, subjectCalloutId: 'c3' }),
  ]);

describe('percentile', () => {
  it('interpolates linearly between ranks', () => {
    expect(percentile([30, 90, 60, 120], 0.5)).toBe(75);
    expect(percentile([30, 90, 60, 120], 0.9)).toBeCloseTo(111);
    expect(percentile([42], 0.9)).toBe(42);
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe('areaParents', () => {
  it('derives county and township from a 12-digit code', () => {
    expect(areaParents('140212101001')).toEqual({ countyCode: '140212000000', townshipCode: '140212101000' });
    expect(areaParents('140212000000')).toEqual({ countyCode: '140212000000', townshipCode: undefined });
    expect(areaParents('bad')).toEqual({});
  });
});

describe('buildResponseChain', () => {
  const rc = buildResponseChain('W1', dataset(), (code) => ({ '140212000000': '新荣区' })[code]);

  it('computes the warning figures from the ledger', () => {
    expect(rc.summary).toEqual({
      callouts: 5,
      confirmed: 4,
      confirmationRate: 0.8,
      medianSecondsToConfirm: 75,
      p90SecondsToConfirm: expect.closeTo(111, 6),
      notWoken: 1,
      escalated: 1,
    });
  });

  it('times each call-out from its first request to its first confirmation (response or state)', () => {
    const by = Object.fromEntries(rc.callouts.map((c) => [c.calloutId, c]));
    expect(by.c1.secondsToConfirm).toBe(30);
    expect(by.c1.confirmedVia).toBe('sms');
    expect(by.c2.secondsToConfirm).toBe(90);
    expect(by.c5.secondsToConfirm).toBe(120);
    expect(by.c3).toEqual(
      expect.objectContaining({ secondsToConfirm: null, notWoken: true, escalated: true }),
    );
    expect(by.c4).toEqual(expect.objectContaining({ rung: 1, subjectCalloutId: 'c3', secondsToConfirm: 60 }));
    expect(by.c2.channels).toEqual(['voice']);
  });

  it('groups per person and per area (county, township)', () => {
    const p1 = rc.persons.find((p) => p.key === 'p1')!;
    expect(p1).toEqual(
      expect.objectContaining({
        label: '责任人p1',
        callouts: 2,
        confirmed: 2,
        confirmationRate: 1,
        medianSecondsToConfirm: 75,
      }),
    );
    expect(p1.p90SecondsToConfirm).toBeCloseTo(111);
    expect(rc.counties).toEqual([
      expect.objectContaining({
        key: '140212000000',
        label: '新荣区（140212000000）',
        callouts: 5,
        confirmed: 4,
      }),
    ]);
    expect(rc.townships.map((t) => [t.key, t.callouts, t.confirmationRate, t.notWoken])).toEqual([
      ['140212101000', 3, 1, 0],
      ['140212102000', 2, 0.5, 1],
    ]);
  });

  it('lists every entry on the timeline in time order with a Chinese summary', () => {
    expect(rc.timeline).toHaveLength(dataset().length);
    const times = rc.timeline.map((t) => t.at);
    expect([...times].sort()).toEqual(times);
    expect(rc.timeline[0]).toEqual(
      expect.objectContaining({ kind: 'warning', summary: expect.stringContaining('暴雨红色预警') }),
    );
    const req = rc.timeline.find((t) => t.kind === 'request')!;
    expect(req.summary).toContain('+86138****1234');
    expect(req.personName).toBe('责任人p1');
    expect(rc.warning).toEqual(
      expect.objectContaining({ headline: '大同市气象台发布暴雨红色预警信号', drill: false }),
    );
  });

  it('marks a chain with an Exercise warning or a drill event as a drill', () => {
    const drill = dataset().map((e) => (e.topic === 'callouts.events' ? { ...e, drill: true } : e));
    expect(buildResponseChain('W1', drill).warning.drill).toBe(true);
  });
});

describe('predicted vs actual in the response chain (callouts.plans)', () => {
  const plan = (s: number, persons: number, voicePerSecond: number): EntryDraft =>
    fromCapacityPlan(
      'callouts.plans',
      {
        schemaVersion: 1,
        planId: `W1|W1|Alert|${s}`,
        warningId: 'W1',
        messageId: 'W1',
        level: 'red',
        drill: false,
        persons,
        channels: [
          {
            channel: 'voice',
            sends: persons,
            perSecond: voicePerSecond,
            boundBy: 'configured',
            lastSentSec: persons / voicePerSecond,
            lastReachedSec: persons / voicePerSecond + 45,
          },
        ],
        voiceAllPlacedSec: persons / voicePerSecond,
        allWokenSec: persons / voicePerSecond + 45,
        targets: { voiceWithinSec: 180, allWokenWithinSec: 300 },
        meetsVoiceTarget: persons / voicePerSecond <= 180,
        meetsWokenTarget: persons / voicePerSecond + 45 <= 300,
        suggestions: [],
        at: at(s),
      },
      NOW,
    );
  const status = (calloutId: string, reqAt: number, st: CalloutStatus['status'], s: number) =>
    fromStatus(
      'callouts.status',
      {
        schemaVersion: 1,
        eventId: `${calloutId}:${st}:${s}`,
        requestId: `${calloutId}:${reqAt}:voice`,
        calloutId,
        warningId: 'W1',
        channel: 'voice',
        status: st,
        at: at(s),
      },
      NOW,
    );

  it("keeps each plan with its first round's actual: accepted, last accepted, reached, against the targets", () => {
    const entries = chain([
      plan(0, 3, 1),
      requested('C1', 'P1', 1, 'voice'),
      requested('C2', 'P2', 1, 'voice'),
      requested('C3', 'P3', 2, 'voice'),
      status('C1', 1, 'submitted', 2),
      status('C2', 1, 'submitted', 3),
      status('C3', 2, 'submitted', 4),
      status('C1', 1, 'heard', 40),
      status('C2', 1, 'heard', 45),
      status('C3', 2, 'heard', 50),
    ]);
    const c = buildResponseChain('W1', entries);
    expect(c.capacity).toHaveLength(1);
    const [p] = c.capacity;
    expect(p.predicted).toMatchObject({ voiceAllPlacedSec: 3, meetsVoiceTarget: true });
    expect(p.channels[0].actual).toMatchObject({ requested: 3, accepted: 3, done: true, lastAcceptedSec: 4 });
    expect(p.actual).toMatchObject({
      voiceAllPlacedSec: 4,
      meetsVoiceTarget: true,
      allWokenSec: 50,
      meetsWokenTarget: true,
      running: false,
    });
    const item = c.timeline.find((t) => t.kind === 'plan')!;
    expect(item.summary).toBe(
      '容量预测：首轮 3 人；语音 3 条，每秒 1，预计 3 秒发完；语音预计 3 秒拨完（目标 180 秒）；全部叫醒预计 48 秒（目标 300 秒）',
    );

    const html = renderReport({
      chain: c,
      verification: {
        chainId: 'W1',
        ok: true,
        entries: entries.length,
        findings: [],
      } as unknown as ChainReport,
      generatedAt: NOW,
      generatedBy: 'auditor',
    });
    expect(html).toContain('二、容量预测与实际 Predicted vs actual');
    expect(html).toMatch(/<td>语音 voice<\/td>/);
    expect(html).toMatch(/class='num'\s*>3 \/ 3<\/td>/);
    expect(html).toContain('4 秒');
  });

  it('a later plan (an update that raised the level) counts only the sends requested after it; running figures run to the last entry', () => {
    const entries = chain([
      plan(0, 1, 1),
      requested('C1', 'P1', 1, 'voice'),
      status('C1', 1, 'submitted', 2),
      plan(100, 400, 1),
      requested('C2', 'P2', 101, 'voice'),
      status('C2', 101, 'submitted', 103),
      status('C2', 101, 'busy', 200),
    ]);
    const [first, second] = buildResponseChain('W1', entries).capacity;
    expect(first.channels[0].actual).toMatchObject({
      requested: 1,
      accepted: 1,
      done: true,
      lastAcceptedSec: 2,
    });
    expect(second.predicted).toMatchObject({ voiceAllPlacedSec: 400, meetsVoiceTarget: false });
    expect(second.channels[0].actual).toMatchObject({
      requested: 1,
      accepted: 1,
      done: false,
      elapsedSec: 100,
    });
    // 100 s in, 1 of 400 calls placed: the voice target (180 s) is still open.
    expect(second.actual.meetsVoiceTarget).toBeNull();
  });

  it('has no plans for a warning planned before they were recorded', () => {
    expect(buildResponseChain('W1', chain([requested('C1', 'P1', 1)])).capacity).toEqual([]);
  });
});
