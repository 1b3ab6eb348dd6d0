import { safeCsv } from '../common/safe-csv';
import { percent } from '../audit/audit-report';
import { AfterActionReport } from './after-action-report';
import { CLOSED_ZH, MonthlyReport } from './monthly-report';
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

export function afterActionHtml(r: AfterActionReport): string {
  return renderPrintable('after-action-report', r);
}

/** One row per person the drill called: for following up with each. */
export function afterActionCsv(r: AfterActionReport): string {
  const rows = r.callouts.map((c) => ({
    ...c,
    confirmed: c.confirmed ? '是' : '否',
    secondsToConfirm: c.secondsToConfirm === null ? '' : Math.round(c.secondsToConfirm),
    withinTarget: c.withinTarget === null ? '' : c.withinTarget ? '是' : '否',
    everNotWoken: c.everNotWoken ? '是' : '否',
    lastState: CLOSED_ZH[c.lastState] ?? c.lastState,
  }));
  return (
    CSV_BOM +
    safeCsv([[`演练评估 ${r.warningId}`, `链头 ${r.ledgerHead.lastSeq} ${r.ledgerHead.lastHash}`]]) +
    safeCsv(rows, {
      header: true,
      columns: [
        { key: 'personId', header: '责任人编号' },
        { key: 'personName', header: '责任人' },
        { key: 'role', header: '职责' },
        { key: 'areaCode', header: '区划代码' },
        { key: 'townshipCode', header: '乡镇代码' },
        { key: 'confirmed', header: '已确认' },
        { key: 'secondsToConfirm', header: '确认用时（秒）' },
        { key: 'withinTarget', header: '按时确认' },
        { key: 'everNotWoken', header: '曾未叫醒' },
        { key: 'lastState', header: '结果' },
      ],
    })
  );
}
