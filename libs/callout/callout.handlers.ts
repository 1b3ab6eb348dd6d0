import { Injectable } from '@nestjs/common';
import type { CalloutResponse, CalloutStatus, WarningMessage } from '../../contracts/generated';
import { hazardTopic, HAZARDS, TOPICS } from '../../contracts/topics';
import { TopicHandler } from '../kafka/safe-consumer';
import { observeDispatch } from '../observability/metrics';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { DispatcherService } from './dispatcher.service';
import { TrackerService } from './tracker.service';

/** The dispatcher consumes the four hazard topics. */
@Injectable()
export class DispatcherHandlers implements TopicHandlerSource {
  constructor(private readonly dispatcher: DispatcherService) {}

  handlers(): TopicHandler<never>[] {
    return HAZARDS.map((hazard): TopicHandler<WarningMessage> => ({
      topic: hazardTopic(hazard).name,
      contract: 'warning',
      handle: async (w, meta) => {
        observeDispatch(await this.dispatcher.handle(w, meta.topic), meta.timestamp);
      },
    })) as TopicHandler<never>[];
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

  handlers(): TopicHandler<never>[] {
    const status: TopicHandler<CalloutStatus> = {
      topic: TOPICS.calloutsStatus.name,
      contract: 'callout-status',
      keyConcurrency: TRACKER_KEY_CONCURRENCY,
      handle: (s) => this.tracker.onStatus(s),
    };
    const responses: TopicHandler<CalloutResponse> = {
      topic: TOPICS.calloutsResponses.name,
      contract: 'callout-response',
      keyConcurrency: TRACKER_KEY_CONCURRENCY,
      handle: (r) => this.tracker.onResponse(r),
    };
    return [status, responses] as TopicHandler<never>[];
  }
}
