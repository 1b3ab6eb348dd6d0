import twilio, { Twilio } from 'twilio';
import type { Lang } from '../../templates/message-templates';
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
import { lineFaultOfTwilioError } from './twilio-line-faults';
import { callTwiml, SayVoice } from './twiml';
import { RebasedRequestClient } from './twilio-request-client';
import { CALL_STATUS, mapCallStatus, mapSmsStatus, SMS_STATUS } from './twilio-status';

export interface TwilioClientSettings {
  accountSid: string;
  authToken: string;
  /** Twilio's API, or the simulator's. */
  apiBaseUrl?: string;
  /** A request with no answer this long is given up (NOTIFY_API_TIMEOUT_MS; default 15 s). */
  timeoutMs?: number;
}

export function createTwilioClient(s: TwilioClientSettings): Twilio {
  return twilio(s.accountSid, s.authToken, {
    httpClient: new RebasedRequestClient(s.apiBaseUrl ?? 'https://api.twilio.com', {
      keepAlive: true,
      ...(s.timeoutMs ? { timeout: s.timeoutMs } : {}),
    }),
  });
}

/** Twilio errors that no retry can fix: bad or unreachable numbers, permissions, blocked destinations. */
const PERMANENT_CODES = new Set([
  21211, 21214, 21217, 21219, 21401, 21408, 21610, 21612, 21614, 21215, 13223, 13224,
]);

/** Turns whatever the SDK threw into a ChannelError that says whether to retry. */
export function toChannelError(e: unknown): ChannelError {
  const err = e as { status?: number; code?: number | string; message?: string; moreInfo?: string };
  const status = typeof err.status === 'number' ? err.status : undefined;
  const code = typeof err.code === 'number' ? err.code : undefined;
  const message = `${code ? `Twilio error ${code}: ` : ''}${err.message ?? String(e)}`;
  if (status === undefined) {
    // axios gives up a request at its timeout with ECONNABORTED ("timeout of … ms exceeded").
    const timedOut =
      err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' || /timeout/i.test(err.message ?? '');
    return new ChannelError(`network: ${message}`, false, code, undefined, undefined, timedOut);
  }
  const permanent =
    (code !== undefined && PERMANENT_CODES.has(code)) || (status >= 400 && status < 500 && status !== 429);
  return new ChannelError(message, permanent, code, status, lineFaultOfTwilioError(code));
}

/** Twilio's limit for TwiML passed inline with a call (longer TwiML is fetched from `url`). */
export const INLINE_TWIML_MAX = 4000;

/**
 * The status callbacks asked for on a call: completed only (Twilio's default). Its callback carries
 * everything the tracker acts on (the outcome, CallDuration, AnsweredBy); initiated, ringing and
 * answered would each be one more signed webhook per call, and one more status event through Kafka,
 * that changes nothing but a progress mark. A call's failure (busy, no-answer, failed, canceled) is
 * posted whatever is asked for.
 */
export const CALL_STATUS_EVENTS = ['completed'];

const since = (d: Date) => new Date(d.getTime() - 60_000);

/** Records per page of a list the reconciler reads (Twilio's largest page). */
const LIST_PAGE = 1000;
/**
 * Newest messages to a number read for the unsent ones (queued, no date sent yet): every send in
 * flight (NOTIFY_CONCURRENCY: 20 by default, 200 in the benchmark) may be to one number and queued.
 */
const RECENT_UNSENT = 500;

/** The project's /twilio/... webhook URLs Twilio is told to call, each carrying the attempt's rid. */
export class TwilioCallbackUrls {
  private readonly base: string;

  constructor(publicBaseUrl: string) {
    this.base = publicBaseUrl.replace(/\/+$/, '');
  }

  private url(path: string, rid: string): string {
    return `${this.base}/twilio/${path}?rid=${encodeURIComponent(rid)}`;
  }

  smsStatus = (rid: string) => this.url('sms/status', rid);
  voiceStatus = (rid: string) => this.url('voice/status', rid);
  voiceTwiml = (rid: string) => this.url('voice/twiml', rid);
  voiceGather = (rid: string) => this.url('voice/gather', rid);
}

export class TwilioSmsChannel implements SmsChannel {
  constructor(
    private readonly client: Twilio,
    readonly from: string,
    /** Absent for the operators' test send, which asks for no callbacks. */
    private readonly callbacks?: TwilioCallbackUrls,
  ) {}

  async send(m: SmsSend): Promise<SendResult> {
    try {
      const r = await this.client.messages.create({
        to: m.to,
        from: this.from,
        body: m.body,
        ...(this.callbacks ? { statusCallback: this.callbacks.smsStatus(m.requestId) } : {}),
      });
      return { providerId: r.sid, status: SMS_STATUS[r.status] ?? 'submitted', raw: r.toJSON() };
    } catch (e) {
      throw toChannelError(e);
    }
  }

