import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import type { WarningMessage } from '../../contracts/generated';
import { hazardTopic } from '../../contracts/topics';
import { DirectoryService } from '../../libs/directory/directory.service';
import type { DirectoryDocument } from '../../libs/directory/directory-format';
import type { Policy } from '../../libs/callout/policy';
import { advanceClockFile, OffsetFileClock } from '../../libs/common/clock';
import type { BehaviourConfig, SimFaults, SimRecord } from '../../libs/notify/simulator/twilio-simulator';
import type { TencentRecord } from '../../libs/notify/simulator/tencent-simulator';
import { callbackToken } from '../../libs/notify/tencent/tencent-callbacks';
import { createTestDatabase, kafkaBrokers, TestDatabase, testSecret, uniqueId, waitFor } from './infra';
import { freePort, RunningService, startService } from './services';

export const TEST_TWILIO = {
  accountSid: 'AC' + 'e2e0'.repeat(8),
  authToken: testSecret(),
  from: '+15005550006',
};

export interface SystemOptions {
  label: string;
  directory: DirectoryDocument;
  policy?: Policy;
  behaviours?: BehaviourConfig;
  /** How many tracker processes (replicas) to run. */
  trackers?: number;
  /** Also run the audit service. */
  audit?: boolean;
  /** Also run the console (on the tracker's and, with `audit`, the audit service's APIs). */
  console?: boolean;
  /** Simulator pause between the steps of a message or call. */
  simLatencyMs?: number;
  /** More environment for every service of the system (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /**
   * Also run the Tencent Cloud simulator and set the notifier up for it (routes: NOTIFY_ROUTES in
   * `env`, e.g. "+86=twilio>tencent,*=twilio"), with these behaviours per number.
   */
  tencent?: { behaviours?: BehaviourConfig };
  /**
   * Run every service on one clock the test moves (advanceClock): CLOCK_OFFSET_FILE, which needs
   * demo mode, so the services run with DEMO=1 (their secrets are strong all the same).
   */
  clock?: boolean;
}

/** How often a service reads the clock's file again (OffsetFileClock's default). */
const CLOCK_REFRESH_MS = 100;
/** callout.requests.status_rank of a send's last status (delivered, completed, no-answer, failed …). */
const FINAL_STATUS_RANK = 4;

/** The Tencent Cloud application of the tests (the simulator and the notifier agree on it). */
const TEST_TENCENT = {
  TENCENT_SECRET_ID: 'AKIDe2etest00000001',
  TENCENT_SMS_SDK_APP_ID: '1400000101',
  TENCENT_SMS_SIGN_NAME: '防汛叫应',
  TENCENT_SMS_TEMPLATE_ID: '2001',
  TENCENT_VOICE_SDK_APP_ID: '1400000102',
  TENCENT_VOICE_CONFIRM_TEMPLATE_ID: '3001',
  TENCENT_VOICE_NOTICE_TEMPLATE_ID: '3002',
};

/**
 * The real system as separate processes for an end-to-end test: the Twilio simulator, notifier,
 * dispatcher, tracker(s) (and audit) on the real Kafka (topics under a prefix of the test's own) and
 * a fresh PostgreSQL database of the test's own, seeded with the given directory.
 */
export class TestSystem {
  readonly prefix: string;
  readonly services = new Map<string, RunningService>();
  /** The services' SIGNING_SECRET: a test signs role tokens and ack links with it. */
  readonly signingSecret = testSecret();
  tdb!: TestDatabase;
  simUrl!: string;
  /** The Tencent Cloud simulator, when the system runs one (SystemOptions.tencent). */
  tencentUrl?: string;
  private producer!: Producer;
  /** A kafkajs client on the test's broker (topics carry `prefix`). */
  readonly kafka: Kafka;
  private env: Record<string, string> = {};
  private clockFile?: string;

  constructor(private readonly opts: SystemOptions) {
    this.prefix = `${uniqueId(opts.label)}.`;
    this.kafka = new Kafka({ clientId: `e2e-${opts.label}`, brokers: kafkaBrokers(), logLevel: 1 });
  }

