/**
 * Scanner streaks, taken out of an oval's window before it is scored. Dirt on the scanner's glass or a weak
 * sensor element draws a line down the whole page along the feed (image vertical, whatever the page's
 * skew), dimming the light by a factor: ink under it stays visible, only darker. So a streak is found where
 * a column of the window is darker than paper in nearly every row and stays so down the whole page, and
 * taken out by brightening each of its columns back by the light it let through; only where it let through
 * too little to see anything are its columns redrawn from either side, and the oval reports how much of
 * its width that hid. Pure: plain pixel arrays in, the window mended in place.
 */
import type { GrayImage } from '../image.ts';

/** A column of a window at least this much darker than paper (and by 6 levels) may be a streak… */
const STREAK_DARK = 0.04;
/** …when this share of the window's rows (every STREAK_ROW_STEP-th) are. */
const STREAK_SHARE = 0.85;
const STREAK_ROW_STEP = 4;
/** A dark band wider than this, in grid columns (0.1 in), is not a streak of the scanner. */
export const STREAK_MAX_COLUMNS = 0.4;
/** Down the page, the share of the rows with clear paper either side in which a streak is darker. */
const STREAK_PAGE_SHARE = 0.9;
/** A streak column passing less light than this is opaque: nothing under it can be seen. */
const STREAK_OPAQUE = 0.35;

/**
 * Window columns `from`..`to` (inclusive) where a streak runs, and how much light each column from
 * `from - 1` to `to + 1` (its soft edges) lets through: its pixels' share of the paper either side of it,
 * down the page (1 where it is not darker).
 */
export interface StreakRun {
  readonly from: number;
  readonly to: number;
  readonly gains: Float32Array;
}

/**
 * Scanner streaks through an oval's window: runs of columns within `reachPx` of the window's centre that
 * are darker than paper in nearly every row of the window, and go on so down the whole page (`gainsDownPage`).
 * A streak is a line along the feed direction (image vertical, whatever the page's skew), as long as the
 * page, evenly dark; a voter's stroke stays near its oval and a printed rule ends with its contest.
 * `x0` is the image column of the window's first.
 */
export function streakRuns(
  win: GrayImage,
  image: GrayImage,
  x0: number,
  paper: number,
  o: { reachPx: number; maxWidthPx: number },
): StreakRun[] {
  const { data, widthPx: w, heightPx: h } = win;
  const cut = paper - Math.max(6, paper * STREAK_DARK);
  const centre = (w - 1) / 2;
  const lo = Math.max(1, Math.round(centre - o.reachPx));
  const hi = Math.min(w - 2, Math.round(centre + o.reachPx));
  const allowedLight = Math.floor((1 - STREAK_SHARE) * Math.ceil(h / STREAK_ROW_STEP));
  const runs: StreakRun[] = [];
  let start = -1;
  for (let x = lo; x <= hi + 1; x++) {
    let dark = false;
    if (x <= hi) {
      // stop at the first light sample more than a streak's column can hold
      let light = 0;
      dark = true;
      for (let y = 0; y < h; y += STREAK_ROW_STEP)
        if ((data[y * w + x] as number) > cut && ++light > allowedLight) {
          dark = false;
          break;
        }
    }
    if (dark && start < 0) start = x;
    else if (!dark && start >= 0) {
      const gains = x - start <= o.maxWidthPx ? gainsCached(image, x0 + start, x0 + x - 1) : undefined;
      if (gains) runs.push({ from: start, to: x - 1, gains });
      start = -1;
    }
  }
  return runs;
}

/** Paper darker than this is not clear enough to compare a streak with (a scanner's dark backing). */
const CLEAR_MIN = 96;

/**
 * What `gainsDownPage` found for columns of an image, kept while its pixel array lives (a page is not
 * changed while it is read): a printed rule beside a column of ovals is a candidate in every oval's
 * window, and a streak through them too.
 */
const PAGE_GAINS = new WeakMap<Uint8Array, Map<number, Float32Array | null>>();

function gainsCached(image: GrayImage, xa: number, xb: number): Float32Array | undefined {
  let found = PAGE_GAINS.get(image.data);
  if (!found) {
    found = new Map();
    PAGE_GAINS.set(image.data, found);
  }
  const key = xa * 65536 + xb;
  let gains = found.get(key);
  if (gains === undefined) {
    gains = gainsDownPage(image, xa, xb) ?? null;
    found.set(key, gains);
  }
  return gains ?? undefined;
}

/**
 * Whether image columns `xa`..`xb` are darker than the paper either side of them down the whole page (in
 * STREAK_PAGE_SHARE of the rows, every third, where the paper 3 px either side is clear and even), and if
 * so how much light each column from `xa - 1` to `xb + 1` lets through: the median of its pixels' ratio to
 * that paper over those rows. Dirt on the glass or a weak sensor element dims the light by a factor, so
 * ink under a streak stays visible, only darker.
 */
