import { Injectable } from '@nestjs/common';
import { TOPICS } from '../../contracts/topics';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { onTopic, RejectMessage, TopicHandler } from '../kafka/safe-consumer';
import { IntakeService } from './intake.service';

/**
 * Consumes warnings.cap: each message is CAP XML bytes. A rejected (malformed) message, or one whose
 * identifier names another message received before, is recorded in intake's tables and then thrown
 * as RejectMessage, so it lands on warnings.cap.dlq with its reasons and the partition moves on. A
 * valid warning whose areas map to no division is not rejected: it is held for the duty officer to
 * map (IntakeService.acceptCap).
 */
@Injectable()
export class CapTopicHandlers implements TopicHandlerSource {
  constructor(private readonly intake: IntakeService) {}

  handlers(): TopicHandler[] {
    return [
      onTopic(TOPICS.cap, async (bytes, meta) => {
        const r = await this.intake.acceptCap(
          bytes,
          'cap-kafka',
          `${meta.topic}@${meta.partition}:${meta.offset}`,
        );
        if (r.kind === 'rejected') throw new RejectMessage('CAP message rejected', r.reasons);
        if (r.kind === 'conflict') throw new RejectMessage('CAP identifier names another message', r.reasons);
      }),
    ];
  }
}
