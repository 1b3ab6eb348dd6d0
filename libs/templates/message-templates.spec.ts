import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localTime, MessageTemplates, sampleContext, TemplateError, TemplateKind } from './message-templates';
import { smsSegments } from './sms-segments';

const GOLDEN = join(__dirname, '__golden__');
const ACK = 'https://notify.example.cn/ack/Y28tMTIzNDU2Nzg.sgqm40.AAAAAAAAAAAAAAAAAAAAAA';
const templates = new MessageTemplates();

// Every SMS and voice template, rendered for the sample context (drill on, to show the marker), is
// compared with its golden file. Set UPDATE_GOLDEN=1 to (re)write them after an intended change: a
// template without a committed golden file fails until its golden file is written and reviewed.
describe('templates against golden files', () => {
  const names = templates.names().filter((n) => !n.startsWith('web/'));
  it.each(names)('%s', (name) => {
    const [kind, ...rest] = name.split('/');
    const lang = rest[0] === 'en' ? 'en' : 'zh-CN';
    const text = templates.render(
      kind as TemplateKind,
      rest.filter((x) => x !== 'en').join('/'),
      lang,
      sampleContext({ drill: true, ackUrl: ACK }),
    );
    const file = join(GOLDEN, `${name.replace(/\//g, '__')}.txt`);
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, text + '\n');
    }
    if (!existsSync(file))
      throw new Error(`no golden file ${file} for template ${name}: run with UPDATE_GOLDEN=1 and commit it`);
    expect(text + '\n').toBe(readFileSync(file, 'utf8'));
  });
});

describe('MessageTemplates', () => {
  it('marks every drill message', () => {
    for (const name of templates.names().filter((n) => /^(sms|voice)\/(en\/)?[a-z]+$/.test(n))) {
      const [kind, ...rest] = name.split('/');
      const lang = rest[0] === 'en' ? 'en' : 'zh-CN';
      const text = templates.render(
        kind as TemplateKind,
        rest.filter((x) => x !== 'en').join('/'),
        lang,
        sampleContext({ drill: true }),
      );
      expect(text).toMatch(/【演练】|演练|DRILL|drill/);
    }
  });

  it('asks for the number and role in the roster verification campaign, marked as a drill', () => {
    const base = sampleContext({ drill: true, ackUrl: ACK });
    const ctx = { ...base, warning: { ...base.warning, verification: true } };
    const sms = templates.render('sms', 'callout', 'zh-CN', ctx);
    expect(sms).toMatch(/^【演练】【号码核查】/);
    expect(sms).toContain(
      '名单登记您为浑源县永安镇防汛责任人，使用本号码。如号码和职责仍是您本人的，请回复1或收到确认',
    );
    expect(sms).not.toContain('暴雨');
    expect(smsSegments(sms).segments).toBeLessThanOrEqual(3);
    expect(templates.render('sms', 'redial', 'zh-CN', { ...ctx, purpose: 'redial' })).toContain(
      '【号码核查】第2次提醒：',
    );
    const voice = templates.render('voice', 'callout', 'zh-CN', ctx);
    expect(voice).toMatch(/^演练消息，这是一次演练。.*责任人名单年度核查/);
    expect(templates.render('sms', 'callout', 'en', ctx)).toMatch(/^\[DRILL\] \[ROSTER CHECK\]/);
    expect(templates.render('voice', 'redial', 'en', { ...ctx, purpose: 'redial' })).toContain(
      'Reminder number 2. This is',
    );
  });

  it('shows the verification on the confirmation page, and the warning otherwise', () => {
    const base = sampleContext({ drill: true });
    const page = (verification?: boolean) =>
      templates.render('web', 'ack', 'zh-CN', {
        ...base,
        token: 't',
        // Requests written before the campaign existed carry no verification flag.
        warning:
          verification === undefined
            ? Object.fromEntries(Object.entries(base.warning).filter(([k]) => k !== 'verification'))
            : { ...base.warning, verification },
      });
    expect(page(true)).toContain('<h1>责任人号码核查</h1>');
    expect(page(true)).not.toContain('暴雨预警</h1>');
    for (const html of [page(false), page()]) {
      expect(html).toContain('暴雨预警</h1>');
      expect(html).not.toContain('号码核查');
    }
  });

  it('renders the escalation SMS with the subject and the way to confirm', () => {
    const t = templates.render('sms', 'escalation', 'zh-CN', sampleContext({ ackUrl: ACK }));
    expect(t).toContain(
      '李强（山洪预警员）未确认大同市气象台暴雨红色预警（东坊城村），请立即上门叫应并回复1或收到确认',
    );
    expect(t).toContain(ACK);
  });

  it('fails fast on a missing variable (strict)', () => {
    const ctx = sampleContext();
    delete (ctx as { subject?: unknown }).subject;
    expect(() => templates.render('sms', 'escalation', 'zh-CN', ctx)).toThrow(TemplateError);
    expect(() => templates.render('sms', 'nope', 'zh-CN', ctx)).toThrow(/no template/);
  });

  it('falls back to zh-CN when asked for a language it does not have and uses en when it does', () => {
    expect(templates.key('sms', 'callout', 'en')).toBe('sms/en/callout');
    expect(templates.key('web', 'ack', 'en')).toBe('web/ack');
  });

  it('keeps every SMS, zh-CN and English, drill or not, within 3 segments and reports what is over the budget', () => {
    // A clean start prints no template warnings: the start-up check uses the same budget of 3.
    expect(templates.check(3)).toEqual([]);
    expect(templates.check(1).some((r) => r.template === 'sms/callout')).toBe(true);
    expect(templates.check(2).some((r) => r.template === 'sms/en/escalation')).toBe(true);
  });

  it('prints Beijing time', () => {
    expect(localTime('2024-07-12T16:30:00Z')).toBe('7月13日00:30');
    expect(localTime('')).toBe('另行通知');
  });
});

describe('smsSegments', () => {
  it('counts GSM-7 and UCS-2', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161)).segments).toBe(2);
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
    expect(smsSegments('^'.repeat(80))).toMatchObject({ units: 160, segments: 1 });
    expect(smsSegments('预'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsSegments('预'.repeat(71)).segments).toBe(2);
    expect(smsSegments('预'.repeat(134)).segments).toBe(2);
    expect(smsSegments('预'.repeat(135)).segments).toBe(3);
  });
});
