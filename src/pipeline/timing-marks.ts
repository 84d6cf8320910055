/**
 * Pure geometry of the timing-mark grid: the fitted grid as plain data, grid → pixel mapping,
 * and the small robust-fitting helpers used by register.ts. No OpenCV here.
 */
import type { GridPoint, PointPx } from '../image.ts';

/**
 * The timing-mark grid of one page, in the pixel coordinates of the ORIGINAL image (no rotation or
 * warp applied). Arrays are in page order (after undoing a 180° rotation): `left[0]` is the page's
 * top-left corner mark, `top[columns-1]` the page's top-right corner mark. Missing marks are inferred.
 */
export interface FittedGrid {
  readonly columns: number;
  readonly rows: number;
  /** centre of the left-edge mark of each row (length = rows) */
  readonly left: readonly PointPx[];
  /** centre of the right-edge mark of each row (length = rows) */
  readonly right: readonly PointPx[];
  /** centre of the top-row mark of each column (length = columns) */
  readonly top: readonly PointPx[];
  /** centre of the bottom-row mark (present or not: expected position) of each column (length = columns) */
  readonly bottom: readonly PointPx[];
}

function lerpPoint(a: PointPx, b: PointPx, t: number): PointPx {
  return { xPx: a.xPx + (b.xPx - a.xPx) * t, yPx: a.yPx + (b.yPx - a.yPx) * t };
}

/** Position along a polyline of marks at fractional index `i` (linear extrapolation past the ends). */
export function pointAtIndex(points: readonly PointPx[], i: number): PointPx {
  const n = points.length;
  if (n === 0) return { xPx: Number.NaN, yPx: Number.NaN };
  if (n === 1) return points[0] as PointPx;
  const k = Math.min(n - 2, Math.max(0, Math.floor(i)));
  return lerpPoint(points[k] as PointPx, points[k + 1] as PointPx, i - k);
}

function intersect(p1: PointPx, p2: PointPx, p3: PointPx, p4: PointPx): PointPx | undefined {
  const d1x = p2.xPx - p1.xPx;
  const d1y = p2.yPx - p1.yPx;
  const d2x = p4.xPx - p3.xPx;
  const d2y = p4.yPx - p3.yPx;
  const den = d1x * d2y - d1y * d2x;
  if (Math.abs(den) < 1e-9) return undefined;
  const t = ((p3.xPx - p1.xPx) * d2y - (p3.yPx - p1.yPx) * d2x) / den;
  return { xPx: p1.xPx + d1x * t, yPx: p1.yPx + d1y * t };
}

/**
 * Pixel position of a grid point: the intersection of the row line (between the left and right marks
 * of that row) and the column line (between the top and bottom marks of that column). Fractional
 * rows/columns interpolate between neighbouring marks.
 */
export function gridToPixel(grid: FittedGrid, point: GridPoint): PointPx {
  const l = pointAtIndex(grid.left, point.row);
  const r = pointAtIndex(grid.right, point.row);
  const t = pointAtIndex(grid.top, point.column);
  const b = pointAtIndex(grid.bottom, point.column);
  const hit = intersect(l, r, t, b);
  if (hit) return hit;
  return lerpPoint(l, r, point.column / Math.max(1, grid.columns - 1));
}

/** Local scale of the grid around a point: pixels per one column and per one row. */
export interface GridScale {
  readonly pxPerColumn: number;
  readonly pxPerRow: number;
}

export function gridScaleAt(grid: FittedGrid, point: GridPoint): GridScale {
  const c0 = gridToPixel(grid, { column: point.column - 0.5, row: point.row });
  const c1 = gridToPixel(grid, { column: point.column + 0.5, row: point.row });
  const r0 = gridToPixel(grid, { column: point.column, row: point.row - 0.5 });
  const r1 = gridToPixel(grid, { column: point.column, row: point.row + 0.5 });
  return {
    pxPerColumn: Math.hypot(c1.xPx - c0.xPx, c1.yPx - c0.yPx),
    pxPerRow: Math.hypot(r1.xPx - r0.xPx, r1.yPx - r0.yPx),
  };
}

