/**
 * A reader of Prometheus' text exposition format (what /metrics answers), as much as this project's
 * own metrics use: one sample per line, `name{label="value",…} number`; comments and blank lines
 * skipped. The console's health strip and the tests read /metrics with it.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line.trim());
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The metrics of one scrape, looked up by name and labels (labels not given match anything). */
export class Scrape {
  constructor(readonly samples: Sample[]) {}

  static async of(baseUrl: string): Promise<Scrape> {
    const r = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!r.ok) throw new Error(`${baseUrl}/metrics answered ${r.status}`);
    return new Scrape(parsePrometheusText(await r.text()));
  }

  /** The largest sample of `name` matching `labels`; undefined when there is none. */
  max(name: string, labels: Record<string, string> = {}): number | undefined {
    const m = this.matching(name, labels);
    return m.length ? Math.max(...m.map((s) => s.value)) : undefined;
  }

  /** The sum of the samples of `name` whose labels include `labels` (0 when none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  matching(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}
