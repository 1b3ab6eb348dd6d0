import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { CalloutResponse } from '../../contracts/generated/callout-response';
import { CalloutStatus } from '../../contracts/generated/callout-status';
import { TOPICS } from '../../contracts/topics';
import { maskPhone } from '../common/mask';
import { Db, Queryable } from '../db/db';
import { GroupCommit } from '../db/group-commit';
import { Outbox } from '../kafka/outbox';
import { RejectMessage } from '../kafka/safe-consumer';
import { withRowContext } from '../observability/context';
import {
  observeAccepted,
  observeClaimed,
  observeRejectedWebhook,
  observeSend,
  observeStage,
} from '../observability/metrics';
import { activeTraceHeaders, storedTraceHeaders } from '../observability/tracing';
import { parseFeedbackForm } from './ack-feedback-form';
import { createAckToken, verifyAckToken } from './ack-token';
import {
  ChannelError,
  ChannelStatus,
  ChannelStatusCode,
  FoundSend,
  InboundSms,
  SendResult,
  SmsChannel,
  VoiceChannel,
} from './channel';
import { langOf, MessageTemplates, TemplateError } from './message-templates';
import { AttemptRow, NewAttempt, NotifyRepository } from './notify.repository';
import { classifyReply, Feedback } from './reply-classifier';
import { SendGate } from './send-gate';
import { checkTemplateData, RenderContext } from './template-data';
import { callTwiml, messageTwiml, sayTwiml, VOICES } from './voice-twiml';

export interface NotifySettings {
  publicBaseUrl: string;
  signingSecret: string;
  /** The secret SIGNING_SECRET replaced: links it signed stay valid while a rotation is under way. */
  previousSigningSecret?: string;
  confirmKeywords: string[];
  voiceZh: string;
  /** An attempt still 'sending' this long is taken as crashed mid-send and reconciled. */
  reconcileAfterMs: number;
}

interface AcceptedSend {
  a: AttemptRow;
  sid: string;
  tries: number;
}

interface StatusCallbackItem {
  channel: 'sms' | 'voice';
  params: Record<string, string>;
  rid?: string;
  s: ChannelStatus;
}

interface ResponseFields {
  responseId: string;
  via: CalloutResponse['via'];
  kind: CalloutResponse['kind'];
  feedback?: Feedback;
  text?: string;
}

interface InboundItem {
  m: InboundSms;
  reply: ReturnType<typeof classifyReply>;
  params: Record<string, string>;
}

type InboundOutcome = 'repeat' | 'no-callout' | AttemptRow;

interface StatusEventFields {
  eventId: string;
  status: ChannelStatusCode;
  providerId?: string;
  durationSec?: number;
  reason?: string;
  lineFault?: ChannelStatus['lineFault'];
  answeredBy?: ChannelStatus['answeredBy'];
}

export const CONFIRM_HINT = { 'zh-CN': '回复1或收到确认', en: 'Reply 1 or OK to confirm' } as const;

/** The provider behind the channels (the metrics' provider label). */
const PROVIDER = 'twilio';
/** Links of warnings without an expiry stay valid this long. */
const DEFAULT_LINK_LIFETIME_MS = 48 * 3600_000;

export interface WebPage {
  status: number;
  html: string;
}

/**
 * The notifier's logic: render and send one requested message, turn provider callbacks, replies,
 * key presses and link confirmations into callouts.status / callouts.responses through the outbox.
 * Plain TypeScript: the Nest module, the Kafka handler and the controllers only call into it.
 */
