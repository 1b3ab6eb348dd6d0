/**
 * Errors that domain code throws for an outcome of its rules, free of any transport. The edges map
 * them: the Kafka consumer sends the message to its dead-letter topic at once, with the reason and
 * details, without retrying (libs/kafka/safe-consumer.ts); over HTTP, DomainErrorFilter
 * (domain-error.filter.ts, registered by InfraModule) answers 400, 404 or 409: controllers map nothing.
 * Anything else a handler throws is taken as a failure that may pass, and retried.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'rejected' | 'not-found' | 'conflict';

  constructor(
    message: string,
    /** The reasons, one per broken rule, recorded with the rejection. */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input breaks a rule and can never succeed as it is (e.g. a level the signal does not have). */
export class RejectedInput extends DomainError {
  readonly kind = 'rejected';
}

/** What the input refers to does not exist. */
export class NotFound extends DomainError {
  readonly kind = 'not-found';
}

/** The input contradicts what is already recorded (e.g. an id that names another message). */
export class Conflict extends DomainError {
  readonly kind = 'conflict';
}
