/**
 * The write-in stage of scoring: how much handwriting a write-in area holds, with the printing in it (its
 * line, a rule, another target's oval) left out. Pure: a page image and an area in, a share out.
 */
import type { GrayImage, PointPx } from '../image.ts';
import { darknessLut, paperLevel, type TargetScore } from './score.ts';

/** Where an oval was read on the page. */
export type OvalPx = Pick<TargetScore, 'centre' | 'halfWidthPx' | 'halfHeightPx'>;

/** A rectangle of the page in pixels, possibly rotated about its own corner by the page angle. */
export interface AreaPx {
  readonly corner: PointPx;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly angleRad: number;
  /** Pixels per inch along the area, for the length of a printed line */
  readonly pxPerInch: number;
  /** Other targets' ovals that reach into the area (page pixels): their ink is not the area's. */
  readonly skip?: readonly OvalPx[];
}

/** Darkness from which a pixel of a write-in area is ink: a light pen's thin strokes reach only ~0.4–0.6. */
const WRITE_IN_INK_CUTOFF = 0.35;
/** How far round another target's oval (× its half-axes, + 2 px) its ink is left out of a write-in area. */
const WRITE_IN_SKIP_OVAL = 1.6;
/** A printed line in a write-in area is at least this long (in). */
const WRITE_IN_LINE_MIN_IN = 0.1;

/**
 * Handwriting in a write-in area: the share of its pixels that are ink (darkness ≥ 0.35) once the printing
 * is taken out, so that a short name in a light pen stands clear of an empty area:
 * - another target's oval that reaches into the area (the column to the left's, or a page stretched by the
 *   feed) is left out, with its ink;
 * - a printed vertical rule or a scanner streak (two neighbouring sampled columns dark in 90 % of the rows
 *   outside other targets' ovals) is left out;
 * - a printed line is left out: a long thin horizontal run (0.1 in or more, gaps of one sample bridged,
 *   stepping between two sampled rows when the page is skewed, running on through a rule it meets) whose
 *   rows two above and two below are mostly light; a bold pen's strokes are not thin, and stay.
 * Measured on 3,000 generated sheets and the VotingWorks New Hampshire scans: empty areas at most 0.013,
 * names 0.028 or more (calibration/README.md).
 */
export function scoreWriteInArea(image: GrayImage, area: AreaPx): number {
  const step = 2;
  const rows = Math.ceil(area.heightPx / step);
  const cols = Math.ceil(area.widthPx / step);
  if (rows === 0 || cols === 0) return 0;
  const { dark, skipped } = writeInInkMap(image, area, step, rows, cols);
  const rule = printedRuleColumns(dark, skipped, rows, cols);
  const line = printedLines(
    dark,
    rule,
    rows,
    cols,
    Math.max(4, Math.round((WRITE_IN_LINE_MIN_IN * area.pxPerInch) / step)),
  );
  let ink = 0;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) if (!rule[c] && !line[r * cols + c]) ink += dark[r * cols + c] as number;
  return ink / (rows * cols);
}

/**
 * The area sampled every other pixel both ways (a handwritten stroke, ≥ 2 px at 150 dpi, is still hit, in a
 * quarter of the time): `dark` 1 where the pixel is ink, 0 elsewhere and inside other targets' ovals, which
 * `skipped` marks.
 */
