import Handlebars from 'handlebars';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fromRoot } from '../common/project-root';
import { smsSegments } from './sms-segments';
import { RenderContext, SAMPLE_DATA } from './template-data';

export const PURPOSES = ['callout', 'redial', 'escalation', 'update', 'lift', 'settled', 'help'] as const;
export type Purpose = (typeof PURPOSES)[number];
export type Lang = 'zh-CN' | 'en';
export type TemplateKind = 'sms' | 'voice' | 'web';

/** zh-CN unless the request asks for English ("en", "en-GB", …). */
export const langOf = (language?: string): Lang => (language && /^en\b/i.test(language) ? 'en' : 'zh-CN');

/** A template failed to render (missing variable, unknown template): the request can never succeed. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const LEVEL_EN: Record<string, string> = { blue: 'Blue', yellow: 'Yellow', orange: 'Orange', red: 'Red' };
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Made once: building an Intl formatter costs far more than formatting with it. */
const SHANGHAI_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Date and time parts in Beijing time, whatever the server's zone. */
function shanghai(iso: string): { M: number; D: number; hh: string; mm: string } | null {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return null;
  const parts = Object.fromEntries(SHANGHAI_TIME.formatToParts(d).map((p) => [p.type, p.value]));
  return { M: Number(parts.month), D: Number(parts.day), hh: parts.hour, mm: parts.minute };
}

export function localTime(iso: string): string {
  const t = shanghai(iso);
  return t ? `${t.M}月${t.D}日${t.hh}:${t.mm}` : '另行通知';
}

export function localTimeEn(iso: string): string {
  const t = shanghai(iso);
  return t ? `${t.D} ${MONTHS_EN[t.M - 1]} ${t.hh}:${t.mm} BJT` : 'further notice';
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? listFiles(p) : p.endsWith('.hbs') ? [p] : [];
  });
}

export interface TemplateReport {
  template: string;
  problem: string;
}

/**
 * Every text a person receives, from templates/: sms/<purpose>.hbs, voice/<purpose>.hbs (and en/…),
 * reply and phrase texts, web pages; partials from templates/partials. Compiled once with
 * `strict: true`, so a variable missing from the context throws instead of rendering a blank.
 * SMS and voice text is not HTML-escaped (it is plain text; voice is XML-escaped when TwiML is built);
 * web pages are.
 */
export class MessageTemplates {
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();
  private readonly hb = Handlebars.create();

  constructor(readonly dir: string = fromRoot('templates')) {
    this.hb.registerHelper('localTime', (iso: string) => localTime(iso));
    this.hb.registerHelper('localTimeEn', (iso: string) => localTimeEn(iso));
    this.hb.registerHelper('levelEn', (level: string) => LEVEL_EN[level] ?? level);
    this.hb.registerHelper('join', (list: unknown, s: unknown) =>
      Array.isArray(list) ? list.join(typeof s === 'string' ? s : '、') : '',
    );
    this.hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    for (const f of listFiles(join(dir, 'partials'))) {
      this.hb.registerPartial(
        relative(join(dir, 'partials'), f).replace(/\.hbs$/, ''),
        readFileSync(f, 'utf8'),
      );
    }
    for (const kind of ['sms', 'voice', 'web'] as const) {
      for (const f of listFiles(join(dir, kind))) {
        const name = relative(dir, f)
          .split(sep)
          .join('/')
          .replace(/\.hbs$/, '');
        this.compiled.set(
          name,
          this.hb.compile(readFileSync(f, 'utf8'), { strict: true, noEscape: kind !== 'web' }),
        );
      }
    }
  }

  names(): string[] {
    return [...this.compiled.keys()].sort();
  }

  /** templates/<kind>/[en/]<name>; falls back to zh-CN when no English variant exists. */
  key(kind: TemplateKind, name: string, lang: Lang): string {
    const en = `${kind}/en/${name}`;
    return lang === 'en' && this.compiled.has(en) ? en : `${kind}/${name}`;
  }

  render(kind: TemplateKind, name: string, lang: Lang, context: object): string {
    const key = this.key(kind, name, lang);
    const t = this.compiled.get(key);
    if (!t) throw new TemplateError(`no template ${key}`);
    try {
      return t(context)
        .replace(/\s*\n\s*/g, kind === 'web' ? '\n' : ' ')
        .trim();
    } catch (e) {
      throw new TemplateError(`template ${key}: ${(e as Error).message}`);
    }
  }

  /**
   * Start-up check: renders every SMS and voice template against the sample context (drill and
   * not); reports any that fail and any SMS over the segment budget.
   */
  check(
    segmentBudget: number,
    ackUrl = 'https://notify.example.cn/ack/MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2.sgqm40.AAAAAAAAAAAAAAAAAAAAAA',
  ): TemplateReport[] {
    const reports: TemplateReport[] = [];
    for (const name of this.names()) {
      const [kind] = name.split('/') as [TemplateKind];
      if (kind === 'web') continue;
      for (const drill of [false, true]) {
        const ctx = sampleContext({ drill, ackUrl });
        let text: string;
        try {
          text = this.hb.compile(readFileSync(join(this.dir, `${name}.hbs`), 'utf8'), {
            strict: true,
            noEscape: true,
          })(ctx);
        } catch (e) {
          reports.push({ template: name, problem: `does not render: ${(e as Error).message}` });
          continue;
        }
        if (kind === 'sms') {
          const s = smsSegments(text.trim());
          if (s.segments > segmentBudget)
            reports.push({
              template: name,
              problem: `${s.segments} segments (${s.units} ${s.encoding} characters${drill ? ', drill' : ''}) over the budget of ${segmentBudget}`,
            });
        }
      }
    }
    return reports;
  }
}

export function sampleContext(over: Partial<RenderContext> = {}): RenderContext {
  return {
    ...SAMPLE_DATA,
    warning: { ...SAMPLE_DATA.warning, drill: over.drill ?? false },
    drill: false,
    purpose: 'callout',
    attempt: 2,
    ackUrl: '',
    confirmHint: '回复1或收到确认',
    replyConfirms: true,
    ...over,
  };
}