  async start(): Promise<this> {
    this.tdb = await createTestDatabase(this.opts.label);
    const report = await new DirectoryService(this.tdb.db).import(JSON.stringify(this.opts.directory), {
      format: 'json',
    });
    if (!report.applied) throw new Error(`test directory rejected: ${JSON.stringify(report.errors)}`);
    const simPort = await freePort();
    const notifierPort = await freePort();
    this.simUrl = `http://127.0.0.1:${simPort}`;
    if (this.opts.clock) this.clockFile = join(tmpdir(), `${this.prefix}clock.json`);
    let policyFile = '';
    if (this.opts.policy) {
      policyFile = join(tmpdir(), `${this.prefix}policy.json`);
      writeFileSync(policyFile, JSON.stringify(this.opts.policy));
    }
    this.env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: this.prefix,
      DATABASE_URL: this.tdb.url,
      TWILIO_ACCOUNT_SID: TEST_TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TEST_TWILIO.authToken,
      TWILIO_API_BASE_URL: this.simUrl,
      TWILIO_SMS_FROM: TEST_TWILIO.from,
      TWILIO_VOICE_FROM: TEST_TWILIO.from,
      PUBLIC_BASE_URL: `http://127.0.0.1:${notifierPort}`,
      SIGNING_SECRET: this.signingSecret,
      NOTIFY_SEND_TRIES: '3',
      ...(policyFile ? { POLICY_FILE: policyFile } : {}),
      ...(this.clockFile ? { CLOCK_OFFSET_FILE: this.clockFile, DEMO: '1' } : {}),
      ...this.opts.env,
    };
    this.services.set(
      'twilio-sim',
      await startService(
        'twilio-sim',
        {
          SIM_PORT: String(simPort),
          TWILIO_ACCOUNT_SID: TEST_TWILIO.accountSid,
          TWILIO_AUTH_TOKEN: TEST_TWILIO.authToken,
          TWILIO_SMS_FROM: TEST_TWILIO.from,
          SIM_LATENCY_MS: String(this.opts.simLatencyMs ?? 20),
          SIM_INBOUND_URL: `http://127.0.0.1:${notifierPort}/twilio/sms/inbound`,
          SIM_BEHAVIOURS: JSON.stringify(this.opts.behaviours ?? { default: 'deliver' }),
        },
        { port: simPort, ready: 'port' },
      ),
    );
    if (this.opts.tencent) await this.startTencentSimulator(this.opts.tencent, notifierPort);
    // Start in parallel: each waits for its own readiness (Kafka and the database answering).
    const starts: Promise<RunningService>[] = [
      startService('notifier', this.env, { port: notifierPort }),
      startService('dispatcher', this.env),
      ...Array.from({ length: this.opts.trackers ?? 1 }, (_, i) =>
        startService('tracker', this.env, { name: `tracker-${i + 1}` }),
      ),
      ...(this.opts.audit ? [startService('audit', this.env)] : []),
    ];
    // Every started one is kept (and stopped by stop()) even when another failed to start.
    const started = await Promise.allSettled(starts);
    for (const s of started) if (s.status === 'fulfilled') this.services.set(s.value.name, s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    if (this.opts.console)
      this.services.set(
        'console',
        await startService('console', {
          ...this.env,
          // Demo users (duty / duty-demo …) for signing in.
          DEMO: '1',
          CONSOLE_TRACKER_URL: this.service('tracker-1').url,
          ...(this.opts.audit ? { CONSOLE_AUDIT_URL: this.service('audit').url } : {}),
        }),
      );
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    return this;
  }

  /** The Tencent simulator process, its callbacks to the notifier's /tencent/... with their tokens. */
  private async startTencentSimulator(t: { behaviours?: BehaviourConfig }, notifierPort: number) {
    const port = await freePort();
    const secrets = { TENCENT_SECRET_KEY: testSecret(), TENCENT_CALLBACK_SECRET: testSecret() };
    const callback = (path: string, kind: Parameters<typeof callbackToken>[1]) =>
      `http://127.0.0.1:${notifierPort}/tencent/${path}/${callbackToken(secrets.TENCENT_CALLBACK_SECRET, kind)}`;
    this.tencentUrl = `http://127.0.0.1:${port}`;
    this.env = { ...this.env, ...TEST_TENCENT, ...secrets, TENCENT_API_BASE_URL: this.tencentUrl };
    this.services.set(
      'tencent-sim',
      await startService(
        'tencent-sim',
        {
          ...TEST_TENCENT,
          TENCENT_SECRET_KEY: secrets.TENCENT_SECRET_KEY,
          SIM_PORT: String(port),
          SIM_LATENCY_MS: String(this.opts.simLatencyMs ?? 20),
          SIM_SMS_STATUS_URL: callback('sms/status', 'sms-status'),
          SIM_SMS_REPLY_URL: callback('sms/reply', 'sms-reply'),
          SIM_VOICE_URL: callback('voice', 'voice'),
          SIM_BEHAVIOURS: JSON.stringify(t.behaviours ?? { default: 'deliver' }),
        },
        { port, ready: 'port' },
      ),
    );
  }

  /** What the Tencent simulator accepted (messages and calls). */
  async tencentRecords(): Promise<TencentRecord[]> {
    const r = await fetch(`${this.tencentUrl}/sim/records`);
    return ((await r.json()) as { records: TencentRecord[] }).records;
  }

