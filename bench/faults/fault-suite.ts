/**
 * The fault suite (npm run faults): the benchmark's pipeline (bench/callout-pipeline.ts: the Twilio
 * simulator, notifier, dispatcher, tracker, audit and console as separate processes) on a PostgreSQL
 * instance and a Kafka broker of the suite's own, a generated Datong roster, and for each trial a
 * city-wide red warning (SMS + voice). Each trial injects one fault at a random point of one phase:
 *
 *   planning       the dispatcher creating the warning's call-outs
 *   sending        first sends going out (a random fraction of them accepted)
 *   callbacks      the provider's status callbacks being applied
 *   confirmations  half the persons confirming by SMS
 *   deadlines      the other half's ack deadlines, all due at one instant, escalating
 *
 * and then asserts, from the database, the simulator's records and the ledger: one first call-out
 * per person and channel, every confirmation applied once, every due deadline fired once and its
 * person escalated, the ledger holding every state change in order and `audit:verify` passing. The
 * time from the fault to the backlog drained is measured.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { SimFaults, SimRecord } from '../../libs/notify/simulator/twilio-simulator';
import { prng } from '../../libs/directory/seed/generate-directory';
import { CalloutPipeline, requestIdOf } from '../callout-pipeline';
import { OwnPostgres } from '../../test/support/own-postgres';
import { OwnKafka, OwnKafkaCluster } from './own-infra';

const ROOT = join(__dirname, '..', '..').replace(/[/\\]dist$/, '');
const run = promisify(execFile);

export const PHASES = ['planning', 'sending', 'callbacks', 'confirmations', 'deadlines'] as const;
export type Phase = (typeof PHASES)[number];

interface FaultContext {
  p: CalloutPipeline;
  pg: OwnPostgres;
  kafka: OwnKafka | OwnKafkaCluster;
  setSimFaults(f: SimFaults): Promise<void>;
  log(line: string): void;
  /** The suite's seeded random numbers (which broker, which replica). */
  random(): number;
}

/** Which Kafka the suite runs on: one broker, or a 3-broker cluster with 3 replicas per partition. */
export type SuiteKafka = 'single' | 'cluster';

export interface Fault {
  name: string;
  what: string;
  /** Injects the fault; resolves once the faulty part is back (restarted) or the mode is on. */
  inject(ctx: FaultContext): Promise<void>;
  /** Provider and webhook modes stay on until the trial's work is done; then switched off here. */
  clear?(ctx: FaultContext): Promise<void>;
  /** Confirmations POSTed twice each (a Twilio retry of the inbound webhook). */
  repeatConfirmations?: boolean;
  /** The fault needs this Kafka (default: either). */
  kafka?: SuiteKafka;
  /** The fault needs services run as replicas. */
  replicas?: boolean;
}

/** Services run as replicas (the console is one process). */
export const REPLICATED = ['notifier', 'dispatcher', 'tracker', 'audit'] as const;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const killAndRestart = (service: string): Fault => ({
  name: `kill-${service}`,
  what: `kill -9 of the ${service}, restarted with the same environment`,
  inject: async ({ p }) => {
    await p.restart(service);
  },
});

const simMode =
  (name: string, what: string, faults: (o: SuiteOptions) => SimFaults, extra: Partial<Fault> = {}) =>
  (o: SuiteOptions): Fault => ({
    name,
    what,
    inject: ({ setSimFaults }) => setSimFaults(faults(o)),
    clear: ({ setSimFaults }) => setSimFaults({}),
    ...extra,
  });

