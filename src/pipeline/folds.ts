/**
 * Lines across the whole page, taken out of an oval's window before it is scored: the crease of a ballot
 * folded for the mail, or a line a scanner drew across the image. Like a scanner streak, such a line dims
 * the light along it by a factor, so ink under it stays visible, only darker. It is found where rows of
 * the window are darker than paper on both sides of the oval, beyond its outline, and stay so across the
 * whole page, along the page's skew (a crease is a line on the paper) or along the image's rows (a line
 * of the scanner); each of its rows is brightened back by the light it let through, measured beside the
 * oval. A voter's stroke through the row ends within the page, and is left as it is (the oval is then
 * also read without the rows it crosses, see `fillWithoutLines01`). A line too dark to see through is
 * left as it is too. Pure: plain pixel arrays in, the window mended in place.
 */
import type { GrayImage } from '../image.ts';

/** A row of the window at least this much darker than paper (and by 6 levels) on both sides of the oval… */
const LINE_DARK = 0.04;
/** …in this share of its samples there, may be a line across the page… */
const LINE_SHARE = 0.85;
/** …when, across the whole page, it is darker than the paper above and below it in this share of the places
 *  where that paper is clear (a crease fades here and there). */
const PAGE_SHARE = 0.8;
/** A dark band taller than this, in grid rows (0.05 in), is not a crease. */
const LINE_MAX_ROWS = 0.2;
/** A line letting through less light than this is too dark to see through, and is left as it is. */
const LINE_OPAQUE = 0.35;
/** How far above and below a line's rows the paper it is compared with is taken, in pixels. */
const REF_GAP_PX = 3;

/**
 * A line across the page in a window: its rows `from`..`to` (window rows at the window's centre column),
 * its slope (rows per column), and how much light each row from `from - 1` to `to + 1` lets through.
 */
export interface PageLine {
  readonly from: number;
  readonly to: number;
  readonly slope: number;
  readonly gains: Float32Array;
}

/** Where an oval may be in its window, and the page round it. */
export interface LineSearch {
  /** the window's top-left pixel in the image */
  readonly x0: number;
  readonly y0: number;
  readonly paper: number;
  /** the oval's farthest reach from the window's centre, across and down, in pixels (search included) */
  readonly reachXPx: number;
  readonly reachYPx: number;
  /** the page's skew, as rows per column */
  readonly pageSlope: number;
  /** pixels per grid row (for the tallest crease) */
  readonly pxPerRow: number;
}

/** Lines across the whole page through the rows an oval may occupy in its window. */
export function pageLinesIn(win: GrayImage, image: GrayImage, o: LineSearch): PageLine[] {
  const { widthPx: w, heightPx: h } = win;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const inner = Math.ceil(o.reachXPx) + 2;
  if (cx - inner < 4 || cx + inner > w - 5) return [];
  // the samples beside the oval, both sides, each moved off the centre row by the page's skew
  const beside: Beside = {
    cx,
    slope: o.pageSlope,
    leftTo: Math.floor(cx - inner),
    rightFrom: Math.ceil(cx + inner),
    cut: o.paper - Math.max(6, o.paper * LINE_DARK),
  };
  const maxDy = Math.ceil(Math.abs(o.pageSlope) * cx) + 1;
  const lo = Math.max(REF_GAP_PX + 3 + maxDy, Math.round(cy - o.reachYPx));
  const hi = Math.min(h - REF_GAP_PX - 4 - maxDy, Math.round(cy + o.reachYPx));
  const lines: PageLine[] = [];
  let start = -1;
  for (let y = lo; y <= hi + 1; y++) {
    const dark = y <= hi && darkBesideOval(win, y, beside);
    if (dark && start < 0) start = y;
    else if (!dark && start >= 0) {
      if (y - start <= LINE_MAX_ROWS * o.pxPerRow) {
        const line = acrossPage(win, image, start, y - 1, o);
        if (line) lines.push(line);
      }
      start = -1;
    }
  }
  return lines;
}

/** Where beside an oval a row is looked at (see `darkBesideOval`), window columns. */
interface Beside {
  readonly cx: number;
  readonly slope: number;
  /** the samples are columns 1..leftTo and rightFrom..width - 2 */
  readonly leftTo: number;
  readonly rightFrom: number;
  readonly cut: number;
}

/**
 * Whether window row `y` (at the centre column, along the page's skew) is dark on both sides of the oval,
 * in LINE_SHARE of the samples on each.
 */
function darkBesideOval(win: GrayImage, y: number, s: Beside): boolean {
  return darkIn(win, y, s, 1, s.leftTo) && darkIn(win, y, s, s.rightFrom, win.widthPx - 2);
}

/** Whether columns `from`..`to` of row `y` are dark in LINE_SHARE of them (it stops once they cannot be). */
function darkIn(win: GrayImage, y: number, s: Beside, from: number, to: number): boolean {
  const { data, widthPx: w } = win;
  const allowed = Math.floor((1 - LINE_SHARE) * (to - from + 1));
  let light = 0;
  for (let x = from; x <= to; x++)
    if ((data[(y + Math.round((x - s.cx) * s.slope)) * w + x] as number) > s.cut && ++light > allowed)
      return false;
  return true;
}

