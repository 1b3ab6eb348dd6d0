import { randomBytes } from 'node:crypto';
import { KafkaMessage } from 'kafkajs';
import { TOPICS } from '../contracts/topics';
import { uniqueId, waitFor } from './support/infra';
import { Scrape } from '../libs/observability/prometheus-text';
import { TestSystem, testWarning } from './support/system';

/**
 * Observability of one warning end to end, every service a process of its own: the counters and
 * histograms it should move on /metrics (parsed, compared before and after), a structured log line
 * of a call-out with its ids and no full number, and the warning's W3C traceparent on the call-out
 * events it causes.
 */
const TOWNSHIP = '140212100000';
const MOBILES = ['+8613800007001', '+8613800007002'];
const directory = {
  divisions: [{ code: '140212100201', name: '杏花峪村', parentCode: TOWNSHIP }],
  persons: MOBILES.map((mobile, i) => ({
    id: `O${i + 1}`,
    name: `观测${i + 1}`,
    mobile,
    roles: [{ role: i === 0 ? 'grid-worker' : 'info-officer', areaCode: '140212100201' }],
  })),
};

describe('observability of one warning (separate processes)', () => {
  const system = new TestSystem({
    label: 'observability',
    directory,
    behaviours: {
      default: 'reply-after',
      rules: [{ suffix: '', behaviour: 'reply-after', reply: '1', afterMs: 50 }],
    },
    // The notifier's per-send lines are at debug.
    env: { LOG_LEVEL: 'debug' },
  });

  beforeAll(() => system.start(), 120_000);
  afterAll(() => system.stop(), 60_000);

  const url = (name: string) => system.service(name).url;
  const scrapeAll = async () => ({
    dispatcher: await Scrape.of(url('dispatcher')),
    notifier: await Scrape.of(url('notifier')),
    tracker: await Scrape.of(url('tracker-1')),
  });

  it('moves the counters and histograms, logs the ids without the number, and carries the trace', async () => {
    const before = await scrapeAll();
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const w = testWarning({ level: 'blue' });
    await system.publishWarning(w, { traceparent });
    try {
      await system.waitForStates(w.id, { O1: 'CONFIRMED', O2: 'CONFIRMED' }, 45_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${system.output()}`);
    }
    const stage = (s: Scrape, name: string) => s.value('callout_stage_seconds_count', { stage: name });
    // The tracker's confirmations and the notifier's last callbacks may land just after the states.
    let latest = before;
    const after = await waitFor(
      async () => {
        latest = await scrapeAll();
        return stage(latest.tracker, 'deliver_to_confirm') >= 2 &&
          stage(latest.notifier, 'accept_to_deliver') >= 2
          ? latest
          : undefined;
      },
      'the confirmations on the tracker and notifier metrics',
      15_000,
    ).catch((e: Error) => {
      const stages = (s: Scrape) =>
        s.matching('callout_stage_seconds_count').map((x) => `${x.labels.stage}=${x.value}`);
      throw new Error(
        `${e.message}: tracker ${stages(latest.tracker).join(' ')}; notifier ${stages(latest.notifier).join(' ')}\n${system.output()}`,
      );
    });
    const moved = (svc: keyof typeof after, name: string, labels: Record<string, string> = {}) =>
      after[svc].value(name, labels) - before[svc].value(name, labels);

    // Dispatcher: one warning planned, its plan timed.
    expect(moved('dispatcher', 'dispatcher_warning_messages_total', { outcome: 'dispatched' })).toBe(1);
    expect(moved('dispatcher', 'callout_stage_seconds_count', { stage: 'warning_to_plan' })).toBe(1);
    expect(moved('dispatcher', 'callout_stage_seconds_sum', { stage: 'warning_to_plan' })).toBeGreaterThan(0);
    // Notifier: two SMS accepted by the provider, each claimed, accepted and delivered once.
    const sms = { provider: 'twilio', channel: 'sms', outcome: 'accepted' };
    expect(moved('notifier', 'notify_sends_total', sms)).toBe(2);
    expect(moved('notifier', 'notify_provider_errors_total')).toBe(0);
    for (const s of ['plan_to_claim', 'claim_to_accept', 'accept_to_deliver'])
      expect([s, moved('notifier', 'callout_stage_seconds_count', { stage: s })]).toEqual([s, 2]);
    // A histogram bucket at +Inf holds every observation.
    expect(moved('notifier', 'callout_stage_seconds_bucket', { stage: 'claim_to_accept', le: '+Inf' })).toBe(
      2,
    );
    // The simulator's status callbacks and the two replies came in as webhooks, all answered 2xx.
    expect(moved('notifier', 'notify_webhooks_received_total', { kind: 'sms/inbound', status: '2xx' })).toBe(
      2,
    );
    expect(
      moved('notifier', 'notify_webhooks_received_total', { kind: 'sms/status', status: '2xx' }),
    ).toBeGreaterThanOrEqual(2);
    expect(after.notifier.value('notify_send_queue', { state: 'queued' })).toBe(0);
    // Tracker: both confirmations timed from their delivery.
    expect(moved('tracker', 'callout_stage_seconds_count', { stage: 'deliver_to_confirm' })).toBe(2);
    // Scrape-time readings: lag of the tracker's own group, its outbox, the pool; default metrics.
    expect(
      after.tracker.matching('kafka_consumer_lag', { group: 'tracker', topic: 'callouts.status' }),
    ).toHaveLength(1);
    expect(after.tracker.matching('outbox_depth', { schema: 'callout' })).toHaveLength(1);
    expect(after.tracker.value('db_pool_connections', { state: 'idle' })).toBeGreaterThan(0);
    expect(after.tracker.has('process_cpu_seconds_total')).toBe(true);
    // No label of any metric names a warning, a call-out or a number.
    for (const svc of Object.values(after))
      for (const s of svc.samples)
        for (const v of Object.values(s.labels)) {
          expect(v).not.toContain(w.id);
          expect(v).not.toMatch(/\+\d{7,}/);
        }

    // A call-out's log line: JSON, with the warning, call-out and request ids; no full number anywhere.
    const notifierOut = system.service('notifier').output();
    const lines = notifierOut
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const accepted = lines.find((l) => l.warningId === w.id && /accepted as/.test(String(l.msg)));
    expect(accepted).toMatchObject({
      service: 'notifier',
      level: 'debug',
      warningId: w.id,
      calloutId: expect.any(String),
      requestId: expect.any(String),
      traceId,
    });
    expect(String(accepted!.msg)).toMatch(/\+86138\*+700[12]/);
    for (const m of MOBILES) expect(notifierOut).not.toContain(m);

    // The traceparent of the warning on the call-out events it caused.
    const headersOf = async (topic: string, count: number) => {
      const consumer = system.kafka.consumer({ groupId: uniqueId(`${system.prefix}trace`) });
      const seen: KafkaMessage[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: system.prefix + topic, fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
        await waitFor(() => seen.length >= count, `${count} messages on ${topic}`, 30_000);
        return seen.map((m) => String(m.headers?.traceparent ?? ''));
      } finally {
        await consumer.disconnect();
      }
    };
    const traceOf = (tp: string) => tp.split('-')[1];
    const requested = await headersOf(TOPICS.calloutsRequested.name, 2);
    expect(requested.map(traceOf)).toEqual([traceId, traceId]);
    // submitted, sent, delivered … of both SMS: every status event continues the same trace.
    const statuses = await headersOf(TOPICS.calloutsStatus.name, 4);
    expect(new Set(statuses.map(traceOf))).toEqual(new Set([traceId]));
    const responses = await headersOf(TOPICS.calloutsResponses.name, 2);
    expect(responses.map(traceOf)).toEqual([traceId, traceId]);
  }, 120_000);
});