export class NotifyService {
  private readonly logger = new Logger('Notify');
  private readonly repo = new NotifyRepository();
  private readonly outbox = new Outbox('notify');
  /**
   * Attempts this process is sending right now (possibly still waiting in the SendGate's queue):
   * the reconciler leaves them alone however long they have been 'sending'.
   */
  private readonly inFlight = new Set<string>();
  /** Per number: the voice send being placed now (see onePerNumber). */
  private readonly callsTo = new Map<string, Promise<void>>();
  /**
   * Sends the API accepted, and provider status callbacks, are written in group commits: during a
   * city-wide call-out they arrive by the thousand a second, and one transaction each was most of the
   * notifier's database work.
   */
  private readonly accepts = new GroupCommit<NewAttempt, boolean>(async (list) => {
    // The same request twice in one batch (a redelivery racing its original) is queued once.
    const recorded = await this.repo.enqueue(this.db, [
      ...new Map(list.map((a) => [a.request_id, a])).values(),
    ]);
    return list.map((a) => recorded.delete(a.request_id));
  });
  private readonly acceptedSends = new GroupCommit<AcceptedSend>((xs) => this.writeAccepted(xs));
  private readonly inbound = new GroupCommit<InboundItem, InboundOutcome>((xs) => this.writeInbound(xs));
  private readonly statusCallbacks = new GroupCommit<StatusCallbackItem, boolean>((xs) =>
    this.writeStatusCallbacks(xs),
  );

  constructor(
    private readonly db: Db,
    private readonly sms: SmsChannel,
    private readonly voice: VoiceChannel,
    private readonly templates: MessageTemplates,
    private readonly gate: SendGate,
    private readonly settings: NotifySettings,
    /** Called after a transaction that wrote to the outbox commits. */
    private readonly published: () => void = () => undefined,
  ) {}

  private url(path: string, rid?: string): string {
    const base = this.settings.publicBaseUrl.replace(/\/+$/, '');
    return `${base}${path}${rid ? `?rid=${encodeURIComponent(rid)}` : ''}`;
  }

  ackUrl(calloutId: string, expires: string): string {
    const exp =
      expires && !Number.isNaN(Date.parse(expires))
        ? new Date(expires)
        : new Date(Date.now() + DEFAULT_LINK_LIFETIME_MS);
    return this.url(`/ack/${createAckToken(this.settings.signingSecret, calloutId, exp)}`);
  }

  /** Renders the message of a request; a request that cannot render is rejected with the reason. */
  render(req: CalloutRequested): { body: string; twiml: string | null } {
    const checked = checkTemplateData(req.data);
    if (!checked.ok) throw new RejectMessage('template data invalid', checked.errors);
    const lang = langOf(req.language);
    const ctx: RenderContext = {
      ...checked.data,
      warning: { ...checked.data.warning, instruction: checked.data.warning.instruction ?? '' },
      note: checked.data.note ?? '',
      drill: req.drill,
      purpose: req.purpose,
      attempt: req.attempt,
      ackUrl: req.channel === 'sms' ? this.ackUrl(req.calloutId, checked.data.warning.expires) : '',
      confirmHint: CONFIRM_HINT[lang],
    };
    try {
      const body = this.templates.render(req.channel, req.purpose, lang, ctx);
      if (req.channel === 'sms') return { body, twiml: null };
      const confirmable = ['callout', 'redial', 'escalation', 'update'].includes(req.purpose);
      const phrase = (name: string) => this.templates.render('voice', `phrases/${name}`, lang, ctx);
      const twiml = callTwiml(this.voiceOf(lang), {
        script: body,
        repeatPhrase: phrase('repeat'),
        gatherPhrase: phrase('gather'),
        noInputPhrase: phrase('no-input'),
        gatherAction: confirmable ? this.url('/twilio/voice/gather', req.requestId) : undefined,
      });
      return { body, twiml };
    } catch (e) {
      if (e instanceof TemplateError) throw new RejectMessage(`cannot render: ${e.message}`);
      throw e;
    }
  }

  private voiceOf(lang: 'zh-CN' | 'en') {
    return lang === 'zh-CN' ? { ...VOICES['zh-CN'], voice: this.settings.voiceZh } : VOICES.en;
  }

