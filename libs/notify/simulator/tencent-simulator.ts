import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { CalleeLimit, describeLimit, TENCENT } from '../providers/provider-capabilities';
import { CalleeWindows } from './callee-limits';
import {
  checkBehaviours,
  closeServer,
  controlInput,
  listenOn,
  readBody,
  sendJson,
  untilIdle,
} from './sim-http';
import { Tc3Request, verifyTc3 } from './tc3-signature';
import { Behaviour, BehaviourConfig, behaviourFor, BehaviourRule } from './twilio-simulator';

/**
 * The project's Tencent Cloud simulator: the two API 3.0 actions the notifier uses, SMS `SendSms`
 * (2021-01-11, with `PullSmsSendStatusByPhoneNumber` for reconciliation) and VMS `SendTtsVoice`
 * (2020-09-02), with TC3-HMAC-SHA256 signatures checked, Tencent's response and error shapes (HTTP
 * 200 with `Response.Error`), the default per-callee limits, and the callbacks Tencent POSTs to the
 * URLs configured in its console: SMS status reports, SMS replies, and the voice callbacks
 * (voiceprompt_callback, voicekey_callback, voice_failure_callback). A scripted behaviour per number,
 * as in the Twilio simulator, decides what happens to each send.
 */
export interface TencentTemplate {
  id: string;
  /** The approved text with {1}, {2} … placeholders. */
  text: string;
}

/** Where Tencent POSTs what happens (the console's callback settings). */
export interface TencentCallbackUrls {
  smsStatus?: string;
  smsReply?: string;
  voice?: string;
}

export interface TencentFaults {
  /** Fraction (0–1) of API requests answered with InternalError: nothing sent. */
  internalErrorRate?: number;
  /** Every API request's connection closed without an answer (the provider is down). */
  down?: boolean;
  /** Every callback POSTed this many times. */
  callbackRepeat?: number;
  /**
   * Every API request held this long before it is taken (past the client's timeout, the request is
   * still carried out: the SMS or call is made, its answer goes to a client that gave up).
   */
  holdMs?: number;
}

export interface TencentSimulatorOptions {
  port?: number;
  host?: string;
  secretId: string;
  secretKey: string;
  smsSdkAppId: string;
  signName: string;
  voiceSdkAppId: string;
  smsTemplates: TencentTemplate[];
  voiceTemplates: TencentTemplate[];
  callbacks?: TencentCallbackUrls;
  /** Pause between the steps of a message or call. */
  latencyMs?: number;
  behaviours?: BehaviourConfig;
  faults?: TencentFaults;
  /** The clock the per-callee limits count on (tests move it instead of waiting 30 s). */
  now?: () => number;
  /** Per-callee limits (defaults: the providers' own, from TENCENT's capabilities). */
  voicePerCallee?: CalleeLimit[];
  smsPerCallee?: CalleeLimit[];
  smsSameContentWindowSec?: number;
  /** API requests per second before RequestLimitExceeded (defaults: 3,000 SMS, 20 VMS). */
  smsRequestsPerSecond?: number;
  voiceRequestsPerSecond?: number;
  /** Seconds a listened-to-the-end call lasts. */
  callDurationSec?: number;
}

export type TencentRecordKind = 'sms' | 'call' | 'reply';

export interface TencentRecord {
  kind: TencentRecordKind;
  /** SerialNo of an SMS, CallId of a call. */
  id: string;
  /** E.164. */
  to: string;
  templateId?: string;
  params?: string[];
  text: string;
  sessionContext?: string;
  status: string;
  behaviour?: Behaviour;
  keypress?: string;
  callbacks: { type: string; httpStatus: number }[];
  createdAt: string;
}

export interface TencentApiLog {
  action: string;
  code: string;
  at: string;
}

export interface TencentSimulator {
  url: string;
  /** Accepted outbound messages and calls. */
  sent(): TencentRecord[];
  records(): TencentRecord[];
  requests(): TencentApiLog[];
  setBehaviours(cfg: BehaviourConfig): void;
  setFaults(f: TencentFaults): void;
  setCallbacks(urls: TencentCallbackUrls): void;
  /** A person replies by SMS (to the SMS app's number). */
  reply(fromE164: string, text: string): Promise<TencentRecord>;
  idle(): Promise<void>;
  reset(): void;
  stop(): Promise<void>;
}

