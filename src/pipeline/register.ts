/**
 * Register stage: find the timing-mark grid of a ballot page (VotingWorks / AccuVote geometry).
 * Pure function of the image; src/cv only finds dark blobs (our SIMD WebAssembly kernel on the border
 * strips, OpenCV for the opened whole-page fallback), geometry is plain TS.
 * See src/cv/README.md for the algorithm.
 */
import { type Blob, clipRect, findDarkBlobs, findDarkBlobsSimd, type RectPx } from '../cv/index.ts';
import { PAPER_GRIDS, PAPER_SIZES, type PaperSize } from '../election/election.ts';
import type { GrayImage, PointPx } from '../image.ts';
import {
  completeFromOther,
  type FittedGrid,
  fillByIndex,
  findRowLine,
  gridToPixel,
  longestChain,
  type MarkCandidate,
  type MarkChain,
  median,
  probeMark,
} from './timing-marks.ts';

export type { PaperSize } from '../election/election.ts';
export { type FittedGrid, type GridScale, gridScaleAt, gridToPixel } from './timing-marks.ts';

export interface RegisterOptions {
  /** scan resolution if known (otherwise estimated from the image width, then from the mark pitch) */
  readonly dpi?: number;
  /** expected paper size if known (otherwise decided from the number of rows) */
  readonly paper?: PaperSize;
}

export interface MarksFound {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** How the 180° orientation was decided. */
export type OrientationCue =
  /** only one horizontal edge has a complete row of marks: it is the top */
  | 'complete-top-row'
  /** both rows complete; the dense QR-code corner (VX v4 ballots: page bottom-left) decided */
  | 'qr-code-corner'
  /** both rows complete and no cue: assumed upright (a warning is added) */
  | 'assumed-upright'
  /**
   * no usable row: the side columns were found on their own, and the page top is the end whose row the
   * image edge cut off or else the fuller row. Weaker: the page's metadata must confirm it.
   */
  | 'side-columns';

export interface RegisterOk {
  readonly type: 'ok';
  readonly paper: PaperSize;
  readonly columns: number;
  readonly rows: number;
  /** true when the page was scanned upside down (grid (0,0) is near the image's bottom-right) */
  readonly rotated180: boolean;
  readonly orientationCue: OrientationCue;
  /** 4 × the measured horizontal mark pitch */
  readonly dpiEstimate: number;
  readonly grid: FittedGrid;
  /** bottom-row marks, page left-to-right (1 = mark present); corners included (length = columns) */
  readonly bottomRowBits: (0 | 1)[];
  /**
   * Bottom-row columns (page order) whose bit is a guess: on a black-and-white scan a dark area covers
   * them and its speckle is as dark as a mark, so a mark cannot be told from the paper there (read as 1,
   * with a warning). Metadata read from these bits is not confirmed by the scan.
   */
  readonly bottomRowUnsure: number[];
  /** top-row marks found (1) or inferred (0), page left-to-right */
  readonly topRowBits: (0 | 1)[];
  readonly marksFound: MarksFound;
  /** marks of the top row and the left/right columns that were missing and inferred */
  readonly marksInferred: number;
  readonly warnings: string[];
}

export type UnreadableReason =
  | 'invalid-image'
  | 'no-timing-marks'
  | 'incomplete-timing-marks'
  | 'wrong-paper-size'
  | 'ambiguous-grid'
  | 'cv-error';

export interface RegisterUnreadable {
  readonly type: 'unreadable';
  readonly reason: UnreadableReason;
  readonly detail: string;
}

export type RegisterResult = RegisterOk | RegisterUnreadable;

export const TIMING_MARK_COLUMNS = 34;
export const TIMING_MARK_ROWS: Readonly<Record<PaperSize, number>> = Object.fromEntries(
  PAPER_SIZES.map((p) => [p, PAPER_GRIDS[p].rows]),
) as Record<PaperSize, number>;
const PAPER_WIDTH_IN = 8.5;

/** Blob provider: dark blobs whose centre lies in a rectangle. */
type BlobSource = (rect: RectPx) => Blob[];

interface Sizes {
  readonly dpi: number;
  readonly markWidthPx: number;
  readonly markHeightPx: number;
  readonly pitchPx: number;
}

function sizesFor(dpi: number, markWidthPx?: number, markHeightPx?: number): Sizes {
  return {
    dpi,
    markWidthPx: markWidthPx ?? (dpi * 3) / 16,
    markHeightPx: markHeightPx ?? dpi / 16,
    pitchPx: dpi / 4,
  };
}

interface Candidate extends MarkCandidate {
  readonly blob: Blob;
}

/** Keep blobs shaped like a timing mark; correct the centre of marks cropped by the image border. */
function markCandidates(blobs: readonly Blob[], image: GrayImage, s: Sizes): Candidate[] {
  const out: Candidate[] = [];
  for (const b of blobs) {
    const edge = 0.03 * s.dpi;
    const atTop = b.yPx <= edge;
    const atBottom = b.yPx + b.heightPx >= image.heightPx - edge;
    // marks may be cropped by the paper or image edge: narrow (or short) but otherwise mark-like
    const minH = atTop || atBottom ? 0.25 : 0.45;
    if (b.widthPx < 0.2 * s.markWidthPx || b.widthPx > 1.6 * s.markWidthPx) continue;
    if (b.heightPx < minH * s.markHeightPx || b.heightPx > 2.1 * s.markHeightPx) continue;
    if (b.areaPx < 0.5 * b.widthPx * b.heightPx) continue;
    // narrow blobs are accepted only as marks cropped by the paper/image edge (else they are mostly text)
    const nearSide = b.xPx <= 0.12 * s.dpi || b.xPx + b.widthPx >= image.widthPx - 0.12 * s.dpi;
    if (b.widthPx < 0.55 * s.markWidthPx && !nearSide) continue;
    let xPx = b.centerXPx;
    let yPx = b.centerYPx;
    // a cropped mark keeps its inner edge: put the centre half a mark from it
    if (b.widthPx < 0.85 * s.markWidthPx && nearSide) {
      if (b.centerXPx < image.widthPx / 2) xPx = b.xPx + b.widthPx - s.markWidthPx / 2;
      else xPx = b.xPx + s.markWidthPx / 2;
    }
    if (b.heightPx < 0.7 * s.markHeightPx) {
      if (b.centerYPx < image.heightPx / 2) yPx = b.yPx + b.heightPx - s.markHeightPx / 2;
      else yPx = b.yPx + s.markHeightPx / 2;
    }
    out.push({ xPx, yPx, widthPx: b.widthPx, heightPx: b.heightPx, blob: b });
  }
  return out;
}

interface RowFit {
  readonly chain: MarkChain;
  /** y = a + b·x */
  readonly a: number;
  readonly b: number;
  readonly span: number;
}

/** Find the best row of marks among candidates (longest chain with steps of ≤ maxStep pitches). */
function fitRow(candidates: readonly Candidate[], s: Sizes, maxStep: number): RowFit | undefined {
  // the line comes from full-width marks only (narrow blobs are mostly text); cropped marks join after
  const tolerance = 0.6 * s.markHeightPx + 1;
  const fitted = findRowLine(
    candidates.filter((c) => c.widthPx >= 0.55 * s.markWidthPx),
    tolerance,
  );
  if (!fitted || fitted.inliers.length < 2) return undefined;
  const inliers = candidates
    .filter((c) => Math.abs(c.yPx - (fitted.a + fitted.b * c.xPx)) <= tolerance)
    .sort((p, q) => p.xPx - q.xPx);
  const line = { ...fitted, inliers };
  const gaps: number[] = [];
  for (let i = 1; i < line.inliers.length; i++) {
    const g = (line.inliers[i] as MarkCandidate).xPx - (line.inliers[i - 1] as MarkCandidate).xPx;
    if (g > 0.75 * s.pitchPx && g < 1.3 * s.pitchPx) gaps.push(g);
  }
  const norm = Math.sqrt(1 + line.b * line.b);
  const pitchX = gaps.length >= 3 ? median(gaps) : s.pitchPx / norm;
  const chain = longestChain(line.inliers, (c) => c.xPx, pitchX, maxStep);
  const last = chain.indices[chain.indices.length - 1] ?? 0;
  return { chain: { ...chain, pitchPx: chain.pitchPx * norm }, a: line.a, b: line.b, span: last + 1 };
}

interface Walk {
  /** found marks by index (0 = the start corner) */
  readonly found: Map<number, PointPx>;
  readonly length: number;
  /** marks read from the pixels (`probeMark`) rather than found as blobs */
  readonly probed: number;
}

/**
 * Follow a column of marks from a corner mark in direction `dir`: repeatedly take the nearest
 * candidate ahead (0.5–1.5 pitches on, close to the current direction), adapting direction as it goes.
 * Where there is none, the mark one pitch ahead is looked for in the pixels (`probeMark`: a mark merged
 * with a dark scanner background or a streak), then a candidate up to 2.7 pitches ahead, then, after a
 * longer hole, up to 12 pitches ahead on a tight line. Then number the marks: when `expectedCount`
 * marks were found they are simply consecutive (robust to any local feed stretch); otherwise each gap
 * counts round(gap / local pitch) rows (holes, torn marks).
 */
function walkColumn(
  image: GrayImage,
  start: PointPx,
  dir: PointPx,
  inward: PointPx,
  pitchPx: number,
  candidates: readonly Candidate[],
  s: Sizes,
  expectedCounts: readonly number[],
  maxHolePitches = 12,
): Walk {
  const points: PointPx[] = [start];
  // stop a little past the longest paper (a wrong-paper page still shows its own length)
  const maxCount = Math.max(...Object.values(TIMING_MARK_ROWS), ...expectedCounts) + 2;
  let probed = 0;
  const loose = (along: number) => 0.4 * s.markWidthPx + 0.02 * along;
  const tight = (along: number) => 0.25 * s.markWidthPx + 0.01 * along;
  let pos = start;
  let d = dir;
  // with `confirmed`, a candidate counts only when the next mark follows it about a pitch further on
  // (a long jump must land on the column, not on a speck beside it)
  const followed = (c: Candidate) =>
    candidates.some((o) => {
      const dx = o.xPx - c.xPx;
      const dy = o.yPx - c.yPx;
      const along = dx * d.xPx + dy * d.yPx;
      return (
        along >= 0.75 * pitchPx &&
        along <= 1.35 * pitchPx &&
        Math.abs(-dx * d.yPx + dy * d.xPx) <= loose(along)
      );
    });
  const nearest = (
    minAlong: number,
    maxAlong: number,
    acrossTol: (along: number) => number,
    confirmed = false,
  ) => {
    let best: Candidate | undefined;
    let bestAlong = Number.POSITIVE_INFINITY;
    for (const c of candidates) {
      const dx = c.xPx - pos.xPx;
      const dy = c.yPx - pos.yPx;
      const along = dx * d.xPx + dy * d.yPx;
      if (along < minAlong || along > maxAlong) continue;
      const across = -dx * d.yPx + dy * d.xPx;
      if (Math.abs(across) > acrossTol(along)) continue;
      if (along < bestAlong && (!confirmed || followed(c))) {
        bestAlong = along;
        best = c;
      }
    }
    return best;
  };
  while (points.length < maxCount) {
    let next: PointPx | undefined = nearest(0.5 * pitchPx, 1.5 * pitchPx, loose);
    if (!next) {
      // local pitch from the last single steps
      const steps: number[] = [];
      for (let i = Math.max(1, points.length - 6); i < points.length; i++) {
        const a = points[i - 1] as PointPx;
        const b = points[i] as PointPx;
        const g = Math.hypot(b.xPx - a.xPx, b.yPx - a.yPx);
        if (g > 0.75 * pitchPx && g < 1.35 * pitchPx) steps.push(g);
      }
      const local = steps.length ? median(steps) : pitchPx;
      const probeAt = (steps: number) =>
        probeMark(
          image,
          { xPx: pos.xPx + d.xPx * local * steps, yPx: pos.yPx + d.yPx * local * steps },
          d,
          inward,
          { ...s, pitchPx: local },
        );
      next = probeAt(1) ?? nearest(1.5 * pitchPx, 2.7 * pitchPx, loose) ?? probeAt(2);
      if (next && !('blob' in next)) probed++;
    }
    next ??=
      maxHolePitches > 12
        ? nearest(2.7 * pitchPx, maxHolePitches * pitchPx, tight, true)
        : nearest(2.7 * pitchPx, 12 * pitchPx, tight);
    if (!next) break;
    const p = { xPx: next.xPx, yPx: next.yPx };
    points.push(p);
    pos = p;
    const back = points[Math.max(0, points.length - 6)] as PointPx;
    const vx = p.xPx - back.xPx;
    const vy = p.yPx - back.yPx;
    const n = Math.hypot(vx, vy);
    if (n > 0) d = { xPx: vx / n, yPx: vy / n };
  }
  const found = new Map<number, PointPx>();
  const gaps: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as PointPx;
    const b = points[i] as PointPx;
    gaps.push(Math.hypot(b.xPx - a.xPx, b.yPx - a.yPx));
  }
  // consecutive only when no gap can hide a whole missing mark
  if (expectedCounts.includes(points.length) && gaps.every((g) => g < 1.75 * pitchPx)) {
    points.forEach((p, i) => {
      found.set(i, p);
    });
    return { found, length: points.length, probed };
  }
  let index = 0;
  found.set(0, start);
  for (let i = 0; i < gaps.length; i++) {
    // local pitch: median of the neighbouring gaps that look like single steps
    const near = gaps
      .slice(Math.max(0, i - 6), i + 7)
      .filter((g, j) => j !== Math.min(i, 6) && g > 0.75 * pitchPx && g < 1.35 * pitchPx);
    const local = near.length ? median(near) : pitchPx;
    index += Math.max(1, Math.round((gaps[i] as number) / local));
    found.set(index, points[i + 1] as PointPx);
  }
  return { found, length: index + 1, probed };
}