  /**
   * Decide: renders the request and records the attempt 'queued' in one statement, nothing more, so
   * the Kafka offset commits at once. A request that cannot render is rejected (DLQ) before anything
   * is recorded; a redelivered request finds its attempt and queues nothing.
   */
  async accept(req: CalloutRequested): Promise<'queued' | 'duplicate'> {
    const { body, twiml } = this.render(req);
    const channel = req.channel === 'sms' ? this.sms : this.voice;
    const seq = (req.data as { warning?: { seq?: number } }).warning?.seq;
    const queued = await this.accepts.add({
      request_id: req.requestId,
      callout_id: req.calloutId,
      warning_id: req.warningId,
      person_id: req.personId,
      channel: req.channel,
      purpose: req.purpose,
      to_number: req.to,
      from_number: channel.from,
      warning_seq: typeof seq === 'number' ? seq : null,
      language: langOf(req.language),
      data: req.data as Record<string, unknown>,
      body,
      twiml,
      traceparent: activeTraceHeaders().traceparent ?? null,
    });
    if (!queued) {
      this.logger.log(`request ${req.requestId} already accepted: nothing queued`);
      return 'duplicate';
    }
    return 'queued';
  }

  /**
   * Send, step one: takes up to `limit` queued attempts ('sending' from now on, so no other worker
   * or replica takes them). Each is then sent with `sendClaimed`.
   */
  claimQueued(limit: number): Promise<AttemptRow[]> {
    return this.repo.claimQueued(this.db, limit).then(observeClaimed);
  }

  /**
   * Send, step two: one API call for an attempt this process claimed, at most once. The accepted or
   * failed outcome and its status event are written together; an outcome still unknown after all
   * tries leaves the attempt 'sending' for the reconciler (and rejects).
   */
  sendClaimed(a: AttemptRow): Promise<'sent' | 'failed'> {
    return withRowContext(`send ${a.channel}`, a, () => this.dispatch(a));
  }

  private async dispatch(a: AttemptRow): Promise<'sent' | 'failed'> {
    this.inFlight.add(a.request_id);
    try {
      return a.channel === 'voice'
        ? await this.onePerNumber(a.to_number, () => this.dispatchOnce(a))
        : await this.dispatchOnce(a);
    } finally {
      this.inFlight.delete(a.request_id);
    }
  }

  /**
   * Calls to one number are placed one after the other: a call found at the provider cannot be told
   * apart from another call to the same number by its content (a message can, by its body), so the
   * reconciler may only adopt a call while no other call to that number is being placed here.
   */
  private onePerNumber<T>(to: string, work: () => Promise<T>): Promise<T> {
    const before = this.callsTo.get(to) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.callsTo.set(to, settled);
    void settled.then(() => {
      if (this.callsTo.get(to) === settled) this.callsTo.delete(to);
    });
    return run;
  }

  private async dispatchOnce(a: AttemptRow): Promise<'sent' | 'failed'> {
    const statusCallbackUrl = this.url(
      a.channel === 'sms' ? '/twilio/sms/status' : '/twilio/voice/status',
      a.request_id,
    );
    const send = (): Promise<SendResult> =>
      a.channel === 'sms'
        ? this.sms.send({ requestId: a.request_id, to: a.to_number, body: a.body, statusCallbackUrl })
        : this.voice.send({
            requestId: a.request_id,
            to: a.to_number,
            twimlUrl: this.url('/twilio/voice/twiml', a.request_id),
            twiml: a.twiml,
            statusCallbackUrl,
          });
    try {
      const { value, tries } = await this.gate.run(
        a.channel,
        a.channel === 'sms' ? this.sms.from : this.voice.from,
        send,
        () =>
          this.findSent(a).then((f) => (f ? { providerId: f.providerId, status: f.status, raw: f } : null)),
      );
      await this.accepted(a, value.providerId, tries);
      observeAccepted(a, tries);
      this.logger.debug(
        `${a.channel} ${a.request_id} to ${maskPhone(a.to_number)} accepted as ${value.providerId}`,
      );
      return 'sent';
    } catch (e) {
      const err = e instanceof ChannelError ? e : new ChannelError((e as Error).message, false);
      if (!err.permanent) {
        // Outcome unknown (network/5xx to the end), or refused for now (429 to the end): never a
        // failure of the send. Left 'sending' for the reconciler, which asks the provider first.
        this.logger.warn(`${a.request_id}: not sent after retries (${err.message}); reconciling later`);
        observeSend(PROVIDER, a.channel, 'unknown', 1, err.code);
        throw err;
      }
      await this.db.transaction(async (tx) => {
        await this.repo.markFailed(tx, a.request_id, err.code ?? null, err.message, 0);
        await this.publishStatus(tx, a, {
          eventId: `${a.request_id}:failed`,
          status: 'failed',
          reason: err.message,
          lineFault: err.lineFault,
        });
      });
      this.published();
      observeSend(PROVIDER, a.channel, 'failed', 1, err.code);
      this.logger.warn(`${a.channel} ${a.request_id} to ${maskPhone(a.to_number)} failed: ${err.message}`);
      return 'failed';
    }
  }

