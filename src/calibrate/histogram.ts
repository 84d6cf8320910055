/**
 * Histograms of fill scores (pure): counts per bin, split by truth class when there is one, as text for
 * the terminal and as a standalone SVG (log-scale counts, thresholds drawn as lines).
 */
import { classOf, type TargetScore, type Thresholds } from './analyze.ts';

export interface HistogramBin {
  /** lower edge, fill01 */
  from: number;
  to: number;
  total: number;
  /** by truth class (all in `unlabelled` without truth) */
  clearEmpty: number;
  clearMark: number;
  ambiguous: number;
  unlabelled: number;
}

export function histogramOf(scores: readonly TargetScore[], binWidth = 0.02): HistogramBin[] {
  const n = Math.round(1 / binWidth);
  const bins: HistogramBin[] = Array.from({ length: n }, (_, i) => ({
    from: Math.round(i * binWidth * 1e6) / 1e6,
    to: Math.round((i + 1) * binWidth * 1e6) / 1e6,
    total: 0,
    clearEmpty: 0,
    clearMark: 0,
    ambiguous: 0,
    unlabelled: 0,
  }));
  for (const s of scores) {
    const bin = bins[Math.min(n - 1, Math.max(0, Math.floor(s.fill01 / binWidth)))];
    if (!bin) continue;
    bin.total++;
    if (!s.truth) bin.unlabelled++;
    else {
      const c = classOf(s.truth);
      if (c === 'clear-empty') bin.clearEmpty++;
      else if (c === 'clear-mark') bin.clearMark++;
      else bin.ambiguous++;
    }
  }
  return bins;
}

const BAR = 40;

/** Log-scale bars so a handful of marks shows next to thousands of empties. */
function barLength(count: number, max: number): number {
  if (count <= 0) return 0;
  return Math.max(1, Math.round((Math.log10(count + 1) / Math.log10(max + 1)) * BAR));
}

/**
 * One line per bin: range, counts, a bar (log scale). With truth the bar is drawn with `.` for clear
 * empties, `?` for ambiguous and `#` for clear marks. Threshold lines are drawn where they fall.
 */
