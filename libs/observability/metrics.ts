import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The project's own Prometheus metrics, in one registry per process (the all-in-one app shares it
 * between its contexts; `service` tells the processes apart). Labels are bounded sets only: stage,
 * state, level, hazard, channel, provider, outcome, error code, topic, group, schema, a reason
 * class: never a warning id, a call-out id or a phone number.
 *
 * Counters and histograms are moved by one-line calls at the place the thing happens (the observe*
 * functions below); gauges of what is waiting (queues, lag, backlog, states) are read at scrape time
 * by collectors.ts, so they cost nothing between scrapes.
 */
export const registry = new Registry();

/**
 * METRICS=0 turns the project's own counting off (the observe* calls return at once; /metrics still
 * answers, with the scrape-time readings): the benchmark's run without metrics.
 */
const counting = process.env.METRICS !== '0';

let defaultsOn = false;
/** Names the process and turns on prom-client's default process metrics (once). */
export function initMetrics(service: string): void {
  registry.setDefaultLabels({ service });
  if (!defaultsOn && counting) collectDefaultMetrics({ register: registry });
  defaultsOn = true;
}

/** The stages of one call-out, each timed from the end of the one before. */
export const STAGES = [
  'warning_to_plan',
  'plan_to_claim',
  'claim_to_accept',
  'accept_to_deliver',
  'deliver_to_confirm',
  'deadline_due_to_fired',
] as const;
export type Stage = (typeof STAGES)[number];