/** Every fault the suite knows, by name, in the order they run. */
export const FAULTS: Record<string, (o: SuiteOptions) => Fault> = {
  'kill-dispatcher': () => killAndRestart('dispatcher'),
  'kill-notifier': () => killAndRestart('notifier'),
  'kill-tracker': () => killAndRestart('tracker'),
  'kill-audit': () => killAndRestart('audit'),
  'kill-console': () => killAndRestart('console'),
  'kafka-kill': () => ({
    name: 'kafka-kill',
    what: 'kill -9 of the Kafka broker, restarted',
    kafka: 'single',
    inject: async ({ kafka }) => {
      await (kafka as OwnKafka).kill9();
      await kafka.start();
    },
  }),
  'kafka-broker-kill': () => {
    let killed = 0;
    return {
      name: 'kafka-broker-kill',
      what: 'kill -9 of one of the 3 brokers; started again only once the trial’s work is done',
      kafka: 'cluster',
      inject: async ({ kafka, random, log }) => {
        const cluster = kafka as OwnKafkaCluster;
        killed = 1 + Math.floor(random() * cluster.ports.length);
        await cluster.kill9(killed);
        log(
          `  broker ${killed} (127.0.0.1:${cluster.ports[killed - 1]}) killed; the trial goes on without it`,
        );
      },
      clear: async ({ kafka, log }) => {
        if (!killed) return;
        await kafka.start();
        log(`  broker ${killed} started again`);
        killed = 0;
      },
    };
  },
  'postgres-restart': () => ({
    name: 'postgres-restart',
    what: 'PostgreSQL stopped (immediate) and started again 2 s later',
    inject: async ({ pg }) => {
      await pg.stop('immediate');
      await pause(2000);
      await pg.start();
    },
  }),
  'kill-replica': () => {
    let killed: string | undefined;
    return {
      name: 'kill-replica',
      what: 'kill -9 of one replica of a service; the other carries on, the killed one started again once the work is done',
      replicas: true,
      inject: async ({ p, random, log }) => {
        const service = REPLICATED[Math.floor(random() * REPLICATED.length)];
        killed = random() < 0.5 ? service : `${service}-2`;
        await p.kill(killed);
        log(`  ${killed} killed; its replica carries on`);
      },
      clear: async ({ p, log }) => {
        if (!killed) return;
        await p.restart(killed);
        log(`  ${killed} started again`);
        killed = undefined;
      },
    };
  },
  'provider-errors': simMode(
    'provider-errors',
    '30 % of API requests answered 5xx (15 %) or 429 (15 %)',
    () => ({
      serverErrorRate: 0.15,
      tooManyRate: 0.15,
    }),
  ),
  'provider-timeouts': simMode(
    'provider-timeouts',
    '5 % of API requests held 20 s unanswered (past the client timeout), half of them created',
    () => ({ timeoutRate: 0.05, timeoutMs: 20_000 }),
  ),
  'provider-answer-lost': simMode(
    'provider-answer-lost',
    '30 % of API requests accepted, then the connection reset (the answer lost)',
    () => ({ answerLostRate: 0.3 }),
  ),
  'webhooks-twice': simMode(
    'webhooks-twice',
    'every status callback and every inbound confirmation delivered twice',
    () => ({ callbackRepeat: 2 }),
    { repeatConfirmations: true },
  ),
  'webhooks-reversed': simMode(
    'webhooks-reversed',
    "each send's status callbacks delivered in reverse order once it finished",
    () => ({ callbacksReversed: true }),
  ),
  'webhooks-late': simMode('webhooks-late', '30 % of status callbacks delivered late', (o) => ({
    lateRate: 0.3,
    lateMs: o.lateMs,
  })),
};

export interface SuiteOptions {
  persons: number;
  trials: number;
  faults: string[];
  /** How late the late webhooks are (ms). */
  lateMs: number;
  /** Random seed of the fault points (printed, so a run can be repeated). */
  seed: number;
  log?: (line: string) => void;
  /** Longest wait for one step of a trial. */
  stepTimeoutMs?: number;
  /** Every service's output appended to <logDir>/<service>.log. */
  logDir?: string;
  /** One broker (default) or a 3-broker cluster of the suite's own. */
  kafka?: SuiteKafka;
  /** Processes of each service but the console (default 1). */
  replicas?: number;
}

/** The faults that run on this Kafka, in the suite's order. */
export function faultsFor(o: SuiteOptions, kafka: SuiteKafka = 'single', replicas = 1): string[] {
  return Object.keys(FAULTS).filter((name) => {
    const f = FAULTS[name](o);
    return (f.kafka ?? kafka) === kafka && (!f.replicas || replicas > 1);
  });
}

/** One consumer group member's share: its partitions and the messages consumed on them so far. */
export interface MemberShare {
  partitions: number;
  messages: number;
}

export interface TrialResult {
  fault: string;
  trial: number;
  warningId: string;
  phase: Phase;
  /** The fault point: the fraction of the phase's work done when it was injected. */
  fraction: number;
  /** What was done when the fault hit (counts in the warning). */
  at: Record<string, number>;
  persons: number;
  /** Persons without a first call-out on some channel. */
  lost: number;
  /** Persons with more than one first call-out on some channel. */
  calledTwice: number;
  /** Sends (any purpose) the provider got more than once for one request. */
  duplicateSends: number;
  /** Status callbacks the provider posted that the notifier did not take (down, restarting: 0 or 5xx). */
  callbacksRefused: number;
  /** The refused callbacks by status and answer (HTTP status, or the connection error). */
  callbacksRefusedHow?: Record<string, number>;
  /** Statuses the notifier's status check read back from the provider (no webhook brought them). */
  statusesFetched: number;
  /** Sends the provider accepted whose final status never reached the notifier (webhook or status check). */
  sendsWithoutFinalStatus: number;
  confirmationsPosted: number;
  confirmationsLost: number;
  confirmationsAppliedTwice: number;
  deadlinesDue: number;
  deadlinesNotFired: number;
  deadlinesFiredTwice: number;
  unescalated: number;
  ledgerProblems: string[];
  auditVerify: 'ok' | string;
  /** Services that exited on their own during the trial (restarted by the suite). */
  servicesExited: string[];
  recoverySeconds: number;
  trialSeconds: number;
  passed: boolean;
  errors: string[];
  /** With replicas: each service's consumer group members at the end of the trial and their share. */
  split?: Record<string, MemberShare[]>;
}