/**
 * The longest step between two found marks of a row, in pitches: a hole of marks torn off, taped over or
 * not printed. The row must still hold MIN_ROW_MARKS (30) of its 34 marks, so a complete row may miss at
 * most 4 in all; the missing ones are placed from those around them.
 */
const ROW_MAX_STEP = 6;

/** A damaged row (dark area over the border) has at least this many marks in one evenly spaced run. */
const MIN_DAMAGED_ROW_MARKS = 16;
/** …and each of its side columns at least this many marks besides its corner. */
const MIN_DAMAGED_COLUMN_MARKS = 12;
/** …and may start up to this many rows below its (inferred) corner. */
const DAMAGED_MAX_HOLE = 30;

/**
 * Damaged row: which split of its k missing columns (e left, k − e right in the image) puts a full side
 * column under both ends: each walk found enough marks and ends exactly at a far corner of the paper.
 * Exactly one split may fit; none or several is a reason (text) to reject.
 */
function pinDamagedRow(
  leftWalks: readonly Walk[],
  rightWalks: readonly Walk[],
  k: number,
  expectedCounts: readonly number[],
): number | string {
  // enough marks, most of them in runs one pitch apart (a column, not specks met by long jumps)
  const steps = (w: Walk) => [...w.found.keys()].filter((i) => i > 0 && w.found.has(i + 1)).length;
  const full = (w: Walk | undefined) =>
    w !== undefined &&
    w.found.size - 1 >= MIN_DAMAGED_COLUMN_MARKS &&
    steps(w) >= MIN_DAMAGED_COLUMN_MARKS - 2 &&
    expectedCounts.includes(w.length);
  const fits: number[] = [];
  for (let e = 0; e <= k; e++) if (full(leftWalks[e]) && full(rightWalks[k - e])) fits.push(e);
  if (fits.length === 1) return fits[0] as number;
  return fits.length === 0
    ? 'no placement of its missing columns has a full side column at both ends'
    : `${fits.length} placements of its missing columns fit the side columns`;
}

/**
 * Do the two side columns confirm a damaged row's corners? Each inferred corner must lie on its column's
 * line (fitted through the column's first marks and extrapolated to row 0), and on every row the two
 * columns must be 33 pitches apart, as the row's own marks say. Returns what disagrees, if anything.
 */