export const stageSeconds = new Histogram({
  name: 'callout_stage_seconds',
  help: 'Time spent in each stage of a call-out: warning received → plan committed → send claimed → accepted by the provider → delivered → confirmed; and deadline due → fired',
  labelNames: ['stage'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
  registers: [registry],
});

export const warningsDispatched = new Counter({
  name: 'dispatcher_warning_messages_total',
  help: 'Warning messages the dispatcher handled, by outcome (planned, duplicate, held, cancelled …)',
  labelNames: ['outcome'],
  registers: [registry],
});

export const sends = new Counter({
  name: 'notify_sends_total',
  help: 'Sends handed to a provider, by provider, channel and outcome (accepted, failed, unknown: left to the reconciler)',
  labelNames: ['provider', 'channel', 'outcome'],
  registers: [registry],
});

export const providerErrors = new Counter({
  name: 'notify_provider_errors_total',
  help: 'Sends a provider refused or failed, by provider and error code ("none" when it gave none)',
  labelNames: ['provider', 'code'],
  registers: [registry],
});

export const sendRetries = new Counter({
  name: 'notify_send_retries_total',
  help: 'API requests repeated after a 429, a 5xx or a network error, by provider and channel',
  labelNames: ['provider', 'channel'],
  registers: [registry],
});

export const circuitState = new Gauge({
  name: 'notify_provider_circuit_state',
  help: "Each provider's circuit breaker: 0 closed (sending), 1 half-open (one send tries it again), 2 open (its sends go to the next provider of their route)",
  labelNames: ['provider'],
  registers: [registry],
});

/**
 * A provider's circuit changed. `state` is cockatiel's CircuitState (0 closed, 1 open, 2 half-open,
 * 3 isolated), reported as the gauge's 0 closed, 1 half-open, 2 open (isolated counts as open).
 */
export function observeCircuitState(provider: string, state: number): void {
  circuitState.set({ provider }, [0, 2, 1, 2][state] ?? 2);
}

export const webhooksReceived = new Counter({
  name: 'notify_webhooks_received_total',
  help: 'Provider webhooks and acknowledgement-link requests received, by kind and HTTP status class',
  labelNames: ['kind', 'status'],
  registers: [registry],
});

export const webhooksRejected = new Counter({
  name: 'notify_webhooks_rejected_total',
  help: 'Webhooks refused at the edge, by reason',
  labelNames: ['reason'],
  registers: [registry],
});

export const statusChecks = new Counter({
  name: 'notify_status_checks_total',
  help: 'Sends the status check asked the provider about, by outcome: recorded (a status no webhook brought), known (nothing new), unknown (the provider has no outcome yet), error',
  labelNames: ['provider', 'outcome'],
  registers: [registry],
});

export const deadLetters = new Counter({
  name: 'kafka_dead_letters_total',
  help: 'Messages this process put on a DLQ, by source topic (un-prefixed) and reason class',
  labelNames: ['topic', 'reason'],
  registers: [registry],
});

const seconds = (ms: number) => Math.max(0, ms) / 1000;
const timeOf = (t: Date | string | number) => (t instanceof Date ? t.getTime() : new Date(t).getTime());

/** Observes a stage that began at `since` (a Date, an ISO time or epoch ms) and ends now. */
export function observeStage(stage: Stage, since: Date | string | number | null | undefined): void {
  if (!counting) return;
  if (since === null || since === undefined || since === '') return;
  const start = typeof since === 'string' && /^\d+$/.test(since) ? Number(since) : timeOf(since);
  if (Number.isFinite(start)) stageSeconds.observe({ stage }, seconds(Date.now() - start));
}

/** A send's outcome at its provider; `tries` counts the API requests it took. */
export function observeSend(
  provider: string,
  channel: string,
  outcome: 'accepted' | 'failed' | 'unknown',
  tries = 1,
  errorCode?: number | string | null,
): void {
  if (!counting) return;
  sends.inc({ provider, channel, outcome });
  if (tries > 1) sendRetries.inc({ provider, channel }, tries - 1);
  if (outcome !== 'accepted') providerErrors.inc({ provider, code: String(errorCode ?? 'none') });
}

/** Reason classes of refused webhooks (the guard's reasons; anything else is "other"). */
const WEBHOOK_REASONS: [RegExp, string][] = [
  [/signature does not match/, 'bad-signature'],
  [/no X-Twilio-Signature/i, 'no-signature'],
  [/not a form/, 'malformed'],
];
export function observeRejectedWebhook(reason: string): void {
  if (!counting) return;
  webhooksRejected.inc({ reason: WEBHOOK_REASONS.find(([re]) => re.test(reason))?.[1] ?? 'other' });
}

/** Reason classes of dead letters, from SafeConsumer's reasons. */
const DLQ_REASONS: [RegExp, string][] = [
  [/^empty message/, 'empty'],
  [/^not JSON/, 'not-json'],
  [/^unsupported schemaVersion/, 'schema-version'],
  [/^schema /, 'schema'],
  [/^rejected: /, 'rejected'],
  [/^handler failed/, 'handler-failed'],
];
export function observeDeadLetter(topic: string, reason: string): void {
  if (!counting) return;
  deadLetters.inc({ topic, reason: DLQ_REASONS.find(([re]) => re.test(reason))?.[1] ?? 'other' });
}

/** A warning message the dispatcher handled; a plan ("dispatched") times warning received → plan. */
export function observeDispatch(outcome: string, receivedAt: string | number): void {
  if (!counting) return;
  warningsDispatched.inc({ outcome });
  if (outcome === 'dispatched') observeStage('warning_to_plan', receivedAt);
}

/** Deadlines a scan pass fired: each one's lateness (due → fired). */
export function observeDeadlinesFired(due: { due_at: Date | string }[]): void {
  for (const d of due) observeStage('deadline_due_to_fired', d.due_at);
}

/**
 * Delivered → confirmed, once per call-out, whichever of the two reaches the tracker first (they
 * come on different topics): at the confirmation of a delivered (or heard) call-out, timed from its
 * last change, the delivery; or at the delivery report of a call-out already confirmed, timed from
 * the report's time to the confirmation (0 when the answer came first).
 */
export function observeConfirmed(c: { state: string; updated_at: Date | string }): void {
  if (c.state === 'DELIVERED' || c.state === 'HEARD') observeStage('deliver_to_confirm', c.updated_at);
}
export function observeDeliveryReport(
  c: { state: string; confirmed_at: Date | null },
  reportedAt: string,
): void {
  if (!counting || c.state !== 'CONFIRMED' || !c.confirmed_at) return;
  const ms = c.confirmed_at.getTime() - new Date(reportedAt).getTime();
  if (Number.isFinite(ms)) stageSeconds.observe({ stage: 'deliver_to_confirm' }, seconds(ms));
}

/** Sends the worker claimed: plan → claimed, timed from when the notifier queued each. */
export function observeClaimed<A extends { created_at: Date }>(claimed: A[]): A[] {
  for (const a of claimed) observeStage('plan_to_claim', a.created_at);
  return claimed;
}

/** A send the provider accepted: claimed → accepted, and its count with its retries. */
export function observeAccepted(
  a: { channel: string; claimed_at: Date | null },
  tries: number,
  provider: string,
): void {
  observeSend(provider, a.channel, 'accepted', tries);
  observeStage('claim_to_accept', a.claimed_at);
}
