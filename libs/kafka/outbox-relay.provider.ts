import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Type } from '@nestjs/common';
import { Db } from '../db/db';
import { DB, PUBLISHER } from '../infra/tokens';
import { EventPublisher } from './kafka-client';
import { OutboxRelay } from './outbox';

/** A context's outbox relay as a Nest provider: started at bootstrap, drained at shutdown, nudged after commits. */
export interface ContextOutboxRelay {
  nudge(): void;
}

/**
 * The injectable relay class of one context's outbox (`<schema>.outbox`). Each context declares its
 * own class from it, so the relays of several contexts live side by side in the all-in-one app:
 *   export class CalloutOutboxRelay extends outboxRelayFor('callout') {}
 */
export function outboxRelayFor(
  schema: string,
): Type<ContextOutboxRelay & OnApplicationBootstrap & OnApplicationShutdown> {
  @Injectable()
  class Relay implements ContextOutboxRelay, OnApplicationBootstrap, OnApplicationShutdown {
    private readonly relay: OutboxRelay;

    constructor(@Inject(DB) db: Db, @Inject(PUBLISHER) publisher: EventPublisher) {
      this.relay = new OutboxRelay(db, publisher, schema);
    }

    onApplicationBootstrap(): void {
      this.relay.start();
    }

    nudge(): void {
      this.relay.nudge();
    }

    onApplicationShutdown(): Promise<void> {
      return this.relay.stop();
    }
  }
  return Relay;
}
