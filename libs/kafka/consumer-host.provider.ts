import { Provider, Type } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { Readiness } from '../infra/readiness';
import { CONFIG, PUBLISHER, READINESS, TOPIC_NAMER } from '../infra/tokens';
import { ConsumerHost, TopicHandlerSource } from './consumer-host';
import { EventPublisher, TopicNamer } from './kafka-client';

/**
 * A Nest provider that starts one consumer group for a bounded context at application bootstrap and
 * stops it at shutdown. `sources` are the context's classes that declare their topic handlers.
 *   providers: [WarningHandlers, consumerHostProvider('dispatcher', [WarningHandlers])]
 */
export function consumerHostProvider(
  group: string,
  sources: Type<TopicHandlerSource>[],
  concurrency?: number,
): Provider {
  return {
    provide: `ConsumerHost:${group}`,
    inject: [CONFIG, TOPIC_NAMER, PUBLISHER, READINESS, ...sources],
    useFactory: (
      cfg: AppConfig,
      namer: TopicNamer,
      publisher: EventPublisher,
      readiness: Readiness,
      ...instances: TopicHandlerSource[]
    ) =>
      new ConsumerHost({
        brokers: cfg.KAFKA_BROKERS ?? [],
        group,
        namer,
        publisher,
        readiness,
        handlers: instances.flatMap((i) => i.handlers()),
        concurrency,
      }),
  };
}
