import { Injectable } from '@nestjs/common';
import type { CalloutEvent, CalloutStatus } from '../../contracts/generated';
import { TOPICS } from '../../contracts/topics';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { TopicHandler } from '../kafka/safe-consumer';
import { RosterService } from './roster.service';

/** The roster reads who was called (callouts.events) and what the channels reported (callouts.status). */
@Injectable()
export class RosterHandlers implements TopicHandlerSource {
  constructor(private readonly roster: RosterService) {}

  handlers(): TopicHandler<never>[] {
    const events: TopicHandler<CalloutEvent> = {
      topic: TOPICS.calloutsEvents.name,
      contract: 'callout-event',
      keyConcurrency: 16,
      handle: (e) => this.roster.onCalloutEvent(e),
    };
    const statuses: TopicHandler<CalloutStatus> = {
      topic: TOPICS.calloutsStatus.name,
      contract: 'callout-status',
      keyConcurrency: 16,
      handle: (s) => this.roster.onStatus(s),
    };
    return [events, statuses] as TopicHandler<never>[];
  }
}
