import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The yearly roster verification campaign (号码核查): before the bureaus re-file their lists of
 * responsible persons (e.g. by 20 April), every person is called as an Exercise and asked to confirm
 * that the number and role are still theirs. Plain date logic, in Beijing time: the re-filing date of
 * the coming (or current) year, the window that opens `leadDays` before it, and the campaign's
 * deterministic id and warning request (verification-window.spec.ts).
 */

export const VERIFICATION_TIME_ZONE = 'Asia/Shanghai';
const DAY_MS = 86_400_000;

export interface VerificationSettings {
  /** Month and day of the yearly re-filing date, "MM-DD" (VERIFY_REFILING_DATE). */
  refilingDate: string;
  /** Days before the re-filing date the campaign may start (VERIFY_LEAD_DAYS). */
  leadDays: number;
}

/** "MM-DD" of a date every year has (29 February is refused: most years have none). */
export const refilingDateSchema = z
  .string()
  .regex(/^\d{2}-\d{2}$/, 'must be MM-DD, e.g. 04-20')
  .refine((s) => {
    const [m, d] = s.split('-').map(Number);
    const date = new Date(Date.UTC(2025, m - 1, d));
    return m >= 1 && m <= 12 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }, 'is not a day every year has (MM-DD, 29 February excluded)');

export interface VerificationWindow {
  /** The year whose re-filing the campaign prepares. */
  year: number;
  /** YYYY-MM-DD, Beijing: the re-filing date; the campaign's warning expires at its end. */
  refilingDate: string;
  /** YYYY-MM-DD, Beijing: the first day the campaign may run. */
  opensOn: string;
  /** Today (Beijing) lies in [opensOn, refilingDate]. */
  open: boolean;
  /** Days from today (Beijing) to the re-filing date, 0 on the day itself. */
  daysToRefiling: number;
}

/** The calendar date of an instant in Beijing, YYYY-MM-DD. */
export function beijingDate(at: Date): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: VERIFICATION_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

const dayNumber = (ymd: string) => Date.parse(`${ymd}T00:00:00Z`) / DAY_MS;
const ymdOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The coming re-filing date (today's counts as coming) and the campaign window before it. */
export function verificationWindow(s: VerificationSettings, now: Date): VerificationWindow {
  const today = beijingDate(now);
  const thisYear = Number(today.slice(0, 4));
  const year = today <= `${thisYear}-${s.refilingDate}` ? thisYear : thisYear + 1;
  const refilingDate = `${year}-${s.refilingDate}`;
  const daysToRefiling = dayNumber(refilingDate) - dayNumber(today);
  const opensOn = ymdOf(dayNumber(refilingDate) - s.leadDays);
  return { year, refilingDate, opensOn, open: daysToRefiling <= s.leadDays, daysToRefiling };
}

/** Why a campaign may not start now, or undefined when it may. */
export function outsideWindow(w: VerificationWindow, s: VerificationSettings): string | undefined {
  if (w.open) return undefined;
  return (
    `the ${w.year} verification campaign opens on ${w.opensOn}, ${s.leadDays} days before the ` +
    `re-filing date ${w.refilingDate} (VERIFY_REFILING_DATE=${s.refilingDate}, VERIFY_LEAD_DAYS=${s.leadDays})`
  );
}

/** The end of a Beijing calendar day, as an instant (the next day's 00:00 +08:00). */
export function endOfBeijingDay(ymd: string): Date {
  return new Date(Date.parse(`${ymd}T00:00:00+08:00`) + DAY_MS);
}

/**
 * One campaign per year and scope: the same year and areas give the same id (and the same request),
 * so starting it twice (the command and the console, or two admins) is one campaign to intake.
 */
export function campaignId(year: number, areaCodes: string[]): string {
  const areas = [...new Set(areaCodes)].sort();
  const scope =
    areas.length === 1 ? areas[0] : createHash('sha256').update(areas.join(',')).digest('hex').slice(0, 12);
  return `verify-${year}-${scope}`;
}

/**
 * The warning intake is asked to issue: an Exercise with purpose verification, marked 演练 and 号码核查
 * in its headline. Hazard, subtype and level only satisfy the warning contract (the flood season is
 * what the re-filing prepares); the dispatcher calls everyone under the policy's verification section.
 */
export function campaignRequest(w: VerificationWindow, areaCodes: string[]): Record<string, unknown> {
  const areas = [...new Set(areaCodes)].sort();
  return {
    id: campaignId(w.year, areas),
    status: 'Exercise',
    purpose: 'verification',
    hazard: 'flood',
    subtype: 'river',
    level: 'blue',
    headline: `【演练】${w.year}年度责任人号码核查（${w.refilingDate.slice(5).replace('-', '月')}日前确认）`,
    areas: areas.map((code) => ({ code })),
    expires: endOfBeijingDay(w.refilingDate).toISOString(),
  };
}
