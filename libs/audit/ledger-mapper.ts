import { createHash } from 'node:crypto';
import {
  CalloutEvent,
  CalloutRequested,
  CalloutResponse,
  CalloutStatus,
  CapacityPlanned,
  CoverageAlert,
  FieldTaskEvent,
  WarningClosed,
  WarningMessage,
} from '../../contracts/generated';
import { deadLetterId } from '../../contracts/topics';
import { storable } from './canonical-json';
import { EntryDraft, EntrySubject, isoTime, SYSTEM_CHAIN } from './ledger-entry';

/**
 * Turns each consumed event into a ledger entry draft: which chain, which idempotency key, when it
 * happened, who acted, whom it is about. Keys come from the event itself (never topic/partition/offset,
 * which change when an event is published again), so consuming an event twice yields one entry.
 */

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The warning aggregate a message belongs to: an Update/Cancel joins the chain of what it references. */
export function warningChainId(w: Pick<WarningMessage, 'id' | 'msgType' | 'references'>): string {
  return w.msgType === 'Alert' ? w.id : (w.references?.[0] ?? w.id);
}

function draft(
  topic: string,
  chainId: string,
  eventKey: string,
  at: unknown,
  now: string,
  actor: string | null,
  subject: EntrySubject,
  drill: boolean,
  content: unknown,
): EntryDraft {
  const clean = Object.fromEntries(Object.entries(subject).filter(([, v]) => typeof v === 'string' && v));
  return {
    chainId,
    eventKey,
    topic,
    occurredAt: isoTime(at, now),
    actor,
    subject: clean,
    drill,
    content: storable(content),
  };
}

export function fromWarning(topic: string, w: WarningMessage, now: string): EntryDraft {
  return draft(
    topic,
    warningChainId(w),
    `warning:${w.id}:${w.msgType}:${w.sentAt}`,
    w.sentAt,
    now,
    w.sender,
    { warningId: w.id },
    w.status === 'Exercise',
    w,
  );
}

export function fromRequested(topic: string, r: CalloutRequested, now: string): EntryDraft {
  return draft(
    topic,
    r.warningId,
    `requested:${r.requestId}`,
    r.requestedAt,
    now,
    'dispatcher',
    { warningId: r.warningId, calloutId: r.calloutId, personId: r.personId, requestId: r.requestId },
    r.drill,
    r,
  );
}

export function fromStatus(topic: string, s: CalloutStatus, now: string): EntryDraft {
  return draft(
    topic,
    s.warningId,
    `status:${s.eventId}`,
    s.at,
    now,
    `channel:${s.channel}`,
    { warningId: s.warningId, calloutId: s.calloutId, requestId: s.requestId },
    false,
    s,
  );
}

export function fromResponse(topic: string, r: CalloutResponse, now: string): EntryDraft {
  return draft(
    topic,
    r.warningId,
    `response:${r.responseId}`,
    r.at,
    now,
    r.actor ?? `person-via-${r.via}`,
    { warningId: r.warningId, calloutId: r.calloutId },
    false,
    r,
  );
}

export function fromCalloutEvent(topic: string, e: CalloutEvent, now: string): EntryDraft {
  return draft(
    topic,
    e.warningId,
    `event:${e.eventId}`,
    e.at,
    now,
    'tracker',
    {
      warningId: e.warningId,
      calloutId: e.calloutId,
      personId: e.personId,
      subjectCalloutId: e.subjectCalloutId ?? undefined,
    },
    e.drill === true,
    e,
  );
}

export function fromCoverageAlert(topic: string, a: CoverageAlert, now: string): EntryDraft {
  return draft(
    topic,
    a.warningId,
    `coverage:${a.alertId}`,
    a.at,
    now,
    a.actor ?? 'dispatcher',
    { warningId: a.warningId, calloutId: a.calloutId, personId: a.personId },
    false,
    a,
  );
}

export function fromClosed(topic: string, c: WarningClosed, now: string): EntryDraft {
  return draft(
    topic,
    c.warningId,
    `closed:${c.warningId}`,
    c.at,
    now,
    'tracker',
    { warningId: c.warningId },
    c.drill === true,
    c,
  );
}

/** A step of a door-to-door hand-off joins the chain of its warning; the actor is who took it. */
export function fromFieldTaskEvent(topic: string, e: FieldTaskEvent, now: string): EntryDraft {
  return draft(
    topic,
    e.warningId,
    `fieldtask:${e.eventId}`,
    e.at,
    now,
    e.actor,
    { warningId: e.warningId, calloutId: e.calloutId, personId: e.assignee.personId },
    e.drill,
    e,
  );
}

