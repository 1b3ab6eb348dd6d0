import { CommonClient } from 'tencentcloud-sdk-nodejs-common';
import { sms as tencentSms } from 'tencentcloud-sdk-nodejs-sms';
import { CalleeLimitRefused } from '../providers/callee-limit-refused';
import {
  AcceptedSend,
  ChannelError,
  ChannelStatus,
  FoundSend,
  SendResult,
  SmsChannel,
  SmsSend,
  VoiceChannel,
  VoiceScript,
  VoiceSend,
} from '../provider';
import { lineFaultOfTencentSms } from './tencent-line-faults';

/**
 * Tencent Cloud SMS (SendSms) and voice messages (VMS SendTtsVoice) through the official SDK, which
 * signs every request (TC3-HMAC-SHA256). Tencent sends only approved templates: the SMS template
 * carries the rendered text as its one parameter, and the voice templates carry the script, with
 * the key-press prompt fixed in the confirming template (so it is always offered). Tencent's
 * vocabulary (SerialNo, CallId, its error codes) stays in this folder.
 */
export interface TencentSettings {
  secretId: string;
  secretKey: string;
  region: string;
  /** Tencent's API (default: each product's own endpoint), or the simulator's base URL. */
  apiBaseUrl?: string;
  smsSdkAppId: string;
  signName: string;
  /** Approved SMS template with one parameter, the message. */
  smsTemplateId: string;
  voiceSdkAppId: string;
  /** Approved voice template "{1}…请按1键确认" for confirmable call-outs. */
  voiceConfirmTemplateId: string;
  /** Approved voice template "{1}" for notices that ask nothing (lift, settled). */
  voiceNoticeTemplateId: string;
  /** Times the message is played in one call (1–3). */
  playTimes: number;
  /** The number the calls show (for the rate limits per sender; VMS assigns it). */
  voiceFrom: string;
  smsFrom: string;
  /** How long the SDK waits for an answer (default 10 s); then the outcome is unknown. */
  requestTimeoutSec?: number;
}

const SMS_HOST = 'sms.tencentcloudapi.com';
const VMS_HOST = 'vms.tencentcloudapi.com';
const VMS_VERSION = '2020-09-02';
const REQUEST_TIMEOUT_SEC = 10;

/** The SDK's client profile for a product: its own endpoint, or the configured base URL. */
function profileFor(s: TencentSettings, host: string) {
  const base = new URL(s.apiBaseUrl ?? `https://${host}`);
  return {
    httpProfile: {
      endpoint: base.host,
      protocol: `${base.protocol}//`,
      reqTimeout: s.requestTimeoutSec ?? REQUEST_TIMEOUT_SEC,
    },
  };
}

export function createTencentClients(s: TencentSettings) {
  const credential = { secretId: s.secretId, secretKey: s.secretKey };
  return {
    sms: new tencentSms.v20210111.Client({ credential, region: s.region, profile: profileFor(s, SMS_HOST) }),
    vms: new CommonClient(VMS_HOST, VMS_VERSION, {
      credential,
      region: s.region,
      profile: profileFor(s, VMS_HOST),
    }),
  };
}
export type TencentClients = ReturnType<typeof createTencentClients>;

/** Tencent errors that say the request was refused and why, with whether a retry may help. */
const RETRYABLE = new Set(['RequestLimitExceeded', 'InternalError', 'FailedOperation.AccessUpstreamTimeout']);
const CALLEE_LIMITS = /^LimitExceeded\.(DeliveryFrequencyLimit|PhoneNumber\w*Limit)$/;

/** An error Tencent answered with (its code is a string such as AuthFailure.SignatureFailure). */
export class TencentApiError extends ChannelError {
  constructor(
    readonly tencentCode: string,
    message: string,
  ) {
    const retryable = RETRYABLE.has(tencentCode) || tencentCode.startsWith('InternalError');
    // Tencent answers errors with HTTP 200 and Response.Error; the HTTP-like status tells the send
    // gate how to treat it: 429 over the rate, 500 an internal error (not created), 400 the rest.
    const httpStatus = tencentCode.startsWith('RequestLimitExceeded') ? 429 : retryable ? 500 : 400;
    super(`Tencent ${tencentCode}: ${message}`, !retryable, undefined, httpStatus);
    this.name = 'TencentApiError';
  }
  /** Internal errors are answered before anything is sent. */
  override get definitelyNotAccepted(): boolean {
    return true;
  }
}

/** Turns what the SDK threw, or a per-number status, into the project's error. */
export function toChannelError(e: unknown): ChannelError {
  const err = e as { code?: unknown; message?: string; httpCode?: number };
  const code = typeof err.code === 'string' && err.code ? err.code : undefined;
  if (!code) {
    // No Tencent code: the request did not get an answer (network, timeout): outcome unknown. The
    // SDK passes on node-fetch's "network timeout at: <url>" as its message; a request that timed out
    // may still be taken, so the send gate waits its in-flight grace before it asks or sends again.
    const status = typeof err.httpCode === 'number' ? err.httpCode : undefined;
    const timedOut = /timeout/i.test(err.message ?? '');
    return new ChannelError(
      `network: ${err.message ?? String(e)}`,
      false,
      undefined,
      status,
      undefined,
      timedOut,
    );
  }
  if (CALLEE_LIMITS.test(code)) return new CalleeLimitRefused(`Tencent ${code}: ${err.message ?? ''}`, code);
  return new TencentApiError(code, err.message ?? '');
}

/** Tencent reports SMS in mainland form for +86 numbers: "13800001234" with nationcode "86". */
export const toE164 = (nationcode: string, mobile: string) => `+${nationcode}${mobile}`;

