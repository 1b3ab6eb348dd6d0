/**
 * The call-out pipeline under load, as separate processes on the real Kafka and PostgreSQL: the
 * Twilio simulator, notifier, dispatcher and tracker (dist/apps/<app>/main.js) on a fresh database
 * seeded with a generated Datong roster, topics under a prefix of the run's own. Used by
 * bench/callout.bench.ts (figures) and test/bench-small.e2e-spec.ts (correctness at ~500 persons).
 *
 * Three phases, each on a city-wide red meteorological warning:
 *  1. dispatch: warning produced to Kafka → every person's first call-out accepted by the Twilio API
 *     (the simulator's createdAt of the person's first record);
 *  2. confirmations: one signed inbound SMS "1" per person POSTed to the notifier's webhook → the
 *     call-out CONFIRMED (callout.callouts.confirmed_at);
 *  3. deadlines: a second warning's ack deadlines all set due at one instant → the rung-0 call-out
 *     ESCALATED (or NOT_WOKEN when it has no ladder): lag = its updated_at − due_at.
 * Every load loop is bounded and local (127.0.0.1 only).
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { Client } from 'pg';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { WarningMessage } from '../contracts/generated';
import { DEFAULT_POLICY, Policy } from '../libs/callout/policy';
import { PostgresDb } from '../libs/db/db';
import { migrate } from '../libs/db/migrate';
import { DirectoryService } from '../libs/directory/directory.service';
import { shanxiDivisions } from '../libs/common/divisions';
import { DATONG, generateDirectory } from '../libs/directory/seed/generate-directory';
import type { SimRecord } from '../libs/notify/simulator/twilio-simulator';
import { CapacityPlan, planCapacity } from '../libs/notify/providers/capacity-planner';
import { DEFAULT_ROUTES, mainlandRoute, parseRoutes } from '../libs/notify/providers/routes';
import { waitFor } from '../test/support/infra';
import { freePort, startService } from '../test/support/services';
import { CostCounter, CostSnapshot, describeCost, overBudget, PhaseCost, phaseCost } from './cost';
import { Floor, floorMs, httpFloor, kafkaFloor, postgresFloor } from './floor';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TWILIO = {
  accountSid: 'AC' + 'be0c'.repeat(8),
  // Secrets of this run's own: the services refuse short or published ones.
  authToken: randomBytes(16).toString('hex'),
  from: '+15005550006',
};

export interface PipelineOptions {
  /** Persons wanted; the roster is generated with enough villages per township to reach it. */
  persons: number;
  /** Simulator pause between the steps of a message or call (0 = zero-latency mode). */
  simLatencyMs: number;
  /** Extra delay before each Twilio API request reaches the simulator (a local delaying proxy). */
  apiLatencyMs?: number;
  /** Channels of the first call-out (default SMS + voice, as the red policy). */
  channels?: ('sms' | 'voice')[];
  confirmations?: boolean;
  deadlines?: boolean;
  /** Webhook POSTs in flight at once during the confirmations phase. */
  webhookConcurrency?: number;
  /** Notifier rate limits (default: high, so the pipeline, not the throttle, is measured). */
  notifyRate?: { sms: number; calls: number; account: number; concurrency: number };
  label?: string;
  log?: (line: string) => void;
  /** Kafka bootstrap brokers (default KAFKA_BROKERS, else 127.0.0.1:9092). */
  brokers?: string;
  /** Services started besides the simulator, notifier, dispatcher and tracker. */
  extraApps?: ('audit' | 'console')[];
  /** Added to every service's environment (e.g. NOTIFY_RECONCILE_AFTER_MS). */
  serviceEnv?: Record<string, string>;
  /** How long a service may take to become ready (default 90 s). */
  readyTimeoutMs?: number;
  /** Write a V8 CPU profile of every service into this folder (--cpu-prof). */
  cpuProfDir?: string;
  /** V8's old-space limit of every service process, in MB (--max-old-space-size); Node's default when unset. */
  heapMb?: number;
  timeoutMs?: number;
  /** The PostgreSQL server (any database on it) the run creates its database on; TEST_DATABASE_URL by default. */
  adminUrl?: string;
  /** Append every service's output to <logDir>/<service>.log (default: only the tail is kept, in memory). */
  logDir?: string;
  /** Processes of each service but the console (default 1): consumer groups and SKIP LOCKED queues share the work. */
  replicas?: number;
}