/** " — sent 503 ×2, delivered ECONNRESET ×1" when some callbacks were refused. */
function refusedHow(r: TrialResult): string {
  const how = Object.entries(r.callbacksRefusedHow ?? {});
  return how.length ? ` — ${how.map(([k, n]) => `${k} ×${n}`).join(', ')}` : '';
}

export class FaultSuite {
  readonly pg = new OwnPostgres('faults-pg');
  readonly kafka: OwnKafka | OwnKafkaCluster;
  p!: CalloutPipeline;
  private readonly log: (line: string) => void;
  private readonly random: () => number;
  private simOffset = 0;

  constructor(readonly o: SuiteOptions) {
    this.log = o.log ?? (() => undefined);
    this.random = prng(o.seed);
    this.kafka = o.kafka === 'cluster' ? new OwnKafkaCluster() : new OwnKafka();
  }

  async start(): Promise<void> {
    this.log(`own PostgreSQL and Kafka broker`);
    await Promise.all([this.pg.init(), this.kafka.init()]);
    this.log(`PostgreSQL on ${this.pg.port}, Kafka on ${this.kafka.brokers}`);
    this.p = new CalloutPipeline({
      persons: this.o.persons,
      simLatencyMs: 0,
      adminUrl: this.pg.url,
      brokers: this.kafka.brokers,
      extraApps: ['audit', 'console'],
      // A send left 'sending' (its process killed mid-send, every try refused) is reconciled after
      // 15 s. With replicas, one replica's request still on its way must not look stuck to another's
      // reconciler: above 1.5 × (client timeout + in-flight grace, 15 + 15 s), so 50 s (docs/notify.md).
      // A send whose status webhooks went to a notifier that was down is asked about at the
      // provider once the late webhooks (webhooks-late) are due, so that trial still measures them.
      serviceEnv: {
        NOTIFY_RECONCILE_AFTER_MS: (this.o.replicas ?? 1) > 1 ? '50000' : '15000',
        NOTIFY_STATUS_CHECK_AFTER_MS: String(this.o.lateMs + 30_000),
      },
      // The machine may be shared and loaded: a restarted service is given time to come back.
      readyTimeoutMs: 300_000,
      logDir: this.o.logDir,
      replicas: this.o.replicas,
      log: this.log,
    });
    await this.p.start();
  }

  async stop(): Promise<void> {
    await this.p?.stop().catch((e: Error) => this.log(`stopping the pipeline: ${e.message}`));
    await this.kafka.destroy();
    await this.pg.destroy();
  }

  private get timeout() {
    return this.o.stepTimeoutMs ?? Math.max(240_000, this.o.persons * 80);
  }

  /** A query that tolerates the database being away (PostgreSQL restart trial): undefined then. */
  private async q<T = Record<string, string>>(sql: string, params: unknown[] = []): Promise<T[] | undefined> {
    try {
      return await this.p.q<T>(sql, params);
    } catch {
      return undefined;
    }
  }

  private async count(sql: string, params: unknown[]): Promise<number | undefined> {
    const r = await this.q<{ n: string }>(sql, params);
    return r ? Number(r[0].n) : undefined;
  }

  private async until(
    what: string,
    check: () => Promise<boolean>,
    timeoutMs = this.timeout,
  ): Promise<number> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (;;) {
      if (await check().catch(() => false)) {
        this.log(`    ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return Date.now();
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await pause(200);
    }
  }

  private async setSimFaults(f: SimFaults) {
    const r = await fetch(`${this.p.simUrl}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(f),
    });
    if (!r.ok) throw new Error(`simulator refused faults: ${r.status}`);
  }

  private async simRecords(): Promise<SimRecord[]> {
    const r = await fetch(`${this.p.simUrl}/sim/records?compact=1&offset=${this.simOffset}`);
    return ((await r.json()) as { records: SimRecord[] }).records;
  }

  private async simTotal(): Promise<number> {
    const r = await fetch(`${this.p.simUrl}/sim/records?compact=1&offset=1000000000`);
    return ((await r.json()) as { total: number }).total;
  }

  /** Services that are not running: restarted (and reported), so the next trial starts whole. */
  private async reviveExited(): Promise<string[]> {
    const dead = this.p.children.filter((c) => c.proc.exitCode !== null || c.proc.signalCode !== null);
    for (const c of dead) {
      this.log(`  ${c.name} exited (${c.proc.exitCode ?? c.proc.signalCode}); restarting it`);
      await this.p.restart(c.name);
    }
    return dead.map((c) => c.name);
  }