export class TencentSmsChannel implements SmsChannel {
  constructor(
    private readonly clients: TencentClients,
    private readonly s: TencentSettings,
  ) {}

  get from(): string {
    return this.s.smsFrom;
  }

  async send(m: SmsSend): Promise<SendResult> {
    let r: Awaited<ReturnType<TencentClients['sms']['SendSms']>>;
    try {
      r = await this.clients.sms.SendSms({
        PhoneNumberSet: [m.to],
        SmsSdkAppId: this.s.smsSdkAppId,
        SignName: this.s.signName,
        TemplateId: this.s.smsTemplateId,
        TemplateParamSet: [m.body],
        // Comes back in the status pull: the reconciler finds a lost answer by it.
        SessionContext: m.requestId,
      });
    } catch (e) {
      throw toChannelError(e);
    }
    const status = r.SendStatusSet?.[0];
    if (!status) throw new ChannelError('Tencent SendSms answered no status', false, undefined, 500);
    if (status.Code !== 'Ok') throw toChannelError({ code: status.Code, message: status.Message });
    return { providerId: status.SerialNo!, status: 'submitted', raw: r };
  }

  /**
   * What Tencent holds of sends to `to` since `since`, by the status pull; the SessionContext each
   * send carried is its requestId, so the caller's body match is only a second check.
   */
  async findSent(to: string, _body: string, since: Date, requestId?: string): Promise<FoundSend[]> {
    const r = await this.clients.sms.PullSmsSendStatusByPhoneNumber({
      BeginTime: Math.floor(since.getTime() / 1000) - 60,
      Offset: 0,
      Limit: 100,
      PhoneNumber: to,
      SmsSdkAppId: this.s.smsSdkAppId,
    });
    return (r.PullSmsSendStatusSet ?? [])
      .filter((x) => requestId === undefined || x.SessionContext === requestId)
      .map((x) => ({
        providerId: x.SerialNo!,
        status:
          x.ReportStatus === 'SUCCESS' ? 'delivered' : x.ReportStatus === 'FAIL' ? 'failed' : 'submitted',
      }));
  }

  /**
   * The SMS's delivery report, by the status pull for its number since it was sent (Tencent has no
   * lookup by SerialNo), in the form of the report callback; null while Tencent has no report yet.
   */
  async statusOf(send: AcceptedSend): Promise<ChannelStatus | null> {
    let r: Awaited<ReturnType<TencentClients['sms']['PullSmsSendStatusByPhoneNumber']>>;
    try {
      r = await this.clients.sms.PullSmsSendStatusByPhoneNumber({
        BeginTime: Math.floor(send.sentAt.getTime() / 1000) - 60,
        Offset: 0,
        Limit: 100,
        PhoneNumber: send.to,
        SmsSdkAppId: this.s.smsSdkAppId,
      });
    } catch (e) {
      throw toChannelError(e);
    }
    const x = (r.PullSmsSendStatusSet ?? []).find((p) => p.SerialNo === send.providerId);
    if (!x || (x.ReportStatus !== 'SUCCESS' && x.ReportStatus !== 'FAIL')) return null;
    const failed = x.ReportStatus === 'FAIL';
    const lineFault = failed ? lineFaultOfTencentSms(x.Description) : undefined;
    return {
      channel: 'sms',
      providerId: send.providerId,
      status: failed ? 'failed' : 'delivered',
      providerStatus: x.ReportStatus,
      ...(failed ? { reason: `Tencent ${x.Description ?? 'FAIL'}` } : {}),
      ...(lineFault ? { lineFault } : {}),
      providerFields: {
        sid: send.providerId,
        report_status: x.ReportStatus,
        ...(x.Description ? { errmsg: x.Description } : {}),
        StatusSource: 'api-fetch',
      },
    };
  }
}

/** The stored form of a call: which approved template and its parameters. */
interface TencentCallContent {
  templateId: string;
  params: string[];
}

export class TencentVoiceChannel implements VoiceChannel {
  constructor(
    private readonly clients: TencentClients,
    private readonly s: TencentSettings,
  ) {}

  get from(): string {
    return this.s.voiceFrom;
  }

  /** The script goes into the template's one parameter; the template itself asks for the key press. */
  callContent(_requestId: string, v: VoiceScript): string {
    const content: TencentCallContent = {
      templateId: v.confirmable ? this.s.voiceConfirmTemplateId : this.s.voiceNoticeTemplateId,
      params: [v.script],
    };
    return JSON.stringify(content);
  }

  async send(c: VoiceSend): Promise<SendResult> {
    if (!c.content) throw new ChannelError('Tencent voice: the call has no content', true);
    const content = JSON.parse(c.content) as TencentCallContent;
    try {
      const r = (await this.clients.vms.request('SendTtsVoice', {
        TemplateId: content.templateId,
        TemplateParamSet: content.params,
        CalledNumber: c.to,
        VoiceSdkAppid: this.s.voiceSdkAppId,
        PlayTimes: this.s.playTimes,
        SessionContext: c.requestId,
      })) as { SendStatus?: { CallId?: string } };
      const callId = r.SendStatus?.CallId;
      if (!callId) throw new ChannelError('Tencent SendTtsVoice answered no CallId', false, undefined, 500);
      return { providerId: callId, status: 'submitted', raw: r };
    } catch (e) {
      throw e instanceof ChannelError ? e : toChannelError(e);
    }
  }

  /**
   * VMS has no API that lists the calls made to a number: a call whose answer was lost cannot be
   * found again (capabilities: listsSends false). The reconciler treats an empty answer from a
   * provider that cannot list as "unknown", never as "not sent".
   */
  async findSent(): Promise<FoundSend[]> {
    return [];
  }
}