/**
 * The line of window rows `from`..`to` if it runs across the whole image, along the page's skew or along
 * the image's rows, with the light each of its rows lets through beside the oval; undefined otherwise, or
 * where it is too dark to see through.
 */
function acrossPage(
  win: GrayImage,
  image: GrayImage,
  from: number,
  to: number,
  o: LineSearch,
): PageLine | undefined {
  const slopes = Math.abs(o.pageSlope) < 1e-4 ? [0] : [o.pageSlope, 0];
  for (const slope of slopes) {
    if (!runsAcross(win, image, o, from, to, slope)) continue;
    const gains = gainsBeside(win, from, to, slope, o.paper);
    if (!gains) return undefined;
    for (const g of gains) if (g < LINE_OPAQUE) return undefined;
    return { from, to, slope, gains };
  }
  return undefined;
}

/**
 * Whether the window rows `from`..`to` go on across the whole image at this slope, darker than the paper
 * REF_GAP_PX above and below them in PAGE_SHARE of the places (every third column) where that paper is
 * clear and even.
 */
function runsAcross(
  win: GrayImage,
  image: GrayImage,
  o: LineSearch,
  from: number,
  to: number,
  slope: number,
): boolean {
  const { data, widthPx: W, heightPx: H } = image;
  const xc = o.x0 + (win.widthPx - 1) / 2;
  const top = o.y0 + from;
  const bottom = o.y0 + to;
  let places = 0;
  let clear = 0;
  let darker = 0;
  for (let x = 2; x < W - 2; x += 3, places++) {
    const dy = Math.round((x - xc) * slope);
    const above = top - 1 - REF_GAP_PX + dy;
    const below = bottom + 1 + REF_GAP_PX + dy;
    if (above < 1 || below >= H - 1) continue;
    const a = ((data[above * W + x] as number) + (data[(above - 1) * W + x] as number)) / 2;
    const b = ((data[below * W + x] as number) + (data[(below + 1) * W + x] as number)) / 2;
    const ref = Math.min(a, b);
    if (ref < o.paper / 2 || Math.abs(a - b) > 0.1 * ref) continue;
    clear++;
    let sum = 0;
    for (let y = top + dy; y <= bottom + dy; y++) sum += data[y * W + x] as number;
    if (sum / (bottom - top + 1) <= ref - Math.max(5, LINE_DARK * ref)) darker++;
  }
  return clear >= places / 4 && darker >= PAGE_SHARE * clear;
}

/**
 * How much light each window row from `from - 1` to `to + 1` of a line lets through: the median, over the
 * window's columns where the paper above and below the line is clear and even, of its pixel's ratio to
 * that paper. Undefined where too few columns are clear.
 */
function gainsBeside(
  win: GrayImage,
  from: number,
  to: number,
  slope: number,
  paper: number,
): Float32Array | undefined {
  const { data, widthPx: w, heightPx: h } = win;
  const cx = (w - 1) / 2;
  const rows = to - from + 3;
  const ratios: number[][] = Array.from({ length: rows }, () => []);
  for (let x = 0; x < w; x++) {
    const dy = Math.round((x - cx) * slope);
    const above = from - 1 - REF_GAP_PX + dy;
    const below = to + 1 + REF_GAP_PX + dy;
    if (above < 0 || below >= h) continue;
    const a = data[above * w + x] as number;
    const b = data[below * w + x] as number;
    const ref = Math.min(a, b);
    if (ref < paper / 2 || Math.abs(a - b) > 0.1 * ref) continue;
    for (let k = 0; k < rows; k++)
      (ratios[k] as number[]).push((data[(from - 1 + k + dy) * w + x] as number) / ref);
  }
  const gains = new Float32Array(rows);
  for (let k = 0; k < rows; k++) {
    const r = (ratios[k] as number[]).sort((p, q) => p - q);
    if (r.length < w / 4) return undefined;
    gains[k] = Math.min(1, r[r.length >> 1] as number);
  }
  return gains;
}

/** A line taken out of the window: each of its rows brightened back by the light it let through. */
export function mendLine(win: GrayImage, line: PageLine): void {
  const { data, widthPx: w, heightPx: h } = win;
  const cx = (w - 1) / 2;
  for (let x = 0; x < w; x++) {
    const dy = Math.round((x - cx) * line.slope);
    for (let k = 0; k < line.gains.length; k++) {
      const g = line.gains[k] as number;
      const y = line.from - 1 + k + dy;
      if (g >= 0.97 || y < 0 || y >= h) continue;
      data[y * w + x] = Math.min(255, Math.round((data[y * w + x] as number) / g));
    }
  }
}

/**
 * Whether one of the lines taken out runs through an oval centred at window point (`cx`, `cy`), of a window
 * `widthPx` wide.
 */
export function crossesOval(
  lines: readonly PageLine[],
  widthPx: number,
  cx: number,
  cy: number,
  halfHeightPx: number,
): boolean {
  return lines.some(
    (l) => Math.abs((l.from + l.to) / 2 + (cx - (widthPx - 1) / 2) * l.slope - cy) <= halfHeightPx,
  );
}
