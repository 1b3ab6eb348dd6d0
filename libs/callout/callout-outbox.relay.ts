import { outboxRelayFor } from '../kafka/outbox-relay.provider';

/** Publishes the call-out context's outbox (callout.outbox) to Kafka; nudged after each commit. */
export class CalloutOutboxRelay extends outboxRelayFor('callout') {}
