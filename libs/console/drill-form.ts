import { z } from 'zod';
import { optionalText } from '../common/valid-body';
import type { DrillSchedule } from '../drills/drill-schedule';
import type { ConsoleLang } from './console-i18n';
import { levelChoices, signalChoices } from './warning-form';

/**
 * The duty officer's drill schedule form: what the browser posts, turned into the body of intake's
 * drill schedule API (which validates it: the cron, the time zone, the subtype and the levels it
 * allows), and a stored schedule turned back into the form for editing.
 */
const formText = optionalText(1000);

export const DRILL_FORM_SCHEMA = z.object({
  name: formText,
  cron: formText,
  weekday: formText,
  timeZone: formText,
  signal: formText,
  level: formText,
  areaCodes: formText,
  headline: formText,
  instruction: formText,
  durationMinutes: formText,
  enabled: formText,
});
export type DrillForm = z.infer<typeof DRILL_FORM_SCHEMA>;

export const WEEKDAYS_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
export const WEEKDAYS_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const blank = (s?: string) => (s === undefined || s.trim() === '' ? undefined : s.trim());

/**
 * The API body of a posted form. Only the shape is settled here (numbers from text, the area list
 * split); whatever the API refuses comes back as its field errors, shown beside the form.
 */
export function formToScheduleBody(form: DrillForm): Record<string, unknown> {
  const [hazard, subtype] = (form.signal ?? '').split('/');
  const weekday = blank(form.weekday);
  const duration = blank(form.durationMinutes);
  const number = (s: string) => (/^-?\d+$/.test(s) ? Number(s) : s);
  return {
    name: form.name ?? '',
    cron: form.cron ?? '',
    ...(weekday !== undefined ? { weekday: number(weekday) } : {}),
    timeZone: blank(form.timeZone) ?? 'Asia/Shanghai',
    hazard: hazard ?? '',
    subtype: subtype ?? '',
    level: form.level ?? '',
    areaCodes: (form.areaCodes ?? '').split(/[\s,，、]+/).filter(Boolean),
    ...(blank(form.headline) ? { headline: blank(form.headline) } : {}),
    ...(blank(form.instruction) ? { instruction: blank(form.instruction) } : {}),
    ...(duration !== undefined ? { durationMinutes: number(duration) } : {}),
    enabled: form.enabled === 'on' || form.enabled === '1',
  };
}

/** A stored schedule as the form shows it for editing. */
export function scheduleToForm(s: DrillSchedule): DrillForm {
  return {
    name: s.name,
    cron: s.cron,
    weekday: s.weekday === undefined ? '' : String(s.weekday),
    timeZone: s.timeZone,
    signal: `${s.hazard}/${s.subtype}`,
    level: s.level,
    areaCodes: s.areaCodes.join(' '),
    headline: s.headline ?? '',
    instruction: s.instruction ?? '',
    durationMinutes: String(s.durationMinutes),
    enabled: s.enabled ? 'on' : '',
  };
}

/** The form's choices (signal, level, weekday), the current values selected. */
export function drillFormChoices(lang: ConsoleLang, form: DrillForm) {
  const names = lang === 'en' ? WEEKDAYS_EN : WEEKDAYS_ZH;
  return {
    signals: signalChoices(lang, form.signal),
    levels: levelChoices(lang, form.level),
    weekdays: names.map((name, i) => ({ value: String(i), name, selected: form.weekday === String(i) })),
  };
}
