import { Logger } from '@nestjs/common';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { maskPhone } from '../common/mask';
import { Db } from '../db/db';
import { GroupCommit } from '../db/group-commit';
import { withRowContext } from '../observability/context';
import { observeAccepted, observeClaimed, observeSend } from '../observability/metrics';
import { activeTraceHeaders } from '../observability/tracing';
import { langOf } from '../templates/message-templates';
import { NotifyEvents } from './notify-events';
import { AttemptRow, NewAttempt, NotifyRepository } from './notify.repository';
import { ChannelError, FoundSend, SendResult, SmsChannel, VoiceChannel } from './provider';
import { RequestRenderer } from './request-renderer';
import { SendGate } from './send-gate';
import { SendQueue } from './send-worker';

export interface SendingSettings {
  /** An attempt still 'sending' this long is taken as crashed mid-send and reconciled. */
  reconcileAfterMs: number;
}

/** The provider behind the channels (the metrics' provider label): one provider carries every send today. */
const PROVIDER = 'twilio';

interface AcceptedSend {
  attempt: AttemptRow;
  sid: string;
  tries: number;
}

/**
 * Send and reconcile: accepts each callouts.requested into the send queue (notify.attempts
 * 'queued'), sends the queued attempts through the provider's channels at most once each, and after
 * a crash asks the provider what it already took. The send worker drives it (SendQueue).
 */
