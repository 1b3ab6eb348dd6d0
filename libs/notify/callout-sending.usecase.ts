import { Logger } from '@nestjs/common';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { maskPhone } from '../common/mask';
import { Db } from '../db/db';
import { GroupCommit, PER_REQUEST_LINGER_MS } from '../db/group-commit';
import { withRowContext } from '../observability/context';
import { observeAccepted, observeClaimed, observeSend } from '../observability/metrics';
import { activeTraceHeaders } from '../observability/tracing';
import { sendPriority } from '../callout/send-priority';
import { langOf } from '../templates/message-templates';
import { NotifyEvents } from './notify-events';
import { AttemptRow, NewAttempt, NotifyRepository } from './notify.repository';
import { ChannelError, ChannelKind, FoundSend, SendResult } from './provider';
import { CalleeLimitRefused } from './providers/callee-limit-refused';
import { ProviderName } from './providers/provider-capabilities';
import { countsAsOutage, ProviderRouter, ProviderUnavailable } from './providers/provider-router';
import { RequestRenderer } from './request-renderer';
import { SendGate } from './send-gate';
import { SendQueue } from './send-worker';

export interface SendingSettings {
  /** An attempt still 'sending' this long is taken as crashed mid-send and reconciled. */
  reconcileAfterMs: number;
}

/** A send moves at most this often (provider to provider, voice to SMS) before it is given up on. */
const MAX_MOVES = 3;

/**
 * The attempt was re-claimed by a reconciler while this process held it (it waited past the
 * reconciler's threshold): the other claim sends it. Permanent, so the send gate does not retry it.
 */
export class ClaimLost extends ChannelError {
  constructor(requestId: string) {
    super(`claim on ${requestId} lost: re-claimed by a reconciler, which sends it`, true);
    this.name = 'ClaimLost';
  }
}

/** Where a send goes next, and why. */
interface Move {
  provider: ProviderName;
  channel: ChannelKind;
  why: string;
}

