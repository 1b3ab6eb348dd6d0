import { createHash } from 'node:crypto';
import { LedgerEntry } from '../audit/ledger-entry';
import { ResponseChain } from '../audit/response-chain';
import { AreaFigures, figuresBy, figuresOfCallouts, ReportCallout, reportCallouts } from './report-figures';

/**
 * The monthly 叫应 report for reporting upward: the real warnings sent in one month (Beijing time),
 * never a drill, with the heads of the ledger chains they were computed from, so anyone can check the
 * figures against the ledger (npm run audit:verify, then compare the heads).
 */

export const HAZARD_ZH: Record<string, string> = {
  meteorological: '气象灾害',
  flood: '水旱灾害',
  geologic: '地质灾害',
  'forest-fire': '森林火灾',
};
export const LEVEL_ZH: Record<string, string> = { blue: '蓝色', yellow: '黄色', orange: '橙色', red: '红色' };
/** How a call-out that was on the not-woken list ended. */
export const CLOSED_ZH: Record<string, string> = {
  REACHED: '上门当面确认',
  CONFIRMED: '本人逾时确认',
  NOT_WOKEN: '仍未叫醒（未闭环）',
  EXPIRED: '预警到期',
  CANCELLED: '预警解除',
  SETTLED: '已结束',
  GIVEN_UP: '已放弃',
};

export interface ChainSnapshot {
  chain: ResponseChain;
  head: { chainId: string; lastSeq: number; lastHash: string };
  /** The area codes the warning was first issued for: a drill's scope. */
  areas: string[];
}

/** The areas of a chain's first warning message (what it was issued for). */
export function warningAreas(entries: LedgerEntry[]): string[] {
  const first = entries.find(
    (e) => e.topic.startsWith('warnings.') && e.topic !== 'warnings.closed' && e.topic !== 'warnings.cap',
  );
  const areas = (first?.content as { areas?: { code?: unknown }[] } | undefined)?.areas ?? [];
  return areas.map((a) => a.code).filter((c): c is string => typeof c === 'string');
}

export interface MonthlyReport {
  month: string;
  from: string;
  to: string;
  generatedAt: string;
  generatedBy: string;
  /** SHA-256 over the heads below (chainId, seq, hash, one line each, sorted by chain id). */
  ledgerDigest: string;
  ledgerHeads: { chainId: string; lastSeq: number; lastHash: string }[];
  drillsLeftOut: number;
  warnings: number;
  byHazardLevel: { hazard: string; hazardZh: string; level: string; levelZh: string; warnings: number }[];
  personsCalled: number;
  summary: AreaFigures;
  notWoken: { closedAs: string; closedAsZh: string; count: number }[];
  counties: AreaFigures[];
  townships: AreaFigures[];
  callouts: ReportCallout[];
}

export interface MonthlyInput {
  month: string;
  snapshots: ChainSnapshot[];
  /** The confirmation target (seconds) of a hazard × level: the policy's confirmation deadline. */
  targetOf: (hazard: string, level: string) => number | undefined;
  areaName: (code: string) => string | undefined;
  generatedAt: string;
  generatedBy: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The month's bounds as instants: Beijing midnight of its first day to that of the next month's. */
export function monthBounds(month: string): { from: string; to: string } {
  const m = MONTH.exec(month);
  if (!m) throw new RangeError(`month must be YYYY-MM, got ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const beijing = (yy: number, mm: number) => new Date(Date.UTC(yy, mm - 1, 1, -8)).toISOString();
  return { from: beijing(y, mo), to: mo === 12 ? beijing(y + 1, 1) : beijing(y, mo + 1) };
}

export function ledgerDigest(heads: { chainId: string; lastSeq: number; lastHash: string }[]): string {
  const lines = [...heads]
    .sort((a, b) => a.chainId.localeCompare(b.chainId))
    .map((h) => `${h.chainId}\t${h.lastSeq}\t${h.lastHash}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

export function buildMonthlyReport(input: MonthlyInput): MonthlyReport {
  const { from, to } = monthBounds(input.month);
  const inMonth = input.snapshots.filter((s) => {
    const sent = s.chain.warning.sentAt ? new Date(s.chain.warning.sentAt).toISOString() : undefined;
    return sent !== undefined && sent >= from && sent < to;
  });
  const real = inMonth.filter((s) => !s.chain.warning.drill);
  const callouts = real.flatMap((s) =>
    reportCallouts(s.chain, input.targetOf(s.chain.warning.hazard ?? '', s.chain.warning.level ?? '')),
  );
  const byHazardLevel = new Map<string, MonthlyReport['byHazardLevel'][number]>();
  for (const { chain } of real) {
    const hazard = chain.warning.hazard ?? '';
    const level = chain.warning.level ?? '';
    const k = `${hazard}/${level}`;
    const row = byHazardLevel.get(k) ?? {
      hazard,
      hazardZh: HAZARD_ZH[hazard] ?? hazard,
      level,
      levelZh: LEVEL_ZH[level] ?? level,
      warnings: 0,
    };
    row.warnings += 1;
    byHazardLevel.set(k, row);
  }
  const closures = new Map<string, number>();
  for (const c of callouts.filter((x) => x.everNotWoken))
    closures.set(c.lastState, (closures.get(c.lastState) ?? 0) + 1);
  const label = (code: string) => {
    const n = input.areaName(code);
    return n ? `${n}（${code}）` : code;
  };
  const heads = real.map((s) => s.head).sort((a, b) => a.chainId.localeCompare(b.chainId));
  return {
    month: input.month,
    from,
    to,
    generatedAt: input.generatedAt,
    generatedBy: input.generatedBy,
    ledgerDigest: ledgerDigest(heads),
    ledgerHeads: heads,
    drillsLeftOut: inMonth.length - real.length,
    warnings: real.length,
    byHazardLevel: [...byHazardLevel.values()].sort(
      (a, b) => a.hazard.localeCompare(b.hazard) || a.level.localeCompare(b.level),
    ),
    personsCalled: new Set(callouts.map((c) => c.personId)).size,
    summary: figuresOfCallouts('all', '合计', callouts),
    notWoken: [...closures.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([closedAs, count]) => ({ closedAs, closedAsZh: CLOSED_ZH[closedAs] ?? closedAs, count })),
    counties: figuresBy(callouts, (c) => c.countyCode, label),
    townships: figuresBy(callouts, (c) => c.townshipCode, label),
    callouts,
  };
}
