import { Injectable } from '@nestjs/common';
import { TOPICS } from '../../contracts/topics';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { onTopic, TopicHandler } from '../kafka/safe-consumer';
import { RosterService } from './roster.service';

/** The roster reads who was called (callouts.events) and what the channels reported (callouts.status). */
@Injectable()
export class RosterHandlers implements TopicHandlerSource {
  constructor(private readonly roster: RosterService) {}

  handlers(): TopicHandler[] {
    const batch = { keyConcurrency: 16 };
    return [
      onTopic(TOPICS.calloutsEvents, (event) => this.roster.onCalloutEvent(event), batch),
      onTopic(TOPICS.calloutsStatus, (status) => this.roster.onStatus(status), batch),
    ];
  }
}