function columnsDisagree(
  w0: Walk,
  w1: Walk,
  pitchPx: number,
  rowDir: PointPx,
  s: Sizes,
  start0Inferred: boolean,
  start1Inferred: boolean,
): string | undefined {
  for (const [w, inferred, name] of [
    [w0, start0Inferred, 'first'],
    [w1, start1Inferred, 'second'],
  ] as const) {
    if (!inferred) continue;
    const marks = [...w.found]
      .filter(([i]) => i > 0)
      .sort((a, b) => a[0] - b[0])
      .slice(0, 12);
    const corner = w.found.get(0) as PointPx;
    const at0 = extrapolateToIndex0(marks);
    if (!at0) return `the ${name} side column has too few marks near its corner`;
    // across the column (the column's own line) tightly; along it, within a third of a pitch
    const dx = at0.xPx - corner.xPx;
    const dy = at0.yPx - corner.yPx;
    const across = Math.abs(dx * rowDir.xPx + dy * rowDir.yPx);
    const alongCol = Math.abs(-dx * rowDir.yPx + dy * rowDir.xPx);
    if (across > 0.35 * s.markWidthPx || alongCol > 0.35 * pitchPx)
      return `the ${name} side column does not lead to its inferred corner (off by ${(across / pitchPx).toFixed(2)} pitch across, ${(alongCol / pitchPx).toFixed(2)} along)`;
  }
  const widths: number[] = [];
  for (const [i, p] of w0.found) {
    const q = w1.found.get(i);
    if (i > 0 && q) widths.push(Math.hypot(q.xPx - p.xPx, q.yPx - p.yPx));
  }
  if (widths.length < MIN_DAMAGED_COLUMN_MARKS / 2) return 'the side columns share too few rows';
  const apart = median(widths) / pitchPx;
  if (Math.abs(apart - (TIMING_MARK_COLUMNS - 1)) > 0.35)
    return `the side columns are ${apart.toFixed(2)} pitches apart, not ${TIMING_MARK_COLUMNS - 1}`;
  return undefined;
}

/** Least-squares line through (index, point) pairs, evaluated at index 0. */
function extrapolateToIndex0(marks: readonly (readonly [number, PointPx])[]): PointPx | undefined {
  const n = marks.length;
  if (n < 4) return undefined;
  let si = 0;
  let sii = 0;
  let sx = 0;
  let sy = 0;
  let six = 0;
  let siy = 0;
  for (const [i, p] of marks) {
    si += i;
    sii += i * i;
    sx += p.xPx;
    sy += p.yPx;
    six += i * p.xPx;
    siy += i * p.yPx;
  }
  const den = n * sii - si * si;
  if (Math.abs(den) < 1e-9) return undefined;
  const bx = (n * six - si * sx) / den;
  const by = (n * siy - si * sy) / den;
  return { xPx: (sx - bx * si) / n, yPx: (sy - by * si) / n };
}

/** The candidate nearest an expected mark position of a row (within 0.3 pitch along, 0.7 mark across). */
function nearestMark(
  cands: readonly Candidate[],
  e: PointPx,
  pitchPx: number,
  s: Sizes,
): Candidate | undefined {
  let best: Candidate | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const cand of cands) {
    const dx = Math.abs(cand.xPx - e.xPx);
    const dy = Math.abs(cand.yPx - e.yPx);
    if (dx > 0.3 * pitchPx || dy > 0.7 * s.markHeightPx + 2) continue;
    const d = Math.hypot(dx, dy);
    if (d < bestD) {
      bestD = d;
      best = cand;
    }
  }
  return best;
}

/** Side columns found on their own may run off the image edge by this many rows at their ends. */
const MAX_CUT_ROWS = 2;
/** A row whose marks decide the page top (when neither end is cut) has at least this many… */
const MIN_FULLER_ROW_MARKS = 12;
/** …and this many more than the row at the other end. */
const FULLER_ROW_MARGIN = 6;

/**
 * What may tell the page top when the side columns alone are found: only a row cut off by the image
 * edge (early, before the openings that may still find a real row), or also the clearly fuller row (last).
 */
type PageTopEvidence = 'cut-row-only' | 'cut-or-fuller-row';

/** The near row rebuilt from the side columns (no row of the page was usable). */
interface RescuedRow {
  readonly row: RowFit;
  readonly nearIsTop: boolean;
  /** columns of the row placed between its corners, not found as marks */
  readonly inferred: ReadonlySet<number>;
  readonly warning: string;
}

/** The longest column of marks among candidates (a row fit on swapped axes), top to bottom. */
function sideColumn(
  cands: readonly Candidate[],
  s: Sizes,
): { marks: PointPx[]; indices: number[] } | undefined {
  const swapped = cands.map((c) => ({ ...c, xPx: c.yPx, yPx: c.xPx }));
  const fit = fitRow(swapped, s, 12);
  if (!fit) return undefined;
  return {
    marks: fit.chain.marks.map((m) => ({ xPx: m.yPx, yPx: m.xPx })),
    indices: [...fit.chain.indices],
  };
}

/**
 * Last resort when neither horizontal edge holds a usable row (the top row cut off by the image edge, or
 * missing many marks): find both side columns on their own, take the page's corners from their ends
 * (extrapolated where a column runs off the image), and rebuild the top row between its two corners,
 * keeping the marks found there. The page top is the end whose row the image edge cut off or, when
 * neither or both are, the end with clearly more marks. That is weaker evidence than a complete row, so
 * the page is marked (`side-columns` cue) for its metadata to confirm. Returns why not, as text.
 */
function rowFromSideColumns(
  image: GrayImage,
  source: BlobSource,
  s: Sizes,
  topCands: readonly Candidate[],
  botCands: readonly Candidate[],
  expectedCounts: readonly number[],
  top: PageTopEvidence,
): RescuedRow | string {
  const W = image.widthPx;
  const H = image.heightPx;
  const stripW = Math.min(Math.round(1.1 * s.dpi), Math.floor(W / 3));
  const columns = [0, W - stripW].map((x0) =>
    sideColumn(markCandidates(source({ xPx: x0, yPx: 0, widthPx: stripW, heightPx: H }), image, s), s),
  );
  const [c0, c1] = columns;
  const minMarks = 0.6 * Math.min(...expectedCounts);
  if (!c0 || !c1 || c0.marks.length < minMarks || c1.marks.length < minMarks)
    return `side columns of ${c0?.marks.length ?? 0} and ${c1?.marks.length ?? 0} marks`;
  const span = (c: typeof c0) => (c.indices[c.indices.length - 1] as number) + 1;
  const rows = expectedCounts.find(
    (n) => n >= Math.max(span(c0), span(c1)) && n - Math.min(span(c0), span(c1)) <= MAX_CUT_ROWS,
  );
  if (rows === undefined)
    return `side columns spanning ${span(c0)} and ${span(c1)} rows fit no paper (${expectedCounts.join(', ')} rows)`;
  const offImage = (p: PointPx) =>
    p.xPx < 0.4 * s.markWidthPx ||
    p.xPx > W - 0.4 * s.markWidthPx ||
    p.yPx < 0.3 * s.markHeightPx ||
    p.yPx > H - 0.3 * s.markHeightPx;
  // each column's corners: its missing rows lie past the image edge at one end (exactly one way)
  const ends: { top: PointPx; bottom: PointPx; cutTop: boolean; cutBottom: boolean }[] = [];
  for (const c of [c0, c1]) {
    const first = c.marks[0] as PointPx;
    const last = c.marks[c.marks.length - 1] as PointPx;
    const steps = span(c) - 1;
    const v = { xPx: (last.xPx - first.xPx) / steps, yPx: (last.yPx - first.yPx) / steps };
    const at = (p: PointPx, n: number) => ({ xPx: p.xPx + v.xPx * n, yPx: p.yPx + v.yPx * n });
    const k = rows - span(c);
    const splits = Array.from({ length: k + 1 }, (_, e) => e).filter(
      (e) => (e === 0 || offImage(at(first, -1))) && (e === k || offImage(at(last, 1))),
    );
    if (splits.length !== 1)
      return `a side column of ${span(c)} rows has ${k} missing at its ends that the image edge does not explain`;
    const e = splits[0] as number;
    ends.push({ top: at(first, -e), bottom: at(last, k - e), cutTop: e > 0, cutBottom: k - e > 0 });
  }
  const [l, r] = ends as [(typeof ends)[0], (typeof ends)[0]];
  // the two candidate rows, evenly spaced between their corners, and the marks found on them
  const rowAt = (a: PointPx, b: PointPx, cands: readonly Candidate[]) => {
    const pitchPx = Math.hypot(b.xPx - a.xPx, b.yPx - a.yPx) / (TIMING_MARK_COLUMNS - 1);
    const marks: Candidate[] = [];
    const inferred = new Set<number>();
    for (let col = 0; col < TIMING_MARK_COLUMNS; col++) {
      const t = col / (TIMING_MARK_COLUMNS - 1);
      const e = { xPx: a.xPx + (b.xPx - a.xPx) * t, yPx: a.yPx + (b.yPx - a.yPx) * t };
      const best = nearestMark(cands, e, pitchPx, s);
      if (best) marks.push(best);
      else {
        inferred.add(col);
        const blob = { ...e, widthPx: 0, heightPx: 0, areaPx: 0, centerXPx: e.xPx, centerYPx: e.yPx };
        marks.push({ ...e, widthPx: s.markWidthPx, heightPx: s.markHeightPx, blob });
      }
    }
    const slope = (b.yPx - a.yPx) / (b.xPx - a.xPx);
    const row: RowFit = {
      chain: { marks, indices: marks.map((_, i) => i), pitchPx },
      a: a.yPx - slope * a.xPx,
      b: slope,
      span: TIMING_MARK_COLUMNS,
    };
    return { row, inferred, found: TIMING_MARK_COLUMNS - inferred.size };
  };
  const topRow = rowAt(l.top, r.top, topCands);
  const bottomRow = rowAt(l.bottom, r.bottom, botCands);
  const cutTop = l.cutTop || r.cutTop;
  const cutBottom = l.cutBottom || r.cutBottom;
  let nearIsTop: boolean;
  let why: string;
  if (cutTop !== cutBottom) {
    nearIsTop = cutTop;
    why = `the image edge cut off the ${cutTop ? 'top' : 'bottom'} row`;
  } else if (top === 'cut-row-only') {
    return 'side columns found, but no row is cut off by the image edge';
  } else if (topRow.found >= MIN_FULLER_ROW_MARKS && topRow.found >= bottomRow.found + FULLER_ROW_MARGIN) {
    nearIsTop = true;
    why = `the top row has ${topRow.found} marks, the bottom ${bottomRow.found}`;
  } else if (bottomRow.found >= MIN_FULLER_ROW_MARKS && bottomRow.found >= topRow.found + FULLER_ROW_MARGIN) {
    nearIsTop = false;
    why = `the bottom row has ${bottomRow.found} marks, the top ${topRow.found}`;
  } else {
    return `side columns found, but neither end tells the page top (rows of ${topRow.found} and ${bottomRow.found} marks)`;
  }
  const near = nearIsTop ? topRow : bottomRow;
  return {
    row: near.row,
    nearIsTop,
    inferred: near.inferred,
    warning: `no usable row of timing marks: the side columns were found on their own and the page-top row (${near.found} of ${TIMING_MARK_COLUMNS} marks found) was placed between their ends; page top taken where ${why}, for the page's metadata to confirm`,
  };
}

