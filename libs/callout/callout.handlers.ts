import { Injectable } from '@nestjs/common';
import { hazardTopic, HAZARDS, TOPICS } from '../../contracts/topics';
import { onTopic, TopicHandler } from '../kafka/safe-consumer';
import { observeDispatch } from '../observability/metrics';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { DispatcherService } from './dispatcher.service';
import { TrackerService } from './tracker.service';

/** The dispatcher consumes the four hazard topics. */
@Injectable()
export class DispatcherHandlers implements TopicHandlerSource {
  constructor(private readonly dispatcher: DispatcherService) {}

  handlers(): TopicHandler[] {
    return HAZARDS.map((hazard) =>
      onTopic(hazardTopic(hazard), async (warning, meta) => {
        observeDispatch(await this.dispatcher.handle(warning, meta.topic), meta.timestamp);
      }),
    );
  }
}

/**
 * Call-outs of one fetched batch handled at once: the tracker group-commits their changes, so they
 * share a few transactions (each call-out's own messages still one after the other).
 */
const TRACKER_KEY_CONCURRENCY = 64;

/** The tracker consumes what channels report and what people answer. */
@Injectable()
export class TrackerHandlers implements TopicHandlerSource {
  constructor(private readonly tracker: TrackerService) {}

  handlers(): TopicHandler[] {
    const batch = { keyConcurrency: TRACKER_KEY_CONCURRENCY };
    return [
      onTopic(TOPICS.calloutsStatus, (status) => this.tracker.onStatus(status), batch),
      onTopic(TOPICS.calloutsResponses, (response) => this.tracker.onResponse(response), batch),
    ];
  }
}