  private async accepted(a: AttemptRow, sid: string, tries: number) {
    await this.acceptedSends.add({ a, sid, tries });
  }

  /** One transaction for a batch of accepted sends: their sids and their 'submitted' events. */
  private async writeAccepted(xs: AcceptedSend[]): Promise<void[]> {
    await this.db.transaction(async (tx) => {
      await this.repo.markSent(
        tx,
        xs.map((x) => ({ requestId: x.a.request_id, sid: x.sid, tries: x.tries })),
      );
      await this.outbox.add(
        tx,
        TOPICS.calloutsStatus.name,
        xs.map((x) =>
          this.statusMessage(x.a, { eventId: `${x.sid}:submitted`, status: 'submitted', providerId: x.sid }),
        ),
      );
    });
    this.published();
    return xs.map(() => undefined);
  }

  /**
   * What the provider holds of this attempt (a send whose answer was lost): its messages or calls
   * to the number since the attempt was recorded, less those another attempt already owns.
   */
  private async findSent(a: AttemptRow): Promise<FoundSend | null> {
    const found =
      a.channel === 'sms'
        ? await this.sms.findSent(a.to_number, a.body, new Date(a.created_at))
        : await this.voice.findSent(a.to_number, new Date(a.created_at));
    if (found.length === 0) return null;
    const owned = await this.repo.sidsOwnedByOthers(
      this.db,
      found.map((f) => f.providerId),
      a.request_id,
    );
    return found.find((f) => !owned.has(f.providerId)) ?? null;
  }

  /**
   * After a crash between recording an attempt and storing the provider's id: asks the provider
   * whether it took the request; adopts the id if so, sends it now if not.
   */
  async reconcile(): Promise<{ adopted: number; resent: number }> {
    let adopted = 0;
    let resent = 0;
    const stuck = await this.repo.reclaimStuck(this.db, this.settings.reconcileAfterMs, [...this.inFlight]);
    for (const a of stuck) {
      const once = async () => {
        const found = await this.findSent(a);
        if (found) {
          await this.accepted(a, found.providerId, 0);
          adopted += 1;
        } else {
          resent += 1;
          await this.dispatchOnce(a);
        }
      };
      this.inFlight.add(a.request_id);
      try {
        await (a.channel === 'voice' ? this.onePerNumber(a.to_number, once) : once());
      } catch (e) {
        this.logger.warn(`reconcile ${a.request_id}: ${(e as Error).message}`);
      } finally {
        this.inFlight.delete(a.request_id);
      }
    }
    return { adopted, resent };
  }

  private async publishStatus(tx: Queryable, a: AttemptRow, s: StatusEventFields) {
    await this.outbox.add(tx, TOPICS.calloutsStatus.name, [this.statusMessage(a, s)]);
  }

  private statusMessage(a: AttemptRow, s: StatusEventFields): { key: string; value: CalloutStatus } {
    const v: CalloutStatus = {
      schemaVersion: 1,
      eventId: s.eventId,
      requestId: a.request_id,
      calloutId: a.callout_id,
      warningId: a.warning_id,
      channel: a.channel,
      status: s.status,
      ...(s.providerId ? { providerId: s.providerId } : {}),
      ...(s.durationSec !== undefined ? { durationSec: s.durationSec } : {}),
      ...(s.reason ? { reason: s.reason.slice(0, 1000) } : {}),
      ...(s.lineFault ? { lineFault: s.lineFault } : {}),
      ...(s.answeredBy ? { answeredBy: s.answeredBy } : {}),
      at: new Date().toISOString(),
    };
    return { key: a.callout_id, value: v, ...storedTraceHeaders(a) };
  }