function gainsDownPage(image: GrayImage, xa: number, xb: number): Float32Array | undefined {
  const { data, widthPx: W, heightPx: H } = image;
  if (xa - 4 < 0 || xb + 4 > W - 1) return undefined;
  // a first look every 48th row: a rule printed beside the ovals (or one a skewed page slants across the
  // column) is not there in most of them
  const coarse = darkerDownPage(image, xa, xb, 48);
  if (coarse.clear - coarse.darker > Math.max(2, 0.25 * coarse.clear)) return undefined;
  const rows = Math.ceil(H / 3);
  const { clear, darker } = darkerDownPage(image, xa, xb, 3);
  if (clear < rows / 4 || darker < STREAK_PAGE_SHARE * clear) return undefined;
  // a streak: each column's ratio to the paper beside it, over the same rows, and its median
  const width = xb - xa + 3;
  const ratios = new Float32Array(rows * width);
  let n = 0;
  for (let y = 0; y < H; y += 3) {
    const row = y * W;
    const ref = paperBeside(data, row, xa, xb);
    if (ref < 0) continue;
    for (let k = 0; k < width; k++) ratios[k * rows + n] = (data[row + xa - 1 + k] as number) / ref;
    n++;
  }
  const gains = new Float32Array(width);
  for (let k = 0; k < width; k++) {
    const column = ratios.subarray(k * rows, k * rows + n).sort();
    gains[k] = Math.min(1, column[n >> 1] as number);
  }
  return gains;
}

/**
 * The paper 3–4 px either side of columns `xa`..`xb` in the image row starting at `row`: the lesser of the
 * two sides' levels, or -1 where it is not clear (darker than CLEAR_MIN) and even (within 10 %).
 */
function paperBeside(data: Uint8Array, row: number, xa: number, xb: number): number {
  const l = ((data[row + xa - 3] as number) + (data[row + xa - 4] as number)) / 2;
  const r = ((data[row + xb + 3] as number) + (data[row + xb + 4] as number)) / 2;
  const ref = Math.min(l, r);
  return ref < CLEAR_MIN || Math.abs(l - r) > 0.1 * ref ? -1 : ref;
}

/** In the rows every `step` down the page with clear, even paper beside columns `xa`..`xb`, how many
 *  there are and in how many those columns are darker. */
function darkerDownPage(
  image: GrayImage,
  xa: number,
  xb: number,
  step: number,
): { clear: number; darker: number } {
  const { data, widthPx: W, heightPx: H } = image;
  let clear = 0;
  let darker = 0;
  for (let y = 0; y < H; y += step) {
    const row = y * W;
    const ref = paperBeside(data, row, xa, xb);
    if (ref < 0) continue;
    clear++;
    let sum = 0;
    for (let x = xa; x <= xb; x++) sum += data[row + x] as number;
    if (sum / (xb - xa + 1) <= ref - Math.max(5, STREAK_DARK * ref)) darker++;
  }
  return { clear, darker };
}

/**
 * A streak taken out of the window: each of its columns (and its soft edges) brightened back by the light it
 * let through; where it let through too little to see anything (STREAK_OPAQUE), redrawn in every row as
 * the lighter of the pixels either side, so that ink goes on across it only where there is ink on both
 * sides (the printed outline's top and bottom, a fill, a stroke across it) and a stroke beside it is not
 * smeared into it.
 */
export function mendRun(win: GrayImage, run: StreakRun): void {
  const { data, widthPx: w, heightPx: h } = win;
  let opaqueFrom = -1;
  let opaqueTo = -1;
  for (let k = 0; k < run.gains.length; k++) {
    const x = run.from - 1 + k;
    const g = run.gains[k] as number;
    if (x < 0 || x >= w || g >= 0.97) continue;
    if (g < STREAK_OPAQUE) {
      if (opaqueFrom < 0) opaqueFrom = x;
      opaqueTo = x;
      continue;
    }
    for (let i = x; i < w * h; i += w) data[i] = Math.min(255, Math.round((data[i] as number) / g));
  }
  if (opaqueFrom < 0) return;
  const a = Math.max(0, opaqueFrom - 1);
  const b = Math.min(w - 1, opaqueTo + 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    data.fill(Math.max(data[row + a] as number, data[row + b] as number), row + a + 1, row + b);
  }
}

/**
 * `streak` and `streakShare01` of a score: whether a streak taken out crosses the interior (centred at
 * window column `cx`, `halfWidthPx` either side), and what share of its width it hid (its opaque columns).
 */
export function streakFields(
  runs: readonly StreakRun[],
  cx: number,
  halfWidthPx: number,
): { streak: boolean; streakShare01?: number } {
  let crosses = false;
  let hidden = 0;
  for (const run of runs) {
    if (run.to + 1 < cx - halfWidthPx || run.from - 1 > cx + halfWidthPx) continue;
    crosses = true;
    for (let k = 0; k < run.gains.length; k++) {
      const x = run.from - 1 + k;
      if ((run.gains[k] as number) < STREAK_OPAQUE && Math.abs(x - cx) <= halfWidthPx) hidden++;
    }
  }
  if (!crosses) return { streak: false };
  return { streak: true, streakShare01: Math.round(Math.min(1, hidden / (2 * halfWidthPx)) * 1000) / 1000 };
}
