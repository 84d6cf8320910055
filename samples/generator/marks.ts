/**
 * Marks people make, drawn into a raw gray page (0 = black, 255 = paper) at the render dpi.
 *
 * Ink is composited multiplicatively (ink over print stays black; pencil over paper is gray), each mark
 * is a set of round-capped strokes rasterized with 1-pixel anti-aliasing, and every parameter (offset,
 * size, pen width, darkness, graphite texture) comes from the caller's `Rng`. Sizes are in inches and
 * converted with the page's dpi, so a mark looks the same at 150, 200 and 300 dpi.
 */
import { OVAL_HEIGHT_IN, OVAL_INTERIOR_RX_IN, OVAL_INTERIOR_RY_IN, OVAL_WIDTH_IN } from './geometry.ts';
import { makeFastNoise, type Rng } from './rng.ts';

export const MARK_KINDS = [
  'none',
  'full-fill',
  'partial-fill',
  'light-pencil',
  'check',
  'x',
  'slash',
  'circle',
  'hesitation-dot',
  'erasure',
  'stray',
] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/** A page being drawn on. */
export interface Canvas {
  widthPx: number;
  heightPx: number;
  data: Uint8Array;
  dpi: number;
}

export interface Pen {
  /** 'pencil' has graphite texture and tops out gray; 'pen' and 'marker' are near black. */
  tool: 'pen' | 'pencil' | 'marker';
  /** Half the stroke width. */
  radiusIn: number;
  /** Darkening of white paper where fully covered, 0..1. */
  darkness: number;
  /** 0 = even ink, 1 = very patchy graphite. */
  texture: number;
}

interface Pt {
  x: number;
  y: number;
}

/** Rasterize polylines with round caps (union by max) and composite them with the pen's ink. */
export function paintStrokes(
  canvas: Canvas,
  strokes: Pt[][],
  radiusPx: number,
  pen: Pen,
  noiseSeed: number,
): void {
  const r = Math.max(0.45, radiusPx);
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const s of strokes)
    for (const p of s) {
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
  if (!Number.isFinite(x0)) return;
  const bx0 = Math.max(0, Math.floor(x0 - r - 1));
  const by0 = Math.max(0, Math.floor(y0 - r - 1));
  const bx1 = Math.min(canvas.widthPx - 1, Math.ceil(x1 + r + 1));
  const by1 = Math.min(canvas.heightPx - 1, Math.ceil(y1 + r + 1));
  if (bx1 < bx0 || by1 < by0) return;
  const bw = bx1 - bx0 + 1;
  const bh = by1 - by0 + 1;
  const alpha = new Float32Array(bw * bh);
  for (const s of strokes) {
    if (s.length === 1) segment(alpha, bw, bh, bx0, by0, s[0] as Pt, s[0] as Pt, r);
    for (let i = 0; i + 1 < s.length; i++) segment(alpha, bw, bh, bx0, by0, s[i] as Pt, s[i + 1] as Pt, r);
  }
  const noise = makeFastNoise(noiseSeed);
  const d = canvas.data;
  for (let yy = 0; yy < bh; yy++) {
    const row = (by0 + yy) * canvas.widthPx + bx0;
    for (let xx = 0; xx < bw; xx++) {
      const a = alpha[yy * bw + xx] as number;
      if (a <= 0) continue;
      const n = noise();
      // Graphite catches on the paper's tooth: patchy, never fully black.
      const k = pen.darkness * (1 - pen.texture * n * (pen.tool === 'pencil' ? 1.4 : 1));
      const i = row + xx;
      d[i] = Math.round((d[i] as number) * (1 - Math.min(1, Math.max(0, a * k))));
    }
  }
}

