/**
 * The machine's own limit, measured in the same run as the pipeline (bench/callout.bench.ts): what
 * the raw parts do on this machine at this moment, with nothing of the project's code between them.
 *  - HTTP: Twilio-shaped form POSTs (Messages.json, Basic auth, no status callback) to the project's
 *    own Twilio simulator over kept-alive connections, 64 in flight: the test double's own capacity;
 *  - Kafka: 20,000 messages of ~600 bytes produced in batches to a 12-partition topic and consumed
 *    (kafkajs), first produce → last consumed;
 *  - PostgreSQL (node-postgres): 20,000 rows in multi-row inserts, updated in batches, and single
 *    statements one after another (each its own transaction).
 * A phase's floor is then its work (HTTP exchanges, Kafka messages, rows written) at these rates.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

export interface Floor {
  http: { requests: number; inFlight: number; ms: number; perSecond: number };
  kafka: { messages: number; bytes: number; partitions: number; ms: number; perSecond: number };
  postgres: {
    rows: number;
    insertMs: number;
    updateMs: number;
    /** Single statements one after another, each its own transaction. */
    singleStatements: number;
    singleMs: number;
    insertRowsPerSecond: number;
    updateRowsPerSecond: number;
    singleStatementsPerSecond: number;
  };
}

const rate = (n: number, ms: number) => Math.round(n / (Math.max(ms, 1) / 1000));

/** Raw HTTP exchanges per second against the simulator's Messages API. */
export async function httpFloor(
  simUrl: string,
  accountSid: string,
  authToken: string,
  from: string,
  requests = 10_000,
  inFlight = 64,
): Promise<Floor['http']> {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const u = new URL(`${simUrl}/2010-04-01/Accounts/${accountSid}/Messages.json`);
  const auth = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
  const body = new URLSearchParams({
    To: '+8613800000000',
    From: from,
    Body: '【大同市气象台】大同市暴雨红色预警：立即转移危险区域人员，做好防御准备。收到请回复1。',
  }).toString();
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        u,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: auth,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let left = requests;
  let failed = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (left-- > 0) if ((await one()) !== 201) failed++;
    }),
  );
  const ms = Date.now() - t0;
  agent.destroy();
  if (failed) throw new Error(`HTTP floor: ${failed} of ${requests} requests not answered 201`);
  return { requests, inFlight, ms, perSecond: rate(requests, ms) };
}

/** kafkajs: `messages` of ~600 bytes produced in batches to a fresh 12-partition topic, and consumed. */
export async function kafkaFloor(
  brokers: string[],
  prefix: string,
  messages = 20_000,
  partitions = 12,
): Promise<Floor['kafka']> {
  const kafka = new Kafka({ clientId: `${prefix}floor`, brokers, logLevel: logLevel.NOTHING });
  const topic = `${prefix}floor.${randomBytes(3).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `${topic}.g`, maxWaitTimeInMs: 50 });
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      partitionsConsumedConcurrently: partitions,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= messages) done();
      },
    });
    await joined;
    // ~600 bytes: the size of a call-out request or a status event on the project's topics.
    const value = JSON.stringify({ pad: randomBytes(280).toString('hex') });
    const t0 = Date.now();
    const batch = 1_000;
    for (let i = 0; i < messages; i += batch)
      await producer.send({
        topic,
        messages: Array.from({ length: Math.min(batch, messages - i) }, (_, k) => ({
          key: `callout-${i + k}`,
          value,
        })),
      });
    await all;
    const ms = Date.now() - t0;
    return { messages, bytes: value.length, partitions, ms, perSecond: rate(messages, ms) };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** node-postgres: multi-row insert, batched update and single statements on a scratch table. */
export async function postgresFloor(url: string, rows = 20_000, singles = 2_000): Promise<Floor['postgres']> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const table = `floor_${randomBytes(3).toString('hex')}`;
  try {
    await c.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, callout_id text NOT NULL, state text NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
    );
    const ids = Array.from({ length: rows }, (_, i) => i);
    const callouts = ids.map((i) => `w-${'x'.repeat(20)}/p-${i}#0`);
    const chunk = 5_000;
    let t0 = Date.now();
    for (let i = 0; i < rows; i += chunk)
      await c.query(
        `INSERT INTO ${table} (id, callout_id, state, n) SELECT id, cid, 'queued', 0 FROM unnest($1::int[], $2::text[]) AS u(id, cid)`,
        [ids.slice(i, i + chunk), callouts.slice(i, i + chunk)],
      );
    const insertMs = Date.now() - t0;
    const batch = 1_000;
    t0 = Date.now();
    for (let i = 0; i < rows; i += batch)
      await c.query(
        `UPDATE ${table} t SET state = 'sent', n = u.n FROM unnest($1::int[], $2::int[]) AS u(id, n) WHERE t.id = u.id`,
        [ids.slice(i, i + batch), ids.slice(i, i + batch)],
      );
    const updateMs = Date.now() - t0;
    t0 = Date.now();
    for (let i = 0; i < singles; i++)
      await c.query(`UPDATE ${table} SET state = 'delivered', n = n + 1 WHERE id = $1`, [i]);
    const singleMs = Date.now() - t0;
    return {
      rows,
      insertMs,
      updateMs,
      singleStatements: singles,
      singleMs,
      insertRowsPerSecond: rate(rows, insertMs),
      updateRowsPerSecond: rate(rows, updateMs),
      singleStatementsPerSecond: rate(singles, singleMs),
    };
  } finally {
    await c.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await c.end();
  }
}

/** The work a phase did, counted (see CostCounter). */
export interface PhaseWork {
  httpExchanges: number;
  kafkaMessages: number;
  rowsInserted: number;
  rowsUpdated: number;
}

/**
 * A phase's floor: its work at the raw rates, one after another (everything shares the same cores).
 * Rows deleted are counted as updated.
 */
export function floorMs(f: Floor, w: PhaseWork): number {
  return Math.round(
    (w.httpExchanges / f.http.perSecond +
      w.kafkaMessages / f.kafka.perSecond +
      w.rowsInserted / f.postgres.insertRowsPerSecond +
      w.rowsUpdated / f.postgres.updateRowsPerSecond) *
      1000,
  );
}
