import { safeCsv } from '../common/safe-csv';
import { percent } from '../audit/audit-report';
import { MonthlyReport } from './monthly-report';
import { CSV_BOM, renderPrintable } from './printable';
import { AreaFigures } from './report-figures';

/** The columns of a figures row, shared by every report's CSV. */
export const FIGURE_COLUMNS = [
  { key: 'called', header: '呼叫人数' },
  { key: 'confirmed', header: '已确认' },
  { key: 'confirmedShare', header: '确认率' },
  { key: 'withinTarget', header: '按时确认' },
  { key: 'withinTargetShare', header: '按时确认率' },
  { key: 'medianSecondsToConfirm', header: '确认用时中位数（秒）' },
  { key: 'p90SecondsToConfirm', header: '确认用时P90（秒）' },
  { key: 'notWoken', header: '未叫醒' },
  { key: 'reachedInPerson', header: '上门确认' },
];

export const figureCells = (f: AreaFigures) => ({
  ...f,
  confirmedShare: percent(f.confirmedShare),
  withinTargetShare: percent(f.withinTargetShare),
  medianSecondsToConfirm: f.medianSecondsToConfirm === null ? '' : Math.round(f.medianSecondsToConfirm),
  p90SecondsToConfirm: f.p90SecondsToConfirm === null ? '' : Math.round(f.p90SecondsToConfirm),
});

export function monthlyReportHtml(r: MonthlyReport): string {
  return renderPrintable('monthly-report', r);
}

/** One row per scope (total, each county, each township), the ledger digest in the first line. */
export function monthlyReportCsv(r: MonthlyReport): string {
  const rows = [
    { scope: '合计', code: '', name: '', ...figureCells(r.summary) },
    ...r.counties.map((f) => ({ scope: '区县', code: f.key, name: f.label, ...figureCells(f) })),
    ...r.townships.map((f) => ({ scope: '乡镇', code: f.key, name: f.label, ...figureCells(f) })),
  ];
  return (
    CSV_BOM +
    safeCsv([[`${r.month} 叫应月报`, `账本头摘要 ${r.ledgerDigest}`]]) +
    safeCsv(rows, {
      header: true,
      columns: [
        { key: 'scope', header: '范围' },
        { key: 'code', header: '区划代码' },
        { key: 'name', header: '名称' },
        ...FIGURE_COLUMNS,
      ],
    })
  );
}