export class CalloutSending implements SendQueue<AttemptRow> {
  private readonly logger = new Logger('Notify');
  /**
   * Attempts this process is sending right now (possibly still waiting in the SendGate's queue):
   * the reconciler leaves them alone however long they have been 'sending'.
   */
  private readonly inFlight = new Set<string>();
  /** Per number: the voice send being placed now (see onePerNumber). */
  private readonly callsTo = new Map<string, Promise<void>>();
  /**
   * Requests accepted and sends the API accepted are written in group commits: during a city-wide
   * call-out they arrive by the thousand a second, and one transaction each was most of the
   * notifier's database work.
   */
  private readonly accepts = new GroupCommit<NewAttempt, boolean>(async (list) => {
    // The same request twice in one batch (a redelivery racing its original) is queued once.
    const recorded = await this.repo.enqueue(this.db, [
      ...new Map(list.map((attempt) => [attempt.request_id, attempt])).values(),
    ]);
    return list.map((attempt) => recorded.delete(attempt.request_id));
  });
  private readonly acceptedSends = new GroupCommit<AcceptedSend>((sends) => this.writeAccepted(sends));

  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
    private readonly sms: SmsChannel,
    private readonly voice: VoiceChannel,
    private readonly renderer: RequestRenderer,
    private readonly gate: SendGate,
    private readonly events: NotifyEvents,
    private readonly settings: SendingSettings,
  ) {}

  /**
   * Decide: renders the request and records the attempt 'queued' in one statement, nothing more, so
   * the Kafka offset commits at once. A request that cannot render is rejected (DLQ) before anything
   * is recorded; a redelivered request finds its attempt and queues nothing.
   */
  async accept(req: CalloutRequested): Promise<'queued' | 'duplicate'> {
    const { body, voiceScript } = this.renderer.render(req);
    const channel = req.channel === 'sms' ? this.sms : this.voice;
    const seq = req.data.warning.seq;
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
      data: req.data,
      body,
      twiml: voiceScript ? this.voice.callContent(req.requestId, voiceScript) : null,
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
  async sendClaimed(attempt: AttemptRow): Promise<'sent' | 'failed'> {
    this.inFlight.add(attempt.request_id);
    try {
      return await withRowContext(`send ${attempt.channel}`, attempt, () =>
        this.oneCallPerNumber(attempt, () => this.sendOnce(attempt)),
      );
    } finally {
      this.inFlight.delete(attempt.request_id);
    }
  }

  /**
   * Calls to one number are placed one after the other: a call found at the provider cannot be told
   * apart from another call to the same number by its content (a message can, by its body), so the
   * reconciler may only adopt a call while no other call to that number is being placed here.
   */
  private oneCallPerNumber<T>(attempt: AttemptRow, work: () => Promise<T>): Promise<T> {
    if (attempt.channel !== 'voice') return work();
    const to = attempt.to_number;
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

  private async sendOnce(attempt: AttemptRow): Promise<'sent' | 'failed'> {
    const send = (): Promise<SendResult> =>
      attempt.channel === 'sms'
        ? this.sms.send({ requestId: attempt.request_id, to: attempt.to_number, body: attempt.body })
        : this.voice.send({ requestId: attempt.request_id, to: attempt.to_number, content: attempt.twiml });
    try {
      const { value, tries } = await this.gate.run(
        attempt.channel,
        attempt.channel === 'sms' ? this.sms.from : this.voice.from,
        send,
        () =>
          this.findSent(attempt).then((found) =>
            found ? { providerId: found.providerId, status: found.status, raw: found } : null,
          ),
      );
      await this.acceptedSends.add({ attempt, sid: value.providerId, tries });
      observeAccepted(attempt, tries);
      this.logger.debug(
        `${attempt.channel} ${attempt.request_id} to ${maskPhone(attempt.to_number)} accepted as ${value.providerId}`,
      );
      return 'sent';
    } catch (e) {
      const err = e instanceof ChannelError ? e : new ChannelError((e as Error).message, false);
      if (!err.permanent) {
        // Outcome unknown (network/5xx to the end), or refused for now (429 to the end): never a
        // failure of the send. Left 'sending' for the reconciler, which asks the provider first.
        this.logger.warn(`${attempt.request_id}: not sent after retries (${err.message}); reconciling later`);
        observeSend(PROVIDER, attempt.channel, 'unknown', 1, err.code);
        throw err;
      }
      await this.db.transaction(async (tx) => {
        await this.repo.markFailed(tx, attempt.request_id, err.code ?? null, err.message, 0);
        await this.events.addStatuses(tx, [
          this.events.statusMessage(attempt, {
            eventId: `${attempt.request_id}:failed`,
            status: 'failed',
            reason: err.message,
            lineFault: err.lineFault,
          }),
        ]);
      });
      this.events.announce();
      observeSend(PROVIDER, attempt.channel, 'failed', 1, err.code);
      this.logger.warn(
        `${attempt.channel} ${attempt.request_id} to ${maskPhone(attempt.to_number)} failed: ${err.message}`,
      );
      return 'failed';
    }
  }

  /** One transaction for a batch of accepted sends: their sids and their 'submitted' events. */
  private async writeAccepted(sends: AcceptedSend[]): Promise<void[]> {
    await this.db.transaction(async (tx) => {
      await this.repo.markSent(
        tx,
        sends.map((s) => ({ requestId: s.attempt.request_id, sid: s.sid, tries: s.tries })),
      );
      await this.events.addStatuses(
        tx,
        sends.map((s) =>
          this.events.statusMessage(s.attempt, {
            eventId: `${s.sid}:submitted`,
            status: 'submitted',
            providerId: s.sid,
          }),
        ),
      );
    });
    this.events.announce();
    return sends.map(() => undefined);
  }

  /**
   * What the provider holds of this attempt (a send whose answer was lost): its messages or calls
   * to the number since the attempt was recorded, less those another attempt already owns.
   */
  private async findSent(attempt: AttemptRow): Promise<FoundSend | null> {
    const found =
      attempt.channel === 'sms'
        ? await this.sms.findSent(attempt.to_number, attempt.body, new Date(attempt.created_at))
        : await this.voice.findSent(attempt.to_number, new Date(attempt.created_at));
    if (found.length === 0) return null;
    const owned = await this.repo.sidsOwnedByOthers(
      this.db,
      found.map((f) => f.providerId),
      attempt.request_id,
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
    for (const attempt of stuck) {
      const adoptOrResend = async () => {
        const found = await this.findSent(attempt);
        if (found) {
          await this.acceptedSends.add({ attempt, sid: found.providerId, tries: 0 });
          adopted += 1;
        } else {
          resent += 1;
          await this.sendOnce(attempt);
        }
      };
      this.inFlight.add(attempt.request_id);
      try {
        await this.oneCallPerNumber(attempt, adoptOrResend);
      } catch (e) {
        this.logger.warn(`reconcile ${attempt.request_id}: ${(e as Error).message}`);
      } finally {
        this.inFlight.delete(attempt.request_id);
      }
    }
    return { adopted, resent };
  }
}
