/**
 * What the metrics cost (docs/observability.md): the dispatch of one city-wide warning, with the
 * project's own metrics counted and with METRICS=0, alternated (with, without, with, without …) so
 * that a shared machine's load falls on both alike. Two figures per run: sends per second (wall
 * time, at the mercy of the machine's load) and the CPU milliseconds per person the three pipeline
 * services (dispatcher, notifier, tracker) spent on the dispatch (utime + stime from /proc, which a
 * loaded machine disturbs far less). Prints each run, the medians, the cost in per cent of each and
 * the load average. `npm run -s build && node dist/bench/metrics-cost.bench.js --persons 1000 --runs 2`
 */
import { loadavg } from 'node:os';
import { runPipeline } from './callout-pipeline';

function args() {
  const a = process.argv.slice(2);
  const get = (name: string) => {
    const i = a.indexOf(`--${name}`);
    return i >= 0 ? a[i + 1] : undefined;
  };
  return { persons: Number(get('persons') ?? 1000), runs: Number(get('runs') ?? 2) };
}

/** The pipeline's own services, whose CPU the metrics are counted in. */
const SERVICES = ['dispatcher', 'notifier', 'tracker'];

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const o = args();
  const rates: Record<'with' | 'without', number[]> = { with: [], without: [] };
  const cpu: Record<'with' | 'without', number[]> = { with: [], without: [] };
  const loads: number[] = [];
  for (let i = 0; i < o.runs; i++)
    for (const variant of ['with', 'without'] as const) {
      const r = await runPipeline({
        persons: o.persons,
        simLatencyMs: 0,
        apiLatencyMs: 0,
        channels: ['sms'],
        confirmations: false,
        deadlines: false,
        serviceEnv: variant === 'without' ? { METRICS: '0' } : {},
        label: `metrics-${variant}`,
        // A loaded machine starts four services slowly.
        readyTimeoutMs: 240_000,
      });
      loads.push(loadavg()[0]);
      rates[variant].push(r.dispatch.sendsPerSecond);
      const perPerson = r.costs?.dispatch?.cpuMsPerPerson ?? {};
      const servicesMs = SERVICES.reduce((sum, name) => sum + (perPerson[name] ?? NaN), 0);
      cpu[variant].push(+servicesMs.toFixed(2));
      console.log(
        `${variant} metrics: ${r.dispatch.sendsPerSecond.toFixed(1)} sends/s, services ${servicesMs.toFixed(2)} CPU ms/person ` +
          `(${r.dispatch.calloutsPlanned} call-outs, load ${loadavg()[0].toFixed(1)})`,
      );
    }
  const withM = median(rates.with);
  const withoutM = median(rates.without);
  const cpuWith = median(cpu.with);
  const cpuWithout = median(cpu.without);
  console.log(
    JSON.stringify({
      persons: o.persons,
      runsEach: o.runs,
      sendsPerSecond: rates,
      medianWith: withM,
      medianWithout: withoutM,
      costPercent: Number((((withoutM - withM) / withoutM) * 100).toFixed(1)),
      servicesCpuMsPerPerson: cpu,
      medianCpuWith: cpuWith,
      medianCpuWithout: cpuWithout,
      cpuCostPercent: Number((((cpuWith - cpuWithout) / cpuWithout) * 100).toFixed(1)),
      loadAverage1m: loads.map((l) => Number(l.toFixed(1))),
    }),
  );
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