  private async publishResponse(tx: Queryable, a: AttemptRow, r: ResponseFields) {
    await this.outbox.add(tx, TOPICS.calloutsResponses.name, [this.responseMessage(a, r)]);
  }

  private responseMessage(a: AttemptRow, r: ResponseFields): { key: string; value: CalloutResponse } {
    const v: CalloutResponse = {
      schemaVersion: 1,
      responseId: r.responseId,
      calloutId: a.callout_id,
      warningId: a.warning_id,
      via: r.via,
      kind: r.kind,
      ...(r.feedback ? { feedback: r.feedback } : {}),
      ...(r.text !== undefined ? { text: r.text.slice(0, 2000) } : {}),
      at: new Date().toISOString(),
    };
    return { key: a.callout_id, value: v, ...storedTraceHeaders(a) };
  }

  /** A status callback (SMS or voice). Repeats of the same sid + status are ignored. */
  async statusCallback(
    channel: 'sms' | 'voice',
    params: Record<string, string>,
    rid?: string,
  ): Promise<void> {
    const s: ChannelStatus | null = (channel === 'sms' ? this.sms : this.voice).parseStatusCallback(params);
    if (!s) return;
    await this.statusCallbacks.add({ channel, params, rid, s });
  }

  /**
   * One transaction for a batch of status callbacks: each recorded once by its sid + status (a
   * repeat, in an earlier batch or in this one, changes nothing), and published as callouts.status.
   */
  private async writeStatusCallbacks(items: StatusCallbackItem[]): Promise<boolean[]> {
    const applied = await this.db.transaction(async (tx) => {
      const byRid = await this.repo.byRequestIds(
        tx,
        items.flatMap((i) => (i.rid ? [i.rid] : [])),
      );
      const attempts: (AttemptRow | undefined)[] = [];
      for (const i of items)
        attempts.push((i.rid ? byRid.get(i.rid) : undefined) ?? (await this.repo.bySid(tx, i.s.providerId)));
      const events = items.map((i, k) => ({
        eventId: `${i.s.providerId}:${i.s.status}`,
        kind: `${i.channel}-status`,
        requestId: attempts[k]?.request_id ?? null,
        payload: i.params,
      }));
      const first = await this.repo.firstTimes(tx, events);
      const taken = new Set<string>();
      const sentNow: { requestId: string; sid: string; tries: number }[] = [];
      const messages: { key: string; value: CalloutStatus }[] = [];
      const result = items.map((i, k) => {
        const { eventId } = events[k];
        const a = attempts[k];
        if (!first.has(eventId) || taken.has(eventId)) return false;
        taken.add(eventId);
        if (!a) {
          this.logger.warn(`status ${eventId} for an unknown send`);
          return false;
        }
        // The callback may overtake the API answer: the sid in it settles the attempt.
        if (a.state === 'sending') sentNow.push({ requestId: a.request_id, sid: i.s.providerId, tries: 0 });
        if (i.s.status === 'delivered') observeStage('accept_to_deliver', a.sent_at);
        messages.push(
          this.statusMessage(a, {
            eventId,
            status: i.s.status,
            providerId: i.s.providerId,
            durationSec: i.s.durationSec,
            reason: i.s.reason,
            lineFault: i.s.lineFault,
            answeredBy: i.s.answeredBy,
          }),
        );
        return true;
      });
      await this.repo.markSent(tx, sentNow);
      await this.outbox.add(tx, TOPICS.calloutsStatus.name, messages);
      return result;
    });
    if (applied.some(Boolean)) this.published();
    return applied;
  }

