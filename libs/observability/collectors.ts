import { Logger } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';
import { Db } from '../db/db';
import { TopicNamer } from '../kafka/kafka-client';
import { registry } from './metrics';

/**
 * Gauges read at scrape time from the database and the Kafka admin API: what is waiting, not what
 * happened. Each service reads the tables it owns (SCRAPED_BY_SERVICE), so that services sharing one
 * database do not report the same rows twice; every service reports its pool and the lag of its own
 * consumer groups. A reading that fails or takes over COLLECT_TIMEOUT_MS leaves the gauge empty for
 * that scrape and counts in observability_collector_errors_total: a scrape never hangs on a
 * database that does not answer.
 */
export type ScrapedData = 'callouts' | 'sends' | 'outbox:intake' | 'outbox:callout' | 'outbox:notify';

export const SCRAPED_BY_SERVICE: Record<string, ScrapedData[]> = {
  intake: ['outbox:intake'],
  tracker: ['callouts', 'outbox:callout'],
  notifier: ['sends', 'outbox:notify'],
  'all-in-one': ['callouts', 'sends', 'outbox:intake', 'outbox:callout', 'outbox:notify'],
};

export interface ScrapeSources {
  db: Db;
  kafka?: Kafka;
  namer: TopicNamer;
  data: ScrapedData[];
}

const COLLECT_TIMEOUT_MS = 2_000;
/** Consumer lag asks the broker several things: read at most this often, whatever the scrape rate. */
const LAG_CACHE_MS = 5_000;

let sources: ScrapeSources | undefined;
/** Consumer groups of this process (un-prefixed group → un-prefixed topics), told by ConsumerHost. */
const groups = new Map<string, string[]>();
const logger = new Logger('Metrics');

export function setScrapeSources(s: ScrapeSources | undefined): void {
  sources = s;
  lagCache = undefined;
  snapshotCache = undefined;
}

/** Called by each consumer host: its group's lag is reported by this process. */
export function watchConsumerGroup(group: string, topics: string[]): void {
  if (topics.length > 0) groups.set(group, topics);
}

const collectorErrors = new Counter({
  name: 'observability_collector_errors_total',
  help: 'Scrape-time readings that failed or timed out, by collector',
  labelNames: ['collector'],
  registers: [registry],
});