function unreadable(reason: UnreadableReason, detail: string): RegisterUnreadable {
  return { type: 'unreadable', reason, detail };
}

function darkFraction(
  image: GrayImage,
  cx: number,
  cy: number,
  halfW: number,
  halfH: number,
  threshold: number,
) {
  let dark = 0;
  let total = 0;
  const x0 = Math.max(0, Math.round(cx - halfW));
  const x1 = Math.min(image.widthPx - 1, Math.round(cx + halfW));
  const y0 = Math.max(0, Math.round(cy - halfH));
  const y1 = Math.min(image.heightPx - 1, Math.round(cy + halfH));
  for (let y = y0; y <= y1; y++) {
    const row = y * image.widthPx;
    for (let x = x0; x <= x1; x++) {
      total++;
      if ((image.data[row + x] as number) < threshold) dark++;
    }
  }
  return total ? dark / total : 0;
}

/**
 * A far-row position whose box is dark but holds no mark-shaped blob: is it a solid mark, or the speckle
 * of a dark area? On a black-and-white scan a shadow turns the paper into dense dithered speckle; a mark
 * there is still solid black, while the paper still shows a few white pixels. The box best aligned near
 * `e` (within a fifth of a pitch along the row, half a mark across) is 'solid' when it has no white pixel
 * to speak of and 'paper' when it has clearly more; either verdict needs the paper right around the
 * position (the middle of the gaps to the neighbouring marks, just above and below it) to show enough
 * white for a mark to be told from it, else it is 'unknown' (a guess). On a gray image (any value other
 * than 0 and 255) the answer is 'solid', as before: a dark box there is a mark merged or split by a streak.
 */
function solidOrSpeckle(
  image: GrayImage,
  e: PointPx,
  inward: PointPx,
  s: Sizes,
  threshold: number,
): 'solid' | 'paper' | 'unknown' {
  const W = image.widthPx;
  const H = image.heightPx;
  let bilevel = true;
  const light = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return 0;
    const g = image.data[y * W + x] as number;
    if (g !== 0 && g !== 255) bilevel = false;
    return g >= threshold ? 1 : 0;
  };
  const hw = Math.max(2, Math.round(0.3 * s.markWidthPx));
  const hh = Math.max(1, Math.round(0.25 * s.markHeightPx));
  const n = (2 * hw + 1) * (2 * hh + 1);
  const sx = Math.round(0.2 * s.pitchPx);
  const sy = Math.round(0.5 * s.markHeightPx);
  const cx = Math.round(e.xPx);
  const cy = Math.round(e.yPx);
  // summed-area table of white pixels over the search patch
  const x0 = cx - sx - hw;
  const y0 = cy - sy - hh;
  const pw = 2 * (sx + hw) + 1;
  const ph = 2 * (sy + hh) + 1;
  const sat = new Int32Array((pw + 1) * (ph + 1));
  for (let j = 0; j < ph; j++) {
    let rowSum = 0;
    for (let i = 0; i < pw; i++) {
      rowSum += light(x0 + i, y0 + j);
      sat[(j + 1) * (pw + 1) + i + 1] = (sat[j * (pw + 1) + i + 1] as number) + rowSum;
    }
  }
  if (!bilevel) return 'solid';
  const boxWhite = (i0: number, j0: number) => {
    const i1 = i0 + 2 * hw + 1;
    const j1 = j0 + 2 * hh + 1;
    return (
      (sat[j1 * (pw + 1) + i1] as number) -
      (sat[j0 * (pw + 1) + i1] as number) -
      (sat[j1 * (pw + 1) + i0] as number) +
      (sat[j0 * (pw + 1) + i0] as number)
    );
  };
  let least = n;
  for (let j = 0; j <= 2 * sy; j++) for (let i = 0; i <= 2 * sx; i++) least = Math.min(least, boxWhite(i, j));
  // white share of the paper right around the mark: the middle of the gaps to its neighbours along the
  // row, and bands just above and below it (0.6–1.4 mark heights from its centre line)
  let white = 0;
  let total = 0;
  const sample = (u: number, v: number) => {
    // u along the row, v towards the page interior
    const x = Math.round(e.xPx - inward.yPx * u + inward.xPx * v);
    const y = Math.round(e.yPx + inward.xPx * u + inward.yPx * v);
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    total++;
    white += light(x, y);
  };
  const gapHalf = Math.max(1, 0.2 * (s.pitchPx - s.markWidthPx));
  for (const side of [-1, 1]) {
    for (let u = -gapHalf; u <= gapHalf; u += 1) {
      for (let v = -0.4 * s.markHeightPx; v <= 0.4 * s.markHeightPx; v += 1)
        sample(side * 0.5 * s.pitchPx + u, v);
    }
    for (let v = 0.6 * s.markHeightPx; v <= 1.4 * s.markHeightPx; v += 1) {
      for (let u = -0.35 * s.markWidthPx; u <= 0.35 * s.markWidthPx; u += 1) sample(u, side * v);
    }
  }
  const expected = total ? (white / total) * n : 0;
  if (least <= Math.max(1, 0.01 * n)) return expected >= 8 ? 'solid' : 'unknown';
  if (expected >= 8 && least >= 3 && least >= 0.25 * expected) return 'paper';
  return 'unknown';
}

interface ImageGrid {
  readonly top: PointPx[];
  readonly bottom: PointPx[];
  readonly left: PointPx[];
  readonly right: PointPx[];
  readonly topFound: boolean[];
  readonly bottomFound: boolean[];
  readonly leftFound: boolean[];
  readonly rightFound: boolean[];
}

function toPageGrid(g: ImageGrid, rotated: boolean, rows: number): FittedGrid {
  const rev = <T>(a: readonly T[]) => [...a].reverse();
  if (!rotated)
    return { columns: TIMING_MARK_COLUMNS, rows, top: g.top, bottom: g.bottom, left: g.left, right: g.right };
  return {
    columns: TIMING_MARK_COLUMNS,
    rows,
    top: rev(g.bottom),
    bottom: rev(g.top),
    left: rev(g.right),
    right: rev(g.left),
  };
}

