import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ChannelStatus, ChannelStatusCode, InboundSms, KeyPress } from '../provider';
import { lineFaultOfTencentSms, lineFaultOfTencentVoice } from './tencent-line-faults';
import { toE164 } from './tencent.channels';

/**
 * Tencent's callbacks (SMS status reports, SMS replies, voice status / key press / failure) parsed
 * into the project's terms. Tencent does not sign its callbacks; the URLs set in its console carry a
 * secret path token instead (`callbackToken`), checked in constant time before anything is parsed,
 * and each body must have Tencent's shape (zod) or it is refused.
 */

/** The token a callback URL carries: HMAC of the kind, so each URL has its own and none is guessable. */
export function callbackToken(secret: string, kind: TencentCallbackKind): string {
  return createHmac('sha256', secret).update(`tencent-callback:${kind}`).digest('base64url').slice(0, 32);
}
export type TencentCallbackKind = 'sms-status' | 'sms-reply' | 'voice';

export function tokenMatches(secret: string, kind: TencentCallbackKind, given: string | undefined): boolean {
  const expected = Buffer.from(callbackToken(secret, kind));
  const actual = Buffer.from(given ?? '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const digits = z.string().regex(/^\d+$/);
const smsReport = z.object({
  sid: z.string().min(1),
  report_status: z.enum(['SUCCESS', 'FAIL']),
  mobile: digits,
  nationcode: digits,
  errmsg: z.string().optional(),
  description: z.string().optional(),
  user_receive_time: z.string().optional(),
});
export const smsStatusBody = z.array(smsReport).min(1);

export const smsReplyBody = z.object({
  mobile: digits,
  nationcode: digits,
  text: z.string(),
  time: z.coerce.number().int(),
  sign: z.string().optional(),
  extend: z.string().optional(),
});

const callCommon = { callid: z.string().min(1), mobile: digits, nationcode: digits };
export const voiceBody = z.union([
  z.object({
    voiceprompt_callback: z.object({
      ...callCommon,
      result: z.enum(['0', '1', '2']),
      accept_time: z.coerce.number(),
      end_calltime: z.coerce.number(),
      start_calltime: z.coerce.number(),
    }),
  }),
  z.object({ voicekey_callback: z.object({ ...callCommon, keypress: z.string().min(1) }) }),
  z.object({
    voice_failure_callback: z.object({
      ...callCommon,
      failure_code: z.coerce.number().int(),
      failure_reason: z.string(),
    }),
  }),
]);

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parse<T>(schema: z.ZodType<T>, body: unknown): Parsed<T> {
  const r = schema.safeParse(body);
  return r.success
    ? { ok: true, value: r.data }
    : {
        ok: false,
        reason: `not Tencent's shape: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      };
}

const withFault = (lineFault: ChannelStatus['lineFault']) => (lineFault ? { lineFault } : {});

/** Fields kept with the webhook for the record: ids and statuses, never the number or the text. */
const fields = (o: Record<string, unknown>, keep: string[]) =>
  Object.fromEntries(keep.filter((k) => o[k] !== undefined).map((k) => [k, String(o[k])]));

export function parseSmsStatus(body: unknown): Parsed<ChannelStatus[]> {
  const r = parse(smsStatusBody, body);
  if (!r.ok) return r;
  return {
    ok: true,
    value: r.value.map((x) => ({
      channel: 'sms',
      providerId: x.sid,
      status: x.report_status === 'SUCCESS' ? 'delivered' : 'failed',
      providerStatus: x.report_status,
      ...(x.report_status === 'FAIL'
        ? { reason: `Tencent ${x.errmsg ?? 'FAIL'}${x.description ? `: ${x.description}` : ''}` }
        : {}),
      ...withFault(x.report_status === 'FAIL' ? lineFaultOfTencentSms(x.errmsg) : undefined),
      providerFields: fields(x, ['sid', 'report_status', 'errmsg', 'user_receive_time']),
    })),
  };
}

/**
 * A reply has no id of its own in Tencent's callback: number, time and text identify it, so a
 * repeated callback is the same message (and is recorded once).
 */
export function parseSmsReply(body: unknown, to: string): Parsed<InboundSms> {
  const r = parse(smsReplyBody, body);
  if (!r.ok) return r;
  const from = toE164(r.value.nationcode, r.value.mobile);
  const messageId =
    'tc-reply-' +
    createHash('sha256').update(`${from}\n${r.value.time}\n${r.value.text}`).digest('hex').slice(0, 32);
  return {
    ok: true,
    value: { messageId, from, to, body: r.value.text, providerFields: { time: String(r.value.time) } },
  };
}

/** VMS failure codes that mean busy or not answered; the rest are failures. */
const FAILURE_STATUS: Record<number, ChannelStatusCode> = {
  2: 'busy',
  10: 'busy',
  5: 'no-answer',
  20: 'no-answer',
};

export type VoiceEvent = { kind: 'status'; status: ChannelStatus } | { kind: 'key'; press: KeyPress };

/**
 * A voice callback: status (answered → heard when it lasted `heardSeconds`, else completed; not
 * answered; call error), key press, or failure to connect.
 */
export function parseVoice(body: unknown, heardSeconds: number): Parsed<VoiceEvent> {
  const r = parse(voiceBody, body);
  if (!r.ok) return r;
  const v = r.value;
  if ('voicekey_callback' in v) {
    const k = v.voicekey_callback;
    return {
      ok: true,
      value: {
        kind: 'key',
        press: { callId: k.callid, digits: k.keypress, providerFields: fields(k, ['callid', 'keypress']) },
      },
    };
  }
  if ('voice_failure_callback' in v) {
    const f = v.voice_failure_callback;
    return voiceStatus({
      providerId: f.callid,
      status: FAILURE_STATUS[f.failure_code] ?? 'failed',
      providerStatus: `failure:${f.failure_code}`,
      reason: `Tencent failure ${f.failure_code}: ${f.failure_reason}`,
      ...withFault(lineFaultOfTencentVoice(f.failure_code)),
      providerFields: fields(f, ['callid', 'failure_code', 'failure_reason']),
    });
  }
  const p = v.voiceprompt_callback;
  const providerFields = fields(p, ['callid', 'result', 'accept_time', 'end_calltime', 'start_calltime']);
  if (p.result !== '0')
    return voiceStatus({
      providerId: p.callid,
      status: p.result === '1' ? 'no-answer' : 'failed',
      providerStatus: `result:${p.result}`,
      ...(p.result === '2' ? { reason: 'Tencent: call error' } : {}),
      providerFields,
    });
  const duration = Math.max(0, p.end_calltime - p.accept_time);
  const heard = duration >= heardSeconds;
  return voiceStatus({
    providerId: p.callid,
    status: heard ? 'heard' : 'completed',
    providerStatus: 'result:0',
    durationSec: duration,
    ...(heard
      ? {}
      : { reason: `answered but only ${duration}s (< ${heardSeconds}s): message not fully played` }),
    providerFields,
  });
}

const voiceStatus = (status: Omit<ChannelStatus, 'channel'>): Parsed<VoiceEvent> => ({
  ok: true,
  value: { kind: 'status', status: { channel: 'voice', ...status } },
});