  /** Sets the Twilio simulator's faults (e.g. {serverErrorRate: 1}: Twilio out). */
  async setTwilioFaults(f: SimFaults): Promise<void> {
    const r = await fetch(`${this.simUrl}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(f),
    });
    if (!r.ok) throw new Error(`simulator refused faults: ${r.status}`);
  }

  service(name: string): RunningService {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service ${name}`);
    return s;
  }

  /** Starts another tracker process (e.g. after one was killed). */
  async startTracker(name: string): Promise<RunningService> {
    const s = await startService('tracker', this.env, { name });
    this.services.set(name, s);
    return s;
  }

  /** Starts one more service of the system (e.g. intake) on the same Kafka, database and secrets. */
  async startApp(app: string, extraEnv: Record<string, string> = {}): Promise<RunningService> {
    const s = await startService(app, { ...this.env, ...extraEnv });
    this.services.set(s.name, s);
    return s;
  }

  async publishWarning(w: WarningMessage, headers?: Record<string, string>): Promise<void> {
    await this.producer.send({
      topic: this.prefix + hazardTopic(w.hazard).name,
      messages: [{ key: w.id, value: JSON.stringify(w), headers }],
    });
  }

  async publishRaw(topic: string, value: string, key = 'raw'): Promise<void> {
    await this.producer.send({ topic: this.prefix + topic, messages: [{ key, value }] });
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.tdb.db.query<T>(sql, params)).rows;
  }

  /** Call-outs of a warning: person, rung and state, in a stable order. */
  callouts(warningId: string) {
    return this.query<{
      id: string;
      person_id: string;
      rung: number;
      state: string;
      late: boolean;
      subject_callout_id: string | null;
      handled_by: string | null;
    }>(
      `SELECT id, person_id, rung, state, late, subject_callout_id, handled_by FROM callout.callouts WHERE warning_id = $1 ORDER BY rung, person_id, id`,
      [warningId],
    );
  }

  /** Waits until every listed person's rung-0 call-out of the warning is in the expected state. */
  async waitForStates(warningId: string, expected: Record<string, string>, timeoutMs = 30_000) {
    return waitFor(
      async () => {
        const rows = (await this.callouts(warningId)).filter((c) => c.rung === 0);
        const got = Object.fromEntries(rows.map((c) => [c.person_id, c.state]));
        return Object.entries(expected).every(([p, s]) => got[p] === s) ? rows : undefined;
      },
      `call-outs of ${warningId} to reach ${JSON.stringify(expected)}`,
      timeoutMs,
      200,
    );
  }

  /**
   * Waits until the named persons' first call-outs have been sent: their state has left PLANNED.
   * SENT itself may last less than a poll (a delivery receipt moves it on), so it is not waited for.
   */
  async waitForSent(warningId: string, personIds: string[], timeoutMs = 30_000) {
    return waitFor(
      async () => {
        const rows = (await this.callouts(warningId)).filter((c) => c.rung === 0);
        const sent = personIds.map((p) => rows.find((c) => c.person_id === p && c.state !== 'PLANNED'));
        return sent.every(Boolean) ? rows : undefined;
      },
      `call-outs of ${warningId} for ${personIds.join(', ')} to be sent`,
      timeoutMs,
      200,
    );
  }

  /**
   * The messages on a topic of the test's prefix, read from the start by a consumer group of its
   * own until `until` holds for what was read.
   */
  async readTopic<T>(
    topic: string,
    until: (all: T[]) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<T[]> {
    const consumer = this.kafka.consumer({ groupId: uniqueId(`${this.prefix}reader`) });
    const seen: T[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: this.prefix + topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void seen.push(JSON.parse(String(message.value)) as T),
      });
      await waitFor(() => until(seen), what, timeoutMs);
      return seen;
    } finally {
      await consumer.disconnect();
    }
  }

  async simRecords(): Promise<SimRecord[]> {
    const r = await fetch(`${this.simUrl}/sim/records`);
    return ((await r.json()) as { records: SimRecord[] }).records;
  }

  async setBehaviours(b: BehaviourConfig): Promise<void> {
    const r = await fetch(`${this.simUrl}/sim/behaviours`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b),
    });
    if (!r.ok) throw new Error(`simulator refused behaviours: ${r.status}`);
  }

  /** A person sends an SMS to the system. */
  async reply(from: string, body: string): Promise<void> {
    const r = await fetch(`${this.simUrl}/sim/reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, body }),
    });
    if (!r.ok) throw new Error(`simulator refused reply: ${r.status}`);
  }

  output(): string {
    return [...this.services.values()].map((s) => `--- ${s.name} ---\n${s.output().slice(-3000)}`).join('\n');
  }

  /**
   * Moves every service's clock (SystemOptions.clock) `sec` seconds forward, and waits until each has
   * read it; what falls due then fires at the deadline scanner's next pass.
   */
  async advanceClock(sec: number): Promise<void> {
    if (!this.clockFile) throw new Error('advanceClock needs a system started with { clock: true }');
    advanceClockFile(this.clockFile, sec * 1000);
    await new Promise((r) => setTimeout(r, 3 * CLOCK_REFRESH_MS));
  }

  /** The services' time: the machine's, plus what advanceClock added. */
  clockNow(): Date {
    return this.clockFile ? new OffsetFileClock(this.clockFile, 0).now() : new Date();
  }

  /**
   * Time skipping: once the warning is quiet (every send it requested answered with a final status,
   * nothing due left unfired), moves the clock to its next deadline (its expiry aside) and answers
   * true; false when it has none left.
   */
  async skipToNextDeadline(warningId: string, timeoutMs = 30_000): Promise<boolean> {
    await this.waitQuiet(warningId, timeoutMs);
    const [next] = await this.query<{ due_at: Date | null }>(
      `SELECT min(due_at) AS due_at FROM callout.deadlines WHERE warning_id = $1 AND fired_at IS NULL AND kind <> 'expire'`,
      [warningId],
    );
    if (!next.due_at) return false;
    await this.advanceClock(Math.max(0, new Date(next.due_at).getTime() - this.clockNow().getTime()) / 1000);
    return true;
  }

  /**
   * Waits until the warning is planned (its call-outs written), every send it requested has its final
   * status, and nothing of it is due unfired.
   */
  async waitQuiet(warningId: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const [r] = await this.query<{ planned: boolean; unanswered: string; due: string }>(
          `SELECT EXISTS (SELECT 1 FROM callout.callouts WHERE warning_id = $1)
                    AND NOT EXISTS (SELECT 1 FROM callout.warning_messages WHERE warning_id = $1 AND outcome = 'pending') AS planned,
                  (SELECT count(*) FROM callout.requests q JOIN callout.callouts c ON c.id = q.callout_id
                    WHERE c.warning_id = $1 AND q.status_rank < $3) AS unanswered,
                  (SELECT count(*) FROM callout.deadlines
                    WHERE warning_id = $1 AND fired_at IS NULL AND due_at <= $2) AS due`,
          [warningId, this.clockNow().toISOString(), FINAL_STATUS_RANK],
        );
        return r.planned && r.unanswered === '0' && r.due === '0';
      },
      `${warningId} to be planned and quiet (every send answered, nothing due)`,
      timeoutMs,
      100,
    );
  }

  /**
   * Skips from deadline to deadline (skipToNextDeadline) until the warning's first call-outs reach
   * `expected`; fails when the warning runs out of deadlines first.
   */
  async skipUntilStates(warningId: string, expected: Record<string, string>, maxSkips = 50) {
    for (let i = 0; i <= maxSkips; i++) {
      const rows = (await this.callouts(warningId)).filter((c) => c.rung === 0);
      const got = Object.fromEntries(rows.map((c) => [c.person_id, c.state]));
      if (Object.entries(expected).every(([p, st]) => got[p] === st)) return rows;
      if (await this.skipToNextDeadline(warningId)) continue;
      // The last deadline has fired since the states above were read: what it set off may still be
      // on its way through Kafka.
      try {
        return await this.waitForStates(warningId, expected, 15_000);
      } catch (e) {
        const deadlines = await this.query<{ kind: string; due_at: Date; fired_at: Date | null }>(
          `SELECT kind, callout_id, due_at, fired_at FROM callout.deadlines WHERE warning_id = $1 ORDER BY due_at`,
          [warningId],
        );
        throw new Error(
          `${warningId}: no deadline left, and ${(e as Error).message}; ` +
            `clock ${this.clockNow().toISOString()}, deadlines ${JSON.stringify(deadlines)}`,
        );
      }
    }
    throw new Error(`${warningId}: not ${JSON.stringify(expected)} after ${maxSkips} deadlines`);
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await Promise.all([...this.services.values()].map((s) => s.stop()));
    await this.tdb?.drop().catch(() => undefined);
    if (this.clockFile) rmSync(this.clockFile, { force: true });
  }
}

let counter = 0;
/** A canonical warning for tests; override what matters. */
export function testWarning(over: Partial<WarningMessage> = {}): WarningMessage {
  const now = Date.now();
  counter += 1;
  return {
    schemaVersion: 1,
    id: `e2e-${now}-${counter}`,
    msgType: 'Alert',
    status: 'Actual',
    sender: '大同市气象台',
    sentAt: new Date(now).toISOString(),
    hazard: 'meteorological',
    subtype: 'rainstorm',
    level: 'blue',
    headline: '新荣镇暴雨蓝色预警',
    instruction: '注意防范强降雨',
    areas: [{ code: '140212100000', name: '新荣镇' }],
    effective: new Date(now).toISOString(),
    expires: new Date(now + 6 * 3600_000).toISOString(),
    ...over,
  };
}
