import { randomBytes } from 'node:crypto';
import { Agent, createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import {
  checkBehaviours,
  closeServer,
  controlInput,
  listenOn,
  readBody,
  sendJson,
  untilIdle,
} from './sim-http';

/**
 * The project's Twilio simulator: the parts of Twilio's REST API the notifier uses (Messages and
 * Calls, create and list) with Twilio's response shapes and error format, Basic auth, signed status
 * callbacks with configurable timing, TwiML fetched like Twilio does, and a scripted behaviour per
 * destination number. Tests and the demo drive it in-process or over /sim/* endpoints.
 */
export const BEHAVIOURS = [
  'deliver',
  'fail',
  'undelivered',
  'busy',
  'no-answer',
  'never-answer',
  'answer-and-press-1',
  'answer-hang-up-early',
  'reply-after',
  'invalid-number',
  // A voicemail takes the call: the message plays to the end, nobody presses a key. With
  // MachineDetection asked for, the callbacks say AnsweredBy=machine_*; without it the call looks heard.
  'answering-machine',
  // The network's answer about the number (SIP code of the call, error code of the SMS).
  'unallocated',
  'suspended',
  'powered-off',
  // The carrier never returns a delivery receipt: the SMS stays 'sent' (many networks do this).
  'no-receipt',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export interface BehaviourRule {
  /** Exact E.164 number… */
  number?: string;
  /** …or any number ending with these digits. */
  suffix?: string;
  behaviour: Behaviour;
  /** reply-after: the text replied and how long after delivery (default "收到" after 0 ms). */
  reply?: string;
  afterMs?: number;
}

export interface BehaviourConfig {
  rules?: BehaviourRule[];
  default?: Behaviour;
}

/** How a number that does not take calls ends them: the SIP code of the call, the error of an SMS. */
const LINE_FAULTS: Partial<Record<Behaviour, { sip: string; smsError: string }>> = {
  unallocated: { sip: '404', smsError: '30005' },
  suspended: { sip: '403', smsError: '30003' },
  'powered-off': { sip: '480', smsError: '30003' },
};

/** Twilio's AnsweredBy for a machine, by the MachineDetection mode asked for. */
const machineAnswer = (mode: string) => (mode === 'DetectMessageEnd' ? 'machine_end_beep' : 'machine_start');

/**
 * The provider misbehaving (fault tests), settable at start (SIM_FAULTS) and at runtime (POST
 * /sim/faults). Rates are fractions (0–1) of create requests or of status callbacks.
 */
export interface SimFaults {
  /** Create requests answered HTTP 500 (Twilio 20500): nothing created. */
  serverErrorRate?: number;
  /** Create requests answered HTTP 429 (Twilio 20429): nothing created. */
  tooManyRate?: number;
  /**
   * Create requests held without an answer for `timeoutMs` (past the client's timeout), then the
   * connection closed. Half of them are created when they arrive (the answer is what is lost), half
   * never are.
   */
  timeoutRate?: number;
  timeoutMs?: number;
  /** Accepted but the answer lost: the message or call is created, then the connection is reset. */
  answerLostRate?: number;
  /**
   * Create requests taken only `lateCreateMs` after they arrive (queued at a busy provider, past the
   * client's timeout), then created and answered: until then the Messages and Calls lists do not
   * show them, so a client that asks as soon as it gave up finds nothing.
   */
  lateCreateRate?: number;
  lateCreateMs?: number;
  /** Every status callback POSTed this many times (2: each delivered twice). */
  callbackRepeat?: number;
  /** A message's or call's status callbacks held until it finished, then POSTed newest first. */
  callbacksReversed?: boolean;
  /** Status callbacks held back `lateMs` before they are POSTed (minutes late). */
  lateRate?: number;
  lateMs?: number;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  accountSid: string;
  authToken: string;
  /** Pause between the steps of a message or call (0 = as fast as possible). */
  latencyMs?: number;
  /** How long each create request (POST Messages/Calls) is held before it is answered: the API's round trip. */
  apiLatencyMs?: number;
  /** Fraction (0–1) of create requests answered with HTTP 500 (fault tests). */
  failureRate?: number;
  /** Create requests per second per account before Twilio's 20429 (default unlimited). */
  ratePerSecond?: number;
  behaviours?: BehaviourConfig;
  faults?: SimFaults;
  /** Where inbound SMS (replies) are POSTed: the project's /twilio/sms/inbound. Settable later. */
  inboundSmsUrl?: string;
  /** The number replies are addressed to when not given (the project's SMS sender). */
  defaultInboundTo?: string;
  /** Simulated duration of a call listened to the end, and of an early hang-up (seconds). */
  callDurationSec?: number;
  shortCallSec?: number;
}

export interface SimRecord {
  kind: 'sms' | 'call' | 'reply' | 'inbound';
  sid: string;
  to: string;
  from: string;
  body?: string;
  url?: string;
  statusCallback?: string;
  status: string;
  behaviour?: Behaviour;
  digits?: string;
  twiml?: string;
  /** The call's MachineDetection parameter (Enable, DetectMessageEnd), when asked for. */
  machineDetection?: string;
  /** Who the simulator says answered (AnsweredBy), when the call was placed with MachineDetection. */
  answeredBy?: string;
  /** Each callback posted for it: the project's answer (0: no answer, `error` says why). */
  callbacks: { status: string; httpStatus: number; error?: string }[];
  createdAt: string;
  /** When the message left the queue / the call was initiated (Twilio's date_sent / start_time). */
  sentAt?: string;
  /** The create request's answer was lost on purpose (a SimFaults mode). */
  answerLost?: boolean;
  /** What the last status callback said beyond the status (Twilio's resource shows it too). */
  durationSec?: number;
  errorCode?: string;
}

export interface SimCounts {
  apiRequests: number;
  /** Signed POSTs to the project, by kind: status callbacks, inbound SMS, TwiML fetches, key presses (gather). */
  posted: Record<string, number>;
}

export interface ApiRequestLog {
  method: string;
  path: string;
  httpStatus: number;
  code?: number;
  at: string;
  /** The SimFaults mode that answered this request, if any. */
  fault?: 'server-error' | 'too-many' | 'timeout' | 'timeout-created' | 'answer-lost' | 'late-created';
}

export interface TwilioSimulator {
  url: string;
  /** Accepted outbound messages and calls (what Twilio would charge for). */
  sent(): SimRecord[];
  records(): SimRecord[];
  requests(): ApiRequestLog[];
  setBehaviours(cfg: BehaviourConfig): void;
  /** Replaces the provider's misbehaviour (an empty object: behave). */
  setFaults(f: SimFaults): void;
  setInboundSmsUrl(url: string): void;
  /** The next `count` create requests are answered 429 (a storm). */
  storm(count: number): void;
  /** A person sends an SMS to the project. */
  reply(from: string, body: string, to?: string): Promise<SimRecord>;
  /** Resolves when no callback is pending. */
  idle(): Promise<void>;
  /**
   * HTTP exchanges so far: API requests received (every answer, errors included) and signed POSTs
   * made to the project (status callbacks, inbound SMS, TwiML fetches), by kind. Also GET /sim/counts.
   */
  counts(): SimCounts;
  reset(): void;
  stop(): Promise<void>;
}

/** The rule for a destination: an exact number first, then a suffix, else the default. */
export function behaviourFor(behaviours: BehaviourConfig, to: string): BehaviourRule {
  const r =
    behaviours.rules?.find((x) => x.number === to) ??
    behaviours.rules?.find((x) => x.suffix !== undefined && to.endsWith(x.suffix));
  return r ?? { behaviour: behaviours.default ?? 'deliver' };
}

const API = '2010-04-01';
const rfc2822 = (d = new Date()) => d.toUTCString().replace('GMT', '+0000');
const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');
const E164 = /^\+[1-9]\d{5,14}$/;

function twilioError(res: ServerResponse, httpStatus: number, code: number, message: string) {
  res.writeHead(httpStatus, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status: httpStatus,
    }),
  );
}

