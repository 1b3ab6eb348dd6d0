/**
 * City-scale call-out benchmark (a script that prints figures, not a test): `npm run bench`.
 * A generated Datong roster, a city-wide red warning, the services as separate processes on the real
 * Kafka and PostgreSQL with the Twilio simulator (see bench/callout-pipeline.ts for the phases).
 *
 *   npm run bench                          1,000 and 10,000 persons, zero-latency + realistic mode
 *   npm run bench -- --persons 50000       one scale (a comma list works too: --persons 1000,10000,50000)
 *   npm run bench -- --mode zero           only the zero-latency mode (or --mode realistic)
 *   npm run bench -- --runs 3              repeat each configuration; the JSON keeps every run and medians
 *   npm run bench -- --cpu-prof DIR        V8 CPU profiles of every service into DIR
 *   npm run bench -- --heap-mb N           every service with V8's old space limited to N MB
 *   npm run bench -- --rates sms=100,calls=1[,account=N]
 *                                          the throttled mode: the notifier at a provider's real rates
 *                                          (account default: sms + calls); prints the time to reach
 *                                          everyone next to the capacity planner's estimate
 *   npm run bench -- --out FILE            results file (default bench/results/latest.json)
 *   npm run bench -- --merge               keep the other configurations already in the results file
 *   npm run bench -- --phases dispatch     only some phases (dispatch,confirmations,deadlines; default all)
 *   npm run bench -- --reply-concurrency N confirmations POSTed at once (default 32)
 *   npm run bench -- --own-postgres        on a PostgreSQL of its own with pg_stat_statements loaded:
 *                                          each phase also lists its most frequent statements per person
 *
 * KAFKA_BROKERS (default 127.0.0.1:9092) and TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test;
 * a fresh database is created per run and dropped afterwards) select the infrastructure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { OwnPostgres } from '../test/support/own-postgres';
import { parseRates, percentile, RunResult, runPipeline } from './callout-pipeline';

/** The two simulator modes. Realistic: Twilio-like API answer time and callback spacing. */
export const MODES = {
  zero: { simLatencyMs: 0, apiLatencyMs: 0 },
  realistic: { simLatencyMs: 500, apiLatencyMs: 150 },
} as const;
type Mode = keyof typeof MODES;