/** A timing-mark candidate: centre and size in pixels. */
export interface MarkCandidate {
  readonly xPx: number;
  readonly yPx: number;
  readonly widthPx: number;
  readonly heightPx: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Best straight line through many candidates lying roughly along the x axis (a row of marks):
 * a small Hough transform over angles ±maxAngleDeg, then least-squares refinement.
 * Returns the inliers sorted by x, and the line y = a + b·x.
 */
export function findRowLine(
  candidates: readonly MarkCandidate[],
  toleranceAcrossPx: number,
  maxAngleDeg = 4.5,
): { inliers: MarkCandidate[]; a: number; b: number } | undefined {
  if (candidates.length < 2) return undefined;
  const bin = Math.max(1, toleranceAcrossPx);
  let best = { count: 0, theta: 0, rho: 0 };
  for (let deg = -maxAngleDeg; deg <= maxAngleDeg + 1e-9; deg += 0.25) {
    const th = (deg * Math.PI) / 180;
    const cos = Math.cos(th);
    const sin = Math.sin(th);
    const counts = new Map<number, number>();
    for (const c of candidates) {
      const k = Math.floor((c.yPx * cos - c.xPx * sin) / bin);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of counts) {
      const total = n + (counts.get(k + 1) ?? 0);
      if (total > best.count) best = { count: total, theta: th, rho: (k + 1) * bin };
    }
  }
  const cos = Math.cos(best.theta);
  const sin = Math.sin(best.theta);
  let inliers = candidates.filter((c) => Math.abs(c.yPx * cos - c.xPx * sin - best.rho) <= bin * 1.05);
  let a = 0;
  let b = Math.tan(best.theta);
  for (let iter = 0; iter < 3 && inliers.length >= 2; iter++) {
    const n = inliers.length;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (const c of inliers) {
      sx += c.xPx;
      sy += c.yPx;
      sxx += c.xPx * c.xPx;
      sxy += c.xPx * c.yPx;
    }
    const den = n * sxx - sx * sx;
    if (Math.abs(den) > 1e-9) {
      b = (n * sxy - sx * sy) / den;
      a = (sy - b * sx) / n;
    } else {
      a = sy / n;
      b = 0;
    }
    inliers = candidates.filter((c) => Math.abs(c.yPx - (a + b * c.xPx)) <= toleranceAcrossPx);
  }
  inliers.sort((p, q) => p.xPx - q.xPx);
  return { inliers, a, b };
}

/** A chain of marks along a line with their integer positions (indices) along it. */
export interface MarkChain {
  readonly marks: readonly MarkCandidate[];
  /** index of each mark, first = 0 */
  readonly indices: readonly number[];
  readonly pitchPx: number;
}

/**
 * Longest chain of candidates (sorted along a line, positions `pos`) whose gaps are close to whole
 * multiples of the pitch (gaps of up to `maxStep` pitches allowed, i.e. missing marks).
 */
export function longestChain(
  sorted: readonly MarkCandidate[],
  pos: (c: MarkCandidate) => number,
  pitchPx: number,
  maxStep: number,
): MarkChain {
  const n = sorted.length;
  if (n === 0) return { marks: [], indices: [], pitchPx };
  const score = new Array<number>(n).fill(1);
  const prev = new Array<number>(n).fill(-1);
  const steps = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const pi = pos(sorted[i] as MarkCandidate);
    for (let j = i - 1; j >= 0; j--) {
      const gap = pi - pos(sorted[j] as MarkCandidate);
      if (gap > (maxStep + 0.5) * pitchPx) break;
      const k = Math.round(gap / pitchPx);
      if (k < 1) continue;
      // tolerance grows slowly with the step (pitch uncertainty accumulates)
      if (Math.abs(gap / pitchPx - k) > 0.22 + 0.01 * k) continue;
      const s = (score[j] as number) + 1 - 0.01 * (k - 1);
      if (s > (score[i] as number)) {
        score[i] = s;
        prev[i] = j;
        steps[i] = k;
      }
    }
  }
  let end = 0;
  for (let i = 1; i < n; i++) if ((score[i] as number) > (score[end] as number)) end = i;
  const chain: number[] = [];
  for (let i = end; i >= 0; i = prev[i] as number) chain.push(i);
  chain.reverse();
  const marks = chain.map((i) => sorted[i] as MarkCandidate);
  const indices: number[] = [0];
  for (let i = 1; i < chain.length; i++)
    indices.push((indices[i - 1] as number) + (steps[chain[i] as number] as number));
  // refine the pitch from the chain
  const last = indices[indices.length - 1] as number;
  const refined =
    last > 0
      ? (pos(marks[marks.length - 1] as MarkCandidate) - pos(marks[0] as MarkCandidate)) / last
      : pitchPx;
  return { marks, indices, pitchPx: refined };
}