  /** Inbound SMS: find the call-out it answers, classify, publish, and answer with TwiML. */
  async inboundSms(params: Record<string, string>): Promise<string> {
    const m = this.sms.parseInbound(params);
    if (!m) return messageTwiml();
    const reply = classifyReply(m.body, { confirmKeywords: this.settings.confirmKeywords });
    const outcome = await this.inbound.add({ m, reply, params });
    if (outcome === 'repeat') return messageTwiml();
    if (outcome === 'no-callout') {
      this.logger.warn(`SMS from ${maskPhone(m.from)} answers no call-out`);
      return messageTwiml(this.templates.render('sms', 'reply/no-callout', 'zh-CN', {}));
    }
    const lang = langOf(outcome.language);
    const name =
      reply.kind === 'confirm'
        ? 'reply/confirmed'
        : reply.kind === 'feedback'
          ? 'reply/feedback'
          : 'reply/help';
    return messageTwiml(this.templates.render('sms', name, lang, { ...outcome.data }));
  }

  /**
   * One transaction for a batch of inbound SMS: each finds the send it answers, is recorded once by
   * its message sid (a Twilio retry, in an earlier batch or this one, is a repeat) and becomes a
   * callouts.responses event.
   */
  private async writeInbound(items: InboundItem[]): Promise<InboundOutcome[]> {
    const outcomes = await this.db.transaction(async (tx) => {
      const attempts: (AttemptRow | undefined)[] = [];
      for (const { m, reply } of items)
        attempts.push(await this.repo.answeredBy(tx, m.from, reply.shortCode));
      const first = await this.repo.firstTimes(
        tx,
        items.map(({ m, params }, k) => ({
          eventId: m.messageId,
          kind: 'sms-inbound',
          requestId: attempts[k]?.request_id ?? null,
          payload: { ...params, From: maskPhone(m.from) },
        })),
      );
      const taken = new Set<string>();
      const messages: { key: string; value: CalloutResponse }[] = [];
      const result = items.map(({ m, reply }, k): InboundOutcome => {
        if (!first.has(m.messageId) || taken.has(m.messageId)) return 'repeat';
        taken.add(m.messageId);
        const a = attempts[k];
        if (!a) return 'no-callout';
        messages.push(
          this.responseMessage(a, {
            responseId: m.messageId,
            via: 'sms',
            kind: reply.kind,
            ...(reply.kind === 'feedback' ? { feedback: reply.feedback } : {}),
            text: m.body,
          }),
        );
        return a;
      });
      await this.outbox.add(tx, TOPICS.calloutsResponses.name, messages);
      return result;
    });
    if (outcomes.some((o) => typeof o === 'object')) this.published();
    return outcomes;
  }

  /** The TwiML of a call (Twilio fetches it when the call is answered). */
  async callTwiml(rid: string | undefined): Promise<string> {
    const a = rid ? await this.repo.byRequestId(this.db, rid) : undefined;
    if (a?.twiml) return a.twiml;
    return sayTwiml(VOICES['zh-CN'], '系统错误，请联系值班室。');
  }

  /** A key press on a call: 1 confirms. */
  async gather(rid: string | undefined, params: Record<string, string>): Promise<string> {
    const a = rid
      ? await this.repo.byRequestId(this.db, rid)
      : params.CallSid
        ? await this.repo.bySid(this.db, params.CallSid)
        : undefined;
    const lang = langOf(a?.language);
    const phrase = (name: string) => this.templates.render('voice', `phrases/${name}`, lang, {});
    if (!a || !params.CallSid) return sayTwiml(this.voiceOf(lang), phrase('no-input'));
    const digits = (params.Digits ?? '').trim();
    if (digits !== '1') return sayTwiml(this.voiceOf(lang), phrase('no-input'));
    const responseId = `${params.CallSid}:1`;
    const first = await this.db.transaction(async (tx) => {
      if (!(await this.repo.firstTime(tx, responseId, 'voice-gather', a.request_id, params))) return false;
      await this.publishResponse(tx, a, { responseId, via: 'voice', kind: 'confirm', text: digits });
      return true;
    });
    if (first) this.published();
    return sayTwiml(this.voiceOf(lang), phrase('confirmed'));
  }