/** Dark fraction over a block of grid cells (image-oriented grid). */
function gridInk(
  image: GrayImage,
  grid: FittedGrid,
  cols: [number, number],
  rows: [number, number],
  threshold: number,
): number {
  let dark = 0;
  let total = 0;
  for (let r = rows[0]; r <= rows[1]; r += 0.125) {
    for (let c = cols[0]; c <= cols[1]; c += 0.125) {
      const p = gridToPixel(grid, { column: c, row: r });
      const x = Math.round(p.xPx);
      const y = Math.round(p.yPx);
      if (x < 0 || y < 0 || x >= image.widthPx || y >= image.heightPx) continue;
      total++;
      if ((image.data[y * image.widthPx + x] as number) < threshold) dark++;
    }
  }
  return total ? dark / total : 0;
}

/**
 * One registration attempt over blobs from `source`; `edgeDepthIn` is how deep (inches) the top and
 * bottom strips searched for the horizontal rows are; `strict` also requires both far corner marks.
 */
function attempt(
  image: GrayImage,
  options: RegisterOptions,
  source: BlobSource,
  edgeDepthIn: number,
  strict: boolean,
  damaged = false,
  fromColumns: PageTopEvidence | undefined = undefined,
): RegisterResult {
  const W = image.widthPx;
  const H = image.heightPx;
  const dpi0 = options.dpi ?? W / PAPER_WIDTH_IN;
  let s = sizesFor(dpi0);
  const stripH = Math.min(Math.round(edgeDepthIn * dpi0), Math.floor(H / 2));

  // 1. the horizontal edges: one of them must carry a complete row of 34 marks (the page top)
  const topCands = markCandidates(source({ xPx: 0, yPx: 0, widthPx: W, heightPx: stripH }), image, s);
  const botCands = markCandidates(
    source({ xPx: 0, yPx: H - stripH, widthPx: W, heightPx: stripH }),
    image,
    s,
  );
  const topRow = fitRow(topCands, s, ROW_MAX_STEP);
  const botRow = fitRow(botCands, s, ROW_MAX_STEP);
  const MIN_ROW_MARKS = TIMING_MARK_COLUMNS - 4;
  // complete: the chain spans all 34 columns; partial: up to 4 columns short at its ends (corner marks
  // cut by the image edge or torn), to be pinned by the side columns below
  const isComplete = (r: RowFit | undefined) =>
    r !== undefined && r.span === TIMING_MARK_COLUMNS && r.chain.marks.length >= MIN_ROW_MARKS;
  const isPartial = (r: RowFit | undefined) =>
    r !== undefined &&
    r.span < TIMING_MARK_COLUMNS &&
    r.span >= MIN_ROW_MARKS &&
    r.chain.marks.length >= MIN_ROW_MARKS;
  let topUsable = isComplete(topRow) || isPartial(topRow);
  let botUsable = isComplete(botRow) || isPartial(botRow);
  // Damaged page (last fallback): a dark area hides one end of the row (or a stretch in it). A long run
  // of evenly spaced marks on exactly one edge is then the page top (an AccuVote metadata row never has
  // one), and its missing columns are placed only where both side columns confirm them (below).
  const isDamaged = (r: RowFit | undefined) =>
    damaged &&
    r !== undefined &&
    r.span < MIN_ROW_MARKS &&
    r.chain.marks.length >= MIN_DAMAGED_ROW_MARKS &&
    r.chain.marks.length >= r.span - 1;
  let relaxed = false;
  if (!topUsable && !botUsable && isDamaged(topRow) !== isDamaged(botRow)) {
    relaxed = true;
    topUsable = isDamaged(topRow);
    botUsable = isDamaged(botRow);
  }
  const expectedCounts = options.paper ? [TIMING_MARK_ROWS[options.paper]] : Object.values(TIMING_MARK_ROWS);
  let rescued: RescuedRow | undefined;
  if (!topUsable && !botUsable && fromColumns) {
    const r = rowFromSideColumns(image, source, s, topCands, botCands, expectedCounts, fromColumns);
    if (typeof r === 'string')
      return unreadable('incomplete-timing-marks', `no usable row of timing marks; ${r}`);
    rescued = r;
  }
  if (!topUsable && !botUsable && !rescued) {
    const best = Math.max(topRow?.chain.marks.length ?? 0, botRow?.chain.marks.length ?? 0);
    if (best < 8) return unreadable('no-timing-marks', `no row of timing marks along the top or bottom edge`);
    const spans = `top edge: ${topRow?.chain.marks.length ?? 0} marks spanning ${topRow?.span ?? 0} columns, bottom edge: ${botRow?.chain.marks.length ?? 0} spanning ${botRow?.span ?? 0}`;
    return unreadable(
      'incomplete-timing-marks',
      `no complete row of ${TIMING_MARK_COLUMNS} timing marks (${spans})`,
    );
  }
  const warnings: string[] = [];
  // The row we walk the side columns from: a complete one if any, else the one with more marks.
  let nearIsTop: boolean;
  let cue: OrientationCue = 'complete-top-row';
  if (rescued) {
    nearIsTop = rescued.nearIsTop;
    cue = 'side-columns';
    warnings.push(rescued.warning);
  } else if (topUsable && botUsable) {
    const rank = (r: RowFit | undefined) => (isComplete(r) ? 100 : 0) + (r?.chain.marks.length ?? 0);
    nearIsTop = rank(topRow) >= rank(botRow);
    cue = 'qr-code-corner'; // decided below (or downgraded to assumed-upright)
  } else {
    nearIsTop = topUsable;
  }
  const near = rescued ? rescued.row : ((nearIsTop ? topRow : botRow) as RowFit);

  // refine sizes from the complete row
  const rowMarks = near.chain.marks as Candidate[];
  const full = rowMarks.filter((m) => m.blob.widthPx >= 0.85 * s.markWidthPx);
  const pitchPx = near.chain.pitchPx;
  s = sizesFor(
    pitchPx * 4,
    median(full.map((m) => m.widthPx)) || undefined,
    median(full.map((m) => m.heightPx)) || undefined,
  );

  // 2. the side columns: walk from the two ends of the row
  const norm = Math.sqrt(1 + near.b * near.b);
  const rowDir: PointPx = { xPx: 1 / norm, yPx: near.b / norm };
  const down: PointPx = { xPx: -near.b / norm, yPx: 1 / norm };
  const dir: PointPx = nearIsTop ? down : { xPx: -down.xPx, yPx: -down.yPx };
  const back: PointPx = { xPx: -rowDir.xPx, yPx: -rowDir.yPx };
  const first = rowMarks[0] as Candidate;
  const lastMark = rowMarks[rowMarks.length - 1] as Candidate;
  const margin = 0.3 * s.dpi;
  const columnCands = (starts: readonly PointPx[]) => {
    const xs = starts.flatMap((p) => [p.xPx, p.xPx + dir.xPx * H]);
    const x0 = Math.min(...xs) - margin;
    const x1 = Math.max(...xs) + margin;
    return markCandidates(source({ xPx: x0, yPx: 0, widthPx: x1 - x0, heightPx: H }), image, s);
  };
  // Columns missing at the row's ends (k): the corners are extrapolated along the row. Every split of
  // k between the two ends is tried; an end is valid when a side column starts there, or when the
  // corner lies at or beyond the image edge (cut off). The best-supported valid split wins.
  const k = TIMING_MARK_COLUMNS - near.span;
  const along = (p: PointPx, v: PointPx, n: number): PointPx => ({
    xPx: p.xPx + v.xPx * pitchPx * n,
    yPx: p.yPx + v.yPx * pitchPx * n,
  });
  const leftStarts = Array.from({ length: k + 1 }, (_, e) => (e === 0 ? first : along(first, back, e)));
  const rightStarts = Array.from({ length: k + 1 }, (_, e) =>
    e === 0 ? lastMark : along(lastMark, rowDir, e),
  );
  const leftCands = columnCands(leftStarts);
  const rightCands = columnCands(rightStarts);
  // a damaged row's corner may lie deep in the dark area: its column is looked for further along
  const walkFrom = (p: PointPx, inward: PointPx, cands: readonly Candidate[]) =>
    walkColumn(image, p, dir, inward, pitchPx, cands, s, expectedCounts, relaxed ? DAMAGED_MAX_HOLE : 12);
  const leftWalks = leftStarts.map((p) => walkFrom(p, rowDir, leftCands));
  const rightWalks = rightStarts.map((p) => walkFrom(p, back, rightCands));
  let e0 = 0;
  if (relaxed) {
    const placed = pinDamagedRow(leftWalks, rightWalks, k, expectedCounts);
    if (typeof placed === 'string') {
      return unreadable(
        'incomplete-timing-marks',
        `no complete row of ${TIMING_MARK_COLUMNS} timing marks (${near.chain.marks.length} marks spanning ${near.span} columns; ${placed})`,
      );
    }
    e0 = placed;
    const lw = leftWalks[e0] as Walk;
    const rw = rightWalks[k - e0] as Walk;
    const disagree = columnsDisagree(lw, rw, pitchPx, rowDir, s, e0 > 0, k - e0 > 0);
    if (disagree) {
      return unreadable(
        'ambiguous-grid',
        `no complete row of ${TIMING_MARK_COLUMNS} timing marks (${near.chain.marks.length} marks spanning ${near.span} columns) and ${disagree}`,
      );
    }
    warnings.push(
      `timing-mark row spans ${near.span} of ${TIMING_MARK_COLUMNS} columns (a dark area hides the rest): ${k} mark(s) placed from both side columns (${e0} left, ${k - e0} right in the image)`,
    );
  } else if (k > 0) {
    const cut = (p: PointPx) =>
      p.xPx < 0.4 * s.markWidthPx ||
      p.xPx > W - 0.4 * s.markWidthPx ||
      p.yPx < 0.3 * s.markHeightPx ||
      p.yPx > H - 0.3 * s.markHeightPx;
    const support = (w: Walk) => w.found.size - 1;
    let bestScore = -1;
    let ties = 0;
    for (let e = 0; e <= k; e++) {
      const lw = leftWalks[e] as Walk;
      const rw = rightWalks[k - e] as Walk;
      const lOk = support(lw) >= 8 || cut(leftStarts[e] as PointPx);
      const rOk = support(rw) >= 8 || cut(rightStarts[k - e] as PointPx);
      if (!lOk || !rOk) continue;
      const score = support(lw) + support(rw);
      if (score > bestScore) {
        bestScore = score;
        e0 = e;
        ties = 0;
      } else if (score === bestScore) ties++;
    }
    if (bestScore < 8 || ties > 0) {
      return unreadable(
        'incomplete-timing-marks',
        `no complete row of ${TIMING_MARK_COLUMNS} timing marks (${near.chain.marks.length} marks spanning ${near.span} columns; its missing corner(s) could not be placed)`,
      );
    }
    warnings.push(
      `timing-mark row spans ${near.span} of ${TIMING_MARK_COLUMNS} columns: ${k} corner mark(s) inferred (${e0} left, ${k - e0} right in the image)`,
    );
  }
  const walk0 = leftWalks[e0] as Walk;
  const walk1 = rightWalks[k - e0] as Walk;
  const start0Inferred = e0 > 0;
  const start1Inferred = k - e0 > 0;

  // 3. paper size from the number of rows
  const lengths = [walk0.length, walk1.length];
  let rows: number;
  let paper: PaperSize;
  const valid = (n: number): PaperSize | undefined => PAPER_SIZES.find((p) => TIMING_MARK_ROWS[p] === n);
  if (options.paper) {
    paper = options.paper;
    rows = TIMING_MARK_ROWS[paper];
    if (!lengths.some((n) => n === rows)) {
      const other = lengths.map(valid).find((p) => p !== undefined);
      if (other)
        return unreadable(
          'wrong-paper-size',
          `expected ${paper} (${rows} rows) but found ${other} timing marks`,
        );
      return unreadable(
        'ambiguous-grid',
        `side columns of ${lengths.join(' and ')} marks do not end at row ${rows} of ${paper} paper`,
      );
    }
  } else {
    const papers = lengths.map(valid);
    const p0 = papers[0];
    const p1 = papers[1];
    if (p0 && p1 && p0 !== p1)
      return unreadable('ambiguous-grid', `side columns disagree: ${lengths.join(' vs ')} rows`);
    const p = p0 ?? p1;
    if (!p) {
      return unreadable(
        'wrong-paper-size',
        `side columns have ${lengths.join(' and ')} timing marks; expected ${PAPER_SIZES.map((p) => `${TIMING_MARK_ROWS[p]} (${p})`).join(', ')}`,
      );
    }
    paper = p;
    rows = TIMING_MARK_ROWS[p];
  }
  for (const [i, n] of lengths.entries()) {
    if (n > rows) warnings.push(`${i === 0 ? 'first' : 'second'} side column continues past row ${rows}`);
  }
  const keep = (w: Walk) => new Map([...w.found].filter(([i]) => i < rows));
  const f0 = keep(walk0);
  const f1 = keep(walk1);
  // A column is strong when it reaches its far corner with most of its marks; a weak column is
  // completed from the strong one (the row vector is the same on every row of an affine scan).
  const strong = (f: ReadonlyMap<number, PointPx>) => f.has(rows - 1) && f.size >= 0.6 * rows;
  const anyStrong = strong(f0) || strong(f1);
  // a damaged row's corners stand on both side columns: each must reach its far corner
  if (relaxed && !(f0.has(rows - 1) && f1.has(rows - 1))) {
    return unreadable('ambiguous-grid', `far corner timing mark(s) not found`);
  }
  if (strict ? !anyStrong : !f0.has(rows - 1) && !f1.has(rows - 1)) {
    return unreadable('ambiguous-grid', `far corner timing mark(s) not found`);
  }
  const c0 = completeFromOther(f0, f1, rows);
  const c1 = completeFromOther(f1, f0, rows);
  const col0 = c0.points;
  const col1 = c1.points;
  if (c0.borrowed + c1.borrowed > 0) {
    warnings.push(`${c0.borrowed + c1.borrowed} side-column mark(s) placed from the opposite column`);
  }
  const probed = walk0.probed + walk1.probed;
  if (probed > 0) warnings.push(`${probed} side-column mark(s) read from the pixels, not as blobs`);
  // the near row, filled by index
  const nearKnown = new Map<number, PointPx>();
  near.chain.marks.forEach((m, j) => {
    nearKnown.set((near.chain.indices[j] as number) + e0, { xPx: m.xPx, yPx: m.yPx });
  });
  if (start0Inferred) nearKnown.set(0, walk0.found.get(0) as PointPx);
  if (start1Inferred) nearKnown.set(TIMING_MARK_COLUMNS - 1, walk1.found.get(0) as PointPx);
  const nearRow = fillByIndex(nearKnown, TIMING_MARK_COLUMNS);

  // 4. the far row (metadata bits): expected positions between the far corners, spaced like the near row
  const farA = col0[rows - 1] as PointPx;
  const farB = col1[rows - 1] as PointPx;
  const nA = nearRow[0] as PointPx;
  const nB = nearRow[TIMING_MARK_COLUMNS - 1] as PointPx;
  const nLen2 = (nB.xPx - nA.xPx) ** 2 + (nB.yPx - nA.yPx) ** 2;
  const fractions = nearRow.map(
    (p) => ((p.xPx - nA.xPx) * (nB.xPx - nA.xPx) + (p.yPx - nA.yPx) * (nB.yPx - nA.yPx)) / nLen2,
  );
  const farY0 = Math.min(farA.yPx, farB.yPx) - 0.25 * s.dpi;
  const farY1 = Math.max(farA.yPx, farB.yPx) + 0.25 * s.dpi;
  const farCands = markCandidates(
    source({ xPx: 0, yPx: farY0, widthPx: W, heightPx: farY1 - farY0 }),
    image,
    s,
  );
  const farRow: PointPx[] = [];
  const farFound: boolean[] = [];
  const farUnsure = new Set<number>();
  // towards the page interior from the far row
  const inLen = Math.hypot(nA.xPx - farA.xPx, nA.yPx - farA.yPx) || 1;
  const inward: PointPx = { xPx: (nA.xPx - farA.xPx) / inLen, yPx: (nA.yPx - farA.yPx) / inLen };
  const threshold = 128;
  for (let c = 0; c < TIMING_MARK_COLUMNS; c++) {
    const t = fractions[c] as number;
    const e = { xPx: farA.xPx + (farB.xPx - farA.xPx) * t, yPx: farA.yPx + (farB.yPx - farA.yPx) * t };
    const best = nearestMark(farCands, e, s.pitchPx, s);
    if (c === 0 || c === TIMING_MARK_COLUMNS - 1) {
      farRow.push(e);
      farFound.push(true);
    } else if (best) {
      farRow.push({ xPx: best.xPx, yPx: best.yPx });
      farFound.push(true);
    } else {
      const ink = darkFraction(image, e.xPx, e.yPx, s.markWidthPx * 0.35, s.markHeightPx * 0.3, threshold);
      farRow.push(e);
      // a dark box is a mark merged with something, unless the paper shows through it as it does around
      // it (dithered speckle of a dark area on a black-and-white scan): then it is a gap
      const seen = ink > 0.75 ? solidOrSpeckle(image, e, inward, s, threshold) : 'paper';
      farFound.push(seen !== 'paper');
      if (seen === 'unknown') farUnsure.add(c);
      if (ink > 0.75 && seen === 'paper')
        warnings.push(
          `far-row mark ${c}: dark (${ink.toFixed(2)}) but speckled like the paper around it, read as a gap`,
        );
      else if (seen === 'solid')
        warnings.push(`far-row mark ${c} read from ink (${ink.toFixed(2)}), not as a blob`);
      else if (seen === 'unknown')
        warnings.push(
          `far-row mark ${c} read from ink (${ink.toFixed(2)}) but unsure: a dark area where the paper looks as dark as a mark`,
        );
    }
  }

  // 5. assemble an image-oriented grid (top = image top), then orient it
  const rev = <T>(a: readonly T[]) => [...a].reverse();
  const nearFound = Array.from(
    { length: TIMING_MARK_COLUMNS },
    (_, c) =>
      nearKnown.has(c) &&
      !rescued?.inferred.has(c) &&
      !(c === 0 && start0Inferred) &&
      !(c === TIMING_MARK_COLUMNS - 1 && start1Inferred),
  );
  const found0 = Array.from({ length: rows }, (_, r) => f0.has(r) && !(r === 0 && start0Inferred));
  const found1 = Array.from({ length: rows }, (_, r) => f1.has(r) && !(r === 0 && start1Inferred));
  const imageGrid: ImageGrid = nearIsTop
    ? {
        top: nearRow,
        bottom: farRow,
        left: col0,
        right: col1,
        topFound: nearFound,
        bottomFound: farFound,
        leftFound: found0,
        rightFound: found1,
      }
    : {
        top: farRow,
        bottom: nearRow,
        left: rev(col0),
        right: rev(col1),
        topFound: farFound,
        bottomFound: nearFound,
        leftFound: rev(found0),
        rightFound: rev(found1),
      };
  let rotated180 = !nearIsTop;
  if (cue === 'qr-code-corner') {
    const g = toPageGrid(imageGrid, false, rows);
    const bottomLeft = gridInk(image, g, [1, 5], [rows - 6, rows - 2], threshold);
    const topRight = gridInk(image, g, [TIMING_MARK_COLUMNS - 6, TIMING_MARK_COLUMNS - 2], [1, 5], threshold);
    if (Math.abs(bottomLeft - topRight) >= 0.08) {
      rotated180 = topRight > bottomLeft;
    } else {
      rotated180 = false;
      cue = 'assumed-upright';
      warnings.push(
        `both horizontal rows are complete and no QR-code corner was found (ink ${bottomLeft.toFixed(2)} vs ${topRight.toFixed(2)}): assumed upright`,
      );
    }
  }
  const grid = toPageGrid(imageGrid, rotated180, rows);
  const pageTopFound = rotated180 ? rev(imageGrid.bottomFound) : imageGrid.topFound;
  const pageBottomFound = rotated180 ? rev(imageGrid.topFound) : imageGrid.bottomFound;
  // the far row is the page's bottom row unless the QR-code corner turned the page the other way
  const farIsPageBottom = nearIsTop !== rotated180;
  const bottomRowUnsure = farIsPageBottom
    ? [...farUnsure].map((c) => (rotated180 ? TIMING_MARK_COLUMNS - 1 - c : c)).sort((a, b) => a - b)
    : [];
  const pageLeftFound = rotated180 ? rev(imageGrid.rightFound) : imageGrid.leftFound;
  const pageRightFound = rotated180 ? rev(imageGrid.leftFound) : imageGrid.rightFound;
  const count = (a: readonly boolean[]) => a.filter(Boolean).length;
  const bit = (b: boolean): 0 | 1 => (b ? 1 : 0);
  const marksFound = {
    top: count(pageTopFound),
    bottom: count(pageBottomFound),
    left: count(pageLeftFound),
    right: count(pageRightFound),
  };
  const nearFoundCount = count(nearFound);
  const marksInferred =
    TIMING_MARK_COLUMNS - nearFoundCount + (rows - count(found0)) + (rows - count(found1));
  if (marksInferred > 0) warnings.push(`${marksInferred} missing timing mark(s) inferred`);
  const span = Math.hypot(nB.xPx - nA.xPx, nB.yPx - nA.yPx);
  return {
    type: 'ok',
    paper,
    columns: TIMING_MARK_COLUMNS,
    rows,
    rotated180,
    orientationCue: cue,
    dpiEstimate: Math.round(((4 * span) / (TIMING_MARK_COLUMNS - 1)) * 10) / 10,
    grid,
    bottomRowBits: pageBottomFound.map(bit),
    bottomRowUnsure,
    topRowBits: pageTopFound.map(bit),
    marksFound,
    marksInferred,
    warnings,
  };
}