export interface Distribution {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface DispatchFigures {
  warningId: string;
  calloutsPlanned: number;
  /** Warning produced → every person's first call-out accepted by the Twilio API (ms). */
  allFirstCalloutsMs: number;
  /** Warning produced → every requested send (all channels) accepted (ms). */
  allSendsMs: number;
  perCalloutMs: Distribution;
  /** Where the time goes, per person (medians/p99 in ms): see docs/benchmarks.md. */
  hops: {
    /** Produced → start of the planning transaction (callouts.created_at is its now()). */
    producedToPlanCommitMs: number;
    planToNotifierClaim: Distribution;
    claimToApiAccepted: Distribution;
    /** Inside the notifier: accepted from Kafka (created_at) → claimed by the send worker (claimed_at). */
    acceptedToClaimed: Distribution;
    /** Claimed → marked sent (sent_at: the gate, the route, the API's answer and the write). */
    claimedToSent: Distribution;
  };
  sendsPerSecond: number;
  /** Per channel: first sends the provider accepted, and when the first and the last were accepted (ms after the warning). */
  byChannel: Partial<
    Record<'sms' | 'voice', { sends: number; firstAcceptedMs: number; lastAcceptedMs: number }>
  >;
}

/**
 * The throttled mode's check of the capacity planner (the console's preview and the API dry-run):
 * per channel, the planner's seconds from the first send to the last at the configured rates, next
 * to the measured span between the first and the last first send the provider accepted.
 */
export interface CapacityCheck {
  rates: { sms: number; calls: number; account: number };
  channels: {
    channel: 'sms' | 'voice';
    sends: number;
    /** What binds the planner's rate; 'provider': the provider's own limit, which the simulator does not apply. */
    boundBy: 'configured' | 'provider' | 'account';
    plannedSec: number;
    measuredSec: number;
    ratio: number;
  }[];
  plan: Pick<CapacityPlan, 'voiceAllPlacedSec' | 'allWokenSec' | 'meetsVoiceTarget' | 'meetsWokenTarget'>;
}

/** `--rates sms=100,calls=1[,account=N]`: the notifier's rate limits of the throttled mode. */
export function parseRates(spec: string | undefined) {
  if (spec === undefined) return undefined;
  const kv = new Map(
    spec.split(',').map((part) => {
      const [k, v] = part.split('=');
      const n = Number(v);
      if (!['sms', 'calls', 'account'].includes(k) || !(n > 0))
        throw new Error(`--rates: "${part}" is not sms=N, calls=N or account=N with N > 0`);
      return [k, n] as const;
    }),
  );
  if (!kv.has('sms') || !kv.has('calls')) throw new Error('--rates needs sms=N and calls=N');
  const sms = kv.get('sms')!;
  const calls = kv.get('calls')!;
  return { sms, calls, account: kv.get('account') ?? sms + calls, concurrency: 200 };
}

/** The planner's figures for this dispatch at the notifier's rates, on the default route (Twilio). */
export function capacityCheck(
  d: DispatchFigures,
  rate: { sms: number; calls: number; account: number },
): CapacityCheck {
  const route = mainlandRoute(parseRoutes(DEFAULT_ROUTES));
  const sends = { sms: d.byChannel.sms?.sends ?? 0, voice: d.byChannel.voice?.sends ?? 0 };
  const plan = planCapacity({
    sends,
    rates: {
      sms: { configuredPerSecond: rate.sms, providers: route.sms },
      voice: { configuredPerSecond: rate.calls, providers: route.voice },
    },
    accountPerSecond: rate.account,
  });
  return {
    rates: rate,
    channels: plan.channels.map((c) => {
      const m = d.byChannel[c.channel]!;
      const measuredSec = (m.lastAcceptedMs - m.firstAcceptedMs) / 1000;
      return {
        channel: c.channel,
        sends: c.sends,
        boundBy: c.boundBy,
        plannedSec: +c.lastSentSec.toFixed(1),
        measuredSec: +measuredSec.toFixed(1),
        ratio: +(measuredSec / Math.max(c.lastSentSec, 0.001)).toFixed(2),
      };
    }),
    plan: {
      voiceAllPlacedSec: plan.voiceAllPlacedSec,
      allWokenSec: plan.allWokenSec,
      meetsVoiceTarget: plan.meetsVoiceTarget,
      meetsWokenTarget: plan.meetsWokenTarget,
    },
  };
}

export interface RunResult {
  persons: number;
  villagesPerTownship: number;
  simLatencyMs: number;
  apiLatencyMs: number;
  channels: string[];
  /** V8 old-space limit of the services (MB), when the run set one. */
  heapMb?: number;
  /** The notifier's rate limits, when the run set them (the throttled mode). */
  notifyRate?: PipelineOptions['notifyRate'];
  capacity?: CapacityCheck;
  importSeconds: number;
  dispatch: DispatchFigures;
  secondDispatch?: DispatchFigures;
  confirmations?: {
    n: number;
    webhookConcurrency: number;
    throughputPerSecond: number;
    webhookHttp: Distribution;
    webhookToConfirmed: Distribution;
    totalMs: number;
  };
  deadlines?: { n: number; lag: Distribution; escalated: number; notWoken: number; totalMs: number };
  peakMemoryMB: Record<string, number>;
  /** The machine's raw limits measured before the phases (bench/floor.ts). */
  floor?: Floor;
  /** Per phase: its time, the floor of its work, their ratio and what it cost per person (bench/cost.ts). */
  costs?: Record<string, PhaseCost & { ms: number; windowMs: number; floorMs: number; ratio: number }>;
  /** Per person and channel: first call-outs the simulator accepted (exactly one each is right). */
  correctness: { personsWithoutFirstCallout: number; personsWithMoreThanOne: number };
}

// ---------- small helpers ----------

export const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const dist = (xs: number[]): Distribution => ({
  n: xs.length,
  p50: Math.round(percentile(xs, 50)),
  p99: Math.round(percentile(xs, 99)),
  max: Math.round(xs.length ? Math.max(...xs) : NaN),
});

// The test suite's helpers, shared: polling with a deadline, a free port, a built service started.
export { freePort, waitFor };

/**
 * The generated Datong roster of at least `persons` persons, and the areas a warning to all of them
 * names. The whole city has 414 persons without villages; a smaller roster is the city's first
 * counties (by code), each with its townships, and the warning names those counties.
 */
export function datongDirectory(persons: number) {
  // Datong: 11 counties and 127 townships, 3 officials each, then 3 persons per village.
  const base = generateDirectory({ cityCodes: [DATONG], villagesPerTownship: 0, seed: 1 });
  if (persons < base.persons.length) return someCounties(persons);
  const townships = new Set(base.persons.map((p) => p.roles[0].areaCode).filter((c) => !c.endsWith('000000')))
    .size;
  const v = Math.max(0, Math.ceil((persons - base.persons.length) / (3 * townships)));
  return {
    villagesPerTownship: v,
    doc: generateDirectory({ cityCodes: [DATONG], villagesPerTownship: v, seed: 1 }),
    areas: [{ code: DATONG, name: '大同市' }],
  };
}

/** The first counties of Datong whose officials (county and township) number at least `persons`. */
function someCounties(persons: number) {
  const counties = shanxiDivisions()
    .filter((d) => d.level === 'county' && d.parentCode === DATONG)
    .sort((a, b) => a.code.localeCompare(b.code));
  for (let n = 1; ; n++) {
    const chosen = counties.slice(0, n);
    const doc = generateDirectory({
      countyCodes: chosen.map((c) => c.code),
      villagesPerTownship: 0,
      seed: 1,
    });
    if (doc.persons.length >= persons || n === counties.length)
      return { villagesPerTownship: 0, doc, areas: chosen.map((c) => ({ code: c.code, name: c.name })) };
  }
}

/**
 * The benchmark's policy: the default policy, except that a red meteorological warning calls every
 * role the generated roster holds (county/township heads, flood control and duty officers, and the
 * three village roles), so call-outs = persons. Channels as given (default SMS + voice at once); ack
 * deadlines 6 h, so that only the deadline phase fires any.
 */
export function benchPolicy(channels: ('sms' | 'voice')[]): Policy {
  const p = structuredClone(DEFAULT_POLICY) as Policy;
  const red = p.hazards.meteorological.red;
  red.targets = [
    { role: 'party-gov-head', levels: ['county', 'township'] },
    { role: 'flood-control' },
    { role: 'duty-officer', levels: ['county', 'township'] },
    { role: 'grid-worker' },
    { role: 'flash-flood-warner' },
    { role: 'geo-monitor' },
  ];
  red.channels = channels;
  red.escalationChannels = channels;
  // Long enough that no deadline fires on its own during a run (at 10,000 persons the dispatch takes
  // longer than the default 300 s): the deadline phase sets its due times itself.
  red.ackDeadlineSec = 6 * 3600;
  red.escalationAckDeadlineSec = 6 * 3600;
  if (!channels.includes('voice')) red.redials = 0;
  p.version = 'bench-1';
  return p;
}

export interface Child {
  name: string;
  app: string;
  proc: ChildProcess;
  url: string;
  port: number;
  env: Record<string, string>;
  ready: 'health' | 'port';
  out: () => string;
}

async function startApp(
  app: string,
  name: string,
  env: Record<string, string>,
  port: number,
  ready: 'health' | 'port',
  o: Pick<PipelineOptions, 'cpuProfDir' | 'heapMb' | 'readyTimeoutMs' | 'logDir'> = {},
): Promise<Child> {
  const { cpuProfDir, heapMb, readyTimeoutMs = 90_000 } = o;
  // The whole output, restarts included, goes to <logDir>/<name>.log when asked (looking into a failed trial).
  const logFile = o.logDir ? join(o.logDir, `${name}.log`) : undefined;
  const service = await startService(app, env, {
    name,
    port,
    ready,
    timeoutMs: readyTimeoutMs,
    onOutput: logFile ? (d: Buffer) => appendFileSync(logFile, d) : undefined,
    nodeArgs: [
      ...(cpuProfDir
        ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}.cpuprofile`]
        : []),
      ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
    ],
    outputTailChars: 20_000,
  });
  return { name, app, proc: service.proc, url: service.url, port, env, ready, out: service.output };
}

/** Peak resident set (VmHWM) of a live process, in MB (Linux). */
function peakRssMB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** A local proxy that holds every request `delayMs` before passing it on: the provider's API latency. */
async function delayingProxy(target: string, delayMs: number) {
  const t = new URL(target);
  const server = createServer((req, res) => {
    setTimeout(() => {
      const up = httpRequest(
        { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A round-robin front for the notifier replicas' webhooks on `port`, as a load balancer: each
 * request goes to the next replica, and to the one after when a replica does not take the
 * connection (killed or restarting); 502 when none does.
 */
async function roundRobinFront(port: number, targets: number[]) {
  let next = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const first = next++ % targets.length;
      const tryTarget = (k: number) => {
        if (k === targets.length) {
          res.writeHead(502);
          res.end();
          return;
        }
        const up = httpRequest(
          {
            host: '127.0.0.1',
            port: targets[(first + k) % targets.length],
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        // Only a refused connection moves on: a request the replica took is its answer to give.
        up.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'ECONNREFUSED' && !res.headersSent) tryTarget(k + 1);
          else if (!res.headersSent) {
            res.writeHead(502);
            res.end();
          } else res.destroy();
        });
        up.end(body);
      };
      tryTarget(0);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Parses the request id the notifier puts on each send's status callback (…?rid=<requestId>). */
export function requestIdOf(rec: SimRecord): string | null {
  if (!rec.statusCallback) return null;
  return new URL(rec.statusCallback).searchParams.get('rid');
}

// ---------- the run ----------

export class CalloutPipeline {
  readonly prefix = `bench${randomBytes(4).toString('hex')}.`;
  readonly children: Child[] = [];
  db!: PostgresDb;
  dbName = '';
  dbUrl = '';
  simUrl = '';
  notifierPort = 0;
  phones = new Map<string, string>(); // person id → mobile
  private producer?: Producer;
  private proxy?: { url: string; close(): Promise<void> };
  /** The notifiers' public port when they run as replicas. */
  private front?: { close(): Promise<void> };
  private policyFile = '';
  private readonly log: (line: string) => void;
  importSeconds = 0;
  villagesPerTownship = 0;
  /** The areas every warning of the run names (the whole city, or the counties of a small roster). */
  areas: { code: string; name: string }[] = [];
  readonly brokers: string;

  constructor(readonly opts: PipelineOptions) {
    this.log = opts.log ?? (() => undefined);
    this.brokers = opts.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  }

  child(name: string): Child {
    const c = this.children.find((x) => x.name === name);
    if (!c) throw new Error(`no service ${name}`);
    return c;
  }

  /** kill -9 of a service; resolves when the process is gone. */
  async kill(name: string): Promise<void> {
    const c = this.child(name);
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.proc.once('exit', () => resolve());
      c.proc.kill('SIGKILL');
    });
  }

  /** Starts a service again with the same environment and port (after a kill or a crash). */
  async restart(name: string): Promise<Child> {
    const c = this.child(name);
    await this.kill(name);
    const again = await startApp(c.app, c.name, c.env, c.port, c.ready, this.opts);
    this.children.splice(this.children.indexOf(c), 1, again);
    return again;
  }

  get adminUrl(): string {
    return this.opts.adminUrl ?? ADMIN_URL;
  }

  get channels() {
    return this.opts.channels ?? ['sms', 'voice'];
  }

  async start(): Promise<void> {
    if (this.opts.logDir) mkdirSync(this.opts.logDir, { recursive: true });
    const { villagesPerTownship, doc, areas } = datongDirectory(this.opts.persons);
    this.villagesPerTownship = villagesPerTownship;
    this.areas = areas;
    for (const p of doc.persons) this.phones.set(p.id, p.mobile ?? '');
    this.dbName = `bench_callout_${this.prefix.slice(5, -1)}`;
    const admin = new Client({ connectionString: this.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${this.dbName}`);
    await admin.end();
    const url = this.adminUrl.replace(/\/[^/]*$/, `/${this.dbName}`);
    this.dbUrl = url;
    this.db = new PostgresDb(url);
    await migrate(this.db);
    const t0 = Date.now();
    const report = await new DirectoryService(this.db).import(JSON.stringify(doc), { format: 'json' });
    if (!report.applied) throw new Error(`directory rejected: ${JSON.stringify(report.errors.slice(0, 5))}`);
    this.importSeconds = (Date.now() - t0) / 1000;
    await this.db.exec('ANALYZE');
    this.log(
      `directory: ${doc.persons.length} persons (${villagesPerTownship} villages/township) in ${this.importSeconds.toFixed(1)} s`,
    );

    const simPort = await freePort();
    this.notifierPort = await freePort();
    this.simUrl = `http://127.0.0.1:${simPort}`;
    this.policyFile = join(tmpdir(), `${this.prefix}policy.json`);
    writeFileSync(this.policyFile, JSON.stringify(benchPolicy(this.channels)));
    const rate = this.opts.notifyRate ?? { sms: 100_000, calls: 100_000, account: 100_000, concurrency: 200 };
    const apiUrl = this.opts.apiLatencyMs
      ? (this.proxy = await delayingProxy(this.simUrl, this.opts.apiLatencyMs)).url
      : this.simUrl;
    const brokers = this.brokers;
    const env = {
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: this.prefix,
      DATABASE_URL: url,
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_API_BASE_URL: apiUrl,
      TWILIO_SMS_FROM: TWILIO.from,
      TWILIO_VOICE_FROM: TWILIO.from,
      PUBLIC_BASE_URL: `http://127.0.0.1:${this.notifierPort}`,
      SIGNING_SECRET: randomBytes(32).toString('base64url'),
      POLICY_FILE: this.policyFile,
      NOTIFY_SMS_PER_SECOND: String(rate.sms),
      NOTIFY_CALLS_PER_SECOND: String(rate.calls),
      NOTIFY_ACCOUNT_PER_SECOND: String(rate.account),
      NOTIFY_CONCURRENCY: String(rate.concurrency),
      NOTIFY_SEND_TRIES: '3',
      ...this.opts.serviceEnv,
    };
    this.children.push(
      await startApp(
        'twilio-sim',
        'twilio-sim',
        {
          SIM_PORT: String(simPort),
          TWILIO_ACCOUNT_SID: TWILIO.accountSid,
          TWILIO_AUTH_TOKEN: TWILIO.authToken,
          TWILIO_SMS_FROM: TWILIO.from,
          SIM_LATENCY_MS: String(this.opts.simLatencyMs),
          SIM_INBOUND_URL: `http://127.0.0.1:${this.notifierPort}/twilio/sms/inbound`,
          SIM_BEHAVIOURS: JSON.stringify({ default: 'deliver' }),
        },
        simPort,
        'port',
        this.opts,
      ),
    );
    // With replicas, each service runs `replicas` times (notifier, notifier-2, …) and the notifiers'
    // webhooks reach them through a round-robin front on the public port, as a load balancer would.
    const replicas = this.opts.replicas ?? 1;
    const notifierPorts =
      replicas > 1
        ? await Promise.all(Array.from({ length: replicas }, () => freePort()))
        : [this.notifierPort];
    if (replicas > 1) this.front = await roundRobinFront(this.notifierPort, notifierPorts);
    const replicated = ['dispatcher', 'tracker', ...(this.opts.extraApps ?? [])];
    const replicaName = (app: string, i: number) => (i === 0 ? app : `${app}-${i + 1}`);
    // Settled one by one: when one service fails to start, the others that did are still stopped
    // with the pipeline rather than left running.
    const starting = await Promise.allSettled([
      ...notifierPorts.map((port, i) =>
        startApp('notifier', replicaName('notifier', i), env, port, 'health', this.opts),
      ),
      ...replicated.flatMap((app) =>
        Array.from({ length: app === 'console' ? 1 : replicas }, (_, i) =>
          freePort().then((p) => startApp(app, replicaName(app, i), env, p, 'health', this.opts)),
        ),
      ),
    ]);
    for (const r of starting) if (r.status === 'fulfilled') this.children.push(r.value);
    const failed = starting.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const kafka = new Kafka({
      clientId: `${this.prefix}bench`,
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
  }

  async q<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(sql, params)).rows;
  }

  warning(): WarningMessage {
    const now = Date.now();
    return {
      schemaVersion: 1,
      id: `bench-${now}-${randomBytes(3).toString('hex')}`,
      msgType: 'Alert',
      status: 'Actual',
      sender: '大同市气象台',
      sentAt: new Date(now).toISOString(),
      hazard: 'meteorological',
      subtype: 'rainstorm',
      level: 'red',
      headline: '大同市暴雨红色预警',
      instruction: '立即转移危险区域人员，做好防御准备',
      areas: this.areas as WarningMessage['areas'],
      effective: new Date(now).toISOString(),
      expires: new Date(now + 12 * 3600_000).toISOString(),
    };
  }

  /** Produces a warning to its hazard topic. */
  async produceWarning(w: WarningMessage): Promise<void> {
    await this.producer!.send({
      topic: `${this.prefix}warnings.${w.hazard}`,
      messages: [{ key: w.id, value: JSON.stringify(w) }],
    });
  }

  async simRecords(): Promise<SimRecord[]> {
    const r = await fetch(`${this.simUrl}/sim/records`);
    return ((await r.json()) as { records: SimRecord[] }).records;
  }

  private timeout(base: number) {
    // Throttled: every person's sends at the configured rates, twice over, on top.
    const r = this.opts.notifyRate;
    const throttled = r ? 2_000 * this.opts.persons * (1 / r.sms + 1 / r.calls) : 0;
    return this.opts.timeoutMs ?? Math.max(base, this.opts.persons * 60) + throttled;
  }

  /** Produces one city-wide red warning to Kafka and returns it, without waiting for anything else. */
  async sendWarning(): Promise<WarningMessage> {
    const w = this.warning();
    await this.producer!.send({
      topic: `${this.prefix}warnings.meteorological`,
      messages: [{ key: w.id, value: JSON.stringify(w) }],
    });
    return w;
  }

  /** Phase 1: one city-wide red warning; waits until every requested first send was answered by the API. */
  async dispatch(): Promise<DispatchFigures> {
    const expected = this.phones.size * this.channels.length;
    const t0 = Date.now();
    const w = await this.sendWarning();
    await waitFor(
      async () => {
        const [r] = await this.q<{ n: string }>(
          // Answered by the provider (sent) or given up (failed); 'queued' is not yet sent.
          `SELECT count(*) AS n FROM notify.attempts WHERE warning_id = $1 AND purpose = 'callout' AND state IN ('sent', 'failed')`,
          [w.id],
        );
        return Number(r.n) >= expected;
      },
      `${expected} first sends of ${w.id}`,
      this.timeout(120_000),
      250,
    );
    const records = (await this.simRecords()).filter((r) => r.kind === 'sms' || r.kind === 'call');
    const mine = records
      .map((r) => ({ r, rid: requestIdOf(r) }))
      .filter((x) => x.rid?.startsWith(`${w.id}/`) && x.rid.endsWith(':callout'));
    const firstByPerson = new Map<string, number>();
    const acceptedByRequest = new Map<string, number>();
    const byChannel: DispatchFigures['byChannel'] = {};
    let last = 0;
    for (const { r, rid } of mine) {
      const at = Date.parse(r.createdAt);
      const ch = r.kind === 'call' ? 'voice' : 'sms';
      const c = (byChannel[ch] ??= { sends: 0, firstAcceptedMs: Infinity, lastAcceptedMs: 0 });
      c.sends++;
      c.firstAcceptedMs = Math.min(c.firstAcceptedMs, at - t0);
      c.lastAcceptedMs = Math.max(c.lastAcceptedMs, at - t0);
      acceptedByRequest.set(rid!, at);
      last = Math.max(last, at);
      const calloutId = rid!.split('#')[0];
      firstByPerson.set(calloutId, Math.min(firstByPerson.get(calloutId) ?? Infinity, at));
    }
    const per = [...firstByPerson.values()].map((at) => at - t0);
    const hopRows = await this.q<{
      request_id: string;
      callout_id: string;
      claimed: Date;
      planned: Date;
      worker_claimed: Date | null;
      sent: Date | null;
    }>(
      `SELECT a.request_id, a.callout_id, a.created_at AS claimed, c.created_at AS planned,
              a.claimed_at AS worker_claimed, a.sent_at AS sent
       FROM notify.attempts a JOIN callout.callouts c ON c.id = a.callout_id
       WHERE a.warning_id = $1 AND a.purpose = 'callout'`,
      [w.id],
    );
    const planned = hopRows.length ? Math.min(...hopRows.map((h) => h.planned.getTime())) : NaN;
    const [{ n: planCount }] = await this.q<{ n: string }>(
      `SELECT count(*) AS n FROM callout.callouts WHERE warning_id = $1 AND rung = 0`,
      [w.id],
    );
    const firstSubmitted = Math.min(...[...acceptedByRequest.values()]);
    return {
      warningId: w.id,
      calloutsPlanned: Number(planCount),
      allFirstCalloutsMs: Math.max(...per),
      allSendsMs: last - t0,
      perCalloutMs: dist(per),
      hops: {
        producedToPlanCommitMs: planned - t0,
        planToNotifierClaim: dist(hopRows.map((h) => h.claimed.getTime() - h.planned.getTime())),
        claimToApiAccepted: dist(
          hopRows
            .filter((h) => acceptedByRequest.has(h.request_id))
            .map((h) => acceptedByRequest.get(h.request_id)! - h.claimed.getTime()),
        ),
        acceptedToClaimed: dist(
          hopRows
            .filter((h) => h.worker_claimed)
            .map((h) => h.worker_claimed!.getTime() - h.claimed.getTime()),
        ),
        claimedToSent: dist(
          hopRows
            .filter((h) => h.worker_claimed && h.sent)
            .map((h) => h.sent!.getTime() - h.worker_claimed!.getTime()),
        ),
      },
      sendsPerSecond: Math.round(mine.length / ((last - firstSubmitted) / 1000 || 1)),
      byChannel,
    };
  }

  /**
   * Waits until the simulator's callbacks of a warning's sends have all been applied: no call-out
   * still SENT, and nothing moving (call-out states, applied events, both outboxes) for 2 s.
   * (callout.requests.status is not usable here: a 'submitted' event may be applied after the
   * 'delivered' callback that overtook it.)
   */
  async settle(warningId: string): Promise<void> {
    let last = '';
    let quiet = 0;
    await waitFor(
      async () => {
        const [r] = await this.q<Record<string, string>>(
          `SELECT (SELECT count(*) FROM callout.callouts WHERE warning_id = $1 AND state = 'SENT') AS sent,
                  (SELECT string_agg(state || ':' || n, ',' ORDER BY state) FROM
                     (SELECT state, count(*) AS n FROM callout.callouts WHERE warning_id = $1 GROUP BY state) s) AS states,
                  (SELECT count(*) FROM callout.applied_events) AS applied,
                  (SELECT count(*) FROM callout.outbox) AS callout_outbox,
                  (SELECT count(*) FROM notify.outbox) AS notify_outbox`,
          [warningId],
        );
        const sig = JSON.stringify(r);
        quiet = sig === last && Number(r.sent) === 0 ? quiet + 1 : 0;
        last = sig;
        return quiet >= 4;
      },
      `status callbacks of ${warningId} to settle`,
      this.timeout(180_000),
      500,
    );
  }

  /** Phase 2: every person confirms by a signed inbound SMS "1" to the notifier's webhook. */
  async confirmAll(warningId: string) {
    const concurrency = this.opts.webhookConcurrency ?? 32;
    const url = `http://127.0.0.1:${this.notifierPort}/twilio/sms/inbound`;
    const people = await this.q<{ id: string; phone: string }>(
      `SELECT id, phone FROM callout.callouts WHERE warning_id = $1 AND rung = 0 ORDER BY id`,
      [warningId],
    );
    const postedAt = new Map<string, number>();
    const http: number[] = [];
    let failures = 0;
    const queue = [...people];
    const t0 = Date.now();
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const sid = 'SM' + randomBytes(16).toString('hex');
        const params = {
          AccountSid: TWILIO.accountSid,
          MessageSid: sid,
          SmsSid: sid,
          SmsMessageSid: sid,
          From: p.phone,
          To: TWILIO.from,
          Body: '1',
          NumMedia: '0',
          NumSegments: '1',
          SmsStatus: 'received',
          ApiVersion: '2010-04-01',
        };
        const s = Date.now();
        postedAt.set(p.id, s);
        const r = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': getExpectedTwilioSignature(TWILIO.authToken, url, params),
          },
          body: new URLSearchParams(params).toString(),
        }).catch(() => undefined);
        if (!r || r.status !== 200) failures++;
        await r?.text();
        http.push(Date.now() - s);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failures) this.log(`  ${failures} webhook POSTs failed`);
    await waitFor(
      async () => {
        const [r] = await this.q<{ n: string }>(
          `SELECT count(*) AS n FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND state <> 'CONFIRMED'`,
          [warningId],
        );
        return Number(r.n) === 0;
      },
      `all call-outs of ${warningId} to be CONFIRMED`,
      this.timeout(120_000),
      100,
    );
    const rows = await this.q<{ id: string; confirmed_at: Date }>(
      `SELECT id, confirmed_at FROM callout.callouts WHERE warning_id = $1 AND rung = 0`,
      [warningId],
    );
    const lat = rows.map((r) => r.confirmed_at.getTime() - postedAt.get(r.id)!);
    const end = Math.max(...rows.map((r) => r.confirmed_at.getTime()));
    return {
      n: rows.length,
      webhookConcurrency: concurrency,
      throughputPerSecond: Math.round(rows.length / ((end - t0) / 1000)),
      webhookHttp: dist(http),
      webhookToConfirmed: dist(lat),
      totalMs: end - t0,
    };
  }

  /** Phase 3: every rung-0 ack deadline of the warning due at one instant; lag to the escalation. */
  async expireAll(warningId: string) {
    const [{ due }] = await this.q<{ due: Date }>(
      `UPDATE callout.deadlines d SET due_at = now() + interval '2 seconds'
       FROM callout.callouts c
       WHERE c.id = d.callout_id AND c.rung = 0 AND d.kind = 'ack' AND d.warning_id = $1 AND d.fired_at IS NULL
       RETURNING d.due_at AS due`,
      [warningId],
    );
    const dueMs = due.getTime();
    await waitFor(
      async () => {
        const [r] = await this.q<{ n: string }>(
          `SELECT count(*) AS n FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND state NOT IN ('ESCALATED', 'NOT_WOKEN')`,
          [warningId],
        );
        return Number(r.n) === 0;
      },
      `all call-outs of ${warningId} to escalate`,
      this.timeout(180_000),
      100,
    );
    const rows = await this.q<{ state: string; updated_at: Date }>(
      `SELECT state, updated_at FROM callout.callouts WHERE warning_id = $1 AND rung = 0`,
      [warningId],
    );
    const lag = rows.map((r) => r.updated_at.getTime() - dueMs);
    return {
      n: rows.length,
      lag: dist(lag),
      escalated: rows.filter((r) => r.state === 'ESCALATED').length,
      notWoken: rows.filter((r) => r.state === 'NOT_WOKEN').length,
      totalMs: Math.max(...lag),
    };
  }

  /** Per person: how many first call-outs of the warning the simulator accepted, per channel. */
  async firstCalloutCounts(warningId: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const r of await this.simRecords()) {
      const rid = requestIdOf(r);
      if ((r.kind !== 'sms' && r.kind !== 'call') || !rid?.startsWith(`${warningId}/`)) continue;
      if (!rid.endsWith(':callout')) continue;
      counts.set(`${r.to}|${r.kind}`, (counts.get(`${r.to}|${r.kind}`) ?? 0) + 1);
    }
    return counts;
  }

  /** The machine's raw limits, measured now (before the phases): bench/floor.ts. Resets the simulator's records. */
  async floor(): Promise<Floor> {
    const http = await httpFloor(this.simUrl, TWILIO.accountSid, TWILIO.authToken, TWILIO.from);
    await fetch(`${this.simUrl}/sim/reset`, { method: 'POST' });
    const kafka = await kafkaFloor(this.brokers.split(','), this.prefix);
    const postgres = await postgresFloor(this.dbUrl);
    return { http, kafka, postgres };
  }

  /** Counts what each phase costs (bench/cost.ts). */
  costCounter(): CostCounter {
    return new CostCounter({
      dbUrl: this.dbUrl,
      brokers: this.brokers,
      prefix: this.prefix,
      simUrl: this.simUrl,
      services: () => this.children.map((c) => ({ name: c.name, url: c.url, pid: c.proc.pid })),
    });
  }

  peakMemory(): Record<string, number> {
    return Object.fromEntries(this.children.map((c) => [c.name, peakRssMB(c.proc.pid)]));
  }

  output(): string {
    return this.children.map((c) => `--- ${c.name} ---\n${c.out().slice(-3000)}`).join('\n');
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null) return resolve();
            const t = setTimeout(() => c.proc.kill('SIGKILL'), 20_000);
            c.proc.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.proc.kill('SIGTERM');
          }),
      ),
    );
    await this.proxy?.close();
    await this.front?.close();
    if (this.policyFile) rmSync(this.policyFile, { force: true });
    await this.db?.close().catch(() => undefined);
    if (this.dbName) {
      const admin = new Client({ connectionString: this.adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

/** One whole run at one scale: dispatch, confirmations, a second dispatch, deadlines, memory. */
export async function runPipeline(opts: PipelineOptions): Promise<RunResult> {
  const log = opts.log ?? (() => undefined);
  const p = new CalloutPipeline(opts);
  let counter: CostCounter | undefined;
  try {
    await p.start();
    log('floor: raw HTTP through the simulator, kafkajs produce + consume, node-postgres writes');
    const floor = await p.floor();
    log(
      `  HTTP ${floor.http.perSecond} exchanges/s (${floor.http.inFlight} in flight); Kafka ${floor.kafka.messages} × ${floor.kafka.bytes} B in ${floor.kafka.ms} ms; ` +
        `PostgreSQL ${floor.postgres.rows} rows inserted in ${floor.postgres.insertMs} ms, updated in ${floor.postgres.updateMs} ms, ${floor.postgres.singleStatementsPerSecond} single statements/s`,
    );
    counter = p.costCounter();
    const costs: NonNullable<RunResult['costs']> = {};
    const persons = p.phones.size;
    let snap: CostSnapshot = await counter.snapshot();
    /** Closes a phase's count: from the last snapshot to now (the phase's work settled). */
    const account = async (name: string, ms: number) => {
      const next = await counter!.snapshot();
      const c = phaseCost(snap, next, persons);
      const f = floorMs(floor, c.work);
      costs[name] = {
        ...c,
        ms,
        windowMs: next.at - snap.at - 10_500,
        floorMs: f,
        ratio: +(ms / Math.max(f, 1)).toFixed(1),
      };
      for (const l of describeCost(name, c, ms, f)) log(l);
      if (name === 'dispatch') {
        const over = overBudget(c);
        log(
          `    budget per person (bench/cost.ts DISPATCH_BUDGET): ${over.length ? `over: ${over.join(', ')}` : 'held'}`,
        );
      }
      snap = next;
    };
    log(`dispatch: city-wide red warning to ${p.phones.size} persons (${p.channels.join('+')})`);
    const dispatch = await p.dispatch();
    log(
      `  every first call-out accepted after ${dispatch.allFirstCalloutsMs} ms (${dispatch.sendsPerSecond} sends/s)`,
    );
    const hop = (d: Distribution) => `p50 ${d.p50} / p99 ${d.p99} ms`;
    log(
      `  hops: planned → accepted by the notifier ${hop(dispatch.hops.planToNotifierClaim)}; accepted → claimed ${hop(dispatch.hops.acceptedToClaimed)}; claimed → marked sent ${hop(dispatch.hops.claimedToSent)}`,
    );
    const capacity = opts.notifyRate ? capacityCheck(dispatch, opts.notifyRate) : undefined;
    if (capacity) {
      const r = capacity.rates;
      log(`  throttled: ${r.sms} SMS/s, ${r.calls} calls/s, ${r.account} requests/s on the account`);
      for (const c of capacity.channels)
        log(
          `  ${c.channel}: ${c.sends} first sends, first → last accepted ${c.measuredSec} s; the capacity planner: ${c.plannedSec} s (${c.ratio}×, bound by ${c.boundBy})` +
            (c.boundBy === 'provider'
              ? ": the provider's own limit, which the simulator does not apply"
              : ''),
        );
    }
    const counts = await p.firstCalloutCounts(dispatch.warningId);
    const kinds = p.channels.map((c) => (c === 'voice' ? 'call' : 'sms'));
    const phones = [...p.phones.values()];
    const correctness = {
      personsWithoutFirstCallout: phones.filter((ph) => kinds.some((k) => !counts.has(`${ph}|${k}`))).length,
      personsWithMoreThanOne: phones.filter((ph) => kinds.some((k) => (counts.get(`${ph}|${k}`) ?? 0) > 1))
        .length,
    };
    await p.settle(dispatch.warningId);
    await account('dispatch', dispatch.allFirstCalloutsMs);
    let confirmations: RunResult['confirmations'];
    let deadlines: RunResult['deadlines'];
    let secondDispatch: DispatchFigures | undefined;
    if (opts.confirmations !== false) {
      log(`confirmations: ${p.phones.size} signed inbound SMS "1"`);
      confirmations = await p.confirmAll(dispatch.warningId);
      log(
        `  ${confirmations.throughputPerSecond}/s, webhook→CONFIRMED p99 ${confirmations.webhookToConfirmed.p99} ms`,
      );
      await p.settle(dispatch.warningId);
      await account('confirmations', confirmations.totalMs);
    }
    if (opts.deadlines !== false) {
      secondDispatch = await p.dispatch();
      log(`second warning: every first call-out accepted after ${secondDispatch.allFirstCalloutsMs} ms`);
      await p.settle(secondDispatch.warningId);
      await account('secondDispatch', secondDispatch.allFirstCalloutsMs);
      log(`deadlines: ${p.phones.size} ack deadlines due at one instant`);
      deadlines = await p.expireAll(secondDispatch.warningId);
      log(`  lag p50 ${deadlines.lag.p50} ms, p99 ${deadlines.lag.p99} ms`);
      // The escalations' own sends and their callbacks belong to the phase's cost.
      await p.settle(secondDispatch.warningId);
      await account('deadlines', deadlines.totalMs);
    }
    return {
      persons: p.phones.size,
      villagesPerTownship: p.villagesPerTownship,
      simLatencyMs: opts.simLatencyMs,
      apiLatencyMs: opts.apiLatencyMs ?? 0,
      channels: p.channels,
      heapMb: opts.heapMb,
      notifyRate: opts.notifyRate,
      capacity,
      importSeconds: +p.importSeconds.toFixed(2),
      dispatch,
      secondDispatch,
      confirmations,
      deadlines,
      peakMemoryMB: p.peakMemory(),
      floor,
      costs,
      correctness,
    };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${p.output()}`);
  } finally {
    await counter?.close();
    await p.stop();
  }
}