export const SMS_VERSION = '2021-01-11';
export const VMS_VERSION = '2020-09-02';
/** Longest text of one voice message (template and parameters together). */
const VOICE_TEXT_MAX = 350;

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** "+8613800001234" → { nationcode: "86", mobile: "13800001234" } (mainland numbers only). */
function splitNumber(e164: string): { nationcode: string; mobile: string } | null {
  const m = /^\+86(1\d{10})$/.exec(e164);
  return m ? { nationcode: '86', mobile: m[1] } : null;
}

const unixSeconds = (ms: number) => Math.floor(ms / 1000);
/** Tencent writes local times as "YYYY-MM-DD hh:mm:ss" in Beijing time. */
const beijing = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);

function fill(t: TencentTemplate, params: string[]): string {
  return t.text.replace(/\{(\d+)\}/g, (_, n: string) => params[Number(n) - 1] ?? '');
}

const placeholders = (t: TencentTemplate) => new Set(t.text.match(/\{\d+\}/g) ?? []).size;

/** The approved template a request names, with parameters that fit it. */
function approved(templates: TencentTemplate[], p: Record<string, unknown>) {
  const template = templates.find((t) => t.id === p.TemplateId);
  const params = Array.isArray(p.TemplateParamSet) ? p.TemplateParamSet.map(String) : [];
  if (!template || placeholders(template) !== params.length)
    throw new ApiError(
      'FailedOperation.TemplateIncorrectOrUnapproved',
      `template ${String(p.TemplateId)} not approved or its parameters do not match`,
    );
  return { template, params };
}