  /**
   * Nothing waiting anywhere: both outboxes empty, and every send the engine requested answered by
   * the provider (a request still on Kafka, not yet taken by the notifier, is backlog too).
   */
  private async drained(): Promise<boolean> {
    const r = await this.q<{ n: string }>(
      `SELECT (SELECT count(*) FROM callout.outbox) + (SELECT count(*) FROM notify.outbox)
            + (SELECT count(*) FROM callout.requests r WHERE NOT EXISTS (
                 SELECT 1 FROM notify.attempts a WHERE a.request_id = r.request_id AND a.state IN ('sent', 'failed'))) AS n`,
    );
    return r !== undefined && Number(r[0].n) === 0;
  }

  /**
   * Runs every trial of the named faults (default: the options' faults); the results in run order.
   * `onTrial` hears each result as soon as its trial ends.
   */
  async runFaults(
    names = this.o.faults,
    onTrial: (r: TrialResult) => void = () => undefined,
  ): Promise<TrialResult[]> {
    const results: TrialResult[] = [];
    for (const name of names) {
      const make = FAULTS[name];
      if (!make) throw new Error(`unknown fault ${name} (known: ${Object.keys(FAULTS).join(', ')})`);
      const fault = make(this.o);
      const kafka = this.o.kafka ?? 'single';
      if (fault.replicas && (this.o.replicas ?? 1) < 2) throw new Error(`${name} needs --replicas 2 or more`);
      if (fault.kafka && fault.kafka !== kafka)
        throw new Error(
          `${name} needs ${fault.kafka === 'cluster' ? 'the 3-broker cluster' : 'a single broker'}`,
        );
      // Trials of a fault take different phases: a random start, then round the list.
      const first = Math.floor(this.random() * PHASES.length);
      for (let i = 0; i < this.o.trials; i++) {
        const phase = PHASES[(first + i) % PHASES.length];
        const fraction = +(0.1 + 0.8 * this.random()).toFixed(2);
        this.log(
          `\n== ${fault.name}, trial ${i + 1}/${this.o.trials}: ${phase} at ${Math.round(fraction * 100)} % ==`,
        );
        const r = await this.trial(fault, i + 1, phase, fraction);
        this.log(
          `  ${r.passed ? 'PASS' : 'FAIL'}: lost ${r.lost}, twice ${r.calledTwice}, confirmations lost ${r.confirmationsLost}, ` +
            `callbacks refused ${r.callbacksRefused}${refusedHow(r)} (statuses fetched ${r.statusesFetched}, ` +
            `sends without a final status ${r.sendsWithoutFinalStatus}), ` +
            `recovery ${r.recoverySeconds} s, trial ${r.trialSeconds} s${r.errors.length ? `; ${r.errors.join('; ')}` : ''}`,
        );
        if (!r.passed) this.log(`  failed checks: ${failedChecks(r).join('; ') || 'none (see errors)'}`);
        results.push(r);
        onTrial(r);
      }
    }
    return results;
  }

