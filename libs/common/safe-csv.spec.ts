import { parse } from 'csv-parse/sync';
import { calloutsCsv, timelineCsv } from '../audit/audit-report';
import { ResponseChain } from '../audit/response-chain';
import { parseCsv, toCsv } from '../directory/directory-format';
import { neutraliseCsvCell, restoreCsvCell, safeCsv } from './safe-csv';

const HOSTILE = ['=HYPERLINK("http://x","y")', '+cmd|/c calc', '-2+3', '@SUM(1+1)', '\tTAB', '\rCR'];

/** Every cell of a CSV text (after the BOM), so a test sees exactly what a spreadsheet would read. */
const cells = (csv: string): string[] =>
  (parse(csv.replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][]).flat();
const formulaLike = (csv: string) => cells(csv).filter((c) => /^[=+\-@\t\r]/.test(c));

describe('CSV formula injection', () => {
  it('prefixes formula-like cells with a quote and restores them', () => {
    for (const v of HOSTILE) {
      expect(neutraliseCsvCell(v)).toBe(`'${v}`);
      expect(restoreCsvCell(neutraliseCsvCell(v))).toBe(v);
    }
    expect(neutraliseCsvCell('张三')).toBe('张三');
    expect(restoreCsvCell("'plain")).toBe("'plain");
    expect(cells(safeCsv([[-5, 3, '+8613800000001']]))).toEqual(["'-5", '3', "'+8613800000001"]);
  });

  it('the directory export carries no formula and re-imports to the same values', () => {
    const doc = {
      divisions: [],
      persons: HOSTILE.map((name, i) => ({
        id: `p${i}`,
        name,
        mobile: '+8613800000001',
        altPhone: '-1',
        roles: [{ role: '=flood-control', areaCode: '140212100201' }],
      })),
    };
    const csv = toCsv(doc);
    expect(formulaLike(csv)).toEqual([]);
    const back = parseCsv(csv).persons.map((p) => p.value);
    // The CSV reader trims cells, as it does for any spreadsheet's file.
    expect(back.map((p) => p.name)).toEqual(HOSTILE.map((h) => h.trim()));
    expect(back.map((p) => p.mobile)).toEqual(HOSTILE.map(() => '+8613800000001'));
    expect(back.map((p) => p.altPhone)).toEqual(HOSTILE.map(() => '-1'));
    expect(back[0].roles).toEqual([{ role: '=flood-control', areaCode: '140212100201' }]);
  });

  it('neither audit export carries a formula', () => {
    const chain = {
      timeline: HOSTILE.map((summary, i) => ({
        seq: i + 1,
        at: '2026-07-01T00:00:00Z',
        topic: 'callouts.events',
        kind: 'callout',
        personName: summary,
        summary,
      })),
      callouts: HOSTILE.map((personName, i) => ({
        calloutId: `c${i}`,
        personName,
        role: '=1+1',
        channels: ['sms'],
        requests: 1,
        secondsToConfirm: -1,
        notWoken: false,
        escalated: false,
      })),
    } as unknown as ResponseChain;
    for (const csv of [timelineCsv(chain), calloutsCsv(chain.callouts)]) {
      expect(formulaLike(csv)).toEqual([]);
      expect(cells(csv)).toEqual(expect.arrayContaining(HOSTILE.map((h) => `'${h}`)));
    }
  });
});