export async function startTencentSimulator(opts: TencentSimulatorOptions): Promise<TencentSimulator> {
  const latency = opts.latencyMs ?? 0;
  const now = opts.now ?? Date.now;
  let behaviours: BehaviourConfig = opts.behaviours ?? {};
  let faults: TencentFaults = opts.faults ?? {};
  let callbackUrls: TencentCallbackUrls = opts.callbacks ?? {};
  let stopped = false;
  const records: TencentRecord[] = [];
  const log: TencentApiLog[] = [];
  const pending = new Set<Promise<unknown>>();
  const voiceWindows = new CalleeWindows(opts.voicePerCallee ?? TENCENT.voice!.perCallee);
  const smsWindows = new CalleeWindows(opts.smsPerCallee ?? TENCENT.sms!.perCallee);
  const sameContent = new CalleeWindows([
    { windowSec: opts.smsSameContentWindowSec ?? TENCENT.sms!.sameContentWindowSec!, max: 1 },
  ]);
  // The account's request rate per product, counted like a per-callee limit on one key.
  const perSecond = {
    sms: new CalleeWindows([
      { windowSec: 1, max: opts.smsRequestsPerSecond ?? TENCENT.sms!.requestsPerSecond },
    ]),
    voice: new CalleeWindows([
      { windowSec: 1, max: opts.voiceRequestsPerSecond ?? TENCENT.voice!.requestsPerSecond },
    ]),
  };

  const pause = (ms = latency) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  async function post(rec: TencentRecord, type: string, url: string | undefined, body: unknown) {
    if (!url || stopped) return;
    for (let i = 0; i < Math.max(1, faults.callbackRepeat ?? 1) && !stopped; i++) {
      const status = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
        .then(async (r) => (await r.arrayBuffer(), r.status))
        .catch(() => 0);
      rec.callbacks.push({ type, httpStatus: status });
    }
  }

  // ---- SMS -------------------------------------------------------------------------------------

  function sendSms(p: Record<string, unknown>) {
    if (p.SmsSdkAppId !== opts.smsSdkAppId)
      throw new ApiError(
        'InvalidParameterValue.SdkAppIdNotExist',
        `SmsSdkAppId ${String(p.SmsSdkAppId)} does not exist`,
      );
    if (p.SignName !== opts.signName)
      throw new ApiError(
        'FailedOperation.SignatureIncorrectOrUnapproved',
        'signature not approved or malformed',
      );
    const { template, params } = approved(opts.smsTemplates, p);
    const numbers = Array.isArray(p.PhoneNumberSet) ? p.PhoneNumberSet.map(String) : [];
    if (numbers.length === 0) throw new ApiError('MissingParameter', 'PhoneNumberSet is required');
    if (numbers.length > TENCENT.sms!.batchSize)
      throw new ApiError(
        'LimitExceeded.PhoneNumberCountLimit',
        `at most ${TENCENT.sms!.batchSize} numbers per request`,
      );
    const text = fill(template, params);
    const sessionContext = typeof p.SessionContext === 'string' ? p.SessionContext : '';
    const at = now();
    return {
      SendStatusSet: numbers.map((to) => {
        const status = (Code: string, Message: string, SerialNo = '') => ({
          SerialNo,
          PhoneNumber: to,
          Fee: Code === 'Ok' ? 1 : 0,
          SessionContext: sessionContext,
          Code,
          Message,
          IsoCode: 'CN',
        });
        const rule = behaviourFor(behaviours, to);
        if (!splitNumber(to) || rule.behaviour === 'invalid-number')
          return status('InvalidParameterValue.IncorrectPhoneNumber', 'incorrect phone number');
        // The same text to one number within the window, then the daily cap.
        if (!sameContent.admit(`${to}\n${text}`, at).ok)
          return status(
            'LimitExceeded.PhoneNumberThirtySecondLimit',
            'the same content to this number within 30 s',
          );
        const capped = smsWindows.admit(to, at);
        if (!capped.ok)
          return status(
            'LimitExceeded.PhoneNumberDailyLimit',
            `this number's limit of ${describeLimit(capped.limit)} reached`,
          );
        const rec: TencentRecord = {
          kind: 'sms',
          id: `2640:${randomBytes(12).toString('hex')}`,
          to,
          templateId: template.id,
          params,
          text,
          sessionContext,
          status: 'submitted',
          behaviour: rule.behaviour,
          callbacks: [],
          createdAt: new Date(at).toISOString(),
        };
        records.push(rec);
        track(playSms(rec, rule));
        return status('Ok', 'send success', rec.id);
      }),
    };
  }

  async function playSms(rec: TencentRecord, rule: BehaviourRule) {
    await pause();
    const { nationcode, mobile } = splitNumber(rec.to)!;
    const failed = rule.behaviour === 'fail' || rule.behaviour === 'undelivered';
    rec.status = failed ? 'FAIL' : 'SUCCESS';
    await post(rec, 'sms-status', callbackUrls.smsStatus, [
      {
        user_receive_time: beijing(now()),
        nationcode,
        mobile,
        report_status: rec.status,
        errmsg: failed ? 'MK:0012' : 'DELIVRD',
        description: failed ? '手机号码不存在或停机' : '用户短信送达成功',
        sid: rec.id,
      },
    ]);
    if (!failed && rule.behaviour === 'reply-after') {
      await pause(rule.afterMs ?? latency);
      if (!stopped) await reply(rec.to, rule.reply ?? '收到');
    }
  }

  async function reply(fromE164: string, text: string): Promise<TencentRecord> {
    const n = splitNumber(fromE164);
    if (!n) throw new Error(`${fromE164}: not a mainland mobile number`);
    const rec: TencentRecord = {
      kind: 'reply',
      id: randomUUID(),
      to: fromE164,
      text,
      status: 'received',
      callbacks: [],
      createdAt: new Date(now()).toISOString(),
    };
    records.push(rec);
    await post(rec, 'sms-reply', callbackUrls.smsReply, {
      extend: '',
      mobile: n.mobile,
      nationcode: n.nationcode,
      sign: opts.signName,
      text,
      time: unixSeconds(now()),
    });
    return rec;
  }

  function pullSmsStatus(p: Record<string, unknown>) {
    if (p.SmsSdkAppId !== opts.smsSdkAppId)
      throw new ApiError(
        'InvalidParameterValue.SdkAppIdNotExist',
        `SmsSdkAppId ${String(p.SmsSdkAppId)} does not exist`,
      );
    const from = Number(p.BeginTime) * 1000;
    const to = p.EndTime === undefined ? Infinity : Number(p.EndTime) * 1000;
    const limit = Math.min(100, Number(p.Limit ?? 100));
    return {
      PullSmsSendStatusSet: records
        .filter((r) => r.kind === 'sms' && r.to === p.PhoneNumber)
        .filter((r) => Date.parse(r.createdAt) >= from && Date.parse(r.createdAt) <= to)
        .slice(0, limit)
        .map((r) => {
          const n = splitNumber(r.to)!;
          const reported = r.status !== 'submitted';
          return {
            UserReceiveTime: reported ? unixSeconds(Date.parse(r.createdAt)) : null,
            CountryCode: n.nationcode,
            SubscriberNumber: n.mobile,
            PhoneNumber: r.to,
            SerialNo: r.id,
            ReportStatus: reported ? r.status : null,
            Description: reported ? (r.status === 'SUCCESS' ? 'DELIVRD' : 'MK:0012') : null,
            SessionContext: r.sessionContext ?? '',
          };
        }),
    };
  }

  // ---- Voice -----------------------------------------------------------------------------------

  function sendTtsVoice(p: Record<string, unknown>) {
    if (p.VoiceSdkAppid !== opts.voiceSdkAppId)
      throw new ApiError(
        'FailedOperation.SdkAppIdNotExist',
        `VoiceSdkAppid ${String(p.VoiceSdkAppid)} does not exist`,
      );
    const { template, params } = approved(opts.voiceTemplates, p);
    const text = fill(template, params);
    if (text.length > VOICE_TEXT_MAX)
      throw new ApiError(
        'InvalidParameterValue.TemplateParameterLengthLimit',
        `voice text over ${VOICE_TEXT_MAX} characters`,
      );
    const playTimes = p.PlayTimes === undefined ? 2 : Number(p.PlayTimes);
    if (![1, 2, 3].includes(playTimes))
      throw new ApiError('InvalidParameterValue', 'PlayTimes must be 1, 2 or 3');
    const to = String(p.CalledNumber ?? '');
    const rule = behaviourFor(behaviours, to);
    if (!splitNumber(to) || rule.behaviour === 'invalid-number')
      throw new ApiError(
        'InvalidParameterValue.IncorrectPhoneNumber',
        `CalledNumber ${to} is not a valid number`,
      );
    const admitted = voiceWindows.admit(to, now());
    if (!admitted.ok)
      throw new ApiError(
        'LimitExceeded.DeliveryFrequencyLimit',
        `calls to ${to} over the per-callee limit of ${describeLimit(admitted.limit)}`,
      );
    const rec: TencentRecord = {
      kind: 'call',
      id: randomUUID(),
      to,
      templateId: template.id,
      params,
      text,
      sessionContext: typeof p.SessionContext === 'string' ? p.SessionContext : '',
      status: 'calling',
      behaviour: rule.behaviour,
      callbacks: [],
      createdAt: new Date(now()).toISOString(),
    };
    records.push(rec);
    track(playCall(rec, rule));
    return { SendStatus: { CallId: rec.id, SessionContext: rec.sessionContext } };
  }

  /** What VMS reports for a call that did not connect (its voice_failure_callback codes). */
  const FAILURE: Partial<Record<Behaviour, [number, string]>> = {
    fail: [11, '其他原因'],
    undelivered: [7, '停机'],
    busy: [10, '用户正忙'],
  };

  async function playCall(rec: TencentRecord, rule: BehaviourRule) {
    await pause();
    const { nationcode, mobile } = splitNumber(rec.to)!;
    const common = { callid: rec.id, mobile, nationcode, call_from: '' };
    const b = rule.behaviour;
    const failure = FAILURE[b];
    if (failure) {
      rec.status = 'failed';
      return post(rec, 'voice-failure', callbackUrls.voice, {
        voice_failure_callback: {
          ...common,
          failure_code: failure[0],
          failure_reason: failure[1],
          time: String(unixSeconds(now())),
        },
      });
    }
    const start = unixSeconds(now());
    if (b === 'no-answer' || b === 'never-answer') {
      await pause(b === 'never-answer' ? latency * 3 : latency);
      rec.status = 'no-answer';
      return post(rec, 'voice-status', callbackUrls.voice, {
        voiceprompt_callback: {
          ...common,
          result: '1',
          accept_time: '0',
          end_calltime: String(unixSeconds(now())),
          fee: '0',
          start_calltime: String(start),
        },
      });
    }
    await pause();
    if (b === 'answer-and-press-1') {
      rec.keypress = '1';
      await post(rec, 'voice-key', callbackUrls.voice, { voicekey_callback: { ...common, keypress: '1' } });
    }
    await pause();
    const duration = b === 'answer-hang-up-early' ? 5 : (opts.callDurationSec ?? 30);
    rec.status = 'answered';
    await post(rec, 'voice-status', callbackUrls.voice, {
      voiceprompt_callback: {
        ...common,
        result: '0',
        accept_time: String(start + 2),
        end_calltime: String(start + 2 + duration),
        fee: '1',
        start_calltime: String(start),
      },
    });
    if (b === 'reply-after') {
      await pause(rule.afterMs ?? latency);
      if (!stopped) await reply(rec.to, rule.reply ?? '收到');
    }
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  const ACTIONS: Record<
    string,
    { version: string; product: 'sms' | 'voice'; run: (p: Record<string, unknown>) => unknown }
  > = {
    SendSms: { version: SMS_VERSION, product: 'sms', run: sendSms },
    PullSmsSendStatusByPhoneNumber: { version: SMS_VERSION, product: 'sms', run: pullSmsStatus },
    SendTtsVoice: { version: VMS_VERSION, product: 'voice', run: sendTtsVoice },
  };

  function answer(res: ServerResponse, requestId: string, body: Record<string, unknown>) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ Response: { ...body, RequestId: requestId } }));
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL) {
    const requestId = randomUUID();
    const body = await readBody(req);
    const action = String(req.headers['x-tc-action'] ?? '');
    const entry: TencentApiLog = { action, code: 'Ok', at: new Date().toISOString() };
    log.push(entry);
    const fail = (code: string, message: string) => {
      entry.code = code;
      answer(res, requestId, { Error: { Code: code, Message: message } });
    };
    if (faults.down) return void req.socket.destroy();
    if (faults.holdMs) await new Promise((r) => setTimeout(r, faults.holdMs));
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
    );
    const signed: Tc3Request = {
      method: req.method ?? 'POST',
      path: url.pathname,
      query: url.search.slice(1),
      headers,
      body,
    };
    const auth = verifyTc3(
      signed,
      (id) => (id === opts.secretId ? opts.secretKey : undefined),
      unixSeconds(Date.now()),
    );
    if (!auth.ok) return fail(auth.code, auth.message);
    const handler = ACTIONS[action];
    if (!handler) return fail('InvalidAction', `action ${action} does not exist`);
    if (req.headers['x-tc-version'] !== handler.version)
      return fail(
        'NoSuchVersion',
        `version ${String(req.headers['x-tc-version'])} of ${action} does not exist`,
      );
    if (!perSecond[handler.product].admit(handler.product, Date.now()).ok)
      return fail('RequestLimitExceeded', 'request rate over the limit');
    if (faults.internalErrorRate && Math.random() < faults.internalErrorRate)
      return fail('InternalError', 'internal error');
    let params: Record<string, unknown>;
    try {
      params = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return fail('FailedOperation.JsonParseFail', 'request body is not JSON');
    }
    try {
      answer(res, requestId, handler.run(params) as Record<string, unknown>);
    } catch (e) {
      if (e instanceof ApiError) return fail(e.code, e.message);
      throw e;
    }
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL) {
    const json = (status: number, v: unknown) => sendJson(res, status, v);
    const input = await controlInput(req);
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /sim/records':
        return json(200, { records, requests: log });
      case 'POST /sim/behaviours':
        sim.setBehaviours(input as BehaviourConfig);
        return json(200, behaviours);
      case 'POST /sim/faults':
        sim.setFaults(input as TencentFaults);
        return json(200, faults);
      case 'POST /sim/callbacks':
        sim.setCallbacks(input as TencentCallbackUrls);
        return json(200, callbackUrls);
      case 'POST /sim/reply':
        return json(200, await sim.reply(String(input.from), String(input.text)));
      case 'POST /sim/reset':
        sim.reset();
        return json(200, {});
      default:
        return json(404, { error: 'unknown control endpoint' });
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const work = url.pathname.startsWith('/sim/')
      ? control(req, res, url)
      : req.method === 'POST'
        ? api(req, res, url)
        : Promise.resolve(
            answer(res, randomUUID(), { Error: { Code: 'InvalidAction', Message: 'POST only' } }),
          );
    work.catch((e: Error) => {
      if (!res.headersSent)
        answer(res, randomUUID(), { Error: { Code: 'InternalError', Message: e.message } });
    });
  });
  const url = await listenOn(server, opts.port, opts.host);

  const sim: TencentSimulator = {
    url,
    sent: () => records.filter((r) => r.kind === 'sms' || r.kind === 'call'),
    records: () => records,
    requests: () => log,
    setBehaviours: (cfg) => (behaviours = checkBehaviours(cfg)),
    setFaults: (f) => (faults = { ...f }),
    setCallbacks: (u) => (callbackUrls = { ...callbackUrls, ...u }),
    reply,
    idle: () => untilIdle(pending),
    reset: () => {
      records.length = 0;
      log.length = 0;
      faults = {};
      voiceWindows.clear();
      smsWindows.clear();
      sameContent.clear();
    },
    stop: async () => {
      stopped = true;
      await closeServer(server, pending);
    },
  };
  return sim;
}