  async trial(fault: Fault, trial: number, phase: Phase, fraction: number): Promise<TrialResult> {
    const t0 = Date.now();
    const errors: string[] = [];
    const exited = await this.reviveExited();
    if (exited.length) errors.push(`before the trial, not running: ${exited.join(', ')}`);
    await this.until('the previous trial to drain', () => this.drained());
    this.simOffset = await this.simTotal();
    const w = this.p.warning();
    const persons = this.p.phones.size;
    const ctx: FaultContext = {
      p: this.p,
      pg: this.pg,
      kafka: this.kafka,
      setSimFaults: (f) => this.setSimFaults(f),
      log: this.log,
      random: this.random,
    };
    let current: Phase = 'planning';
    let faultAt = 0;
    let at: Record<string, number> = {};
    let injected: Promise<void> | undefined;
    const doneAt: Partial<Record<Phase, number>> = {};
    const progress = async (): Promise<Record<string, number>> => {
      const r = await this.q<Record<string, string>>(
        `SELECT (SELECT count(*) FROM callout.callouts WHERE warning_id = $1 AND rung = 0) AS planned,
                (SELECT count(*) FROM notify.attempts WHERE warning_id = $1 AND purpose = 'callout' AND state IN ('sent', 'failed')) AS sent,
                (SELECT count(*) FROM notify.webhook_events e JOIN notify.attempts a ON a.request_id = e.request_id
                   WHERE a.warning_id = $1 AND e.kind LIKE '%-status') AS callbacks,
                (SELECT count(*) FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND state = 'CONFIRMED') AS confirmed,
                (SELECT count(*) FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND state IN ('ESCALATED', 'NOT_WOKEN')) AS escalated`,
        [w.id],
      );
      return r ? Object.fromEntries(Object.entries(r[0]).map(([k, v]) => [k, Number(v)])) : {};
    };
    // Targets of each phase's progress measure.
    const half = Math.floor(persons / 2);
    const target: Record<Phase, [string, number]> = {
      planning: ['planned', persons],
      sending: ['sent', persons * 2],
      // SMS: sent, delivered; calls: answered, completed.
      callbacks: ['callbacks', persons * 4],
      confirmations: ['confirmed', half],
      deadlines: ['escalated', persons - half],
    };
    const planningDelay = this.random() * 1500;
    let armed = true;
    const watcher = (async () => {
      const start = Date.now();
      while (armed) {
        // A phase already over (it went faster than the fault point): the fault hits at once.
        const passed = PHASES.indexOf(current) > PHASES.indexOf(phase);
        const ready =
          passed ||
          (current === phase &&
            (phase === 'planning'
              ? Date.now() - start >= planningDelay
              : ((await progress())[target[phase][0]] ?? 0) >= fraction * target[phase][1]));
        if (ready) {
          at = await progress();
          faultAt = Date.now();
          this.log(`  fault ${fault.name} at ${JSON.stringify(at)}`);
          injected = fault.inject(ctx).catch((e: Error) => {
            errors.push(`injecting: ${e.message}`);
          });
          return;
        }
        await pause(phase === 'planning' ? 20 : 100);
      }
    })();
    const finishPhase = async (ph: Phase) => {
      // A fault of this phase is in place before the phase counts as done.
      if (phase === ph) await injected;
      await this.until(`the backlog after ${ph} to drain`, () => this.drained());
      doneAt[ph] = Date.now();
    };

    try {
      await this.p.produceWarning(w);
      await this.until('the warning to be planned', async () => (await progress()).planned >= persons);
      current = 'sending';
      if (phase === 'planning') await watcher;
      await finishPhase('planning');
      await this.until('every first send to be answered', async () => (await progress()).sent >= persons * 2);
      current = 'callbacks';
      if (phase === 'sending') await watcher;
      await finishPhase('sending');
      await this.until('status callbacks to settle', () => this.settled(w.id));
      if (phase === 'callbacks') await watcher;
      await finishPhase('callbacks');

      // Half the persons confirm by SMS; the other half let their ack deadline pass.
      const rows = (await this.p.q<{ id: string; phone: string }>(
        `SELECT id, phone FROM callout.callouts WHERE warning_id = $1 AND rung = 0 ORDER BY md5(id || $2)`,
        [w.id, String(trial)],
      ))!;
      const confirmers = rows.slice(0, half);
      const expiring = rows.slice(half);
      current = 'confirmations';
      await this.confirm(confirmers, fault.repeatConfirmations ? 2 : 1);
      await this.until(
        'confirmations to apply',
        async () => (await progress()).confirmed >= confirmers.length,
      );
      if (phase === 'confirmations') await watcher;
      await finishPhase('confirmations');

      current = 'deadlines';
      await this.until('deadlines set due', async () => {
        await this.p.q(
          `UPDATE callout.deadlines SET due_at = now() + interval '2 seconds'
           WHERE kind = 'ack' AND fired_at IS NULL AND callout_id = ANY($1::text[])`,
          [expiring.map((c) => c.id)],
        );
        return true;
      });
      await this.until(
        'due deadlines to escalate',
        async () => (await progress()).escalated >= expiring.length,
      );
      if (phase === 'deadlines') await watcher;
      await finishPhase('deadlines');
      // Late callbacks, escalation sends and their callbacks: the whole warning at rest.
      await fault.clear?.(ctx);
      await this.until('the warning to settle', () => this.settled(w.id));
      await this.until('the backlog to drain', () => this.drained());
      // A send's final status comes by its webhook, or, when that webhook was refused (the notifier
      // down), from the status check: NOTIFY_STATUS_CHECK_AFTER_MS (late-ms + 30 s) after the send
      // was accepted, on a pass every half of that. Waited for that long and a minute more; what is
      // still missing then is counted (a failed check), not waited for.
      await this.until(
        'every accepted send to have its final status',
        async () => (await this.withoutFinalStatus(w.id)) === 0,
        Math.min(this.timeout, 1.5 * (this.o.lateMs + 30_000) + 60_000),
      ).catch(() => undefined);

      const checks = await this.check(w.id, rows, confirmers, expiring);
      const split = (this.o.replicas ?? 1) > 1 ? await this.workSplit().catch(() => undefined) : undefined;
      if (split)
        this.log(
          `  split: ${Object.entries(split)
            .map(([g, ms]) => `${g} ${ms.map((m) => `${m.partitions}p/${m.messages}`).join(' + ')}`)
            .join('; ')}`,
        );
      const servicesExited = await this.reviveExited();
      if (servicesExited.length) errors.push(`exited during the trial: ${servicesExited.join(', ')}`);
      const hit = (Object.keys(doneAt) as Phase[]).find((ph) => PHASES.indexOf(ph) >= PHASES.indexOf(phase));
      const recoverySeconds = faultAt && hit ? +((doneAt[hit]! - faultAt) / 1000).toFixed(1) : NaN;
      const result: TrialResult = {
        fault: fault.name,
        trial,
        warningId: w.id,
        phase,
        fraction,
        at,
        persons,
        ...checks,
        servicesExited,
        recoverySeconds,
        trialSeconds: Math.round((Date.now() - t0) / 1000),
        passed: false,
        errors,
        split,
      };
      result.passed = errors.length === 0 && failedChecks(result).length === 0;
      return result;
    } catch (e) {
      armed = false;
      errors.push((e as Error).message);
      await fault.clear?.(ctx).catch(() => undefined);
      await injected;
      const servicesExited = await this.reviveExited().catch(() => []);
      return {
        fault: fault.name,
        trial,
        warningId: w.id,
        phase,
        fraction,
        at,
        persons,
        lost: NaN,
        calledTwice: NaN,
        duplicateSends: NaN,
        callbacksRefused: NaN,
        statusesFetched: NaN,
        sendsWithoutFinalStatus: NaN,
        confirmationsPosted: 0,
        confirmationsLost: NaN,
        confirmationsAppliedTwice: NaN,
        deadlinesDue: 0,
        deadlinesNotFired: NaN,
        deadlinesFiredTwice: NaN,
        unescalated: NaN,
        ledgerProblems: [],
        auditVerify: 'not run',
        servicesExited,
        recoverySeconds: NaN,
        trialSeconds: Math.round((Date.now() - t0) / 1000),
        passed: false,
        errors,
      };
    } finally {
      armed = false;
    }
  }