/** The capacity planner's prediction for a warning's first call-outs, made as the dispatcher planned them. */
export function fromCapacityPlan(topic: string, p: CapacityPlanned, now: string): EntryDraft {
  return draft(
    topic,
    p.warningId,
    `plan:${p.planId}`,
    p.at,
    now,
    'dispatcher',
    { warningId: p.warningId },
    p.drill,
    p,
  );
}

/** Up to this many bytes of a raw message are kept as text; the hash covers all of them. */
const RAW_KEEP = 64 * 1024;

function rawBody(value: Buffer | null): Record<string, unknown> {
  if (value === null) return { valueEncoding: 'null', size: 0 };
  const kept = value.subarray(0, RAW_KEEP);
  const text = kept.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(kept);
  return {
    size: value.length,
    sha256: sha256(value),
    truncated: value.length > RAW_KEEP || undefined,
    valueEncoding: isText ? 'utf8' : 'base64',
    value: isText ? text : kept.toString('base64'),
  };
}

/** Reads one simple element of CAP XML by regex: no parser runs over untrusted bytes here. */
function capField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${name}>\\s*([^<]{1,200}?)\\s*</(?:\\w+:)?${name}>`).exec(xml);
  return m?.[1];
}

/** A safe chain id: what a warning id looks like, nothing that could confuse a reader. */
const SAFE_ID = /^[\w.:-]{1,200}$/;

export function fromCap(topic: string, xml: Buffer, now: string): EntryDraft {
  const head = xml.subarray(0, RAW_KEEP).toString('utf8');
  const identifier = capField(head, 'identifier');
  const sent = capField(head, 'sent');
  const status = capField(head, 'status');
  const msgType = capField(head, 'msgType');
  const id = identifier && SAFE_ID.test(identifier) ? identifier : undefined;
  return draft(
    topic,
    id ?? SYSTEM_CHAIN,
    `cap:${sha256(xml)}`,
    sent,
    now,
    capField(head, 'sender') ?? null,
    { warningId: id },
    status === 'Exercise',
    { identifier, sent, status, msgType, ...rawBody(xml) },
  );
}

/** The x-dlq-* headers SafeConsumer adds, plus any others the original carried. */
export function fromDeadLetter(
  dlqTopic: string,
  value: Buffer | null,
  meta: { key: string | null; headers: Record<string, string>; partition: number; offset: string },
  baseTopic: (prefixed: string) => string,
  now: string,
): EntryDraft {
  const h = meta.headers;
  const originalTopic = h['x-dlq-topic'] ? baseTopic(h['x-dlq-topic']) : undefined;
  const group = h['x-dlq-group'] ? baseTopic(h['x-dlq-group']) : undefined;
  // One entry per consumer group that rejected the message: each group's reason is kept, and the
  // same group's dead letter read again is the same entry.
  const eventKey =
    originalTopic && h['x-dlq-partition'] !== undefined && h['x-dlq-offset'] !== undefined
      ? `dlq:${deadLetterId(originalTopic, h['x-dlq-partition'], h['x-dlq-offset'])}${group ? `:${group}` : ''}`
      : `dlq:${dlqTopic}:sha256:${value ? sha256(value) : 'null'}:${meta.key ?? ''}`;
  // A dead letter joins its warning's chain when its body names one; otherwise the system chain.
  let warningId: string | undefined;
  let drill = false;
  if (value) {
    try {
      const v = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
      const id = typeof v?.warningId === 'string' ? v.warningId : undefined;
      const own =
        typeof v?.id === 'string' && typeof v?.msgType === 'string'
          ? warningChainId(v as unknown as WarningMessage)
          : undefined;
      const candidate = id ?? own;
      if (candidate && SAFE_ID.test(candidate)) warningId = candidate;
      drill = v?.drill === true || v?.status === 'Exercise';
    } catch {
      // not JSON: kept as it is, in the system chain
    }
  }
  const otherHeaders = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith('x-dlq-')));
  return draft(
    dlqTopic,
    warningId ?? SYSTEM_CHAIN,
    eventKey,
    h['x-dlq-at'],
    now,
    group ? `consumer:${group}` : null,
    { warningId },
    drill,
    {
      originalTopic,
      originalPartition: h['x-dlq-partition'] !== undefined ? Number(h['x-dlq-partition']) : undefined,
      originalOffset: h['x-dlq-offset'],
      reason: h['x-dlq-reason'],
      group,
      attempts: h['x-dlq-attempts'] !== undefined ? Number(h['x-dlq-attempts']) : undefined,
      key: meta.key,
      headers: otherHeaders,
      ...rawBody(value),
    },
  );
}
