/**
 * `npm run faults`: the fault suite (bench/faults/fault-suite.ts) on a PostgreSQL instance and a
 * Kafka broker of its own (never the machine's shared ones). Options:
 *
 *   --persons N     roster size (default 5000)
 *   --trials N      trials per fault (default 3; each at a random point of another phase)
 *   --faults a,b    which faults (default all: see FAULTS in fault-suite.ts)
 *   --late-ms N     how late the late webhooks are (default 120000)
 *   --seed N        the fault points' random seed (default: from the clock, printed)
 *   --out FILE      results (default bench/results/faults-latest.json)
 *   --step-timeout-s N  longest wait for one step of a trial (default max(240, persons × 0.08))
 *   --log-dir DIR   every service's whole output appended to DIR/<service>.log
 *   --kafka cluster on a 3-broker cluster of the suite's own (default: one broker); the default
 *                   faults are then those that run on it, kafka-broker-kill instead of kafka-kill
 *   --replicas N    every service but the console as N processes (default 1); adds kill-replica
 *
 * Needs the build (npm run faults builds first) and PostgreSQL's server binaries (PG_BIN_DIR,
 * default /usr/lib/postgresql/15/bin); Kafka jars from KAFKA_JARS_DIR or .kafka/jars-<version>.
 * Exit code 0 when every trial passed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { FAULTS, faultsFor, FaultSuite, summarise, SuiteOptions, TrialResult } from './fault-suite';

const ROOT = join(__dirname, '..', '..').replace(/[/\\]dist$/, '');

/** A command line the suite cannot run: printed with the usage, exit code 64. */
export class UsageError extends Error {}

const OPTIONS = [
  'persons',
  'trials',
  'faults',
  'late-ms',
  'seed',
  'out',
  'step-timeout-s',
  'log-dir',
  'kafka',
  'replicas',
];

/** The options above, as this file's header lists them. */
export const USAGE = `npm run faults -- [--persons N] [--trials N] [--faults a,b] [--late-ms N] [--seed N] [--out FILE]
  [--step-timeout-s N] [--log-dir DIR] [--kafka single|cluster] [--replicas N]   (docs/reliability.md)`;

export function parseArgs(argv: string[]): SuiteOptions & { out: string } {
  // A mistyped option must not start a 5,000-person run with the defaults.
  const unknownFlags = argv.filter((a) => a.startsWith('-') && !OPTIONS.includes(a.replace(/^--/, '')));
  if (unknownFlags.length) throw new UsageError(`unknown option ${unknownFlags.join(', ')}`);
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: a positive whole number, not ${v}`);
    return n;
  };
  const kafka = get('kafka') ?? 'single';
  if (kafka !== 'single' && kafka !== 'cluster')
    throw new UsageError(`--kafka: single or cluster, not ${kafka}`);
  const replicas = num('replicas', 1);
  const faults = get('faults')?.split(',').filter(Boolean) ?? faultsFor({} as SuiteOptions, kafka, replicas);
  const unknown = faults.filter((f) => !FAULTS[f]);
  if (unknown.length)
    throw new UsageError(`unknown fault(s) ${unknown.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`);
  return {
    kafka,
    replicas,
    persons: num('persons', 5000),
    trials: num('trials', 3),
    faults,
    lateMs: num('late-ms', 120_000),
    seed: num('seed', Date.now() % 1_000_000_007),
    stepTimeoutMs: get('step-timeout-s') ? num('step-timeout-s', 240) * 1000 : undefined,
    out: get('out') ?? join(ROOT, 'bench', 'results', 'faults-latest.json'),
    logDir: get('log-dir'),
  };
}

/** The report's table, one row per fault (Markdown). */
export function table(results: TrialResult[]): string {
  const rows = summarise(results).map((s) => {
    const rec = s.recoverySeconds.filter((x) => !Number.isNaN(x));
    const recovery = rec.length ? `${Math.min(...rec)}–${Math.max(...rec)}` : 'n/a';
    return `| ${s.fault} | ${s.trials} (${s.passed} passed) | ${s.persons} | ${s.lost} | ${s.calledTwice} | ${s.duplicateSends} | ${s.confirmationsLost} | ${recovery} | ${s.phases} |`;
  });
  return [
    '| fault | trials | persons | lost | called twice | other sends twice | confirmations lost | recovery s (min–max) | fault points |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) return console.log(USAGE);
  const o = parseArgs(argv);
  const log = (l: string) => console.log(l);
  log(
    `fault suite: ${o.persons} persons, ${o.trials} trial(s) each of ${o.faults.join(', ')}; seed ${o.seed}; ` +
      (o.kafka === 'cluster' ? 'a 3-broker Kafka cluster' : 'one Kafka broker'),
  );
  const suite = new FaultSuite({ ...o, log });
  const started = new Date();
  const results: TrialResult[] = [];
  const write = () => {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(
      o.out,
      JSON.stringify(
        {
          suite: 'faults',
          date: started.toISOString(),
          machine: {
            cores: cpus().length,
            cpu: cpus()[0]?.model,
            memoryGB: Math.round(totalmem() / 1024 ** 3),
            node: process.version,
            loadAverageAtEnd: loadavg().map((x) => +x.toFixed(2)),
          },
          options: { ...o, out: undefined },
          summary: summarise(results),
          trials: results,
        },
        null,
        2,
      ) + '\n',
    );
  };
  // Ctrl-C or a timeout: the suite's own PostgreSQL and broker are stopped and removed all the same.
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      log(`${sig}: stopping the suite`);
      write();
      void suite.stop().finally(() => process.exit(130));
    });
  try {
    await suite.start();
    // Each trial is in the results file as soon as it ends: a run stopped midway keeps what it measured.
    await suite.runFaults(o.faults, (r) => {
      results.push(r);
      write();
    });
  } finally {
    await suite.stop();
  }
  write();
  log(`\n${table(results)}\n\nwritten to ${o.out}`);
  const failed = results.filter((r) => !r.passed);
  if (failed.length) {
    log(`${failed.length} of ${results.length} trials failed`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((e) => {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n${USAGE}`);
      process.exit(64);
    }
    console.error(e);
    process.exit(1);
  });
}