function writeInInkMap(
  image: GrayImage,
  area: AreaPx,
  step: number,
  rows: number,
  cols: number,
): { dark: Uint8Array; skipped: Uint8Array } {
  const cosT = Math.cos(area.angleRad);
  const sinT = Math.sin(area.angleRad);
  const cx = area.corner.xPx + (area.widthPx / 2) * cosT - (area.heightPx / 2) * sinT;
  const cy = area.corner.yPx + (area.widthPx / 2) * sinT + (area.heightPx / 2) * cosT;
  const paper = paperLevel(image, cx, cy, area.widthPx / 2, area.heightPx, 4);
  const lut = darknessLut(paper);
  const { data, widthPx: W, heightPx: H } = image;
  const skipped = new Uint8Array(rows * cols);
  for (const o of area.skip ?? []) {
    const dx = o.centre.xPx - area.corner.xPx;
    const dy = o.centre.yPx - area.corner.yPx;
    const uc = (dx * cosT + dy * sinT) / step;
    const vc = (-dx * sinT + dy * cosT) / step;
    const hu = (o.halfWidthPx * WRITE_IN_SKIP_OVAL + 2) / step;
    const hv = (o.halfHeightPx * WRITE_IN_SKIP_OVAL + 2) / step;
    for (let r = Math.max(0, Math.ceil(vc - hv)); r <= Math.min(rows - 1, Math.floor(vc + hv)); r++)
      for (let c = Math.max(0, Math.ceil(uc - hu)); c <= Math.min(cols - 1, Math.floor(uc + hu)); c++)
        skipped[r * cols + c] = 1;
  }
  const dark = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const v = r * step;
    let x = area.corner.xPx - v * sinT;
    let y = area.corner.yPx + v * cosT;
    for (let c = 0; c < cols; c++, x += step * cosT, y += step * sinT) {
      const xi = Math.floor(x + 0.5);
      const yi = Math.floor(y + 0.5);
      if (xi < 0 || yi < 0 || xi >= W || yi >= H || skipped[r * cols + c]) continue;
      if ((lut[data[yi * W + xi] as number] as number) >= WRITE_IN_INK_CUTOFF) dark[r * cols + c] = 1;
    }
  }
  return { dark, skipped };
}

/**
 * Sampled columns of a printed vertical rule or a scanner streak (and one either side): two neighbours dark
 * in 90 % of the rows that are not inside another target's oval (a streak runs on through the oval whose
 * write-in area this is).
 */
function printedRuleColumns(dark: Uint8Array, skipped: Uint8Array, rows: number, cols: number): Uint8Array {
  const rule = new Uint8Array(cols);
  for (let c = 0; c + 1 < cols; c++) {
    let cover = 0;
    let seen = 0;
    for (let r = 0; r < rows; r++) {
      if (skipped[r * cols + c] && skipped[r * cols + c + 1]) continue;
      seen++;
      if (dark[r * cols + c] || dark[r * cols + c + 1]) cover++;
    }
    if (seen >= Math.max(4, rows / 4) && cover >= 0.9 * seen)
      for (let k = Math.max(0, c - 1); k <= Math.min(cols - 1, c + 2); k++) rule[k] = 1;
  }
  return rule;
}

/** The ink of printed lines: long thin horizontal runs (see scoreWriteInArea), 1 where a pixel is theirs. */
function printedLines(
  dark: Uint8Array,
  rule: Uint8Array,
  rows: number,
  cols: number,
  minRun: number,
): Uint8Array {
  const line = new Uint8Array(rows * cols);
  // a line may step between two sampled rows: runs are followed in rows r and r + 1 together
  const on = new Uint8Array(cols + 2);
  for (let r = 0; r < rows; r++) {
    const here = r * cols;
    const next = r + 1 < rows ? here + cols : -1;
    for (let c = 0; c < cols; c++)
      on[c] = rule[c] === 1 || dark[here + c] === 1 || (next >= 0 && dark[next + c] === 1) ? 1 : 0;
    let c = 0;
    while (c < cols) {
      if (!on[c]) {
        c++;
        continue;
      }
      let end = c;
      while (on[end + 1] || on[end + 2]) end++;
      const length = end - c + 1;
      if (length >= minRun) {
        let beside = 0;
        const above = r >= 2 ? (r - 2) * cols : -1;
        const below = r + 3 < rows ? (r + 3) * cols : -1;
        for (let k = c; k <= end; k++)
          if (!rule[k] && ((above >= 0 && dark[above + k]) || (below >= 0 && dark[below + k]))) beside++;
        if (beside <= 0.3 * length)
          for (let q = Math.max(0, r - 1); q <= Math.min(rows - 1, r + 2); q++)
            for (let k = c; k <= end; k++) if (dark[q * cols + k]) line[q * cols + k] = 1;
      }
      c = end + 1;
    }
  }
  return line;
}
