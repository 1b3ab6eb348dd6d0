import { Inject, Injectable } from '@nestjs/common';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { TOPICS } from '../../contracts/topics';
import { TopicHandler } from '../kafka/safe-consumer';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { NotifyService } from './notify.service';
import { NOTIFY_SERVICE } from './notify.tokens';

/** callouts.requested → one send. Render failures reject to the DLQ; redeliveries send nothing. */
@Injectable()
export class CalloutRequestHandlers implements TopicHandlerSource {
  constructor(@Inject(NOTIFY_SERVICE) private readonly notify: NotifyService) {}

  handlers(): TopicHandler<never>[] {
    const h: TopicHandler<CalloutRequested> = {
      topic: TOPICS.calloutsRequested.name,
      contract: 'callout-requested',
      handle: async (value) => {
        await this.notify.send(value);
      },
    };
    return [h as TopicHandler<never>];
  }
}