  /**
   * How each replicated service's consumer group shares the work: per member, its partitions and the
   * messages consumed on them since the start (the group's committed offsets).
   */
  async workSplit(): Promise<Record<string, MemberShare[]>> {
    const kafka = new Kafka({
      clientId: 'faults-split',
      brokers: this.kafka.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const out: Record<string, MemberShare[]> = {};
      for (const service of REPLICATED) {
        const groupId = `${this.p.prefix}${service}`;
        const [group] = (await admin.describeGroups([groupId])).groups;
        const committed = new Map<string, number>();
        for (const t of await admin.fetchOffsets({ groupId }))
          for (const x of t.partitions)
            committed.set(`${t.topic}/${x.partition}`, Math.max(0, Number(x.offset)));
        out[service] = group.members.map((m) => {
          const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
          const parts = Object.entries(a?.assignment ?? {}).flatMap(([t, ps]) => ps.map((x) => `${t}/${x}`));
          return {
            partitions: parts.length,
            messages: parts.reduce((n, k) => n + (committed.get(k) ?? 0), 0),
          };
        });
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  /** The warning's sends the provider accepted that have no final status recorded (notify.attempts.final_status_at). */
  private async withoutFinalStatus(warningId: string): Promise<number> {
    const [r] = (await this.p.q<{ n: string }>(
      `SELECT count(*) AS n FROM notify.attempts WHERE warning_id = $1 AND state = 'sent' AND final_status_at IS NULL`,
      [warningId],
    ))!;
    return Number(r.n);
  }

  /** No call-out of the warning still SENT and nothing moving for 2 s (see CalloutPipeline.settle). */
  private async settled(warningId: string): Promise<boolean> {
    let last = '';
    for (let quiet = 0; quiet < 4;) {
      const r = await this.q<Record<string, string>>(
        `SELECT (SELECT count(*) FROM callout.callouts WHERE warning_id = $1 AND state = 'SENT') AS sent,
                (SELECT count(*) FROM callout.applied_events) AS applied,
                (SELECT count(*) FROM notify.webhook_events) AS webhooks,
                (SELECT count(*) FROM callout.outbox) + (SELECT count(*) FROM notify.outbox) AS outbox`,
        [warningId],
      );
      if (!r) return false;
      const sig = JSON.stringify(r[0]);
      if (Number(r[0].sent) !== 0) return false;
      quiet = sig === last ? quiet + 1 : 0;
      last = sig;
      await pause(500);
    }
    return true;
  }

  /** Signed inbound SMS "1" from each person to the notifier's webhook (`times` > 1: Twilio retrying). */
  private async confirm(people: { id: string; phone: string }[], times: number): Promise<void> {
    const url = `http://127.0.0.1:${this.p.notifierPort}/twilio/sms/inbound`;
    const token = this.p.child('notifier').env.TWILIO_AUTH_TOKEN;
    const account = this.p.child('notifier').env.TWILIO_ACCOUNT_SID;
    const queue = [...people];
    const worker = async () => {
      for (let x = queue.shift(); x; x = queue.shift()) {
        const sid = 'SM' + randomBytes(16).toString('hex');
        const params = {
          AccountSid: account,
          MessageSid: sid,
          SmsSid: sid,
          SmsMessageSid: sid,
          From: x.phone,
          To: this.p.child('notifier').env.TWILIO_SMS_FROM,
          Body: '1',
          NumMedia: '0',
          NumSegments: '1',
          SmsStatus: 'received',
          ApiVersion: '2010-04-01',
        };
        const signature = getExpectedTwilioSignature(token, url, params);
        // Like Twilio: a webhook that fails (the notifier down or restarting) is retried.
        for (let delivered = 0, tries = 0; delivered < times && tries < 600; tries++) {
          const r = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
            body: new URLSearchParams(params).toString(),
          }).catch(() => undefined);
          await r?.text();
          if (r?.status === 200) delivered++;
          else await pause(500);
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
  }

  /** The trial's assertions, from the database, the simulator's records and the ledger. */
  private async check(
    warningId: string,
    rows: { id: string; phone: string }[],
    confirmers: { id: string }[],
    expiring: { id: string }[],
  ) {
    // Sends at the provider, per request id and per call-out and channel (first call-outs).
    const records = (await this.simRecords()).filter(
      (r) => (r.kind === 'sms' || r.kind === 'call') && requestIdOf(r)?.startsWith(`${warningId}/`),
    );
    const perRequest = new Map<string, number>();
    const firstPer = new Map<string, number>();
    for (const r of records) {
      const rid = requestIdOf(r)!;
      perRequest.set(rid, (perRequest.get(rid) ?? 0) + 1);
      if (rid.endsWith(':callout')) {
        const k = `${rid.split('#')[0]}|${r.kind}`;
        firstPer.set(k, (firstPer.get(k) ?? 0) + 1);
      }
    }
    const planned = new Set(rows.map((r) => r.id));
    let lost = this.p.phones.size - planned.size;
    let calledTwice = 0;
    for (const id of planned) {
      const n = ['sms', 'call'].map((k) => firstPer.get(`${id}|${k}`) ?? 0);
      if (n.some((x) => x === 0)) lost++;
      if (n.some((x) => x > 1)) calledTwice++;
    }
    const duplicateSends = [...perRequest.values()].filter((n) => n > 1).length;
    // A provider posts each status callback once: those refused are what the status check is for.
    const refused = records.flatMap((r) =>
      r.callbacks
        .filter((c) => c.status !== 'gather' && (c.httpStatus === 0 || c.httpStatus >= 500))
        .map((c) => `${c.status} ${c.httpStatus || (c.error ?? 'no answer')}`),
    );
    const callbacksRefused = refused.length;
    // How they were refused (status and answer, e.g. "sent 503", "delivered ECONNRESET"), counted.
    const callbacksRefusedHow: Record<string, number> = {};
    for (const how of refused) callbacksRefusedHow[how] = (callbacksRefusedHow[how] ?? 0) + 1;
    const [fetched] = (await this.p.q<{ n: string }>(
      `SELECT count(*) AS n FROM notify.webhook_events e JOIN notify.attempts a ON a.request_id = e.request_id
       WHERE a.warning_id = $1 AND e.payload->>'StatusSource' = 'api-fetch'`,
      [warningId],
    ))!;

    // Confirmations: each confirmer CONFIRMED with exactly one confirm response.
    const conf = (await this.p.q<{ id: string; state: string; n: string }>(
      `SELECT c.id, c.state, (SELECT count(*) FROM callout.responses r WHERE r.callout_id = c.id AND r.kind = 'confirm') AS n
       FROM callout.callouts c WHERE c.id = ANY($1::text[])`,
      [confirmers.map((c) => c.id)],
    ))!;
    const confirmationsLost = conf.filter((c) => c.state !== 'CONFIRMED' || Number(c.n) === 0).length;
    const confirmationsAppliedTwice = conf.filter((c) => Number(c.n) > 1).length;

    // Deadlines: each expiring call-out's ack deadline fired, its person escalated (or not woken).
    const dl = (await this.p.q<{ id: string; state: string; fired: boolean }>(
      `SELECT c.id, c.state, EXISTS (SELECT 1 FROM callout.deadlines d WHERE d.callout_id = c.id AND d.kind = 'ack' AND d.fired_at IS NOT NULL) AS fired
       FROM callout.callouts c WHERE c.id = ANY($1::text[])`,
      [expiring.map((c) => c.id)],
    ))!;
    const deadlinesNotFired = dl.filter((d) => !d.fired).length;
    const unescalated = dl.filter((d) => d.state !== 'ESCALATED' && d.state !== 'NOT_WOKEN').length;

    // The ledger: every call-out's state changes, each once, each from where the previous ended,
    // up to its state in the database (the audit consumer may still be catching up: waited for).
    const states = (await this.p.q<{ id: string; state: string }>(
      `SELECT id, state FROM callout.callouts WHERE warning_id = $1`,
      [warningId],
    ))!;
    type Entry = { calloutId: string; from: string | null; to: string; eventId: string };
    let entries: Entry[] = [];
    const ledgerProblems: string[] = [];
    await this.until('the ledger to catch up', async () => {
      entries = (await this.p.q<{ content: Entry }>(
        `SELECT content FROM audit.entries WHERE chain_id = $1 AND topic = 'callouts.events' ORDER BY seq`,
        [warningId],
      ))!.map((e) => e.content);
      const last = new Map(entries.map((e) => [e.calloutId, e.to]));
      return states.every((c) => last.get(c.id) === c.state);
    }).catch((e: Error) => ledgerProblems.push(e.message));
    if (new Set(entries.map((e) => e.eventId)).size !== entries.length)
      ledgerProblems.push(`${entries.length - new Set(entries.map((e) => e.eventId)).size} events twice`);
    const byCallout = new Map<string, Entry[]>();
    for (const e of entries) byCallout.set(e.calloutId, [...(byCallout.get(e.calloutId) ?? []), e]);
    let outOfOrder = 0;
    let firedTwice = 0;
    let confirmedTwice = 0;
    const brokenExamples: string[] = [];
    for (const [id, chain] of byCallout) {
      const broken = chain[0].from !== 'PLANNED' || chain.some((e, i) => i > 0 && e.from !== chain[i - 1].to);
      if (broken) {
        outOfOrder++;
        if (brokenExamples.length < 3)
          brokenExamples.push(`${id}: ${chain.map((e) => `${e.from}→${e.to}`).join(', ')}`);
      }
      if (chain.filter((e) => e.to === 'ESCALATED' || e.to === 'NOT_WOKEN').length > 1) firedTwice++;
      if (chain.filter((e) => e.to === 'CONFIRMED').length > 1) confirmedTwice++;
    }
    if (outOfOrder)
      ledgerProblems.push(
        `${outOfOrder} call-outs whose changes are not a chain from PLANNED (e.g. ${brokenExamples.join('; ')})`,
      );
    const missing = states.filter((c) => !byCallout.has(c.id)).length;
    if (missing) ledgerProblems.push(`${missing} call-outs missing from the ledger`);

    const auditVerify = await run(
      process.execPath,
      [join(ROOT, 'dist', 'libs', 'audit', 'audit-verify.cli.js'), warningId],
      {
        env: { ...process.env, DATABASE_URL: this.p.child('notifier').env.DATABASE_URL },
      },
    ).then(
      () => 'ok',
      (e: { stdout?: string; message: string }) =>
        `failed: ${(e.stdout ?? e.message).split('\n').slice(-3).join(' ')}`,
    );
    return {
      lost,
      calledTwice,
      duplicateSends,
      callbacksRefused,
      callbacksRefusedHow,
      statusesFetched: Number(fetched.n),
      sendsWithoutFinalStatus: await this.withoutFinalStatus(warningId),
      confirmationsPosted: confirmers.length,
      confirmationsLost,
      confirmationsAppliedTwice: confirmationsAppliedTwice + confirmedTwice,
      deadlinesDue: expiring.length,
      deadlinesNotFired,
      deadlinesFiredTwice: firedTwice,
      unescalated,
      ledgerProblems,
      auditVerify,
    };
  }
}

/** Sums per fault, for the report's table. */
export function summarise(results: TrialResult[]) {
  const byFault = new Map<string, TrialResult[]>();
  for (const r of results) byFault.set(r.fault, [...(byFault.get(r.fault) ?? []), r]);
  const sum = (xs: TrialResult[], k: keyof TrialResult) =>
    xs.reduce((a, r) => a + (Number.isNaN(r[k] as number) ? 0 : (r[k] as number)), 0);
  return [...byFault].map(([fault, xs]) => ({
    fault,
    trials: xs.length,
    passed: xs.filter((r) => r.passed).length,
    persons: xs[0].persons,
    phases: xs.map((r) => `${r.phase}@${Math.round(r.fraction * 100)}%`).join(', '),
    lost: sum(xs, 'lost'),
    calledTwice: sum(xs, 'calledTwice'),
    duplicateSends: sum(xs, 'duplicateSends'),
    confirmationsLost: sum(xs, 'confirmationsLost'),
    recoverySeconds: xs.map((r) => r.recoverySeconds),
    errors: xs.flatMap((r) => r.errors),
  }));
}

/** The trial's checks that did not hold, each with its count (what a FAIL line names). */
export function failedChecks(r: TrialResult): string[] {
  const counts: [string, number][] = [
    ['lost', r.lost],
    ['called twice', r.calledTwice],
    ['other sends twice', r.duplicateSends],
    ['sends without a final status', r.sendsWithoutFinalStatus],
    ['confirmations lost', r.confirmationsLost],
    ['confirmations applied twice', r.confirmationsAppliedTwice],
    ['deadlines not fired', r.deadlinesNotFired],
    ['deadlines fired twice', r.deadlinesFiredTwice],
    ['not escalated', r.unescalated],
  ];
  return [
    ...counts.filter(([, n]) => n !== 0).map(([what, n]) => `${what} ${n}`),
    ...r.ledgerProblems.map((p) => `ledger: ${p}`),
    ...(r.auditVerify === 'ok' ? [] : [`audit:verify ${r.auditVerify}`]),
  ];
}
