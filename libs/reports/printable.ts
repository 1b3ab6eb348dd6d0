import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { beijingTime, percent, registerCapacityPartial, seconds } from '../audit/audit-report';
import { fromRoot } from '../common/project-root';

/**
 * The printable pages of the roster and the reports (A4, Chinese first): one Handlebars instance with
 * the audit report's helpers (Beijing time, percent, seconds) and the shared print style
 * (`{{> print-style}}`). Templates live in libs/reports/templates/; escaping is on (names are data).
 */
const hbs = Handlebars.create();
hbs.registerHelper('time', (iso: string) => beijingTime(iso));
hbs.registerHelper('pct', (r: number | null) => percent(r));
hbs.registerHelper('secs', (s: number | null) => seconds(s));
hbs.registerHelper('yesno', (b: boolean) => (b ? '是' : '否'));
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
registerCapacityPartial(hbs);
const PARTIALS = ['print-style', 'figures-table'];
const templateFile = (name: string) => fromRoot('libs', 'reports', 'templates', `${name}.hbs`);
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function template(name: string): Handlebars.TemplateDelegate {
  for (const partial of PARTIALS)
    if (!hbs.partials[partial]) hbs.registerPartial(partial, readFileSync(templateFile(partial), 'utf8'));
  let t = compiled.get(name);
  if (!t) {
    t = hbs.compile(readFileSync(templateFile(name), 'utf8'));
    compiled.set(name, t);
  }
  return t;
}

/** A whole HTML page; the doctype is written here (a formatter for Handlebars drops it). */
export function renderPrintable(name: string, context: object): string {
  return `<!doctype html>\n${template(name)(context)}`;
}

/** UTF-8 with a BOM, so spreadsheet programs read the Chinese headers and text correctly. */
export const CSV_BOM = '\uFEFF';
