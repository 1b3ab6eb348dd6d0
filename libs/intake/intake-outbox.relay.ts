import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Db } from '../db/db';
import { DB, PUBLISHER } from '../infra/tokens';
import { EventPublisher } from '../kafka/kafka-client';
import { OutboxRelay } from '../kafka/outbox';

/** Publishes intake's outbox (accepted warnings, unmapped-area alerts) to Kafka; nudged after each commit. */
@Injectable()
export class IntakeOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: OutboxRelay;

  constructor(@Inject(DB) db: Db, @Inject(PUBLISHER) publisher: EventPublisher) {
    this.relay = new OutboxRelay(db, publisher, 'intake');
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
