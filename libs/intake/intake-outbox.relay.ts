import { outboxRelayFor } from '../kafka/outbox-relay.provider';

/** Publishes intake's outbox (accepted warnings, unmapped-area alerts) to Kafka; nudged after each commit. */
export class IntakeOutboxRelay extends outboxRelayFor('intake') {}