function segment(
  alpha: Float32Array,
  bw: number,
  bh: number,
  bx0: number,
  by0: number,
  a: Pt,
  b: Pt,
  r: number,
) {
  const minX = Math.max(0, Math.floor(Math.min(a.x, b.x) - r - 1) - bx0);
  const maxX = Math.min(bw - 1, Math.ceil(Math.max(a.x, b.x) + r + 1) - bx0);
  const minY = Math.max(0, Math.floor(Math.min(a.y, b.y) - r - 1) - by0);
  const maxY = Math.min(bh - 1, Math.ceil(Math.max(a.y, b.y) + r + 1) - by0);
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  for (let yy = minY; yy <= maxY; yy++) {
    const py = yy + by0 + 0.5;
    for (let xx = minX; xx <= maxX; xx++) {
      const px = xx + bx0 + 0.5;
      let t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0;
      t = Math.min(1, Math.max(0, t));
      const ex = a.x + t * dx - px;
      const ey = a.y + t * dy - py;
      const dist = Math.sqrt(ex * ex + ey * ey);
      const cov = r + 0.5 - dist;
      if (cov > 0) {
        const k = yy * bw + xx;
        const v = Math.min(1, cov);
        if (v > (alpha[k] as number)) alpha[k] = v;
      }
    }
  }
}

/** The oval a mark is aimed at, in pixels of the canvas. */
export interface OvalPx {
  cx: number;
  cy: number;
  /** Outer half-width and half-height of the printed oval. */
  a: number;
  b: number;
}

export function ovalPx(xIn: number, yIn: number, dpi: number): OvalPx {
  return { cx: xIn * dpi, cy: yIn * dpi, a: (OVAL_WIDTH_IN / 2) * dpi, b: (OVAL_HEIGHT_IN / 2) * dpi };
}

/** Back-and-forth scribble across an ellipse, restricted to the part [from, to] of its height (0..1). */
function scribble(
  rng: Rng,
  cx: number,
  cy: number,
  a: number,
  b: number,
  spacing: number,
  from = 0,
  to = 1,
  tiltRad = 0,
): Pt[] {
  const pts: Pt[] = [];
  const cos = Math.cos(tiltRad);
  const sin = Math.sin(tiltRad);
  const n = Math.max(2, Math.ceil(((to - from) * 2 * b) / spacing) + 1);
  for (let i = 0; i < n; i++) {
    const v = -1 + 2 * (from + ((to - from) * i) / (n - 1));
    const half = Math.sqrt(Math.max(0, 1 - v * v)) * a;
    const side = i % 2 === 0 ? -1 : 1;
    const u = side * half * rng.range(0.85, 1.12);
    const ly = v * b + rng.normal(0, spacing * 0.12);
    pts.push({ x: cx + u * cos - ly * sin, y: cy + u * sin + ly * cos });
  }
  return pts;
}

function circlePath(
  rng: Rng,
  cx: number,
  cy: number,
  a: number,
  b: number,
  sweep: number,
  start: number,
): Pt[] {
  const pts: Pt[] = [];
  const steps = 40;
  const wobble = rng.range(0.02, 0.07);
  for (let i = 0; i <= steps; i++) {
    const t = start + (sweep * i) / steps;
    const k = 1 + wobble * Math.sin(3 * t + start) + (i / steps) * rng.range(-0.04, 0.04);
    pts.push({ x: cx + Math.cos(t) * a * k, y: cy + Math.sin(t) * b * k });
  }
  return pts;
}

