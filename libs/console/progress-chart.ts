import type { ProgressRows } from '../callout/not-woken.repository';

/** The tracker's confirmation counts of a warning (or a county of it) per second after the first call. */
export type ProgressData = ProgressRows;

/** Practice targets drawn on the chart (DOMAIN.md): reached by voice within 3 minutes, all woken within 5. */
export const TARGETS = [
  { sec: 180, zh: '语音叫应 3 分钟', en: 'voice within 3 min' },
  { sec: 300, zh: '全部叫醒 5 分钟', en: 'all woken within 5 min' },
] as const;

const W = 640;
const H = 300;
const PAD = { left: 48, right: 16, top: 24, bottom: 40 };

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Cumulative share confirmed, as [seconds, share] steps (one point per second that changed). */
export function cumulativeShare(p: ProgressData): [number, number][] {
  if (p.total === 0) return [];
  let sum = 0;
  const out: [number, number][] = [[0, 0]];
  for (const { sec, n } of [...p.confirmedAt].sort((a, b) => a.sec - b.sec)) {
    sum += n;
    out.push([sec, sum / p.total]);
  }
  return out;
}

/**
 * The confirmation curve as an SVG document (server-rendered, readable without JavaScript): persons
 * confirmed over time as a share of all called, with the practice targets as dashed vertical lines.
 * The time axis covers at least the targets and at most the last confirmation plus a margin. Styled
 * with presentation attributes only (no <style>, no script), so a strict content security policy holds.
 */
export function progressSvg(p: ProgressData, opts: { title: string; lang: 'zh-CN' | 'en' }): string {
  const points = cumulativeShare(p);
  const last = points.length ? points[points.length - 1][0] : 0;
  const span = Math.max(360, Math.ceil((last + 30) / 60) * 60);
  const x = (sec: number) => PAD.left + (sec / span) * (W - PAD.left - PAD.right);
  const y = (share: number) => H - PAD.bottom - share * (H - PAD.top - PAD.bottom);
  const f = (n: number) => n.toFixed(1);
  const en = opts.lang === 'en';
  const share = points.length ? points[points.length - 1][1] : 0;
  // A step line: the count holds until the next second that changed it.
  const path = points
    .map(([s, v], i) => (i === 0 ? `M${f(x(s))},${f(y(v))}` : `H${f(x(s))}V${f(y(v))}`))
    .join('');
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line class="grid" stroke="#ddd" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(v))}" y2="${f(y(v))}"/>` +
        `<text x="${PAD.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${v * 100}%</text>`,
    )
    .join('');
  const step = span <= 600 ? 60 : span <= 1800 ? 300 : 600;
  const ticks: string[] = [];
  for (let s = 0; s <= span; s += step)
    ticks.push(`<text x="${f(x(s))}" y="${H - PAD.bottom + 16}" text-anchor="middle">${s / 60}</text>`);
  const targets = TARGETS.map(
    (t) =>
      `<g class="target" data-target-sec="${t.sec}" stroke="#d9001b" fill="#d9001b"><line stroke-dasharray="4 3" x1="${f(x(t.sec))}" x2="${f(x(t.sec))}" y1="${PAD.top}" y2="${H - PAD.bottom}"/>` +
      `<text stroke="none" x="${f(x(t.sec) + 4)}" y="${PAD.top + 12}">${esc(en ? t.en : t.zh)}</text></g>`,
  ).join('');
  const summary = en
    ? `${Math.round(share * 100)}% of ${p.total} confirmed`
    : `已确认 ${Math.round(share * 100)}%（共 ${p.total} 人）`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="progress-chart" font-family="sans-serif" font-size="11" fill="#444" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}: ${esc(summary)}">` +
    `<title>${esc(opts.title)}</title>` +
    `<text x="${PAD.left}" y="14">${esc(opts.title)} — ${esc(summary)}</text>` +
    grid +
    ticks.join('') +
    `<text x="${W - PAD.right}" y="${H - 6}" text-anchor="end">${en ? 'minutes after the first call' : '首次呼叫后（分钟）'}</text>` +
    targets +
    (path
      ? `<path class="curve" fill="none" stroke="#1a7f37" stroke-width="2" data-share="${share.toFixed(4)}" d="${path}H${f(x(span))}"/>`
      : '') +
    `</svg>`
  );
}