  // ----- ack link pages (GET shows, POST confirms: link scanners only GET) -----

  private async ackTarget(token: string): Promise<{ page?: WebPage; attempt?: AttemptRow; token?: string }> {
    const v = verifyAckToken(
      [
        this.settings.signingSecret,
        ...(this.settings.previousSigningSecret ? [this.settings.previousSigningSecret] : []),
      ],
      token,
    );
    if (!v.ok) {
      const expired = v.reason === 'expired';
      return {
        page: {
          status: expired ? 410 : 403,
          html: this.templates.render('web', 'error', 'zh-CN', {
            title: expired ? '链接已过期' : '链接无效',
            message: expired ? '该预警的确认链接已过期。' : '该链接无效或已被修改。',
            messageEn: expired ? 'This confirmation link has expired.' : 'This link is not valid.',
          }),
        },
      };
    }
    const a = await this.repo.latestForCallout(this.db, v.calloutId);
    if (!a) {
      return {
        page: {
          status: 404,
          html: this.templates.render('web', 'error', 'zh-CN', {
            title: '未找到',
            message: '未找到该叫应记录。',
            messageEn: 'No such call-out.',
          }),
        },
      };
    }
    return { attempt: a, token };
  }

  private pageContext(a: AttemptRow, token: string) {
    const data = a.data as { warning: { expires: string; drill: boolean } };
    return { ...data, token, drill: data.warning.drill, expiresLocal: data.warning.expires };
  }

  async ackPage(token: string): Promise<WebPage> {
    const t = await this.ackTarget(token);
    if (t.page) return t.page;
    return {
      status: 200,
      html: this.templates.render('web', 'ack', 'zh-CN', this.pageContext(t.attempt!, token)),
    };
  }

  async ackConfirm(token: string): Promise<WebPage> {
    const t = await this.ackTarget(token);
    if (t.page) return t.page;
    const a = t.attempt!;
    const responseId = `web:${a.callout_id}:confirm`;
    const first = await this.db.transaction(async (tx) => {
      if (!(await this.repo.firstTime(tx, responseId, 'web-confirm', a.request_id, {}))) return false;
      await this.publishResponse(tx, a, { responseId, via: 'web', kind: 'confirm' });
      return true;
    });
    if (first) this.published();
    return {
      status: 200,
      html: this.templates.render('web', 'confirmed', 'zh-CN', this.pageContext(a, token)),
    };
  }

  async ackFeedback(token: string, form: unknown): Promise<WebPage> {
    const t = await this.ackTarget(token);
    if (t.page) return t.page;
    const a = t.attempt!;
    // Refused here with the reason, never shown "received" and then dropped by the tracker's schema.
    const parsed = parseFeedbackForm(form);
    if (!parsed.ok)
      return {
        status: 400,
        html: this.templates.render('web', 'error', 'zh-CN', {
          title: '反馈未提交',
          message: `反馈未能提交，请返回修改后重新提交：${parsed.problems.join('；')}`,
          messageEn: `Your report was not recorded; go back, correct it and send it again: ${parsed.problems.join('; ')}`,
        }),
      };
    const feedback = parsed.feedback;
    const note = feedback.note ?? '';
    const responseId = `web:${a.callout_id}:fb:${randomUUID()}`;
    await this.db.transaction(async (tx) => {
      await this.repo.firstTime(tx, responseId, 'web-feedback', a.request_id, feedback);
      await this.publishResponse(tx, a, { responseId, via: 'web', kind: 'feedback', feedback, text: note });
    });
    this.published();
    return {
      status: 200,
      html: this.templates.render('web', 'feedback-done', 'zh-CN', this.pageContext(a, token)),
    };
  }

  /** Records a refused webhook for auditors: a bounded excerpt, only counted past a rate per source. */
  async rejectedWebhook(r: {
    path: string;
    reason: string;
    remoteAddr?: string;
    signature?: string;
    params: Record<string, unknown>;
  }): Promise<boolean> {
    observeRejectedWebhook(r.reason);
    return this.repo.recordRejected(this.db, r);
  }
}
