import type {
  CalloutEvent,
  CapacityPlanned,
  CalloutRequested,
  CalloutResponse,
  CalloutStatus,
  CoverageAlert,
  FieldTaskEvent,
  WarningClosed,
  WarningMessage,
} from './generated';

/** What a consumer of each contract receives: the decoded, validated message value. */
export interface ContractPayloads {
  warning: WarningMessage;
  /** CAP XML bytes, parsed and validated by intake. */
  'cap-xml': Buffer;
  /** Any bytes, not decoded or validated (the audit reads dead letters this way). */
  raw: Buffer | null;
  'callout-requested': CalloutRequested;
  'callout-status': CalloutStatus;
  'callout-response': CalloutResponse;
  'callout-event': CalloutEvent;
  'coverage-alert': CoverageAlert;
  'warning-closed': WarningClosed;
  'field-task-event': FieldTaskEvent;
  'capacity-plan': CapacityPlanned;
}

export type ContractName = keyof ContractPayloads;
/** The value type of a contract. */
export type ContractPayload<C extends ContractName> = ContractPayloads[C];

/**
 * Every Kafka topic of the system, its partition count and the contract its messages follow.
 * Services create these at start (auto-create is off on the broker). Every consumed topic has a
 * dead-letter twin `<topic>.dlq` that carries the original bytes and headers plus the reason.
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  contract: ContractName;
}

/** The topics whose messages follow contract C. */
export type TopicSpecOf<C extends ContractName> = TopicSpec & { contract: C };

export const HAZARDS = ['meteorological', 'flood', 'geologic', 'forest-fire'] as const;
export type Hazard = (typeof HAZARDS)[number];

export const TOPICS = {
  meteorological: { name: 'warnings.meteorological', partitions: 3, contract: 'warning' },
  flood: { name: 'warnings.flood', partitions: 3, contract: 'warning' },
  geologic: { name: 'warnings.geologic', partitions: 3, contract: 'warning' },
  forestFire: { name: 'warnings.forest-fire', partitions: 3, contract: 'warning' },
  cap: { name: 'warnings.cap', partitions: 3, contract: 'cap-xml' },
  calloutsRequested: { name: 'callouts.requested', partitions: 12, contract: 'callout-requested' },
  calloutsStatus: { name: 'callouts.status', partitions: 12, contract: 'callout-status' },
  calloutsResponses: { name: 'callouts.responses', partitions: 12, contract: 'callout-response' },
  calloutsEvents: { name: 'callouts.events', partitions: 12, contract: 'callout-event' },
  coverageAlerts: { name: 'alerts.coverage', partitions: 3, contract: 'coverage-alert' },
  warningsClosed: { name: 'warnings.closed', partitions: 3, contract: 'warning-closed' },
  fieldTasksEvents: { name: 'fieldtasks.events', partitions: 3, contract: 'field-task-event' },
  calloutsPlans: { name: 'callouts.plans', partitions: 3, contract: 'capacity-plan' },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

export const hazardTopic = (hazard: Hazard): TopicSpecOf<'warning'> =>
  ({
    meteorological: TOPICS.meteorological,
    flood: TOPICS.flood,
    geologic: TOPICS.geologic,
    'forest-fire': TOPICS.forestFire,
  })[hazard];

export const dlqName = (topic: string) => `${topic}.dlq`;

/**
 * The id of one bad message: where it was read (topic, partition, offset). Every consumer group that
 * rejects it writes its own dead letter, with its reason, carrying this id (x-dlq-id), so readers show
 * one entry per bad message with every group's reason, and nothing a group said is lost.
 */
export const deadLetterId = (topic: string, partition: number | string, offset: string) =>
  `${topic}:${partition}:${offset}`;

/** All topics to create, with their DLQs (one partition each: a DLQ is read by people, not at scale). */
export function allTopicSpecs(): TopicSpec[] {
  const base = Object.values(TOPICS) as TopicSpec[];
  return [...base, ...base.map((t) => ({ name: dlqName(t.name), partitions: 1, contract: t.contract }))];
}
