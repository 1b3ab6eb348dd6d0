import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fromRoot } from '../common/project-root';
import './collectors';
import { initMetrics, registry } from './metrics';

/**
 * The dashboard and the alert rules name only metrics the services export (a renamed metric would
 * leave a panel or an alert silently empty), and the rule file passes promtool where it is installed
 * (Debian's prometheus package; the compose stack's Prometheus image checks it again at load).
 */
const PROMQL_FUNCTIONS = new Set([
  'sum',
  'max',
  'min',
  'by',
  'rate',
  'increase',
  'histogram_quantile',
  'clamp_min',
  'and',
  'or',
  'le',
]);

function metricNamesIn(expr: string): string[] {
  const withoutLabels = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/by \([^)]*\)/g, '');
  return [...withoutLabels.matchAll(/[a-z_][a-z0-9_]*/g)]
    .map((m) => m[0])
    .filter((n) => !PROMQL_FUNCTIONS.has(n) && n.includes('_'));
}

describe('operations files', () => {
  initMetrics('test');
  const exported = new Set(
    registry.getMetricsAsArray().flatMap((m) => {
      const name = (m as unknown as { name: string }).name;
      return [name, `${name}_bucket`, `${name}_count`, `${name}_sum`];
    }),
  );

  it('the dashboard charts only exported metrics', () => {
    const dashboard = JSON.parse(
      readFileSync(fromRoot('ops/grafana/dashboards/callout-overview.json'), 'utf8'),
    ) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const p of dashboard.panels)
      for (const t of p.targets)
        for (const name of metricNamesIn(t.expr))
          expect([p.title, name, exported.has(name)]).toEqual([p.title, name, true]);
  });

  it('the alert rules watch only exported metrics', () => {
    const rules = readFileSync(fromRoot('ops/prometheus/alerts.yml'), 'utf8');
    const exprs = [...rules.matchAll(/expr: (\|\n((?: {10}.*\n)+)|.*)/g)].map((m) => m[2] ?? m[1]);
    expect(exprs.length).toBe(8);
    for (const e of exprs)
      for (const name of metricNamesIn(e)) expect([name, exported.has(name)]).toEqual([name, true]);
  });

  const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
  (promtool ? it : it.skip)('promtool checks the rules and their unit tests pass', () => {
    const dir = fromRoot('ops/prometheus');
    expect(execFileSync(promtool!, ['check', 'rules', 'alerts.yml'], { cwd: dir, encoding: 'utf8' })).toMatch(
      /SUCCESS: 8 rules/,
    );
    expect(
      execFileSync(promtool!, ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' }),
    ).toMatch(/SUCCESS/);
  });
});
