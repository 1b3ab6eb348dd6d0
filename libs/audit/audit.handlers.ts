import { Inject, Injectable } from '@nestjs/common';
import { allTopicSpecs, ContractName, ContractPayload } from '../../contracts/topics';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { TopicNamer } from '../kafka/kafka-client';
import { ContractHandler, TopicHandler } from '../kafka/safe-consumer';
import { TOPIC_NAMER } from '../infra/tokens';
import { EntryDraft } from './ledger-entry';
import {
  fromCalloutEvent,
  fromCap,
  fromCapacityPlan,
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

/** The contracts the ledger maps entry by entry (dead letters are read raw). */
type LedgerContract = Exclude<ContractName, 'raw'>;
type Mappers = {
  [C in LedgerContract]: (topic: string, value: ContractPayload<C>, now: string) => EntryDraft;
};

const MAPPERS: Mappers = {
  warning: fromWarning,
  'cap-xml': fromCap,
  'callout-requested': fromRequested,
  'callout-status': fromStatus,
  'callout-response': fromResponse,
  'callout-event': fromCalloutEvent,
  'coverage-alert': fromCoverageAlert,
  'warning-closed': fromClosed,
  'field-task-event': fromFieldTaskEvent,
  'capacity-plan': fromCapacityPlan,
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

  handlers(): TopicHandler[] {
    return allTopicSpecs().map((spec) =>
      // A dead letter may fit no contract: read raw, as any raw topic is.
      spec.name.endsWith('.dlq') || spec.contract === 'raw'
        ? this.deadLetters(spec.name)
        : this.entries(spec.name, spec.contract),
    );
  }

  private deadLetters(topic: string): ContractHandler<'raw'> {
    return {
      topic,
      contract: 'raw',
      handle: async (value, meta) => {
        const now = new Date().toISOString();
        await this.ledger.append(fromDeadLetter(topic, value, meta, (t) => this.namer.base(t), now));
      },
    };
  }

  private entries<C extends LedgerContract>(topic: string, contract: C): ContractHandler<C> {
    const map: Mappers[C] = MAPPERS[contract];
    return {
      topic,
      contract,
      handle: async (value) => {
        await this.ledger.append(map(topic, value, new Date().toISOString()));
      },
    };
  }
}