/** A pixel darker than this counts as dark for the dark-area measures below. */
const DARK_PX = 128;
/** A cell is under a dark area when at least this share of its pixels is dark (marks alone are far less). */
const DARK_CELL = 0.7;
/** An edge is said to be under a dark area (and the damaged-border fallback is tried) from this share. */
const DARK_EDGE = 0.15;
/** The damaged-border fallback refuses a page whose grid interior is dark over at least this share. */
const MAX_DARK_INTERIOR = 0.2;

/**
 * How much of each image edge lies under a dark area (a shadow, or its dithered speckle on a
 * black-and-white scan): the edge strip, 0.6 in deep, is cut into cells 1/4 in long, and a cell is dark
 * when 70 % of its pixels are. Timing marks and a scanner border up to 0.3 in wide stay below that.
 */
function darkEdges(image: GrayImage, dpi: number): Record<'top' | 'bottom' | 'left' | 'right', number> {
  const W = image.widthPx;
  const H = image.heightPx;
  const depth = Math.min(Math.round(0.6 * dpi), Math.floor(Math.min(W, H) / 2));
  const cell = Math.max(4, Math.round(dpi / 4));
  const step = Math.max(1, Math.round(dpi / 100));
  const share = (x0: number, y0: number, x1: number, y1: number) => {
    let dark = 0;
    let total = 0;
    for (let y = y0; y < y1; y += step) {
      for (let x = x0; x < x1; x += step) {
        total++;
        if ((image.data[y * W + x] as number) < DARK_PX) dark++;
      }
    }
    return total ? dark / total : 0;
  };
  const along = (length: number, cellShare: (from: number, to: number) => number) => {
    let dark = 0;
    let cells = 0;
    for (let from = 0; from < length; from += cell) {
      cells++;
      if (cellShare(from, Math.min(length, from + cell)) >= DARK_CELL) dark++;
    }
    return cells ? dark / cells : 0;
  };
  return {
    top: along(W, (a, b) => share(a, 0, b, depth)),
    bottom: along(W, (a, b) => share(a, H - depth, b, H)),
    left: along(H, (a, b) => share(0, a, depth, b)),
    right: along(H, (a, b) => share(W - depth, a, W, b)),
  };
}

