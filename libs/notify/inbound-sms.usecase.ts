import { Logger } from '@nestjs/common';
import { CalloutResponse } from '../../contracts/generated/callout-response';
import { maskPhone } from '../common/mask';
import { Db } from '../db/db';
import { GroupCommit } from '../db/group-commit';
import { langOf, MessageTemplates } from '../templates/message-templates';
import { NotifyEvents } from './notify-events';
import { AttemptRow, NotifyRepository } from './notify.repository';
import { InboundSms } from './provider';
import { classifyReply, ReplyClass } from './reply-classifier';

export interface InboundSmsSettings {
  confirmKeywords: string[];
}

interface ClassifiedSms {
  sms: InboundSms;
  reply: ReplyClass;
}

type InboundOutcome = 'repeat' | 'no-callout' | AttemptRow;

/**
 * An SMS a person sent: finds the send it answers, classifies it (confirm, feedback, unrecognised),
 * publishes it as callouts.responses once (by message id) and answers the text to reply with.
 * Written in group commits, like the status callbacks.
 */
export class InboundSmsReplies {
  private readonly logger = new Logger('Notify');
  private readonly batches = new GroupCommit<ClassifiedSms, InboundOutcome>((items) => this.write(items));

  constructor(
    private readonly db: Db,
    private readonly repo: NotifyRepository,
    private readonly templates: MessageTemplates,
    private readonly events: NotifyEvents,
    private readonly settings: InboundSmsSettings,
  ) {}

  /** Answers the reply to send back, or null (a repeat of a message already answered). */
  async receive(sms: InboundSms): Promise<string | null> {
    const reply = classifyReply(sms.body, { confirmKeywords: this.settings.confirmKeywords });
    const outcome = await this.batches.add({ sms, reply });
    if (outcome === 'repeat') return null;
    if (outcome === 'no-callout') {
      this.logger.warn(`SMS from ${maskPhone(sms.from)} answers no call-out`);
      return this.templates.render('sms', 'reply/no-callout', 'zh-CN', {});
    }
    const name =
      reply.kind === 'confirm'
        ? 'reply/confirmed'
        : reply.kind === 'feedback'
          ? 'reply/feedback'
          : 'reply/help';
    return this.templates.render('sms', name, langOf(outcome.language), { ...outcome.data });
  }

  /**
   * One transaction for a batch of inbound SMS: each finds the send it answers, is recorded once by
   * its message id (a provider's retry, in an earlier batch or this one, is a repeat) and becomes a
   * callouts.responses event.
   */
  private async write(items: ClassifiedSms[]): Promise<InboundOutcome[]> {
    const outcomes = await this.db.transaction(async (tx) => {
      const attempts: (AttemptRow | undefined)[] = [];
      for (const { sms, reply } of items)
        attempts.push(await this.repo.answeredBy(tx, sms.from, reply.shortCode));
      const first = await this.repo.firstTimes(
        tx,
        items.map(({ sms }, k) => ({
          eventId: sms.messageId,
          kind: 'sms-inbound',
          requestId: attempts[k]?.request_id ?? null,
          payload: sms.providerFields,
        })),
      );
      const taken = new Set<string>();
      const messages: { key: string; value: CalloutResponse }[] = [];
      const result = items.map(({ sms, reply }, k): InboundOutcome => {
        if (!first.has(sms.messageId) || taken.has(sms.messageId)) return 'repeat';
        taken.add(sms.messageId);
        const attempt = attempts[k];
        if (!attempt) return 'no-callout';
        messages.push(
          this.events.responseMessage(attempt, {
            responseId: sms.messageId,
            via: 'sms',
            kind: reply.kind,
            ...(reply.kind === 'feedback' ? { feedback: reply.feedback } : {}),
            text: sms.body,
          }),
        );
        return attempt;
      });
      await this.events.addResponses(tx, messages);
      return result;
    });
    if (outcomes.some((o) => typeof o === 'object')) this.events.announce();
    return outcomes;
  }
}