function args() {
  const a = process.argv.slice(2);
  const get = (name: string) => {
    const i = a.indexOf(`--${name}`);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const root = join(__dirname, '..').replace(/[/\\]dist$/, '');
  return {
    persons: (get('persons') ?? '1000,10000').split(',').map(Number),
    modes: (get('mode') ? [get('mode')] : ['zero', 'realistic']) as Mode[],
    runs: Number(get('runs') ?? 1),
    cpuProfDir: get('cpu-prof'),
    heapMb: get('heap-mb') ? Number(get('heap-mb')) : undefined,
    rates: parseRates(get('rates')),
    out: get('out') ?? join(root, 'bench', 'results', 'latest.json'),
    realisticMax: Number(get('realistic-max') ?? 1_000),
    merge: a.includes('--merge'),
    phases: new Set((get('phases') ?? 'dispatch,confirmations,deadlines').split(',')),
    replyConcurrency: Number(get('reply-concurrency') ?? 32),
    ownPostgres: a.includes('--own-postgres'),
  };
}

function kafkaVersion(): string | undefined {
  try {
    return execFileSync('bash', ['scripts/kafka.sh', 'status'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

const median = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => typeof x === 'number' && !Number.isNaN(x));
  return v.length ? Math.round(percentile(v, 50)) : undefined;
};

/** The headline figures of a configuration: medians over its runs. */
function summarise(runs: RunResult[]) {
  const services = Object.keys(runs[0].peakMemoryMB);
  return {
    persons: runs[0].persons,
    runs: runs.length,
    allFirstCalloutsMs: median(runs.map((r) => r.dispatch.allFirstCalloutsMs)),
    perCalloutP50Ms: median(runs.map((r) => r.dispatch.perCalloutMs.p50)),
    perCalloutP99Ms: median(runs.map((r) => r.dispatch.perCalloutMs.p99)),
    secondWarningAllFirstCalloutsMs: median(runs.map((r) => r.secondDispatch?.allFirstCalloutsMs)),
    sendsPerSecond: median(runs.map((r) => r.dispatch.sendsPerSecond)),
    confirmationsPerSecond: median(runs.map((r) => r.confirmations?.throughputPerSecond)),
    confirmationP99Ms: median(runs.map((r) => r.confirmations?.webhookToConfirmed.p99)),
    deadlineLagP50Ms: median(runs.map((r) => r.deadlines?.lag.p50)),
    deadlineLagP99Ms: median(runs.map((r) => r.deadlines?.lag.p99)),
    peakMemoryMB: Object.fromEntries(services.map((s) => [s, median(runs.map((r) => r.peakMemoryMB[s]))])),
  };
}

async function main() {
  const o = args();
  type Entry = { mode: Mode; settings: (typeof MODES)[Mode]; summary: unknown; runs: RunResult[] };
  // --merge: the configurations measured before (other scales or modes) stay in the file.
  const results: Record<string, Entry> =
    o.merge && existsSync(o.out)
      ? (JSON.parse(readFileSync(o.out, 'utf8')) as { results: Record<string, Entry> }).results
      : {};
  // Written after every configuration, so a long run interrupted keeps what it measured.
  const write = () => {
    const out = {
      benchmark: 'callout-pipeline',
      date: new Date().toISOString(),
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model,
        memoryGB: Math.round(totalmem() / 1024 ** 3),
        node: process.version,
        kafka: kafkaVersion(),
        note: 'Kafka, PostgreSQL, the simulator, the services and the load generator all on this machine',
      },
      parameters: {
        policy:
          'default policy; red meteorological targets every role of the generated roster (call-outs = persons), channels SMS + voice at once',
        notifierRateLimits: o.rates
          ? `throttled: NOTIFY_SMS_PER_SECOND ${o.rates.sms}, NOTIFY_CALLS_PER_SECOND ${o.rates.calls}, NOTIFY_ACCOUNT_PER_SECOND ${o.rates.account}, NOTIFY_CONCURRENCY ${o.rates.concurrency}`
          : 'NOTIFY_SMS_PER_SECOND = NOTIFY_CALLS_PER_SECOND = NOTIFY_ACCOUNT_PER_SECOND = 100000, NOTIFY_CONCURRENCY = 200 (set high: the pipeline is measured, not the throttle)',
        webhookConcurrency: o.replyConcurrency,
        simulatorBehaviour:
          'deliver (SMS delivered, calls answered and heard); confirmations POSTed by the benchmark',
        modes: MODES,
      },
      results,
    };
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(out, null, 2) + '\n');
  };
  // The statement breakdown needs pg_stat_statements, which only a server started with it loads.
  const ownPg = o.ownPostgres
    ? await new OwnPostgres('bench-pg', [
        'shared_preload_libraries=pg_stat_statements',
        'pg_stat_statements.max=5000',
      ]).init()
    : undefined;
  if (ownPg) console.log(`PostgreSQL of the benchmark's own on ${ownPg.url}, with pg_stat_statements`);
  try {
    await runAll();
  } finally {
    await ownPg?.destroy();
  }
  async function runAll() {
    for (const mode of o.modes) {
      for (const persons of o.persons) {
        // The realistic mode holds each API request: above realisticMax it only slows the run, not the finding.
        if (mode === 'realistic' && persons > o.realisticMax) continue;
        const runs: RunResult[] = [];
        for (let i = 0; i < o.runs; i++) {
          console.log(`\n== ${persons} persons, ${mode} mode, run ${i + 1}/${o.runs} ==`);
          const full = mode === 'zero';
          runs.push(
            await runPipeline({
              persons,
              ...MODES[mode],
              // The realistic mode measures the dispatch (where API latency matters); confirmations and
              // deadlines do not touch the provider's API and are measured in the zero-latency mode.
              confirmations: full && o.phases.has('confirmations'),
              deadlines: full && o.phases.has('deadlines'),
              webhookConcurrency: o.replyConcurrency,
              cpuProfDir: o.cpuProfDir,
              heapMb: o.heapMb,
              notifyRate: o.rates,
              adminUrl: ownPg?.url,
              log: (l) => console.log(l),
            }),
          );
          console.log(JSON.stringify(runs[runs.length - 1]));
        }
        results[`${persons}-${mode}`] = { mode, settings: MODES[mode], summary: summarise(runs), runs };
        write();
      }
    }
  }
  write();
  console.log(`\nsummary (medians):`);
  for (const [k, v] of Object.entries(results)) console.log(k, JSON.stringify(v.summary));
  console.log(`written to ${o.out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