async function reading<T>(collector: string, read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`over ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    collectorErrors.inc({ collector });
    logger.debug(`metrics reading ${collector} failed: ${(e as Error).message}`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

const num = (v: unknown) => Number(v ?? 0);

/** The figures of one scrape, read one query after the other (a scrape takes one connection). */
export interface Snapshot {
  callouts: { state: string; level: string; hazard: string; n: number }[];
  notWoken: { level: string; n: number }[];
  notWokenOldestSeconds: number;
  warningsActive: { hazard: string; level: string; n: number }[];
  deadlinesDue: { kind: string; n: number }[];
  deadlineLagSeconds: number;
  sendQueue: { queued: number; sending: number };
  /** Sends of the last 5 minutes the provider accepted, and those it refused or that stayed unknown. */
  recentSends: { accepted: number; failed: number };
  outbox: { schema: string; n: number; oldestSeconds: number }[];
}

const OUTBOXES = ['intake', 'callout', 'notify'] as const;

/** Reads what `data` names from the database. */
export async function readSnapshot(db: Db, data: ScrapedData[]): Promise<Snapshot> {
  const snap: Snapshot = {
    callouts: [],
    notWoken: [],
    notWokenOldestSeconds: 0,
    warningsActive: [],
    deadlinesDue: [],
    deadlineLagSeconds: 0,
    sendQueue: { queued: 0, sending: 0 },
    recentSends: { accepted: 0, failed: 0 },
    outbox: [],
  };
  const rows = async <T>(sql: string) => (await db.query<T>(sql)).rows;
  if (data.includes('callouts')) {
    snap.callouts = (
      await rows<{ state: string; level: string; hazard: string; n: string }>(
        `SELECT c.state, c.level, coalesce(w.hazard, 'unknown') AS hazard, count(*) AS n
         FROM callout.callouts c JOIN callout.warnings w ON w.id = c.warning_id
         WHERE w.state = 'active' GROUP BY 1, 2, 3`,
      )
    ).map((r) => ({ ...r, n: num(r.n) }));
    const notWoken = await rows<{ level: string; n: string; oldest: string | null }>(
      `SELECT level, count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at)) AS oldest
       FROM callout.callouts WHERE state = 'NOT_WOKEN' GROUP BY 1`,
    );
    snap.notWoken = notWoken.map((r) => ({ level: r.level, n: num(r.n) }));
    snap.notWokenOldestSeconds = Math.max(0, ...notWoken.map((r) => num(r.oldest)));
    snap.warningsActive = (
      await rows<{ hazard: string; level: string; n: string }>(
        `SELECT coalesce(hazard, 'unknown') AS hazard, coalesce(level, 'none') AS level, count(*) AS n
         FROM callout.warnings WHERE state = 'active' GROUP BY 1, 2`,
      )
    ).map((r) => ({ ...r, n: num(r.n) }));
    const due = await rows<{ kind: string; n: string; lag: string | null }>(
      `SELECT kind, count(*) AS n, EXTRACT(EPOCH FROM now() - min(due_at)) AS lag
       FROM callout.deadlines WHERE fired_at IS NULL AND due_at <= now() GROUP BY 1`,
    );
    snap.deadlinesDue = due.map((r) => ({ kind: r.kind, n: num(r.n) }));
    snap.deadlineLagSeconds = Math.max(0, ...due.map((r) => num(r.lag)));
  }
  if (data.includes('sends')) {
    const [q] = await rows<{ queued: string; sending: string; accepted: string; failed: string }>(
      `SELECT count(*) FILTER (WHERE state = 'queued') AS queued,
              count(*) FILTER (WHERE state = 'sending') AS sending,
              count(*) FILTER (WHERE state = 'sent' AND sent_at > now() - interval '5 minutes') AS accepted,
              count(*) FILTER (WHERE state = 'failed' AND updated_at > now() - interval '5 minutes') AS failed
       FROM notify.attempts WHERE state IN ('queued', 'sending') OR updated_at > now() - interval '5 minutes'`,
    );
    snap.sendQueue = { queued: num(q?.queued), sending: num(q?.sending) };
    snap.recentSends = { accepted: num(q?.accepted), failed: num(q?.failed) };
  }
  for (const schema of OUTBOXES.filter((o) => data.includes(`outbox:${o}`))) {
    const [o] = await rows<{ n: string; oldest: string | null }>(
      `SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at)) AS oldest FROM ${schema}.outbox`,
    );
    snap.outbox.push({ schema, n: num(o?.n), oldestSeconds: num(o?.oldest) });
  }
  return snap;
}

/** One reading per scrape, shared by every gauge of that scrape. */
const SNAPSHOT_REUSE_MS = 1_000;
let snapshotCache: { at: number; snap: Promise<Snapshot | undefined> } | undefined;

function scrapeSnapshot(s: ScrapeSources): Promise<Snapshot | undefined> {
  if (!snapshotCache || Date.now() - snapshotCache.at > SNAPSHOT_REUSE_MS)
    snapshotCache = { at: Date.now(), snap: reading('database', () => readSnapshot(s.db, s.data)) };
  return snapshotCache.snap;
}

/** A gauge set at scrape time from the snapshot. */
function snapshotGauge<L extends string>(
  name: string,
  help: string,
  labelNames: L[],
  fill: (snap: Snapshot, set: (labels: Partial<Record<L, string>>, value: number) => void) => void,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      const snap = sources && sources.data.length > 0 ? await scrapeSnapshot(sources) : undefined;
      if (snap) fill(snap, (labels, value) => this.set(labels, value));
    },
  });
}

const owns = (d: ScrapedData) => sources?.data.includes(d) ?? false;

snapshotGauge(
  'callouts',
  'Call-outs of the active warnings, by state, warning level and hazard',
  ['state', 'level', 'hazard'],
  (s, set) => s.callouts.forEach((r) => set({ state: r.state, level: r.level, hazard: r.hazard }, r.n)),
);
snapshotGauge(
  'callouts_not_woken',
  'Persons on the not-woken list (rung 0, ladder walked, nobody confirmed), by warning level',
  ['level'],
  (s, set) => {
    if (owns('callouts'))
      set(
        { level: 'all' },
        s.notWoken.reduce((sum, r) => sum + r.n, 0),
      );
    s.notWoken.forEach((r) => set({ level: r.level }, r.n));
  },
);
snapshotGauge(
  'callouts_not_woken_oldest_seconds',
  'Age of the oldest not-woken call-out (since it was planned): above 300 the 5-minute target is missed',
  [],
  (s, set) => {
    if (owns('callouts')) set({}, s.notWokenOldestSeconds);
  },
);
snapshotGauge(
  'warnings_active',
  'Warnings being called out, by hazard and level',
  ['hazard', 'level'],
  (s, set) => s.warningsActive.forEach((r) => set({ hazard: r.hazard, level: r.level }, r.n)),
);
snapshotGauge(
  'callout_deadlines_due',
  'Deadlines (ack, redial, voice fallback, expiry) due and not fired yet, by kind',
  ['kind'],
  (s, set) => s.deadlinesDue.forEach((r) => set({ kind: r.kind }, r.n)),
);
snapshotGauge(
  'callout_deadline_lag_seconds',
  'How long the most overdue unfired deadline is past its time (0 when none is due)',
  [],
  (s, set) => {
    if (owns('callouts')) set({}, s.deadlineLagSeconds);
  },
);
snapshotGauge(
  'notify_send_queue',
  'Sends waiting in the notifier: queued (not claimed yet) and sending (claimed, answer not recorded)',
  ['state'],
  (s, set) => {
    if (!owns('sends')) return;
    set({ state: 'queued' }, s.sendQueue.queued);
    set({ state: 'sending' }, s.sendQueue.sending);
  },
);
snapshotGauge(
  'outbox_depth',
  'Events written and not yet published to Kafka, by outbox (context schema)',
  ['schema'],
  (s, set) => s.outbox.forEach((o) => set({ schema: o.schema }, o.n)),
);
snapshotGauge(
  'outbox_oldest_age_seconds',
  'Age of the oldest unpublished event, by outbox (0 when empty)',
  ['schema'],
  (s, set) => s.outbox.forEach((o) => set({ schema: o.schema }, o.oldestSeconds)),
);

new Gauge({
  name: 'db_pool_connections',
  help: 'Database pool connections: in use, idle, and callers waiting for one (PostgreSQL only)',
  labelNames: ['state'],
  registers: [registry],
  collect() {
    this.reset();
    const p = sources?.db.poolStats?.();
    if (!p) return;
    this.set({ state: 'in_use' }, p.total - p.idle);
    this.set({ state: 'idle' }, p.idle);
    this.set({ state: 'waiting' }, p.waiting);
  },
});

new Counter({
  name: 'db_statements_total',
  help: 'Statements this process sent to the database (BEGIN and COMMIT included; PostgreSQL only)',
  registers: [registry],
  collect() {
    const n = sources?.db.roundTrips?.().statements;
    this.reset();
    if (n !== undefined) this.inc(n);
  },
});
new Counter({
  name: 'db_transactions_total',
  help: 'Transactions this process ran on the database (PostgreSQL only)',
  registers: [registry],
  collect() {
    const n = sources?.db.roundTrips?.().transactions;
    this.reset();
    if (n !== undefined) this.inc(n);
  },
});

export type Lag = { group: string; topic: string; lag: number }[];
let lagCache: { at: number; lag: Promise<Lag> } | undefined;

/** Messages each group of this process has still to read, per topic (summed over partitions). */
async function consumerLag(kafka: Kafka, namer: TopicNamer): Promise<Lag> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const out: Lag = [];
    const ends = new Map<string, Map<number, number>>();
    for (const topics of groups.values())
      for (const t of topics)
        if (!ends.has(t)) {
          const offsets = await admin.fetchTopicOffsets(namer.topic(t));
          ends.set(t, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
        }
    for (const [group, topics] of groups) {
      const committed = await admin.fetchOffsets({
        groupId: namer.group(group),
        topics: topics.map((t) => namer.topic(t)),
      });
      for (const { topic, partitions } of committed) {
        const base = namer.base(topic);
        const high = ends.get(base) ?? new Map<number, number>();
        // A partition the group has not committed on yet (-1) lags by everything in it: the
        // groups read from the beginning.
        const lag = partitions.reduce((sum, p) => {
          const end = high.get(p.partition) ?? 0;
          const at = Number(p.offset);
          return sum + Math.max(0, end - (at < 0 ? 0 : at));
        }, 0);
        out.push({ group, topic: base, lag });
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** The lag of this process's groups, read at most every LAG_CACHE_MS. */
export function cachedConsumerLag(kafka: Kafka, namer: TopicNamer): Promise<Lag> {
  if (!lagCache || Date.now() - lagCache.at > LAG_CACHE_MS) {
    const lag = consumerLag(kafka, namer);
    // A failed reading is not kept: the next scrape asks again.
    lag.catch(() => (lagCache = undefined));
    lagCache = { at: Date.now(), lag };
  }
  return lagCache.lag;
}

new Gauge({
  name: 'kafka_consumer_lag',
  help: "Messages a consumer group of this process has still to read, by group and topic (from the broker's offsets)",
  labelNames: ['group', 'topic'],
  registers: [registry],
  async collect() {
    this.reset();
    const s = sources;
    if (!s?.kafka || groups.size === 0) return;
    const lag = await reading('kafka_consumer_lag', () => cachedConsumerLag(s.kafka!, s.namer));
    for (const l of lag ?? []) this.set({ group: l.group, topic: l.topic }, l.lag);
  },
});