/** Share of the grid's interior (columns 1–32, rows 1 to rows − 2) under a dark area, by grid cell. */
function darkInterior(image: GrayImage, grid: FittedGrid): number {
  let dark = 0;
  let cells = 0;
  for (let row = 1; row < grid.rows - 1; row++) {
    for (let column = 1; column < grid.columns - 1; column++) {
      let d = 0;
      let n = 0;
      for (let a = -0.4; a < 0.5; a += 0.2) {
        for (let b = -0.4; b < 0.5; b += 0.2) {
          const p = gridToPixel(grid, { column: column + a, row: row + b });
          const x = Math.round(p.xPx);
          const y = Math.round(p.yPx);
          if (x < 0 || y < 0 || x >= image.widthPx || y >= image.heightPx) continue;
          n++;
          if ((image.data[y * image.widthPx + x] as number) < DARK_PX) d++;
        }
      }
      cells++;
      if (n > 0 && d / n >= DARK_CELL) dark++;
    }
  }
  return cells ? dark / cells : 0;
}

/** "a dark area covers 60 % of the top edge and 35 % of the left edge" (edges of 15 % or more), or ''. */
function describeDarkEdges(edges: Record<string, number>): string {
  const parts = Object.entries(edges)
    .filter(([, share]) => share >= DARK_EDGE)
    .sort((a, b) => b[1] - a[1])
    .map(([edge, share]) => `${Math.round(share * 100)} % of the ${edge} edge`);
  if (parts.length === 0) return '';
  const last = parts.pop() as string;
  return `a dark area covers ${parts.length ? `${parts.join(', ')} and ${last}` : last}`;
}

function blobCentreIn(b: Blob, r: RectPx): boolean {
  return (
    b.centerXPx >= r.xPx &&
    b.centerXPx < r.xPx + r.widthPx &&
    b.centerYPx >= r.yPx &&
    b.centerYPx < r.yPx + r.heightPx
  );
}