  /**
   * Twilio's Messages list filtered by To and date sent, every page of it: a superior escalated to
   * for a whole county gets hundreds of messages in the window, and the one looked for may be any of
   * them (the first 50 only, newest first, once missed sends and so sent them twice). A message still
   * queued has no date sent yet, so the newest to that number are read too and the unsent ones kept.
   */
  async findSent(to: string, body: string, after: Date): Promise<FoundSend[]> {
    const from = since(after);
    const [sent, recent] = await Promise.all([
      this.client.messages.list({ to, from: this.from, dateSentAfter: from, pageSize: LIST_PAGE }),
      this.client.messages.list({ to, from: this.from, limit: RECENT_UNSENT }),
    ]);
    const unsent = recent.filter((m) => !m.dateSent);
    return oldestFirst(
      [...sent, ...unsent].filter((m) => m.body === body && m.dateCreated.getTime() >= from.getTime()),
    ).map((m) => ({ providerId: m.sid, status: SMS_STATUS[m.status] ?? 'submitted' }));
  }

  /** The message's status now (Messages/{sid} fetch), in the form its status webhook would have had. */
  async statusOf({ providerId }: AcceptedSend): Promise<ChannelStatus | null> {
    try {
      const m = await this.client.messages(providerId).fetch();
      return mapSmsStatus({
        MessageSid: m.sid,
        MessageStatus: m.status,
        ...(m.errorCode ? { ErrorCode: String(m.errorCode) } : {}),
        ...(m.errorMessage ? { ErrorMessage: m.errorMessage } : {}),
        ...FETCHED,
      });
    } catch (e) {
      if (notFound(e)) return null;
      throw toChannelError(e);
    }
  }
}

export class TwilioVoiceChannel implements VoiceChannel {
  constructor(
    private readonly client: Twilio,
    readonly from: string,
    private readonly callbacks: TwilioCallbackUrls,
    private readonly voices: Record<Lang, SayVoice>,
    /** NOTIFY_HEARD_SECONDS: a completed call this long was heard (as the status webhook says). */
    private readonly heardSeconds: number,
  ) {}

  /** The call's TwiML: its key press goes to /twilio/voice/gather with the attempt's rid. */
  callContent(requestId: string, script: VoiceScript): string {
    return callTwiml(this.voices[script.lang], script, this.callbacks.voiceGather(requestId));
  }

  async send(c: VoiceSend): Promise<SendResult> {
    try {
      const r = await this.client.calls.create({
        to: c.to,
        from: this.from,
        // Answering-machine detection: a voicemail pick-up comes back as AnsweredBy=machine_*, and a
        // call a machine took is never counted as heard (redialled instead; the SMS still stands).
        machineDetection: 'Enable',
        ...(c.content && c.content.length <= INLINE_TWIML_MAX
          ? { twiml: c.content }
          : { url: this.callbacks.voiceTwiml(c.requestId), method: 'POST' }),
        statusCallback: this.callbacks.voiceStatus(c.requestId),
        statusCallbackMethod: 'POST',
        statusCallbackEvent: CALL_STATUS_EVENTS,
      });
      return { providerId: r.sid, status: CALL_STATUS[r.status] ?? 'submitted', raw: r.toJSON() };
    } catch (e) {
      throw toChannelError(e);
    }
  }

  /** Twilio's Calls list filtered by To and start time, plus the calls to that number not started yet: every page of both. */
  async findSent(to: string, after: Date): Promise<FoundSend[]> {
    const from = since(after);
    const [started, queued] = await Promise.all([
      this.client.calls.list({ to, from: this.from, startTimeAfter: from, pageSize: LIST_PAGE }),
      this.client.calls.list({ to, from: this.from, status: 'queued', pageSize: LIST_PAGE }),
    ]);
    return oldestFirst([...started, ...queued].filter((c) => c.dateCreated.getTime() >= from.getTime())).map(
      (c) => ({ providerId: c.sid, status: CALL_STATUS[c.status] ?? 'submitted' }),
    );
  }

  /** The call's status now (Calls/{sid} fetch), in the form its status webhook would have had. */
  async statusOf({ providerId }: AcceptedSend): Promise<ChannelStatus | null> {
    try {
      const c = await this.client.calls(providerId).fetch();
      return mapCallStatus(
        {
          CallSid: c.sid,
          CallStatus: c.status,
          ...(c.duration ? { CallDuration: c.duration } : {}),
          ...(c.answeredBy ? { AnsweredBy: c.answeredBy } : {}),
          ...FETCHED,
        },
        this.heardSeconds,
      );
    } catch (e) {
      if (notFound(e)) return null;
      throw toChannelError(e);
    }
  }
}

/** Fields that mark a status read back from the API rather than received as a webhook. */
const FETCHED = { StatusSource: 'api-fetch' };

/** Twilio's 20404: no such resource (a sid of another account, or one Twilio no longer keeps). */
const notFound = (e: unknown) => (e as { status?: number }).status === 404;

/** One entry per sid, the oldest created first. */
function oldestFirst<T extends { sid: string; dateCreated: Date }>(xs: T[]): T[] {
  return [...new Map(xs.map((x) => [x.sid, x])).values()].sort(
    (a, b) => a.dateCreated.getTime() - b.dateCreated.getTime(),
  );
}
