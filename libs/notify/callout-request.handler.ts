import { Inject, Injectable } from '@nestjs/common';
import { CalloutRequested } from '../../contracts/generated/callout-requested';
import { TOPICS } from '../../contracts/topics';
import { TopicHandler } from '../kafka/safe-consumer';
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

  handlers(): TopicHandler<never>[] {
    const h: TopicHandler<CalloutRequested> = {
      topic: TOPICS.calloutsRequested.name,
      contract: 'callout-requested',
      // The requests of a fetched batch are accepted together (CalloutSending's accept group commit).
      keyConcurrency: 64,
      handle: async (value) => {
        if ((await this.sending.accept(value)) === 'queued') this.worker.nudge();
      },
    };
    return [h as TopicHandler<never>];
  }
}
