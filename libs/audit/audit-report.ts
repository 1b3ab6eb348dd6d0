import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { fromRoot } from '../common/project-root';
import { safeCsv } from '../common/safe-csv';
import { CalloutSummary, Figures, ResponseChain } from './response-chain';
import { ChainReport } from './verify';

/** Times in reports are Beijing time, as the inspection file is read there. */
export function beijingTime(iso: string | undefined | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(d);
}

export const percent = (r: number | null | undefined) =>
  r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`;
export const seconds = (s: number | null | undefined) =>
  s === null || s === undefined
    ? '—'
    : s < 60
      ? `${Math.round(s)} 秒`
      : `${Math.floor(s / 60)} 分 ${Math.round(s % 60)} 秒`;

/**
 * The predicted-vs-actual block of a report (`{{> capacity plans=…}}`, templates/capacity.hbs) and
 * its helpers, for any report's Handlebars (the audit report's, the drills' after-action report's).
 */
export function registerCapacityPartial(h: typeof Handlebars): void {
  h.registerHelper('channel', (c: string) => ({ sms: '短信 SMS', voice: '语音 voice' })[c] ?? c);
  h.registerHelper('met', (b: boolean | null | undefined) =>
    b === true ? '达标 met' : b === false ? '未达标 missed' : '未定 open',
  );
  h.registerPartial('capacity', readFileSync(fromRoot('libs', 'audit', 'templates', 'capacity.hbs'), 'utf8'));
}

const hbs = Handlebars.create();
hbs.registerHelper('time', (iso: string) => beijingTime(iso));
hbs.registerHelper('pct', (r: number | null) => percent(r));
hbs.registerHelper('secs', (s: number | null) => seconds(s));
hbs.registerHelper('yesno', (b: boolean) => (b ? '是' : '否'));
registerCapacityPartial(hbs);
let template: Handlebars.TemplateDelegate | undefined;

export interface ReportInput {
  chain: ResponseChain;
  verification: ChainReport;
  generatedAt: string;
  generatedBy: string;
}

/** The printable per-warning report (HTML with A4 print CSS) for an inspection file. */
export function renderReport(input: ReportInput): string {
  template ??= hbs.compile(readFileSync(fromRoot('libs', 'audit', 'templates', 'report.hbs'), 'utf8'));
  // The doctype is written here, not in the template: a formatter for Handlebars drops it, and
  // without it browsers print in quirks mode.
  return `<!doctype html>\n${template({ ...input, summaryRows: summaryRows(input.chain.summary) })}`;
}

function summaryRows(f: Figures): { label: string; value: string }[] {
  return [
    { label: '呼叫总数 Call-outs', value: String(f.callouts) },
    { label: '已确认 Confirmed', value: String(f.confirmed) },
    { label: '确认率 Confirmation rate', value: percent(f.confirmationRate) },
    { label: '确认用时中位数 Median time to confirm', value: seconds(f.medianSecondsToConfirm) },
    { label: '确认用时 P90 · 90th percentile', value: seconds(f.p90SecondsToConfirm) },
    { label: '未叫醒 Not woken', value: String(f.notWoken) },
    { label: '已升级 Escalated', value: String(f.escalated) },
  ];
}

/** UTF-8 with a BOM, so spreadsheet programs read the Chinese headers and text correctly. */
const BOM = '\uFEFF';

export function timelineCsv(chain: ResponseChain): string {
  return (
    BOM +
    safeCsv(
      chain.timeline.map((t) => ({ ...t, at: beijingTime(t.at), rung: t.rung ?? '' })),
      {
        header: true,
        columns: [
          { key: 'seq', header: '序号' },
          { key: 'at', header: '时间（北京时间）' },
          { key: 'kind', header: '类型' },
          { key: 'calloutId', header: '呼叫编号' },
          { key: 'personId', header: '责任人编号' },
          { key: 'personName', header: '责任人' },
          { key: 'rung', header: '升级级次' },
          { key: 'channel', header: '渠道' },
          { key: 'state', header: '状态' },
          { key: 'summary', header: '说明' },
        ],
      },
    )
  );
}

export function calloutsCsv(callouts: CalloutSummary[]): string {
  return (
    BOM +
    safeCsv(
      callouts.map((c) => ({
        ...c,
        channels: c.channels.join('+'),
        firstRequestedAt: beijingTime(c.firstRequestedAt),
        confirmedAt: beijingTime(c.confirmedAt),
        secondsToConfirm: c.secondsToConfirm ?? '',
        rung: c.rung ?? '',
        notWoken: c.notWoken ? '是' : '否',
        escalated: c.escalated ? '是' : '否',
      })),
      {
        header: true,
        columns: [
          { key: 'calloutId', header: '呼叫编号' },
          { key: 'personId', header: '责任人编号' },
          { key: 'personName', header: '责任人' },
          { key: 'role', header: '职责' },
          { key: 'areaCode', header: '区划代码' },
          { key: 'rung', header: '升级级次' },
          { key: 'subjectCalloutId', header: '被升级的呼叫' },
          { key: 'channels', header: '渠道' },
          { key: 'firstRequestedAt', header: '首次呼叫时间' },
          { key: 'confirmedAt', header: '确认时间' },
          { key: 'secondsToConfirm', header: '确认用时（秒）' },
          { key: 'lastState', header: '最后状态' },
          { key: 'notWoken', header: '未叫醒' },
          { key: 'escalated', header: '已升级' },
        ],
      },
    )
  );
}