/** Fill a sequence of length `count` from known (index → point) pairs: interpolate inside, extrapolate outside. */
export function fillByIndex(known: ReadonlyMap<number, PointPx>, count: number): PointPx[] {
  const keys = [...known.keys()].sort((a, b) => a - b);
  const out: PointPx[] = [];
  if (keys.length === 0) return out;
  if (keys.length === 1) {
    const p = known.get(keys[0] as number) as PointPx;
    for (let i = 0; i < count; i++) out.push(p);
    return out;
  }
  let seg = 0;
  for (let i = 0; i < count; i++) {
    while (seg < keys.length - 2 && i > (keys[seg + 1] as number)) seg++;
    const k0 = keys[seg] as number;
    const k1 = keys[seg + 1] as number;
    const p0 = known.get(k0) as PointPx;
    const p1 = known.get(k1) as PointPx;
    // extrapolate from a nearby pair, not across the whole page, to follow local stretch
    const t = (i - k0) / (k1 - k0);
    out.push(lerpPoint(p0, p1, t));
  }
  return out;
}

/** Nominal size of a timing mark and the grid pitch, in pixels (mark width runs along the rows). */
export interface MarkSizePx {
  readonly markWidthPx: number;
  readonly markHeightPx: number;
  readonly pitchPx: number;
}

/**
 * Look for one timing mark of a side column near `predicted` directly in the pixels, for when no blob
 * was found there (a mark merged with a dark scanner background, a streak or a neighbour; a mark
 * broken by a light streak). `along` is the column direction and `inward` points from the mark towards
 * the page interior (both unit vectors). Only the mark's inner part is trusted: its top and bottom edges
 * are found on the inner half, then its inner edge; the centre is half a mark width outward of that edge
 * (so the outer end may merge with anything). Returns undefined unless the pixels clearly show a mark:
 * dark, with light paper in the gaps above and below it and inward of it.
 */
