/**
 * What each SMS / voice provider can do, declared once: the templates, the confirmation options, the
 * start-up policy check and the capacity planner all read these declarations instead of knowing a
 * provider by name.
 */
import { ChannelKind } from '../provider';

export type ProviderName = 'twilio' | 'tencent';

/** At most `max` sends to one number within any `windowSec` (a sliding window). */
export interface CalleeLimit {
  windowSec: number;
  max: number;
}

/** Local hours in which the provider holds sends to one number to `max` (e.g. 22:00–08:00, 1). */
export interface QuietHours {
  fromHour: number;
  toHour: number;
  timeZone: string;
  max: number;
}

export interface ChannelCapabilities {
  /** A person's SMS reply comes back to the system ("reply 1" works). */
  twoWaySms: boolean;
  /** URLs may appear in the text (the confirmation link). */
  linksAllowed: boolean;
  /** A pressed key during a call comes back to the system. */
  keyPress: boolean;
  /** Languages the text-to-speech reads (BCP 47). */
  ttsLanguages: string[];
  /** Numbers one API request may carry. */
  batchSize: number;
  /** API requests per second for the account (provider default). */
  requestsPerSecond: number;
  /** Sends to one number the provider refuses beyond. */
  perCallee: CalleeLimit[];
  /** The same text to one number again within this many seconds is refused (SMS). */
  sameContentWindowSec?: number;
  quietHours?: QuietHours;
  /**
   * The provider can list what it accepted to a number (the reconciler's "was it created?"). Without
   * it a send whose answer was lost cannot be told apart from one never made.
   */
  listsSends: boolean;
}

export interface ProviderCapabilities {
  name: ProviderName;
  /** Number prefixes (E.164) the provider carries; empty = any. */
  carries: string[];
  sms?: ChannelCapabilities;
  voice?: ChannelCapabilities;
}

/**
 * Twilio, as it behaves for mainland numbers (+86): its China guidelines allow neither two-way SMS
 * nor URLs in the content, so for +86 the voice key press is the only confirmation that comes back.
 */
export const TWILIO_TO_MAINLAND: ProviderCapabilities = {
  name: 'twilio',
  carries: [],
  sms: {
    twoWaySms: false,
    linksAllowed: false,
    keyPress: false,
    ttsLanguages: [],
    batchSize: 1,
    requestsPerSecond: 100,
    perCallee: [],
    listsSends: true,
  },
  voice: {
    twoWaySms: false,
    linksAllowed: false,
    keyPress: true,
    ttsLanguages: ['zh-CN', 'en-US', 'en-GB'],
    batchSize: 1,
    requestsPerSecond: 1,
    perCallee: [],
    listsSends: true,
  },
};

/** Twilio for numbers outside the mainland: replies and links work. */
export const TWILIO_ELSEWHERE: ProviderCapabilities = {
  ...TWILIO_TO_MAINLAND,
  sms: { ...TWILIO_TO_MAINLAND.sms!, twoWaySms: true, linksAllowed: true },
};

/**
 * Tencent Cloud SMS and voice messages (VMS) for mainland numbers, with the providers' default
 * limits: SMS 3,000 requests/s, 200 numbers a request, the same content once per 30 s, a daily cap
 * per number; VMS 20 requests/s, per callee 1 call / 30 s, 2 / 10 min, 5 / day, and one call a night
 * (22:00–08:00). Replies come back through the SMS reply callback; links are allowed in a notification
 * template once the template is approved with them.
 */
export const TENCENT: ProviderCapabilities = {
  name: 'tencent',
  carries: ['+86'],
  sms: {
    twoWaySms: true,
    linksAllowed: true,
    keyPress: false,
    ttsLanguages: [],
    batchSize: 200,
    requestsPerSecond: 3000,
    perCallee: [{ windowSec: 86_400, max: 10 }],
    sameContentWindowSec: 30,
    listsSends: true,
  },
  voice: {
    twoWaySms: false,
    linksAllowed: false,
    keyPress: true,
    ttsLanguages: ['zh-CN'],
    batchSize: 1,
    requestsPerSecond: 20,
    perCallee: [
      { windowSec: 30, max: 1 },
      { windowSec: 600, max: 2 },
      { windowSec: 86_400, max: 5 },
    ],
    quietHours: { fromHour: 22, toHour: 8, timeZone: 'Asia/Shanghai', max: 1 },
    listsSends: false,
  },
};

/** A provider's capabilities with its own rates where the deployment configured them. */
export function withRates(
  p: ProviderCapabilities,
  rates: Partial<Record<ChannelKind, number | undefined>>,
): ProviderCapabilities {
  const set = (c: ChannelCapabilities | undefined, r: number | undefined) =>
    c && r !== undefined ? { ...c, requestsPerSecond: r } : c;
  return { ...p, sms: set(p.sms, rates.sms), voice: set(p.voice, rates.voice) };
}

/** Does the provider carry this number? */
export const carriesNumber = (p: ProviderCapabilities, e164: string): boolean =>
  p.carries.length === 0 || p.carries.some((prefix) => e164.startsWith(prefix));

/** Describes a per-callee limit in words ("2 per 10 min"). */
export function describeLimit(l: CalleeLimit): string {
  const w = l.windowSec;
  const span =
    w % 86_400 === 0
      ? `${w / 86_400 === 1 ? '' : w / 86_400 + ' '}day${w / 86_400 === 1 ? '' : 's'}`
      : w % 3600 === 0
        ? `${w / 3600} h`
        : w % 60 === 0
          ? `${w / 60} min`
          : `${w} s`;
  return `${l.max} per ${span}`;
}