/** One provider's try at a send: accepted, or the error and whether the provider may have taken it. */
type ProviderTry =
  | { sent: true; value: SendResult; tries: number }
  | { sent: false; error: ChannelError; maybeCreated: boolean };

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
   * Attempts this process is sending right now (possibly still waiting in the SendGate's queue),
   * each with when this process claimed (or last renewed) it: the reconciler leaves them alone
   * however long they have been 'sending', and holdClaim renews an old claim before its request.
   */
  private readonly inFlight = new Map<string, Date | undefined>();
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
  /**
   * Accepted sends finish one by one at the API's pace: without a linger each batch left as soon as
   * the previous committed, ~2.4 sends a transaction during a city-wide call-out.
   */
  private readonly acceptedSends = new GroupCommit<AcceptedSend>((sends) => this.writeAccepted(sends), {
    lingerMs: PER_REQUEST_LINGER_MS, // an accepted send waits for others to share its transaction
  });

  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
    private readonly router: ProviderRouter,
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
    // The route's first provider whose circuit is closed carries it; the message follows what it can do.
    const provider = this.router.carrier(req.to, req.channel);
    const { sms, voice } = this.router.channels(provider);
    const { body, voiceScript } = this.renderer.render(
      req,
      this.router.capabilities(provider, req.to, req.channel),
    );
    const channel = req.channel === 'sms' ? sms : voice;
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
      twiml: voiceScript ? voice.callContent(req.requestId, voiceScript) : null,
      traceparent: activeTraceHeaders().traceparent ?? null,
      provider,
      attempt_no: req.attempt,
      drill: req.drill,
      // The engine's order (the warning's policy snapshot); a request without one is placed by what it says.
      priority:
        req.priority ??
        sendPriority({ purpose: req.purpose, level: req.data.warning.level, drill: req.drill }, []),
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

  /** A claimed call with other calls to its number queued behind it (the claim takes one at a time). */
  heldOthers(attempt: AttemptRow): boolean {
    return attempt.calls_waiting === true;
  }

  /**
   * Send, step two: one API call for an attempt this process claimed, at most once. The accepted or
   * failed outcome and its status event are written together; an outcome still unknown after all
   * tries leaves the attempt 'sending' for the reconciler (and rejects).
   */
  async sendClaimed(attempt: AttemptRow): Promise<'sent' | 'failed'> {
    return this.whileInFlight(attempt, () =>
      withRowContext(`send ${attempt.channel}`, attempt, () =>
        this.oneCallPerNumber(attempt, () => this.sendOnce(attempt)),
      ),
    );
  }

  /** Runs `send` with the attempt marked as this process's own (see inFlight). */
  private async whileInFlight<T>(attempt: AttemptRow, send: () => Promise<T>): Promise<T> {
    this.inFlight.set(attempt.request_id, attempt.claimed_at ?? undefined);
    try {
      return await send();
    } finally {
      this.inFlight.delete(attempt.request_id);
    }
  }

  /**
   * Calls to one number are placed one after the other: a call found at the provider cannot be told
   * apart from another call to the same number by its content (a message can, by its body), so the
   * reconciler may only adopt a call while no other call to that number is being placed here. The
   * claim already takes one call per number at a time (CLAIM_QUEUED_SQL), across replicas, so a call
   * rarely waits here; this keeps the rule for the reconciler's resends and for calls claimed before
   * that rule (left 'sending' by a crash).
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

  /**
   * One send through the attempt's provider; when that provider's circuit is open, or a per-callee
   * limit refuses the send, it moves to the next provider of its route (or, for a call, to an SMS)
   * and is sent there. Before a move, a provider that may have taken the request (an answer lost)
   * is asked whether it did: a send is never made twice.
   */
  private async sendOnce(attempt: AttemptRow): Promise<'sent' | 'failed'> {
    let a = attempt;
    for (let moves = 0; ; moves += 1) {
      const provider = this.router.providerOf(a);
      const outcome = await this.tryProvider(a, provider);
      if (outcome.sent) {
        // Outside the moves: a send the provider accepted is never sent elsewhere, even when this write fails.
        await this.acceptedSends.add({ attempt: a, sid: outcome.value.providerId, tries: outcome.tries });
        observeAccepted(a, outcome.tries, provider);
        this.logger.debug(
          `${a.channel} ${a.request_id} to ${maskPhone(a.to_number)} accepted as ${outcome.value.providerId} by ${provider}`,
        );
        return 'sent';
      }
      const err = outcome.error;
      const move = moves < MAX_MOVES ? this.moveFor(a, provider, err) : undefined;
      if (move) {
        if (outcome.maybeCreated) {
          // The reconciler's question first: did the provider take it after all?
          if (!this.router.listsSends(provider, a.to_number, a.channel)) return this.settle(a, provider, err);
          await this.gate.afterTimeout(err);
          const found = await this.findSent(a);
          if (found) {
            await this.acceptedSends.add({ attempt: a, sid: found.providerId, tries: 0 });
            return 'sent';
          }
        }
        const moved = await this.reroute(a, provider, move);
        if (moved) {
          a = moved;
          continue;
        }
      }
      return this.settle(a, provider, err);
    }
  }

  /** The API call through the provider's circuit breaker and the send gate (rate limits, retries). */
  private async tryProvider(a: AttemptRow, provider: ProviderName): Promise<ProviderTry> {
    const { sms, voice } = this.router.channels(provider);
    let maybeCreated = false;
    const request = (): Promise<SendResult> =>
      a.channel === 'sms'
        ? sms.send({ requestId: a.request_id, to: a.to_number, body: a.body })
        : voice.send({ requestId: a.request_id, to: a.to_number, content: a.twiml });
    // An open circuit refuses the request only when another provider can take the send.
    const elsewhere = this.router.next(a.to_number, a.channel, provider) !== undefined;
    const send = async () => {
      // Right before each try (the gate may have held it): still this process's to send?
      await this.holdClaim(a.request_id);
      return this.router.call(
        provider,
        () =>
          request().catch((e: unknown) => {
            if (!(e instanceof ChannelError && e.definitelyNotAccepted)) maybeCreated = true;
            throw e;
          }),
        elsewhere,
      );
    };
    try {
      const { value, tries } = await this.gate.run(
        a.channel,
        a.channel === 'sms' ? sms.from : voice.from,
        send,
        () =>
          this.findSent(a).then((found) =>
            found ? { providerId: found.providerId, status: found.status, raw: found } : null,
          ),
      );
      return { sent: true, value, tries };
    } catch (e) {
      if (e instanceof ClaimLost) throw e; // nothing of it is this process's to write any more
      const error = e instanceof ChannelError ? e : new ChannelError((e as Error).message, false);
      return { sent: false, error, maybeCreated };
    }
  }

  /**
   * A claimed attempt can wait in this process before its request goes (the send gate's rate
   * limits, a call waiting for the one before it to its number, retries' backoff): once its claim is
   * a third of `reconcileAfterMs` old, it is renewed before the request, and if a reconciler (in
   * another replica: this one skips what it is sending) took the attempt over meanwhile, this
   * process lets it go rather than send it too. A young claim costs nothing: the reconciler takes
   * only claims older than reconcileAfterMs.
   */
  private async holdClaim(requestId: string): Promise<void> {
    const claimedAt = this.inFlight.get(requestId);
    if (!claimedAt || Date.now() - claimedAt.getTime() < this.settings.reconcileAfterMs / 3) return;
    const renewed = await this.repo.renewClaim(this.db, requestId, claimedAt);
    if (!renewed) throw new ClaimLost(requestId);
    if (this.inFlight.has(requestId)) this.inFlight.set(requestId, renewed);
  }

  /**
   * Where a send goes when `provider` did not take it: the next provider of the route when the
   * provider is out (circuit open) or refused it by a per-callee limit; a call refused by every
   * voice provider's limit goes as an SMS. Undefined: it stays where it is.
   */
  private moveFor(a: AttemptRow, provider: ProviderName, err: ChannelError): Move | undefined {
    if (err instanceof CalleeLimitRefused) {
      const why = `per-callee limit (${err.providerCode})`;
      const next = this.router.next(a.to_number, a.channel, provider);
      if (next) return { provider: next, channel: a.channel, why };
      const sms = a.channel === 'voice' ? this.router.next(a.to_number, 'sms') : undefined;
      return sms ? { provider: sms, channel: 'sms', why } : undefined;
    }
    if (err instanceof ProviderUnavailable || (countsAsOutage(err) && this.router.isOpen(provider))) {
      const next = this.router.next(a.to_number, a.channel, provider);
      if (next) return { provider: next, channel: a.channel, why: 'circuit open after repeated errors' };
    }
    return undefined;
  }

  /** Records the move: the message rendered again for the provider (and channel) that takes over. */
  private async reroute(a: AttemptRow, from: ProviderName, move: Move): Promise<AttemptRow | undefined> {
    const { sms, voice } = this.router.channels(move.provider);
    const warning = (a.data as { warning?: { drill?: boolean } }).warning;
    const { body, voiceScript } = this.renderer.render(
      {
        to: a.to_number,
        channel: move.channel,
        calloutId: a.callout_id,
        data: a.data,
        language: a.language,
        drill: a.drill ?? warning?.drill ?? false,
        purpose: a.purpose as CalloutRequested['purpose'],
        attempt: a.attempt_no ?? 1,
      },
      this.router.capabilities(move.provider, a.to_number, move.channel),
    );
    const note =
      move.channel === a.channel
        ? `${a.channel} moved from ${from} to ${move.provider}: ${from} ${move.why}`
        : `${a.channel} through ${from} refused by its ${move.why}: sent as ${move.channel} through ${move.provider}`;
    const moved = await this.repo.reroute(this.db, a.request_id, {
      provider: move.provider,
      channel: move.channel,
      from_number: move.channel === 'sms' ? sms.from : voice.from,
      body,
      twiml: voiceScript ? voice.callContent(a.request_id, voiceScript) : null,
      note,
    });
    if (moved) this.logger.warn(`${a.request_id} to ${maskPhone(a.to_number)}: ${note}`);
    return moved;
  }

  /**
   * A send no provider took. Outcome unknown (network/5xx to the end), refused for now (429 to the
   * end) or its provider out with nowhere to move: never a failure of the send, left 'sending' for
   * the reconciler, which asks the provider first. Refused for good: 'failed' with its status event.
   */
  private async settle(a: AttemptRow, provider: ProviderName, err: ChannelError): Promise<'failed'> {
    if (!err.permanent || err instanceof ProviderUnavailable) {
      this.logger.warn(`${a.request_id}: not sent after retries (${err.message}); reconciling later`);
      // The reconciler takes it NOTIFY_RECONCILE_AFTER_MS after its last try, not after its claim: a
      // last try that timed out may still reach the provider, and asked at once it would not show it.
      await this.repo.touchClaim(this.db, a.request_id).catch(() => undefined);
      observeSend(provider, a.channel, 'unknown', 1, err.code);
      throw err;
    }
    await this.db.transaction(async (tx) => {
      await this.repo.markFailed(tx, a.request_id, err.code ?? null, err.message, 0);
      await this.events.addStatuses(tx, [
        this.events.statusMessage(a, {
          eventId: `${a.request_id}:failed`,
          status: 'failed',
          reason: a.routed_note ? `${a.routed_note}; ${err.message}` : err.message,
          lineFault: err.lineFault,
        }),
      ]);
    });
    this.events.announce();
    observeSend(provider, a.channel, 'failed', 1, err.code);
    this.logger.warn(`${a.channel} ${a.request_id} to ${maskPhone(a.to_number)} failed: ${err.message}`);
    return 'failed';
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
            // A send moved to another provider or channel says so on the call-out's timeline.
            ...(s.attempt.routed_note ? { reason: s.attempt.routed_note } : {}),
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
    const { sms, voice } = this.router.channels(this.router.providerOf(attempt));
    const found =
      attempt.channel === 'sms'
        ? await sms.findSent(attempt.to_number, attempt.body, new Date(attempt.created_at))
        : await voice.findSent(attempt.to_number, new Date(attempt.created_at));
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
    const stuck = await this.repo.reclaimStuck(this.db, this.settings.reconcileAfterMs, [
      ...this.inFlight.keys(),
    ]);
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
      try {
        await this.whileInFlight(attempt, () => this.oneCallPerNumber(attempt, adoptOrResend));
      } catch (e) {
        this.logger.warn(`reconcile ${attempt.request_id}: ${(e as Error).message}`);
      }
    }
    return { adopted, resent };
  }
}
