import { Inject, Injectable } from '@nestjs/common';
import { allTopicSpecs, deadLetterId, TOPICS } from '../../contracts/topics';
import { TOPIC_NAMER } from '../infra/tokens';
import { TopicNamer } from '../kafka/kafka-client';
import { TopicHandlerSource } from '../kafka/consumer-host';
import { ContractHandler, onTopic, TopicHandler } from '../kafka/safe-consumer';
import { ConsoleRepository } from './console.repository';
import { LiveHub } from './live-hub';

/** A readable one-line summary of a dead letter's body (it may be anything: XML, broken JSON, binary). */
export function deadLetterSummary(value: Buffer | null): {
  summary: string;
  warningId: string | null;
  drill: boolean;
} {
  if (!value || value.length === 0) return { summary: '(empty message)', warningId: null, drill: false };
  const text = value.toString('utf8');
  let warningId: string | null = null;
  let drill = false;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const id = typeof v.warningId === 'string' ? v.warningId : typeof v.id === 'string' ? v.id : null;
    warningId = id && /^[\w.:-]{1,200}$/.test(id) ? id : null;
    drill = v.drill === true || v.status === 'Exercise';
  } catch {
    // not JSON: shown as text
  }
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u0008\u000b-\u001f\ufffd]/g, '·').replace(/\s+/g, ' ');
  return { summary: printable.slice(0, 240) + (printable.length > 240 ? '…' : ''), warningId, drill };
}

/** The bad message's id of a dead letter (x-dlq-id, or the topic, partition and offset it was read at). */
function originOf(h: Record<string, string>): string | undefined {
  if (h['x-dlq-id']) return h['x-dlq-id'];
  const [topic, partition, offset] = [h['x-dlq-topic'], h['x-dlq-partition'], h['x-dlq-offset']];
  return topic && partition !== undefined && offset !== undefined
    ? deadLetterId(topic, partition, offset)
    : undefined;
}

/**
 * The console's own consumer group: call-out transitions and closed warnings nudge the board; coverage
 * alerts and every dead letter (read raw: they may fit no contract) are kept in console.recent_events
 * with their reasons and pushed to the duty officers' browsers.
 */
@Injectable()
export class ConsoleEventsHandlers implements TopicHandlerSource {
  constructor(
    private readonly repo: ConsoleRepository,
    private readonly hub: LiveHub,
    @Inject(TOPIC_NAMER) private readonly namer: TopicNamer,
  ) {}

  handlers(): TopicHandler[] {
    const own: TopicHandler[] = [
      onTopic(TOPICS.calloutsEvents, async (event) => {
        this.hub.recordActivity({
          at: event.at,
          warningId: event.warningId,
          calloutId: event.calloutId,
          personName: event.personName,
          areaCode: event.areaCode,
          areaName: event.areaName,
          from: event.from,
          to: event.to,
          reason: event.reason,
          drill: !!event.drill,
        });
        this.hub.boardChanged({ areaCode: event.areaCode, to: event.to });
      }),
      onTopic(TOPICS.warningsClosed, async () => this.hub.boardChanged()),
      onTopic(TOPICS.fieldTasksEvents, async () => this.hub.boardChanged()),
      // A capacity plan recorded: the board shows its prediction next to the first sends.
      onTopic(TOPICS.calloutsPlans, async () => this.hub.boardChanged()),
      onTopic(TOPICS.coverageAlerts, async (alert) => {
        const details = (alert.details ?? {}) as Record<string, unknown>;
        const fresh = await this.repo.addRecent({
          event_key: `alert:${alert.alertId}`,
          kind: 'alert',
          warning_id: alert.warningId,
          drill: details.drill === true,
          summary: [alert.areaName ?? alert.areaCode, alert.message].filter(Boolean).join('：'),
          reason: alert.kind,
          at: alert.at,
          detail: alert,
        });
        if (fresh) this.hub.publish('alert', { kind: alert.kind, warningId: alert.warningId });
      }),
    ];
    const dlqs = allTopicSpecs()
      .filter((s) => s.name.endsWith('.dlq'))
      .map((spec): ContractHandler<'raw'> => ({
        topic: spec.name,
        contract: 'raw',
        handle: async (value, meta) => {
          const h = meta.headers;
          const s = deadLetterSummary(value);
          const fresh = await this.repo.addDeadLetter({
            // One entry per bad message (every group that rejected it adds its reason); without
            // the headers that say where it was read, the dead letter's own position.
            event_key: `dlq:${originOf(h) ?? `${spec.name}:${meta.partition}:${meta.offset}`}`,
            warning_id: s.warningId,
            drill: s.drill,
            summary: `${spec.name.replace(/\.dlq$/, '')}: ${s.summary}`,
            group: h['x-dlq-group'] ? this.namer.base(h['x-dlq-group']) : 'unknown consumer',
            reason: h['x-dlq-reason'] ?? 'no reason given',
            at: new Date(Number(meta.timestamp) || Date.now()).toISOString(),
            detail: { headers: h, key: meta.key },
          });
          if (fresh) this.hub.publish('dlq', { topic: spec.name });
        },
      }));
    return [...own, ...dlqs];
  }
}
