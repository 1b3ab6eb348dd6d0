import { CalloutResponse } from '../../contracts/generated/callout-response';
import { CalloutStatus } from '../../contracts/generated/callout-status';
import { TOPICS } from '../../contracts/topics';
import { Db, Queryable } from '../db/db';
import { Outbox } from '../kafka/outbox';
import { storedTraceHeaders } from '../observability/tracing';
import { AttemptRow, NotifyRepository } from './notify.repository';
import { ChannelStatus, ChannelStatusCode } from './provider';
import { Feedback } from './reply-classifier';

export interface StatusEventFields {
  eventId: string;
  status: ChannelStatusCode;
  providerId?: string;
  durationSec?: number;
  reason?: string;
  lineFault?: ChannelStatus['lineFault'];
  answeredBy?: ChannelStatus['answeredBy'];
}

export interface ResponseFields {
  responseId: string;
  via: CalloutResponse['via'];
  kind: CalloutResponse['kind'];
  feedback?: Feedback;
  text?: string;
}

type Keyed<T> = { key: string; value: T };

/**
 * The events notify publishes (callouts.status, callouts.responses), written to its outbox inside
 * the caller's transaction; `announce` after the commit tells the relay there is something to send.
 */
export class NotifyEvents {
  private readonly outbox = new Outbox('notify');

  constructor(
    private readonly repo: NotifyRepository,
    /** Called after a transaction that wrote to the outbox commits. */
    readonly announce: () => void = () => undefined,
  ) {}

  statusMessage(a: AttemptRow, s: StatusEventFields): Keyed<CalloutStatus> {
    const value: CalloutStatus = {
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
    return { key: a.callout_id, value, ...storedTraceHeaders(a) };
  }

  responseMessage(a: AttemptRow, r: ResponseFields): Keyed<CalloutResponse> {
    const value: CalloutResponse = {
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
    return { key: a.callout_id, value, ...storedTraceHeaders(a) };
  }

  addStatuses(tx: Queryable, messages: Keyed<CalloutStatus>[]): Promise<void> {
    return this.outbox.add(tx, TOPICS.calloutsStatus.name, messages);
  }

  addResponses(tx: Queryable, messages: Keyed<CalloutResponse>[]): Promise<void> {
    return this.outbox.add(tx, TOPICS.calloutsResponses.name, messages);
  }

  /**
   * Records a person's response once under `responseId` (a repeat, e.g. a webhook retried, finds it
   * recorded and publishes nothing) and publishes it. Answers whether it was the first time.
   */
  async respondOnce(
    db: Db,
    a: AttemptRow,
    record: { kind: string; payload: unknown },
    response: ResponseFields,
  ): Promise<boolean> {
    const first = await db.transaction(async (tx) => {
      const isNew = await this.repo.firstTime(
        tx,
        response.responseId,
        record.kind,
        a.request_id,
        record.payload,
      );
      if (!isNew) return false;
      await this.addResponses(tx, [this.responseMessage(a, response)]);
      return true;
    });
    if (first) this.announce();
    return first;
  }
}