const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export async function startTwilioSimulator(opts: SimulatorOptions): Promise<TwilioSimulator> {
  const latency = opts.latencyMs ?? 0;
  let behaviours: BehaviourConfig = opts.behaviours ?? {};
  let faults: SimFaults = opts.faults ?? {};
  let inboundUrl = opts.inboundSmsUrl;
  let stormLeft = 0;
  let stopped = false;
  const records: SimRecord[] = [];
  const log: ApiRequestLog[] = [];
  const recent: number[] = [];
  const pending = new Set<Promise<unknown>>();
  const posted: Record<string, number> = {};
  const httpAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

  const pause = (ms = latency) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const ruleFor = (to: string) => behaviourFor(behaviours, to);

  /** POSTs a form to the project, signed the way Twilio signs it. */
  async function postSigned(
    url: string,
    params: Record<string, string>,
    kind: 'status' | 'inbound' | 'twiml' | 'gather' = 'status',
  ): Promise<{ status: number; text: string; error?: string }> {
    posted[kind] = (posted[kind] ?? 0) + 1;
    const signature = getExpectedTwilioSignature(opts.authToken, url, params);
    const body = new URLSearchParams(params).toString();
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    // node:http with kept-alive connections: a callback storm costs the machine far less than fetch.
    return new Promise((resolve) => {
      const req = (secure ? httpsRequest : request)(
        u,
        {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            'x-twilio-signature': signature,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (e: NodeJS.ErrnoException) =>
            resolve({ status: 0, text: '', error: e.code ?? e.message }),
          );
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ status: 0, text: '', error: e.code ?? e.message }),
      );
      req.end(body);
    });
  }

  /** Status callbacks held for a reversed delivery, per record. */
  const held = new Map<SimRecord, (() => Promise<void>)[]>();

  async function callback(rec: SimRecord, status: string, extra: Record<string, string> = {}) {
    rec.status = status;
    if (extra.CallDuration !== undefined) rec.durationSec = Number(extra.CallDuration);
    if (extra.ErrorCode) rec.errorCode = extra.ErrorCode;
    if (!rec.statusCallback || stopped) return;
    const base: Record<string, string> =
      rec.kind === 'sms'
        ? { MessageSid: rec.sid, SmsSid: rec.sid, MessageStatus: status, SmsStatus: status }
        : {
            CallSid: rec.sid,
            CallStatus: status,
            Direction: 'outbound-api',
            CallbackSource: 'call-progress-events',
          };
    const url = rec.statusCallback;
    const params = {
      AccountSid: opts.accountSid,
      From: rec.from,
      To: rec.to,
      ApiVersion: API,
      ...base,
      ...extra,
    };
    const post = async () => {
      for (let i = 0; i < Math.max(1, faults.callbackRepeat ?? 1) && !stopped; i++) {
        const r = await postSigned(url, params);
        rec.callbacks.push({ status, httpStatus: r.status, ...(r.error ? { error: r.error } : {}) });
      }
    };
    if (faults.callbacksReversed) {
      const list = held.get(rec) ?? [];
      list.push(post);
      held.set(rec, list);
    } else if (faults.lateRate && Math.random() < faults.lateRate) {
      track(pause(faults.lateMs ?? 120_000).then(post));
    } else await post();
  }

  /** Posts the callbacks a reversed delivery held for this record, newest first. */
  async function flushHeld(rec: SimRecord) {
    const list = held.get(rec);
    held.delete(rec);
    for (const post of (list ?? []).reverse()) await post();
  }

  async function inbound(from: string, body: string, to?: string): Promise<SimRecord> {
    const rec: SimRecord = {
      kind: 'inbound',
      sid: sid('SM'),
      from,
      to: to ?? opts.defaultInboundTo ?? '',
      body,
      status: 'received',
      callbacks: [],
      createdAt: new Date().toISOString(),
    };
    records.push(rec);
    if (!inboundUrl) throw new Error('no inbound SMS URL configured');
    const r = await postSigned(
      inboundUrl,
      {
        AccountSid: opts.accountSid,
        MessageSid: rec.sid,
        SmsSid: rec.sid,
        SmsMessageSid: rec.sid,
        From: from,
        To: rec.to,
        Body: body,
        NumMedia: '0',
        NumSegments: '1',
        SmsStatus: 'received',
        ApiVersion: API,
      },
      'inbound',
    );
    rec.callbacks.push({ status: 'inbound', httpStatus: r.status });
    rec.twiml = r.text;
    // A <Message> in the answer is an SMS Twilio sends back to the person.
    const m = /<Message[^>]*>([\s\S]*?)<\/Message>/.exec(r.text);
    if (m) {
      records.push({
        kind: 'reply',
        sid: sid('SM'),
        from: rec.to,
        to: from,
        body: unescapeXml(m[1]),
        status: 'sent',
        callbacks: [],
        createdAt: new Date().toISOString(),
      });
    }
    return rec;
  }

  async function playSms(rec: SimRecord, rule: BehaviourRule) {
    try {
      await smsSteps(rec, rule);
    } finally {
      await flushHeld(rec);
    }
  }

  async function smsSteps(rec: SimRecord, rule: BehaviourRule) {
    await pause();
    rec.sentAt = new Date().toISOString();
    await callback(rec, 'sent');
    if (rule.behaviour === 'no-receipt') return;
    await pause();
    if (rule.behaviour === 'fail') return callback(rec, 'failed', { ErrorCode: '30008' });
    if (rule.behaviour === 'undelivered') return callback(rec, 'undelivered', { ErrorCode: '30003' });
    const fault = LINE_FAULTS[rule.behaviour];
    if (fault) return callback(rec, 'undelivered', { ErrorCode: fault.smsError });
    await callback(rec, 'delivered');
    if (rule.behaviour === 'reply-after') {
      await pause(rule.afterMs ?? latency);
      if (!stopped) await inbound(rec.to, rule.reply ?? '收到', rec.from);
    }
  }

  async function playCall(rec: SimRecord, rule: BehaviourRule, events: string[]) {
    try {
      await callSteps(rec, rule, events);
    } finally {
      await flushHeld(rec);
    }
  }

  async function callSteps(rec: SimRecord, rule: BehaviourRule, events: string[]) {
    const want = (e: string) => events.length === 0 || events.includes(e);
    const b = rule.behaviour;
    await pause();
    rec.sentAt = new Date().toISOString();
    if (want('initiated')) await callback(rec, 'initiated');
    else rec.status = 'initiated';
    if (b === 'fail' || b === 'undelivered') return callback(rec, 'failed', { CallDuration: '0' });
    const fault = LINE_FAULTS[b];
    // The carrier's announcement (空号, 停机, 关机) is early media: the call never connects.
    if (fault) return callback(rec, 'failed', { CallDuration: '0', SipResponseCode: fault.sip });
    await pause();
    if (want('ringing')) await callback(rec, 'ringing');
    else rec.status = 'ringing';
    await pause();
    if (b === 'busy') return callback(rec, 'busy', { CallDuration: '0' });
    if (b === 'no-answer') return callback(rec, 'no-answer', { CallDuration: '0' });
    if (b === 'never-answer') {
      await pause(latency * 3);
      return callback(rec, 'no-answer', { CallDuration: '0' });
    }
    // With machine detection Twilio says who answered in every callback from the answer on.
    if (rec.machineDetection)
      rec.answeredBy = b === 'answering-machine' ? machineAnswer(rec.machineDetection) : 'human';
    const answeredBy: Record<string, string> = rec.answeredBy ? { AnsweredBy: rec.answeredBy } : {};
    if (want('answered')) await callback(rec, 'in-progress', answeredBy);
    const callParams = {
      AccountSid: opts.accountSid,
      CallSid: rec.sid,
      From: rec.from,
      To: rec.to,
      CallStatus: 'in-progress',
      Direction: 'outbound-api',
      ApiVersion: API,
      ...answeredBy,
    };
    // Like Twilio: fetch the TwiML, play it, follow <Gather action> with the digits pressed.
    const twiml = rec.url
      ? await postSigned(rec.url, callParams, 'twiml')
      : { status: 200, text: rec.twiml ?? '' };
    rec.twiml = twiml.text;
    let duration = opts.callDurationSec ?? 30;
    if (b === 'answer-hang-up-early') duration = opts.shortCallSec ?? 5;
    if (b === 'answer-and-press-1') {
      const g = /<Gather\b[^>]*\baction="([^"]*)"/.exec(twiml.text);
      if (g) {
        await pause();
        const action = new URL(unescapeXml(g[1]), rec.url ?? undefined).toString();
        const r = await postSigned(action, { ...callParams, Digits: '1', FinishedOnKey: '' }, 'gather');
        rec.digits = '1';
        rec.callbacks.push({ status: 'gather', httpStatus: r.status });
      }
    }
    await pause();
    await callback(rec, 'completed', {
      CallDuration: String(duration),
      Duration: String(Math.ceil(duration / 60)),
      ...answeredBy,
    });
    if (b === 'reply-after') {
      await pause(rule.afterMs ?? latency);
      if (!stopped) await inbound(rec.to, rule.reply ?? '收到', opts.defaultInboundTo);
    }
  }

  function overRate(): boolean {
    if (!opts.ratePerSecond) return false;
    const now = Date.now();
    while (recent.length && recent[0] < now - 1000) recent.shift();
    if (recent.length >= opts.ratePerSecond) return true;
    recent.push(now);
    return false;
  }

  function resource(rec: SimRecord) {
    const created = rfc2822(new Date(rec.createdAt));
    const common = {
      sid: rec.sid,
      account_sid: opts.accountSid,
      to: rec.to,
      from: rec.from,
      status: rec.status,
      direction: 'outbound-api',
      api_version: API,
      date_created: created,
      date_updated: created,
      price: null,
      price_unit: 'USD',
    };
    return rec.kind === 'call'
      ? {
          ...common,
          to_formatted: rec.to,
          from_formatted: rec.from,
          start_time: rec.sentAt ? rfc2822(new Date(rec.sentAt)) : null,
          end_time: null,
          duration: rec.durationSec !== undefined ? String(rec.durationSec) : null,
          answered_by: rec.answeredBy ?? null,
          parent_call_sid: null,
          queue_time: '0',
          uri: `/${API}/Accounts/${opts.accountSid}/Calls/${rec.sid}.json`,
          subresource_uris: {},
        }
      : {
          ...common,
          body: rec.body,
          num_segments: '1',
          num_media: '0',
          error_code: rec.errorCode ? Number(rec.errorCode) : null,
          error_message: null,
          messaging_service_sid: null,
          date_sent: rec.sentAt ? rfc2822(new Date(rec.sentAt)) : null,
          uri: `/${API}/Accounts/${opts.accountSid}/Messages/${rec.sid}.json`,
          subresource_uris: { media: `/${API}/Accounts/${opts.accountSid}/Messages/${rec.sid}/Media.json` },
        };
  }

  /** `one`: the sid of a GET of one message or call (Twilio's fetch), else the list or a create. */
  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    kind: 'sms' | 'call',
    url: URL,
    one?: string,
  ) {
    const entry: ApiRequestLog = {
      method: req.method ?? '',
      path: url.pathname,
      httpStatus: 0,
      at: new Date().toISOString(),
    };
    log.push(entry);
    const fail = (status: number, code: number, message: string) => {
      entry.httpStatus = status;
      entry.code = code;
      twilioError(res, status, code, message);
    };
    const auth = req.headers.authorization ?? '';
    const expected = 'Basic ' + Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64');
    if (auth !== expected) return fail(401, 20003, 'Authenticate');
    if (!url.pathname.startsWith(`/${API}/Accounts/${opts.accountSid}/`))
      return fail(404, 20404, 'The requested resource was not found');

    if (one !== undefined) {
      const rec = req.method === 'GET' ? records.find((r) => r.kind === kind && r.sid === one) : undefined;
      if (!rec) return fail(404, 20404, 'The requested resource was not found');
      entry.httpStatus = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(resource(rec)));
    }
    if (req.method === 'GET') {
      const to = url.searchParams.get('To');
      const from = url.searchParams.get('From');
      const status = url.searchParams.get('Status');
      // Messages filter on date_sent, calls on start_time (as Twilio: unsent ones have neither).
      const afterParam = url.searchParams.get(kind === 'sms' ? 'DateSent>' : 'StartTime>');
      const after = afterParam ? Date.parse(afterParam) : undefined;
      if (after !== undefined && Number.isNaN(after))
        return fail(400, 20001, `Invalid value for ${kind === 'sms' ? 'DateSent>' : 'StartTime>'}`);
      const list = records
        .filter(
          (r) =>
            r.kind === kind &&
            (!to || r.to === to) &&
            (!from || r.from === from) &&
            (!status || r.status === status) &&
            (after === undefined || (r.sentAt !== undefined && Date.parse(r.sentAt) >= after)),
        )
        .reverse();
      // Pages as Twilio's: PageSize (default 50, at most 1,000), newest first, next_page_uri with a
      // PageToken naming the last record of the page, so records created meanwhile shift nothing.
      const pageSize = Math.min(1000, Math.max(1, Number(url.searchParams.get('PageSize')) || 50));
      const page = Math.max(0, Number(url.searchParams.get('Page')) || 0);
      const token = url.searchParams.get('PageToken')?.replace(/^PA/, '');
      // A token whose record has left the filtered list (a call's status moved on): the list ends there.
      const start = token ? list.findIndex((r) => r.sid === token) + 1 || list.length : 0;
      const rows = list.slice(start, start + pageSize);
      const pageUri = (params: Record<string, string>) => {
        const q = new URLSearchParams(url.searchParams);
        for (const [k, v] of Object.entries(params)) q.set(k, v);
        return `${url.pathname}?${q}`;
      };
      const next =
        start + pageSize < list.length
          ? pageUri({
              PageSize: String(pageSize),
              Page: String(page + 1),
              PageToken: `PA${rows.at(-1)!.sid}`,
            })
          : null;
      entry.httpStatus = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          [kind === 'sms' ? 'messages' : 'calls']: rows.map(resource),
          end: start + Math.max(0, rows.length - 1),
          first_page_uri: pageUri({ PageSize: String(pageSize), Page: '0' }),
          next_page_uri: next,
          previous_page_uri: null,
          page,
          page_size: pageSize,
          start,
          uri: url.pathname + url.search,
        }),
      );
    }

    const form = new URLSearchParams(await readBody(req));
    if (opts.apiLatencyMs) await pause(opts.apiLatencyMs);
    if (stormLeft > 0) {
      stormLeft -= 1;
      return fail(429, 20429, 'Too Many Requests');
    }
    if (overRate()) return fail(429, 20429, 'Too Many Requests');
    if (opts.failureRate && Math.random() < opts.failureRate)
      return fail(500, 20500, 'Internal Server Error');
    // One draw per request across the fault modes, so the rates add up as configured.
    const draw = Math.random();
    let edge = 0;
    const hit = (rate = 0) => draw < (edge += rate);
    if (hit(faults.serverErrorRate)) {
      entry.fault = 'server-error';
      return fail(500, 20500, 'Internal Server Error');
    }
    if (hit(faults.tooManyRate)) {
      entry.fault = 'too-many';
      return fail(429, 20429, 'Too Many Requests');
    }
    const timeout = hit(faults.timeoutRate);
    const lost = !timeout && hit(faults.answerLostRate);
    const late = !timeout && !lost && hit(faults.lateCreateRate);
    const createdThenTimeout = timeout && Math.random() < 0.5;
    if (timeout && !createdThenTimeout) {
      entry.fault = 'timeout';
      await pause(faults.timeoutMs ?? 20_000);
      return void req.socket.destroy();
    }
    if (late) {
      entry.fault = 'late-created';
      await pause(faults.lateCreateMs ?? 20_000);
    }
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    const rule = ruleFor(to);
    if (!E164.test(to) || rule.behaviour === 'invalid-number')
      return fail(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!E164.test(from)) return fail(400, 21212, `The 'From' number ${from} is not a valid phone number.`);
    if (kind === 'sms' && !form.get('Body')) return fail(400, 21602, 'Message body is required.');
    if (kind === 'call' && !form.get('Url') && !form.get('Twiml'))
      return fail(400, 21205, 'Url parameter is required.');

    const rec: SimRecord = {
      kind,
      sid: sid(kind === 'sms' ? 'SM' : 'CA'),
      to,
      from,
      ...(kind === 'sms'
        ? { body: form.get('Body')! }
        : form.get('Url')
          ? { url: form.get('Url')! }
          : { twiml: form.get('Twiml')! }),
      ...(form.get('StatusCallback') ? { statusCallback: form.get('StatusCallback')! } : {}),
      ...(kind === 'call' && form.get('MachineDetection')
        ? { machineDetection: form.get('MachineDetection')! }
        : {}),
      status: 'queued',
      behaviour: rule.behaviour,
      callbacks: [],
      createdAt: new Date().toISOString(),
    };
    records.push(rec);
    entry.httpStatus = 201;
    track(kind === 'sms' ? playSms(rec, rule) : playCall(rec, rule, form.getAll('StatusCallbackEvent')));
    if (lost || createdThenTimeout) {
      // Created, but the client never hears of it: reset at once, or after holding past its timeout.
      rec.answerLost = true;
      entry.fault = lost ? 'answer-lost' : 'timeout-created';
      if (createdThenTimeout) await pause(faults.timeoutMs ?? 20_000);
      return void req.socket.destroy();
    }
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify(resource(rec)));
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL) {
    const json = (status: number, v: unknown) => sendJson(res, status, v);
    const input = await controlInput(req);
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /sim/records': {
        // ?offset=N: only the records from the N-th on; &compact=1: without bodies and TwiML (and
        // without the request log), for runs that read back tens of thousands of records.
        const offset = Number(url.searchParams.get('offset') ?? 0);
        if (url.searchParams.get('compact') !== '1')
          return json(200, { records: records.slice(offset), requests: log });
        const slim = records.slice(offset).map(({ body: _b, twiml: _t, url: _u, ...r }) => r);
        return json(200, { total: records.length, records: slim });
      }
      case 'GET /sim/counts':
        return json(200, sim.counts());
      case 'POST /sim/behaviours':
        sim.setBehaviours(input as BehaviourConfig);
        return json(200, behaviours);
      case 'GET /sim/faults':
        return json(200, faults);
      case 'POST /sim/faults':
        sim.setFaults(input as SimFaults);
        return json(200, faults);
      case 'POST /sim/storm':
        sim.storm(Number(input.count ?? 10));
        return json(200, { stormLeft });
      case 'POST /sim/reply':
        return json(
          200,
          await sim.reply(String(input.from), String(input.body), input.to as string | undefined),
        );
      case 'POST /sim/inbound-url':
        sim.setInboundSmsUrl(String(input.url));
        return json(200, { inboundUrl });
      case 'POST /sim/reset':
        sim.reset();
        return json(200, {});
      default:
        return json(404, { error: 'unknown control endpoint' });
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const p = url.pathname;
    let work: Promise<unknown>;
    const one = /\/(Messages|Calls)\/([A-Z]{2}[0-9a-f]{32})\.json$/.exec(p);
    if (/\/Messages\.json$/.test(p)) work = api(req, res, 'sms', url);
    else if (/\/Calls\.json$/.test(p)) work = api(req, res, 'call', url);
    else if (one) work = api(req, res, one[1] === 'Messages' ? 'sms' : 'call', url, one[2]);
    else if (p.startsWith('/sim/')) work = control(req, res, url);
    else work = Promise.resolve(twilioError(res, 404, 20404, 'The requested resource was not found'));
    work.catch((e: Error) => {
      if (!res.headersSent) twilioError(res, 400, 20001, e.message);
    });
  });
  const url = await listenOn(server, opts.port, opts.host);

  const sim: TwilioSimulator = {
    url,
    sent: () => records.filter((r) => r.kind === 'sms' || r.kind === 'call'),
    records: () => records,
    requests: () => log,
    setBehaviours: (cfg) => (behaviours = checkBehaviours(cfg)),
    setFaults: (f) => (faults = { ...f }),
    setInboundSmsUrl: (u) => (inboundUrl = u),
    storm: (count) => (stormLeft = count),
    reply: (from, body, to) => inbound(from, body, to),
    idle: () => untilIdle(pending),
    counts: () => ({ apiRequests: log.length, posted: { ...posted } }),
    reset: () => {
      records.length = 0;
      log.length = 0;
      for (const k of Object.keys(posted)) delete posted[k];
      stormLeft = 0;
      faults = {};
    },
    stop: async () => {
      stopped = true;
      await closeServer(server, pending);
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
  return sim;
}
