import { Inject, Injectable } from '@nestjs/common';
import { allTopicSpecs, ContractName, TopicSpec } from '../../contracts/topics';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { TopicNamer } from '../kafka/kafka-client';
import { MessageMeta, TopicHandler } from '../kafka/safe-consumer';
import { TOPIC_NAMER } from '../infra/tokens';
import { EntryDraft } from './ledger-entry';
import {
  fromCalloutEvent,
  fromCap,
  fromClosed,
  fromCoverageAlert,
  fromDeadLetter,
  fromFieldTaskEvent,
  fromRequested,
  fromResponse,
  fromStatus,
  fromWarning,
} from './ledger-mapper';
import { LedgerRepository } from './ledger.repository';

type Mapper = (topic: string, value: never, now: string) => EntryDraft;

const MAPPERS: Record<Exclude<ContractName, 'raw'>, Mapper> = {
  warning: fromWarning,
  'cap-xml': fromCap,
  'callout-requested': fromRequested,
  'callout-status': fromStatus,
  'callout-response': fromResponse,
  'callout-event': fromCalloutEvent,
  'coverage-alert': fromCoverageAlert,
  'warning-closed': fromClosed,
  'field-task-event': fromFieldTaskEvent,
};

/**
 * The audit consumes every topic of the system and every dead-letter twin into the ledger.
 * Dead letters are read raw: they are exactly the messages that may not be JSON or fit no contract.
 */
@Injectable()
export class AuditHandlers implements TopicHandlerSource {
  constructor(
    private readonly ledger: LedgerRepository,
    @Inject(TOPIC_NAMER) private readonly namer: TopicNamer,
  ) {}

  handlers(): TopicHandler<never>[] {
    return allTopicSpecs().map((spec) => this.handlerFor(spec));
  }

  private handlerFor(spec: TopicSpec): TopicHandler<never> {
    if (spec.name.endsWith('.dlq')) {
      return {
        topic: spec.name,
        contract: 'raw',
        handle: async (value: Buffer | null, meta: MessageMeta) => {
          const now = new Date().toISOString();
          await this.ledger.append(fromDeadLetter(spec.name, value, meta, (t) => this.namer.base(t), now));
        },
      } as TopicHandler<never>;
    }
    const map = MAPPERS[spec.contract as Exclude<ContractName, 'raw'>];
    return {
      topic: spec.name,
      contract: spec.contract,
      handle: async (value: never) => {
        await this.ledger.append(map(spec.name, value, new Date().toISOString()));
      },
    };
  }
}