export function probeMark(
  image: { readonly widthPx: number; readonly heightPx: number; readonly data: Uint8Array },
  predicted: PointPx,
  along: PointPx,
  inward: PointPx,
  size: MarkSizePx,
): PointPx | undefined {
  const { widthPx: W, heightPx: H, data } = image;
  const w = size.markWidthPx;
  const h = size.markHeightPx;
  const p = size.pitchPx;
  const at = (t: number, v: number): number => {
    const x = Math.round(predicted.xPx + along.xPx * t + inward.xPx * v);
    const y = Math.round(predicted.yPx + along.yPx * t + inward.yPx * v);
    if (x < 0 || y < 0 || x >= W || y >= H) return Number.NaN;
    return data[y * W + x] as number;
  };
  // 1. along the column, on the inner half of the mark: the darkest window one mark high
  const tMax = Math.ceil(p);
  const vs: number[] = [];
  for (let v = Math.round(-0.15 * w); v <= Math.round(0.3 * w); v++) vs.push(v);
  const profile: number[] = [];
  for (let t = -tMax; t <= tMax; t++) {
    let sum = 0;
    let n = 0;
    for (const v of vs) {
      const g = at(t, v);
      if (!Number.isNaN(g)) {
        sum += g;
        n++;
      }
    }
    profile.push(n >= vs.length / 2 ? sum / n : Number.NaN);
  }
  const hw = Math.max(1, Math.round(h * 0.8));
  const windowMean = (from: number, to: number): number => {
    let sum = 0;
    let n = 0;
    for (let i = Math.max(0, from); i <= Math.min(profile.length - 1, to); i++) {
      const g = profile[i] as number;
      if (Number.isNaN(g)) return Number.NaN;
      sum += g;
      n++;
    }
    return n ? sum / n : Number.NaN;
  };
  let bestI = -1;
  let dark = Number.POSITIVE_INFINITY;
  // the mark centre stays within half a pitch of the prediction
  const half = Math.round(p / 2);
  for (let c = tMax - half; c <= tMax + half; c++) {
    const m = windowMean(c - (hw >> 1), c - (hw >> 1) + hw - 1);
    if (m < dark) {
      dark = m;
      bestI = c;
    }
  }
  if (bestI < 0 || !Number.isFinite(dark)) return undefined;
  // the gaps above and below the mark (centred half a pitch away) must be paper
  const gapHalf = Math.max(1, Math.round((p - h) / 4));
  const above = windowMean(bestI - half - gapHalf, bestI - half + gapHalf);
  const below = windowMean(bestI + half - gapHalf, bestI + half + gapHalf);
  if (Number.isNaN(above) || Number.isNaN(below)) return undefined;
  const light = Math.min(above, below);
  if (light - dark < 60) return undefined;
  const threshold = (light + dark) / 2;
  const tStar = bestI - tMax;
  // 2. across, on the mark's middle rows: the inner edge, scanning from the page interior outward
  const rows: number[] = [];
  for (let t = Math.round(tStar - 0.25 * h); t <= Math.round(tStar + 0.25 * h); t++) rows.push(t);
  // median over the rows: a thin horizontal rule meeting the mark does not count
  const across = (v: number): number => {
    const values: number[] = [];
    for (const t of rows) {
      const g = at(t, v);
      if (!Number.isNaN(g)) values.push(g);
    }
    return values.length > rows.length / 2 ? median(values) : Number.NaN;
  };
  const vStart = Math.round(1.2 * w);
  const vEnd = -Math.round(0.5 * w);
  // the same profile through the gaps above and below: what is dark there too (a rule printed along
  // the column) is not the mark
  const gapRows = (centre: number) => [centre - 1, centre, centre + 1];
  const aboveRows = gapRows(tStar - half);
  const belowRows = gapRows(tStar + half);
  const gapValue = (v: number, ts: readonly number[]): number => {
    const values = ts.map((t) => at(t, v)).filter((g) => !Number.isNaN(g));
    return values.length ? median(values) : Number.NaN;
  };
  const prof = new Map<number, number>();
  const ruled = new Map<number, boolean>();
  for (let v = vEnd; v <= vStart; v++) {
    prof.set(v, across(v));
    ruled.set(v, Math.max(gapValue(v, aboveRows), gapValue(v, belowRows)) < threshold);
  }
  // from inside the mark (the darkest point near the prediction) inward to its inner edge: where the
  // profile gets light, or turns back down before a rule printed close by (blur fills the narrow gap)
  let v0 = 0;
  for (let v = -Math.round(0.3 * w); v <= Math.round(0.3 * w); v++) {
    if ((prof.get(v) as number) < (prof.get(v0) as number)) v0 = v;
  }
  if (!((prof.get(v0) as number) < threshold)) return undefined;
  const lift = dark + 0.35 * (light - dark);
  let edge: number | undefined;
  for (let v = v0 + 1; v < vStart; v++) {
    const g = prof.get(v) as number;
    const before = prof.get(v - 1) as number;
    if (g >= threshold) {
      edge = v - 1 + (threshold - before) / Math.max(1e-6, g - before);
      break;
    }
    if (ruled.get(v) || (g > lift && g >= before && g >= (prof.get(v + 1) as number))) {
      edge = v - 0.5;
      break;
    }
  }
  if (edge !== undefined) {
    // the mark is dark from its inner edge outward over most of its width (or up to the image edge)
    let darkN = 0;
    let total = 0;
    for (let u = Math.floor(edge); u >= edge - 0.8 * w; u--) {
      const q = prof.get(u) ?? across(u);
      if (Number.isNaN(q)) break;
      total++;
      if (q < threshold) darkN++;
    }
    if (total < 0.3 * w || darkN < 0.85 * total) edge = undefined;
  }
  if (edge === undefined || Math.abs(edge - 0.5 * w) > 0.3 * w) return undefined;
  const t = tStar;
  const v = edge - w / 2;
  return {
    xPx: predicted.xPx + along.xPx * t + inward.xPx * v,
    yPx: predicted.yPx + along.yPx * t + inward.yPx * v,
  };
}

