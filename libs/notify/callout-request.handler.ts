import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '../../contracts/topics';
import { onTopic, TopicHandler } from '../kafka/safe-consumer';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { CalloutSending } from './callout-sending.usecase';
import { NOTIFY_WORKER } from './notify.tokens';
import { SendWorker } from './send-worker';

/**
 * callouts.requested → one queued attempt (render + insert, then the offset commits); the send
 * worker sends it. Render failures reject to the DLQ; redeliveries queue nothing.
 */
@Injectable()
export class CalloutRequestHandlers implements TopicHandlerSource {
  constructor(
    @Inject(CalloutSending) private readonly sending: CalloutSending,
    @Inject(NOTIFY_WORKER) private readonly worker: Pick<SendWorker<unknown>, 'nudge'>,
  ) {}

  handlers(): TopicHandler[] {
    return [
      onTopic(
        TOPICS.calloutsRequested,
        async (request) => {
          if ((await this.sending.accept(request)) === 'queued') this.worker.nudge();
        },
        // The requests of a fetched batch are accepted together (CalloutSending's accept group commit).
        { keyConcurrency: 64 },
      ),
    ];
  }
}
