import { stringify, Input, Options } from 'csv-stringify/sync';

/**
 * CSV that a spreadsheet opens without running anything in it. A cell that starts with `=`, `+`,
 * `-`, `@`, a tab or a carriage return is read as a formula by Excel, LibreOffice and WPS
 * (`=HYPERLINK(...)`, `+cmd|...`), so such a cell is written with a leading single quote, which the
 * spreadsheet shows as text (OWASP's rule for CSV injection). Every CSV the project writes goes
 * through safeCsv; a reader of the project's own CSV undoes it with restoreCsvCell.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell as it is written: formula-like text gets a leading `'`. */
export function neutraliseCsvCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The value a neutralised cell stood for: `'+8613800001234` → `+8613800001234`; anything else unchanged. */
export function restoreCsvCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

/** csv-stringify with every string and number cell neutralised (a negative number starts with `-`). */
export function safeCsv(input: Input, options: Options = {}): string {
  return stringify(input, {
    ...options,
    cast: {
      ...options.cast,
      string: (v) => neutraliseCsvCell(v),
      number: (v) => neutraliseCsvCell(String(v)),
    },
  });
}