/**
 * Complete one side column from the other, for rows where it has no mark near enough to interpolate
 * from. Under any affine scan (rotation, scale, feed stretch) the vector from a row's left mark to its
 * right mark is the same for every row; it is fitted (linear in the row, to follow slow drift) on the
 * rows where both columns have a mark. Returns the completed positions and how many came from the
 * other column.
 */
export function completeFromOther(
  own: ReadonlyMap<number, PointPx>,
  other: ReadonlyMap<number, PointPx>,
  rows: number,
  maxInterpolationGap = 4,
): { points: PointPx[]; borrowed: number } {
  const ownFilled = fillByIndex(own, rows);
  // offset(r) = own[r] − other[r], fitted on rows where both are known
  const pairs: { r: number; dx: number; dy: number }[] = [];
  for (const [r, p] of own) {
    const q = other.get(r);
    if (q) pairs.push({ r, dx: p.xPx - q.xPx, dy: p.yPx - q.yPx });
  }
  if (pairs.length === 0 || other.size < 2) return { points: ownFilled, borrowed: 0 };
  const otherFilled = fillByIndex(other, rows);
  const rs = pairs.map((q) => q.r);
  const spread = Math.max(...rs) - Math.min(...rs);
  const fitOffset = (value: (q: { dx: number; dy: number }) => number): ((r: number) => number) => {
    const m = median(pairs.map(value));
    // a drift term only when both ends of the column are known (extrapolating a slope is risky)
    if (pairs.length < 3 || spread < rows / 2) return () => m;
    // least squares on the pairs near the median (robust to a wrong mark)
    const keep = pairs.filter((q) => Math.abs(value(q) - m) <= 3 + 0.01 * Math.abs(m));
    const n = keep.length;
    if (n < 3) return () => m;
    let sr = 0;
    let sv = 0;
    let srr = 0;
    let srv = 0;
    for (const q of keep) {
      const v = value(q);
      sr += q.r;
      sv += v;
      srr += q.r * q.r;
      srv += q.r * v;
    }
    const den = n * srr - sr * sr;
    if (Math.abs(den) < 1e-9) return () => m;
    const slope = (n * srv - sr * sv) / den;
    const intercept = (sv - slope * sr) / n;
    return (r) => intercept + slope * r;
  };
  const offX = fitOffset((q) => q.dx);
  const offY = fitOffset((q) => q.dy);
  const known = [...own.keys()].sort((a, b) => a - b);
  const points: PointPx[] = [];
  let borrowed = 0;
  for (let r = 0; r < rows; r++) {
    const mine = own.get(r);
    if (mine) {
      points.push(mine);
      continue;
    }
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    for (const k of known) {
      if (k < r) lo = k;
      else if (k > r) {
        hi = k;
        break;
      }
    }
    if (r - lo <= maxInterpolationGap && hi - r <= maxInterpolationGap) {
      points.push(ownFilled[r] as PointPx);
      continue;
    }
    const q = otherFilled[r] as PointPx;
    points.push({ xPx: q.xPx + offX(r), yPx: q.yPx + offY(r) });
    borrowed++;
  }
  return { points, borrowed };
}