/** Draw one mark of `kind` aimed at `oval`. */
export function drawMark(canvas: Canvas, kind: MarkKind, oval: OvalPx, pen: Pen, rng: Rng): void {
  const dpi = canvas.dpi;
  const px = (inches: number) => inches * dpi;
  // People aim a little off: centre offset and size vary per mark.
  const cx = oval.cx + rng.normal(0, px(0.01));
  const cy = oval.cy + rng.normal(0, px(0.007));
  const r = px(pen.radiusIn);
  const seed = rng.nextU32();
  const tilt = rng.normal(0, 0.12);
  switch (kind) {
    case 'none':
      return;
    case 'full-fill': {
      const s = rng.range(0.92, 1.12);
      const fillPen = pen.tool === 'pencil' ? pen : { ...pen, radiusIn: Math.max(pen.radiusIn, 0.009) };
      const rr = px(fillPen.radiusIn);
      paintStrokes(
        canvas,
        [scribble(rng, cx, cy, oval.a * s, oval.b * s, rr * 1.3, 0, 1, tilt)],
        rr,
        fillPen,
        seed,
      );
      // A second, crossing pass closes most gaps, as people do.
      paintStrokes(
        canvas,
        [scribble(rng, cx, cy, oval.a * s * 0.95, oval.b * s * 0.9, rr * 1.6, 0, 1, tilt + 0.5)],
        rr,
        fillPen,
        seed + 1,
      );
      return;
    }
    case 'light-pencil': {
      const light: Pen = {
        tool: 'pencil',
        radiusIn: rng.range(0.007, 0.012),
        darkness: rng.range(0.12, 0.4),
        texture: rng.range(0.4, 0.6),
      };
      const rr = px(light.radiusIn);
      paintStrokes(canvas, [scribble(rng, cx, cy, oval.a, oval.b, rr * 1.4, 0, 1, tilt)], rr, light, seed);
      return;
    }
    case 'partial-fill': {
      const frac = rng.range(0.15, 0.7);
      const start = rng.range(0, 1 - frac);
      const rr = Math.max(r, px(0.008));
      paintStrokes(
        canvas,
        [scribble(rng, cx, cy, oval.a * 0.9, oval.b * 0.95, rr * 1.3, start, start + frac, tilt)],
        rr,
        pen,
        seed,
      );
      return;
    }
    case 'check': {
      const w = oval.a * rng.range(0.9, 1.6);
      const h = oval.b * rng.range(1.2, 2.2);
      const p0 = { x: cx - w * 0.7, y: cy - h * 0.05 };
      const p1 = { x: cx - w * 0.2 + rng.normal(0, 1), y: cy + h * 0.5 };
      const p2 = { x: cx + w * rng.range(0.7, 1.1), y: cy - h * rng.range(0.7, 1.0) };
      paintStrokes(canvas, [[p0, midpoint(p0, p1, rng), p1, midpoint(p1, p2, rng), p2]], r, pen, seed);
      return;
    }
    case 'x': {
      const w = oval.a * rng.range(0.8, 1.3);
      const h = oval.b * rng.range(0.9, 1.5);
      paintStrokes(
        canvas,
        [
          [
            { x: cx - w, y: cy - h },
            { x: cx + w, y: cy + h * rng.range(0.8, 1.1) },
          ],
          [
            { x: cx + w * rng.range(0.8, 1.1), y: cy - h },
            { x: cx - w, y: cy + h },
          ],
        ],
        r,
        pen,
        seed,
      );
      return;
    }
    case 'slash': {
      const w = oval.a * rng.range(0.7, 1.2);
      const h = oval.b * rng.range(0.9, 1.5);
      const dir = rng.chance(0.8) ? 1 : -1;
      paintStrokes(
        canvas,
        [
          [
            { x: cx - w * dir, y: cy + h },
            { x: cx + w * dir, y: cy - h },
          ],
        ],
        r,
        pen,
        seed,
      );
      return;
    }
    case 'circle': {
      // Around the oval, ink outside it: 1.4–1.8× its size, a little more than one turn.
      const k = rng.range(1.45, 1.8);
      const path = circlePath(
        rng,
        oval.cx + rng.normal(0, 1),
        oval.cy + rng.normal(0, 1),
        oval.a * k + r,
        oval.b * k * 1.15 + r,
        rng.range(6.4, 7.0),
        rng.range(0, 6.28),
      );
      paintStrokes(canvas, [path], r, pen, seed);
      return;
    }
    case 'hesitation-dot': {
      const p = { x: oval.cx + rng.normal(0, oval.a * 0.25), y: oval.cy + rng.normal(0, oval.b * 0.25) };
      const dot = Math.max(r * 1.1, px(rng.range(0.008, 0.014)));
      paintStrokes(
        canvas,
        [[p, { x: p.x + rng.normal(0, 0.6), y: p.y + rng.normal(0, 0.6) }]],
        dot,
        { ...pen, darkness: Math.max(pen.darkness, 0.7) },
        seed,
      );
      return;
    }
    case 'erasure': {
      // What is left after rubbing out a pencil fill: a faint, patchy smudge slightly bigger than the oval.
      const smudge: Pen = { tool: 'pencil', radiusIn: 0.012, darkness: rng.range(0.07, 0.16), texture: 0.75 };
      const rr = px(smudge.radiusIn);
      paintStrokes(
        canvas,
        [scribble(rng, cx, cy, oval.a * 1.1, oval.b * 1.1, rr * 1.2, 0, 1, tilt)],
        rr,
        smudge,
        seed,
      );
      return;
    }
    case 'stray': {
      // A short stroke or tick near the oval but entirely outside it.
      const angle = rng.pick([0, Math.PI, Math.PI / 2, -Math.PI / 2, rng.range(0, 6.28)]);
      const dist = rng.range(1.25, 2.0);
      const sx = oval.cx + Math.cos(angle) * (oval.a * dist + r + px(0.03));
      const sy = oval.cy + Math.sin(angle) * (oval.b * dist + r + px(0.03));
      const len = px(rng.range(0.04, 0.12));
      const dir = angle + Math.PI / 2 + rng.normal(0, 0.4);
      const half = { x: (Math.cos(dir) * len) / 2, y: (Math.sin(dir) * len) / 2 };
      const outward = { x: Math.cos(angle), y: Math.sin(angle) };
      let p0 = { x: sx - half.x, y: sy - half.y };
      let p1 = { x: sx + half.x, y: sy + half.y };
      // Push it out until no part of the stroke touches the oval's outline.
      for (
        let i = 0;
        i < 40 &&
        (insideOval(oval, p0, r + 2) || insideOval(oval, p1, r + 2) || insideOval(oval, mid(p0, p1), r + 2));
        i++
      ) {
        p0 = { x: p0.x + outward.x * 2, y: p0.y + outward.y * 2 };
        p1 = { x: p1.x + outward.x * 2, y: p1.y + outward.y * 2 };
      }
      paintStrokes(canvas, [[p0, p1]], r, pen, seed);
      return;
    }
  }
}

