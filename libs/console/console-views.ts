import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../common/project-root';
import { hazardName, levelName, subtypeName } from '../common/hazards';
import { ConsoleRole, grantsOf, phoneFor } from './access-policy';
import { roleName } from '../directory/roles';
import { bilingual, ConsoleLang, reasonText, stateName, translate } from './console-i18n';
import { ConsoleSession } from './console.repository';
import { waited } from './not-woken-groups';

/** What every page knows: who is signed in, their grants, the language and the CSRF token for forms. */
export interface PageContext {
  lang: ConsoleLang;
  session: ConsoleSession | null;
  path: string;
}

const timeFormats = new Map<ConsoleLang, Intl.DateTimeFormat>();

/** "7月12日 15:30" in Beijing time (what a duty officer in China reads), or an English form. */
export function beijingTime(iso: unknown, lang: ConsoleLang): string {
  const d = new Date(String(iso ?? ''));
  if (!iso || Number.isNaN(d.getTime())) return '';
  // One formatter per language: building one costs more than formatting with it (boards list many times).
  let f = timeFormats.get(lang);
  if (!f)
    timeFormats.set(
      lang,
      (f = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', {
        timeZone: 'Asia/Shanghai',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      })),
    );
  return f.format(d);
}

/**
 * Server-rendered pages from templates/web/console/*.hbs (partials in partials/), each wrapped in
 * layout.hbs. Compiled once; HTML-escaped by default.
 */
@Injectable()
export class ConsoleViews {
  private readonly hb = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();

  private readonly dir = fromRoot('templates', 'web', 'console');

  constructor() {
    const hb = this.hb;
    const dir = this.dir;
    const lang = (o: Handlebars.HelperOptions): ConsoleLang => (o.data?.root?.lang as ConsoleLang) ?? 'zh-CN';
    hb.registerHelper('t', (key: string, o: Handlebars.HelperOptions) => translate(key, lang(o)));
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hb.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
    hb.registerHelper('isNumber', (x: unknown) => typeof x === 'number' && Number.isFinite(x));
    hb.registerHelper('round', (x: unknown) => Math.round(Number(x)));
    hb.registerHelper('providerName', (state: string, o: Handlebars.HelperOptions) =>
      translate(`provider${state.charAt(0).toUpperCase()}${state.slice(1)}`, lang(o)),
    );
    hb.registerHelper('time', (iso: unknown, o: Handlebars.HelperOptions) => beijingTime(iso, lang(o)));
    hb.registerHelper('levelName', (l: string, o: Handlebars.HelperOptions) => levelName(l, lang(o)));
    hb.registerHelper('hazardName', (h: string, o: Handlebars.HelperOptions) => hazardName(h, lang(o)));
    hb.registerHelper('subtypeName', (h: string, s: string, o: Handlebars.HelperOptions) =>
      subtypeName(h, s, lang(o)),
    );
    hb.registerHelper('maskedPhone', (p: string, o: Handlebars.HelperOptions) =>
      phoneFor((o.data?.root?.session?.role as ConsoleRole) ?? 'auditor', p),
    );
    hb.registerHelper('waited', (iso: unknown, o: Handlebars.HelperOptions) =>
      typeof iso === 'string' ? waited(iso, Date.now(), lang(o)) : '',
    );
    hb.registerHelper('concat', (...xs: unknown[]) => xs.slice(0, -1).join(''));
    hb.registerHelper('roleLabel', (r: string, o: Handlebars.HelperOptions) => roleName(r, lang(o)));
    hb.registerHelper('stateName', (st: string, o: Handlebars.HelperOptions) => stateName(st, lang(o)));
    hb.registerHelper('reasonText', (r: string, o: Handlebars.HelperOptions) => reasonText(r, lang(o)));
    hb.registerHelper('bilingual', (x: string, o: Handlebars.HelperOptions) => bilingual(x, lang(o)));
    hb.registerHelper('howName', (h: string, o: Handlebars.HelperOptions) =>
      translate(`how.${h || 'none'}`, lang(o)),
    );
    hb.registerHelper('pct', (x: unknown) => (typeof x === 'number' ? `${Math.round(x * 100)}%` : '—'));
    hb.registerHelper('json', (x: unknown) => JSON.stringify(x));
    hb.registerHelper('enc', (x: unknown) => encodeURIComponent(String(x ?? '')));
    for (const f of readdirSync(join(dir, 'partials')).filter((f) => f.endsWith('.hbs'))) {
      hb.registerPartial(f.replace(/\.hbs$/, ''), readFileSync(join(dir, 'partials', f), 'utf8'));
    }
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
      this.pages.set(f.replace(/\.hbs$/, ''), hb.compile(readFileSync(join(dir, f), 'utf8')));
    }
  }

  /** A whole page: the view inside the layout. */
  page(view: string, ctx: PageContext, data: Record<string, unknown>): string {
    const root = this.root(ctx, data);
    const body = this.get(view)(root);
    return this.get('layout')({ ...root, body });
  }

  /** A partial alone (the board fragment that live updates fetch). */
  fragment(partial: string, ctx: PageContext, data: Record<string, unknown>): string {
    let t = this.pages.get(`>${partial}`);
    if (!t) this.pages.set(`>${partial}`, (t = this.hb.compile(`{{> ${partial}}}`)));
    return t(this.root(ctx, data));
  }

  private root(ctx: PageContext, data: Record<string, unknown>) {
    return {
      ...data,
      lang: ctx.lang,
      isEn: ctx.lang === 'en',
      session: ctx.session,
      csrf: ctx.session?.csrf ?? '',
      grants: ctx.session ? grantsOf(ctx.session.role) : {},
      path: ctx.path,
      otherLang: ctx.lang === 'en' ? 'zh' : 'en',
    };
  }

  private get(name: string): Handlebars.TemplateDelegate {
    const t = this.pages.get(name);
    if (!t) throw new Error(`no console view ${name}`);
    return t;
  }
}