function validateImage(image: GrayImage): string | undefined {
  if (!image || typeof image !== 'object') return 'Expected a GrayImage object';
  const { widthPx, heightPx, data } = image;
  if (!Number.isInteger(widthPx) || widthPx < 200) {
    return `Expected integer of at least 200 for image.widthPx but received ${String(widthPx)}`;
  }
  if (!Number.isInteger(heightPx) || heightPx < 200) {
    return `Expected integer of at least 200 for image.heightPx but received ${String(heightPx)}`;
  }
  if (!(data instanceof Uint8Array) || data.length !== widthPx * heightPx) {
    return `Expected image.data of length ${widthPx * heightPx} but received ${data?.length}`;
  }
  return undefined;
}

/**
 * The same registration with the page taken the other way up: the grid turned through 180° (its rows
 * and columns reversed), the rows' bits swapped. For a page whose orientation cue was weak and whose
 * metadata says otherwise (a VotingWorks QR code found at the opposite corner).
 */
export function turnedAround(reg: RegisterOk): RegisterOk {
  const rev = <T>(a: readonly T[]) => [...a].reverse();
  const g = reg.grid;
  return {
    ...reg,
    rotated180: !reg.rotated180,
    grid: { ...g, top: rev(g.bottom), bottom: rev(g.top), left: rev(g.right), right: rev(g.left) },
    bottomRowBits: rev(reg.topRowBits),
    topRowBits: rev(reg.bottomRowBits),
    // unsure bits belong to the row that was the far one, now the top: none are left in the bottom row
    bottomRowUnsure: [],
    marksFound: {
      top: reg.marksFound.bottom,
      bottom: reg.marksFound.top,
      left: reg.marksFound.right,
      right: reg.marksFound.left,
    },
    warnings: [
      ...reg.warnings,
      'turned around: the page is the other way up from what its timing marks said',
    ],
  };
}

/**
 * Find the timing-mark grid of a page. Never throws for bad input: every failure is an
 * `unreadable` result with a reason. Works in the original image coordinates (no rotation/warp).
 */
export function registerPage(image: GrayImage, options: RegisterOptions = {}): RegisterResult {
  const invalid = validateImage(image);
  if (invalid) return unreadable('invalid-image', invalid);
  if (
    options.dpi !== undefined &&
    !(Number.isFinite(options.dpi) && options.dpi >= 50 && options.dpi <= 1200)
  ) {
    return unreadable(
      'invalid-image',
      `Expected number between 50 and 1200 for options.dpi but received ${options.dpi}`,
    );
  }
  const blobOptions = { threshold: 'otsu' as const, minAreaPx: 6 };
  try {
    // fast path: label only the border strips the geometry asks for
    const labelled: { rect: RectPx; blobs: Blob[] }[] = [];
    const strips: BlobSource = (rect) => {
      const r = clipRect(image, rect);
      if (!r) return [];
      // reuse a strip already labelled when it contains the requested rectangle
      for (const l of labelled) {
        if (
          l.rect.xPx <= r.xPx &&
          l.rect.yPx <= r.yPx &&
          l.rect.xPx + l.rect.widthPx >= r.xPx + r.widthPx &&
          l.rect.yPx + l.rect.heightPx >= r.yPx + r.heightPx
        ) {
          return l.blobs.filter((b) => blobCentreIn(b, r));
        }
      }
      const blobs = findDarkBlobsSimd(image, r, blobOptions).blobs;
      labelled.push({ rect: r, blobs });
      return blobs;
    };
    const fast = attempt(image, options, strips, 1.0, true);
    if (fast.type === 'ok' || fast.reason === 'wrong-paper-size') return fast;
    // slow paths: label the whole page once and search deeper strips (big margins, strong skew);
    // then again after a light opening that removes thin streaks and speckle merging into marks
    // (the opening is OpenCV's; without it our kernel gives the same blobs as OpenCV, faster)
    const dpi0 = options.dpi ?? image.widthPx / PAPER_WIDTH_IN;
    const wholeRect = { xPx: 0, yPx: 0, widthPx: image.widthPx, heightPx: image.heightPx };
    let plain: Blob[] = [];
    // No usable row at all (the top row cut off by the image edge, or missing many marks): the side
    // columns found on their own give the corners and the top row is rebuilt between them. Where the
    // image edge cut a row off, this is tried on the plain labelling, before the costly openings (a
    // scanner that always crops the top row sends every page this way); where only a fuller row could
    // tell the top, it is tried last, after the openings had their chance to find a real row. A grid
    // whose interior is largely dark is refused, as on the damaged-border path.
    let darkColumns = '';
    const viaColumns = (blobs: readonly Blob[], top: PageTopEvidence): RegisterOk | undefined => {
      if (fast.reason !== 'no-timing-marks' && fast.reason !== 'incomplete-timing-marks') return undefined;
      const source: BlobSource = (rect) => blobs.filter((b) => blobCentreIn(b, rect));
      const columns = attempt(image, options, source, 2.0, false, false, top);
      if (columns.type !== 'ok') return undefined;
      const interior = darkInterior(image, columns.grid);
      if (interior >= MAX_DARK_INTERIOR) {
        darkColumns = `${Math.round(interior * 100)} % of the page inside the timing marks is dark`;
        return undefined;
      }
      return {
        ...columns,
        warnings: [...columns.warnings, `fast path failed (${fast.reason}): used the side columns`],
      };
    };
    for (const openKernel of [undefined, { widthPx: dpi0 / 20, heightPx: dpi0 / 40 }]) {
      const all = openKernel
        ? findDarkBlobs(image, wholeRect, { ...blobOptions, openKernel }).blobs
        : findDarkBlobsSimd(image, wholeRect, blobOptions).blobs;
      if (!openKernel) plain = all;
      const whole: BlobSource = (rect) => all.filter((b) => blobCentreIn(b, rect));
      const slow = attempt(image, options, whole, 2.0, false);
      if (slow.type === 'ok') {
        const how = openKernel ? 'whole-page search after opening' : 'whole-page search';
        return { ...slow, warnings: [...slow.warnings, `fast path failed (${fast.reason}): used ${how}`] };
      }
      if (!openKernel) {
        const columns = viaColumns(plain, 'cut-row-only');
        if (columns) return columns;
      }
    }
    // last, only where a dark area lies along the border (a shadow; on a black-and-white scan, dense
    // dithered speckle that merges with the marks): an opening about half a mark wide removes the
    // speckle and keeps the marks, and a row with a hidden end is placed only where both side columns
    // confirm it. The blobs of the plain labelling stay too (marks cut by the image edge are narrower).
    const edges = darkEdges(image, dpi0);
    let darkPage = '';
    if (Math.max(edges.top, edges.bottom, edges.left, edges.right) >= DARK_EDGE) {
      const markOpen = { widthPx: (0.6 * 3 * dpi0) / 16, heightPx: (0.6 * dpi0) / 16 };
      const opened = [
        ...plain,
        ...findDarkBlobs(image, wholeRect, { ...blobOptions, openKernel: markOpen }).blobs,
      ];
      const dark: BlobSource = (rect) => opened.filter((b) => blobCentreIn(b, rect));
      const damaged = attempt(image, options, dark, 2.0, false, true);
      // …as long as the dark area stays at the border: over a fifth of the page, targets are lost under it
      if (damaged.type === 'ok') {
        const interior = darkInterior(image, damaged.grid);
        if (interior < MAX_DARK_INTERIOR) {
          return {
            ...damaged,
            warnings: [
              ...damaged.warnings,
              `fast path failed (${fast.reason}): used the search for a damaged border`,
            ],
          };
        }
        darkPage = `${Math.round(interior * 100)} % of the page inside the timing marks is dark`;
      }
    }
    // last resort: the side columns again, where the clearly fuller row may now tell the page top
    const columns = viaColumns(plain, 'cut-or-fuller-row');
    if (columns) return columns;
    // what a person sees: a dark area along the edges (and over the page)
    if (
      fast.reason === 'no-timing-marks' ||
      fast.reason === 'incomplete-timing-marks' ||
      fast.reason === 'ambiguous-grid'
    ) {
      const seen = [describeDarkEdges(edges), darkPage || darkColumns].filter((t) => t !== '').join('; ');
      if (seen) return { ...fast, detail: `${fast.detail}; ${seen}` };
    }
    return fast;
  } catch (error) {
    return unreadable('cv-error', error instanceof Error ? error.message : String(error));
  }
}