export function histogramText(
  bins: readonly HistogramBin[],
  lines: { label: string; at: number }[] = [],
): string {
  const max = Math.max(1, ...bins.map((b) => b.total));
  const labelled = bins.some((b) => b.unlabelled < b.total);
  const out: string[] = [];
  out.push(
    labelled
      ? 'fill01        total  empty  ambig   mark  (log scale; . empty  ? ambiguous  # mark)'
      : 'fill01        total  (log scale)',
  );
  // trailing empty bins above the last value are left out
  let last = bins.length - 1;
  while (last > 0 && (bins[last]?.total ?? 0) === 0 && !lines.some((l) => l.at >= (bins[last]?.from ?? 0)))
    last--;
  const pending = [...lines].sort((a, b) => a.at - b.at);
  for (const b of bins.slice(0, last + 1)) {
    while (pending.length && (pending[0]?.at ?? 2) < b.to) {
      const l = pending.shift();
      if (l) out.push(`  ${'-'.repeat(10)} ${l.label} ${l.at.toFixed(3)} ${'-'.repeat(10)}`);
    }
    const range = `${b.from.toFixed(2)}-${b.to.toFixed(2)}`;
    const len = barLength(b.total, max);
    let bar: string;
    if (labelled && b.total > 0) {
      const part = (k: number) => Math.round((k / b.total) * len);
      const e = part(b.clearEmpty);
      const m = part(b.clearMark);
      const a = Math.max(0, len - e - m);
      bar = '.'.repeat(e) + '?'.repeat(a) + '#'.repeat(m);
    } else bar = '#'.repeat(len);
    out.push(
      labelled
        ? `${range}  ${String(b.total).padStart(6)} ${String(b.clearEmpty).padStart(6)} ${String(b.ambiguous).padStart(6)} ${String(b.clearMark).padStart(6)}  ${bar}`
        : `${range}  ${String(b.total).padStart(6)}  ${bar}`,
    );
  }
  for (const l of pending) out.push(`  ${'-'.repeat(10)} ${l.label} ${l.at.toFixed(3)} ${'-'.repeat(10)}`);
  return `${out.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A standalone SVG: one bar per bin, stacked by truth class, log-scale y; recommended thresholds as solid
 * lines, the starting profile's as dashed lines.
 */
export function histogramSvg(
  bins: readonly HistogramBin[],
  options: { title: string; recommended: Thresholds; current?: Thresholds },
): string {
  const W = 900;
  const H = 420;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const max = Math.max(1, ...bins.map((b) => b.total));
  const logMax = Math.log10(max + 1);
  const y = (count: number) => top + ph - (count > 0 ? (Math.log10(count + 1) / logMax) * ph : 0);
  const x = (fill: number) => left + fill * pw;
  const bw = pw / Math.max(1, bins.length);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${left}" y="22" font-size="15">${esc(options.title)}</text>`);
  const colours = {
    clearEmpty: '#9aa5b1',
    ambiguous: '#e0a030',
    clearMark: '#2b6cb0',
    unlabelled: '#4a5568',
  };
  for (const [i, b] of bins.entries()) {
    if (b.total === 0) continue;
    // stack in log space: each class gets its share of the bar's log height
    const h = top + ph - y(b.total);
    let base = top + ph;
    for (const k of ['clearEmpty', 'ambiguous', 'clearMark', 'unlabelled'] as const) {
      if (b[k] === 0) continue;
      const hk = (b[k] / b.total) * h;
      base -= hk;
      parts.push(
        `<rect x="${(left + i * bw + 0.5).toFixed(1)}" y="${base.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${hk.toFixed(1)}" fill="${colours[k]}"><title>${b.from.toFixed(2)}-${b.to.toFixed(2)}: ${k} ${b[k]} of ${b.total}</title></rect>`,
      );
    }
  }
  // axes
  parts.push(
    `<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="black"/>`,
  );
  for (let f = 0; f <= 1.0001; f += 0.1)
    parts.push(
      `<line x1="${x(f).toFixed(1)}" y1="${top + ph}" x2="${x(f).toFixed(1)}" y2="${top + ph + 5}" stroke="black"/>`,
      `<text x="${x(f).toFixed(1)}" y="${top + ph + 18}" text-anchor="middle">${f.toFixed(1)}</text>`,
    );
  parts.push(`<text x="${left + pw / 2}" y="${H - 8}" text-anchor="middle">fill01</text>`);
  for (let p = 1; p <= max * 10; p *= 10) {
    if (p > max) break;
    parts.push(
      `<line x1="${left - 5}" y1="${y(p).toFixed(1)}" x2="${left}" y2="${y(p).toFixed(1)}" stroke="black"/>`,
      `<text x="${left - 8}" y="${(y(p) + 4).toFixed(1)}" text-anchor="end">${p}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${top + ph / 2}" transform="rotate(-90 14 ${top + ph / 2})" text-anchor="middle">targets (log)</text>`,
  );
  const line = (at: number, colour: string, dash: boolean, label: string, row: number) => {
    parts.push(
      `<line x1="${x(at).toFixed(1)}" y1="${top}" x2="${x(at).toFixed(1)}" y2="${top + ph}" stroke="${colour}" stroke-width="1.5"${dash ? ' stroke-dasharray="5 4"' : ''}/>`,
      `<text x="${(x(at) + 4).toFixed(1)}" y="${top + 14 + row * 14}" fill="${colour}">${esc(label)} ${at.toFixed(3)}</text>`,
    );
  };
  line(options.recommended.marginal, '#c05621', false, 'marginal', 0);
  line(options.recommended.definite, '#c53030', false, 'definite', 1);
  if (options.current) {
    line(options.current.marginal, '#718096', true, 'was marginal', 2);
    line(options.current.definite, '#718096', true, 'was definite', 3);
  }
  // legend
  const legend = bins.some((b) => b.unlabelled < b.total)
    ? ([
        ['clear empty', colours.clearEmpty],
        ['ambiguous', colours.ambiguous],
        ['clear mark', colours.clearMark],
      ] as const)
    : ([['targets', colours.unlabelled]] as const);
  legend.forEach(([name, colour], i) => {
    const lx = left + pw - 130;
    const ly = top + 8 + i * 16;
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${colour}"/>`,
      `<text x="${lx + 15}" y="${ly}">${name}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
