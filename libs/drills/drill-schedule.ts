import { CronTime, validateCronExpression } from 'cron';
import { z } from 'zod';
import { HAZARDS } from '../../contracts/topics';
import { subtypeSpec } from '../common/hazards';

/**
 * A drill schedule as the duty officer writes it: when (a cron expression with seconds optional, in a
 * time zone), where (division codes), what (hazard, subtype, level, text) and how long the drill
 * warning stays valid. Cron ORs day-of-month and day-of-week (as Unix cron does), so "the first
 * Monday of each month at 10:00" is `0 10 1-7 * *` with `weekday: 1`.
 */
export const drillScheduleSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    cron: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine((c) => validateCronExpression(c).valid, { message: 'is not a valid cron expression' }),
    timeZone: z
      .string()
      .default('Asia/Shanghai')
      .refine((tz) => isTimeZone(tz), { message: 'is not a known time zone' }),
    /** Fire only on this weekday (0 Sunday … 6 Saturday, in the time zone). */
    weekday: z.number().int().min(0).max(6).optional(),
    hazard: z.enum(HAZARDS),
    subtype: z.string().min(1).max(64),
    level: z.enum(['blue', 'yellow', 'orange', 'red']),
    areaCodes: z
      .array(z.string().regex(/^\d{12}$/, 'must be a 12-digit division code'))
      .min(1)
      .max(200),
    headline: z.string().trim().min(1).max(200).optional(),
    instruction: z.string().trim().max(1000).optional(),
    durationMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(120),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((s, ctx) => {
    const spec = subtypeSpec(s.hazard, s.subtype);
    if (!spec) ctx.addIssue({ code: 'custom', path: ['subtype'], message: `is not a ${s.hazard} subtype` });
    else if (!spec.levels.includes(s.level))
      ctx.addIssue({ code: 'custom', path: ['level'], message: `${s.subtype} has no ${s.level} level` });
  });

export type DrillSchedule = z.infer<typeof drillScheduleSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type ParsedSchedule = { ok: true; schedule: DrillSchedule } | { ok: false; errors: string[] };

export function parseDrillSchedule(raw: unknown): ParsedSchedule {
  const r = drillScheduleSchema.safeParse(raw);
  if (r.success) return { ok: true, schedule: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) };
}

/** The weekday (0–6) of an instant in a time zone. */
export function weekdayIn(at: Date, timeZone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' }).format(at);
  return ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(name);
}

/** Whether a tick of the cron at `at` is a fire of the schedule (the weekday filter applied). */
export function firesAt(s: DrillSchedule, at: Date): boolean {
  return s.weekday === undefined || weekdayIn(at, s.timeZone) === s.weekday;
}

/** The next fires of a schedule after `from` (for the console to show, and for the spec). */
export function nextFires(s: DrillSchedule, count: number, from = new Date()): Date[] {
  const time = new CronTime(s.cron, s.timeZone);
  const out: Date[] = [];
  let cursor = from;
  for (let guard = 0; out.length < count && guard < 1000; guard++) {
    const next = time.getNextDateFrom(cursor, s.timeZone).toJSDate();
    if (firesAt(s, next)) out.push(next);
    cursor = next;
  }
  return out;
}

/** A fire's drill warning id: deterministic, so issuing the same fire again is a repeat to intake. */
export function drillWarningId(scheduleId: string, fireAt: Date): string {
  return `drill-${scheduleId}-${fireAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/** What intake is asked to issue for one fire: an Exercise warning, marked 演练 in its headline too. */
export function drillWarningRequest(
  scheduleId: string,
  s: DrillSchedule,
  fireAt: Date,
): Record<string, unknown> {
  const headline = s.headline ?? s.name;
  return {
    id: drillWarningId(scheduleId, fireAt),
    status: 'Exercise',
    hazard: s.hazard,
    subtype: s.subtype,
    level: s.level,
    headline: headline.startsWith('【演练】') ? headline : `【演练】${headline}`,
    ...(s.instruction ? { instruction: s.instruction } : {}),
    areas: s.areaCodes.map((code) => ({ code })),
    expires: new Date(fireAt.getTime() + s.durationMinutes * 60_000).toISOString(),
  };
}
