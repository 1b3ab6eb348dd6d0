import { z } from 'zod';
import { HAZARDS } from '../../contracts/topics';
import {
  hazardName,
  LEVEL_INFO,
  levelColour,
  levelName,
  LEVELS,
  subtypeName,
  subtypesOf,
} from '../common/hazards';
import { optionalText } from '../common/valid-body';
import { MessageTemplates } from '../templates/message-templates';
import { smsSegments, SegmentInfo } from '../templates/sms-segments';
import { RenderContext } from '../templates/template-data';
import { ConsoleLang } from './console-i18n';

/** The signal / kind choices of the form, grouped by hazard, each with the levels it allows. */
export function signalChoices(lang: ConsoleLang, selected?: string) {
  return HAZARDS.map((h) => ({
    hazard: h,
    name: hazardName(h, lang),
    subtypes: subtypesOf(h).map((s) => ({
      value: `${h}/${s.code}`,
      name: lang === 'en' ? s.en : s.zh,
      levels: s.levels.join(' '),
      selected: selected === `${h}/${s.code}`,
    })),
  }));
}

export function levelChoices(lang: ConsoleLang, selected?: string) {
  return LEVELS.map((l) => ({
    value: l,
    name: levelName(l, lang),
    colour: LEVEL_INFO[l].css,
    selected: l === selected,
  }));
}

/** What the browser posts (application/x-www-form-urlencoded). */
export interface WarningForm {
  signal?: string;
  level?: string;
  headline?: string;
  description?: string;
  instruction?: string;
  /** Checked divisions of the tree, "code|name". */
  areas?: string | string[];
  /** Typed division codes, comma / space separated (the picker's fallback without JavaScript). */
  areaCodes?: string;
  /** datetime-local in Beijing time: "2024-07-12T18:00". */
  expires?: string;
  drill?: string;
  sender?: string;
  /** A pasted GeoJSON polygon: the villages whose point lies inside become areas (how = polygon). */
  geojson?: string;
}

const formText = optionalText(10_000);

/** The warning form as the page posts it: one value per field, several for the area checkboxes. */
export const WARNING_FORM_SCHEMA = z.object({
  signal: formText,
  level: formText,
  headline: formText,
  description: formText,
  instruction: formText,
  areas: z.union([z.string(), z.array(z.string()).max(5000)], { error: 'must be area choices' }).optional(),
  areaCodes: formText,
  expires: formText,
  drill: formText,
  sender: formText,
  geojson: optionalText(200_000),
  op: formText,
}) satisfies z.ZodType<WarningForm & { op?: string }>;

export interface IntakeBody {
  hazard: string;
  subtype: string;
  level: string;
  headline: string;
  description?: string;
  instruction?: string;
  areas: { code: string; name?: string; how?: string; via?: string }[];
  /** Shapes of a pasted GeoJSON polygon ([latitude, longitude] points), kept on the warning. */
  geometry?: unknown;
  expires: string;
  status: 'Actual' | 'Exercise';
  sender?: string;
}

const trimmed = (s: unknown) => (typeof s === 'string' && s.trim() ? s.trim() : undefined);

/** A Beijing wall-clock time from a datetime-local field → ISO with +08:00 (the field has no zone). */
export function beijingLocalToIso(v: string | undefined): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(v ?? '');
  return m ? `${m[1]}T${m[2]}${m[3] ?? ':00'}+08:00` : undefined;
}

/** The datetime-local value (Beijing time) of an instant, to pre-fill the form. */
export function isoToBeijingLocal(iso: string | Date): string {
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return d.toISOString().slice(0, 16);
}

/**
 * The intake request body of the form. Only the shape is fixed here; intake applies the rules
 * (allowed levels, known areas, expiry) and answers with field errors, which the form shows.
 */
export function formToIntakeBody(form: WarningForm): IntakeBody {
  const [hazard = '', subtype = ''] = (form.signal ?? '').split('/');
  const picked = ([] as string[]).concat(form.areas ?? []).map((a) => {
    const [code, name] = a.split('|');
    return { code: code.trim(), ...(name ? { name } : {}) };
  });
  const typed = (form.areaCodes ?? '')
    .split(/[\s,，、;]+/)
    .filter(Boolean)
    .map((code) => ({ code }));
  const seen = new Set<string>();
  const areas = [...picked, ...typed].filter((a) => a.code && !seen.has(a.code) && seen.add(a.code));
  const body: IntakeBody = {
    hazard,
    subtype,
    level: form.level ?? '',
    headline: trimmed(form.headline) ?? '',
    areas,
    expires: beijingLocalToIso(form.expires) ?? form.expires ?? '',
    status: form.drill ? 'Exercise' : 'Actual',
  };
  const description = trimmed(form.description);
  const instruction = trimmed(form.instruction);
  const sender = trimmed(form.sender);
  if (description) body.description = description;
  if (instruction) body.instruction = instruction;
  if (sender) body.sender = sender;
  return body;
}

export interface MessagePreview {
  sms: { text: string } & SegmentInfo;
  voice: { text: string };
}

/**
 * The SMS and voice texts a responsible person would receive for this warning, rendered by the
 * notifier's own templates. The person and link are stand-ins of realistic length, so the segment
 * count is what the real message will cost.
 */
export function previewMessages(
  templates: MessageTemplates,
  body: IntakeBody,
  opts: { lang: ConsoleLang; publicBaseUrl?: string; sender: string },
): MessagePreview {
  const drill = body.status === 'Exercise';
  const ctx: RenderContext = {
    warning: {
      id: 'preview',
      seq: 999,
      hazard: body.hazard,
      hazardName: hazardName(body.hazard),
      subtype: body.subtype,
      subtypeName: subtypeName(body.hazard, body.subtype),
      level: body.level,
      levelName: levelName(body.level),
      levelColour: levelColour(body.level),
      headline: body.headline,
      ...(body.instruction ? { instruction: body.instruction } : {}),
      areaNames: body.areas.map((a) => a.name ?? a.code),
      expires: body.expires ? new Date(body.expires).toISOString() : '',
      sender: body.sender ?? opts.sender,
      drill,
      verification: false,
    },
    person: { name: '王建国', roleName: '防汛责任人', areaName: body.areas[0]?.name ?? '' },
    drill,
    purpose: 'callout',
    attempt: 1,
    // The real link is /ack/<signed token>: a stand-in of the same length.
    ackUrl: `${(opts.publicBaseUrl ?? 'http://127.0.0.1:3000').replace(/\/$/, '')}/ack/${'x'.repeat(48)}.${'y'.repeat(6)}.${'z'.repeat(22)}`,
    confirmHint: '回复1或收到确认',
    replyConfirms: true,
  };
  const lang = opts.lang === 'en' ? 'en' : 'zh-CN';
  const sms = templates.render('sms', 'callout', lang, ctx);
  return {
    sms: { text: sms, ...smsSegments(sms) },
    voice: { text: templates.render('voice', 'callout', lang, ctx) },
  };
}