function mid(a: Pt, b: Pt): Pt {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

function midpoint(a: Pt, b: Pt, rng: Rng): Pt {
  return { x: (a.x + b.x) / 2 + rng.normal(0, 0.8), y: (a.y + b.y) / 2 + rng.normal(0, 0.8) };
}

function insideOval(o: OvalPx, p: Pt, marginPx: number): boolean {
  const dx = (p.x - o.cx) / (o.a + marginPx);
  const dy = (p.y - o.cy) / (o.b + marginPx);
  return dx * dx + dy * dy <= 1;
}

/**
 * Handwriting-like strokes in a write-in area (pixels): one or two cursive "words" of humps, loops,
 * ascenders and descenders on a slightly sloping baseline.
 */
export function drawHandwriting(
  canvas: Canvas,
  area: { x: number; y: number; width: number; height: number },
  pen: Pen,
  rng: Rng,
): void {
  const dpi = canvas.dpi;
  const xHeight = Math.min(area.height * 0.28, 0.075 * dpi) * rng.range(0.8, 1.15);
  const advance = xHeight * rng.range(0.75, 1.0);
  const slant = rng.range(0.05, 0.35);
  const baseline0 = area.y + area.height * rng.range(0.55, 0.72);
  const slope = rng.normal(0, 0.03);
  let xCursor = area.x + area.width * rng.range(0.05, 0.2);
  const words = rng.chance(0.7) ? 2 : 1;
  const strokes: Pt[][] = [];
  for (let w = 0; w < words; w++) {
    const letters = rng.int(4, 8);
    const pts: Pt[] = [];
    const put = (u: number, v: number) => {
      const yy = baseline0 + (u - area.x) * slope - v;
      pts.push({ x: u + v * slant, y: yy });
    };
    // Capital: a tall stroke with a loop.
    const cap = xHeight * rng.range(1.7, 2.2);
    for (let i = 0; i <= 8; i++) put(xCursor + Math.sin((i / 8) * Math.PI) * advance * 0.4, (cap * i) / 8);
    for (let i = 0; i <= 8; i++)
      put(xCursor + advance * 0.4 + Math.sin((i / 8) * Math.PI) * advance * 0.5, cap * (1 - i / 8));
    xCursor += advance * 0.9;
    for (let l = 0; l < letters && xCursor < area.x + area.width - advance; l++) {
      const kind = rng.weighted({ hump: 4, o: 3, tall: 1.5, desc: 1 });
      const steps = 10;
      for (let i = 0; i <= steps; i++) {
        const t = i / steps;
        let v: number;
        let u = xCursor + t * advance;
        if (kind === 'hump') v = Math.sin(t * Math.PI) * xHeight;
        else if (kind === 'o') {
          v = (1 - Math.cos(t * 2 * Math.PI)) * 0.5 * xHeight;
          u =
            xCursor + advance * (0.5 - 0.45 * Math.cos(t * Math.PI * 2) * (t < 0.5 ? 1 : -1) * 0.5 + t * 0.5);
        } else if (kind === 'tall') v = Math.sin(t * Math.PI) * xHeight * 2.3;
        else v = -Math.sin(t * Math.PI) * xHeight * 1.4;
        put(u, v + rng.normal(0, xHeight * 0.04));
      }
      xCursor += advance;
    }
    strokes.push(pts);
    xCursor += advance * rng.range(1.2, 2);
  }
  paintStrokes(canvas, strokes, Math.max(0.6, pen.radiusIn * dpi * 0.8), pen, rng.nextU32());
}

/** Ink inside an oval's interior, comparing the drawn page with the blank one. */
export interface OvalInk {
  /** Fraction of interior pixels darkened by at least 25 % of white. */
  coverage01: number;
  /** Mean darkening of the interior, 0 (untouched) .. 1 (black everywhere). */
  darkness01: number;
}

export function measureOvalInk(
  blank: Uint8Array,
  marked: Uint8Array,
  widthPx: number,
  heightPx: number,
  oval: OvalPx,
  dpi: number,
): OvalInk {
  const rx = OVAL_INTERIOR_RX_IN * dpi;
  const ry = OVAL_INTERIOR_RY_IN * dpi;
  let n = 0;
  let dark = 0;
  let sum = 0;
  const y0 = Math.max(0, Math.floor(oval.cy - ry));
  const y1 = Math.min(heightPx - 1, Math.ceil(oval.cy + ry));
  const x0 = Math.max(0, Math.floor(oval.cx - rx));
  const x1 = Math.min(widthPx - 1, Math.ceil(oval.cx + rx));
  for (let yy = y0; yy <= y1; yy++) {
    const dy = (yy + 0.5 - oval.cy) / ry;
    for (let xx = x0; xx <= x1; xx++) {
      const dx = (xx + 0.5 - oval.cx) / rx;
      if (dx * dx + dy * dy > 1) continue;
      const i = yy * widthPx + xx;
      const d = Math.max(0, (blank[i] as number) - (marked[i] as number));
      n++;
      sum += d;
      if (d >= 64) dark++;
    }
  }
  return n ? { coverage01: dark / n, darkness01: sum / n / 255 } : { coverage01: 0, darkness01: 0 };
}
