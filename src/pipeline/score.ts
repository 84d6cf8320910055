/**
 * Score stage: a continuous fill score (0–1) for each target, and an ink score for write-in areas.
 *
 * Pure TypeScript over the scanned pixels; nothing is warped. Each target's bubble centre comes from the
 * fitted grid; a small local search aligns a ring on the printed oval outline (absorbing a few pixels of
 * misregistration), then the fill is the mean darkness of the oval's interior only, so the printed outline
 * itself scores ~0. Darkness is measured against the local paper level, so uneven illumination and
 * grey scanner backgrounds do not read as ink. Before anything is measured, the oval's window is mended:
 * paper shaded across it is flattened, and a scanner streak down the page (`streaks.ts`) or a line across
 * it (`folds.ts`) through it is taken out.
 *
 * Besides how much ink, the same pass over the interior says how it lies, for the interpreter's review
 * reasons: whether it is spread over the oval or sits in one small spot (`inkSpread01`), whether it is
 * isolated specks rather than strokes (`speckle01`), how much darker than the paper around it the
 * interior is as a whole (`residue01`, a rubbed-out mark), and the largest small spot of solid ink of its
 * own in an oval otherwise empty (`spot01`, a hesitation dot the mean fill is too small to flag), and how
 * thick the printed outline is all round (`outlineThicknessPx`), for `edgeInk01` to find ink along it (a
 * dot on the outline, a stroke along its edge) that neither the interior nor the bands around the oval see.
 */
import type { GrayImage, PointPx } from '../image.ts';
import { crossesOval, mendLine, pageLinesIn } from './folds.ts';
import { mendRun, STREAK_MAX_COLUMNS, streakFields, streakRuns } from './streaks.ts';

/** How the interpreter sees the grid near one point: its pixel position and the local pitch. */
export interface LocalGrid {
  readonly centre: PointPx;
  /** pixels per grid column and per grid row at this point (rows may be stretched by the feed). */
  readonly pxPerColumn: number;
  readonly pxPerRow: number;
  /** Page rotation in radians (small skew; 180° pages are handled by the mapping itself). */
  readonly angleRad: number;
}

/** Bubble geometry in grid units, measured on VotingWorks/AccuVote ballots (0.2 in × 0.13 in ovals). */
export const BUBBLE: Readonly<{
  halfWidthColumns: number;
  halfHeightRows: number;
  interiorFraction: number;
  searchColumns: number;
  searchRows: number;
  spillInner: number;
  spillOuter: number;
  inkCutoff: number;
  faintWeight: number;
  toneWeight: number;
  toneCap: number;
  toneFloor: number;
  inkDepth: number;
  scales: readonly number[];
}> = {
  /** outer half-width and half-height, in columns and rows */
  halfWidthColumns: 0.41,
  halfHeightRows: 0.27,
  /** fraction of the outer half-axes that is clear interior (inside the printed outline) */
  interiorFraction: 0.77,
  /** local search for the printed outline, in grid units either way */
  searchColumns: 0.18,
  searchRows: 0.18,
  /** the bands above and below the oval where ink around it is measured, in outer half-heights */
  spillInner: 1.3,
  spillOuter: 2.5,
  /** a pixel at least this dark (0..1 against paper) counts as ink in full… */
  inkCutoff: 0.3,
  /** …and a fainter one at this share of its darkness */
  faintWeight: 0.5,
  /** a light even fill counts about half as much as ink of the same darkness: it is the faintest kind
   *  of deliberate mark, and below ~17% darkening a person would look twice */
  toneWeight: 0.51,
  /** the most a light even fill can score through its tone alone */
  toneCap: 0.25,
  /** darkening of the interior's median below which it is paper, as a fraction of the paper level */
  toneFloor: 0.03,
  /** darkening, as a fraction of the paper level, at which a pixel is fully dark */
  inkDepth: 0.55,
  /** outline sizes tried, relative to the nominal one */
  scales: [0.84, 0.92, 1, 1.08],
};

export interface TargetScore {
  /** mean darkness of the oval interior, 0 = clean paper, 1 = solid ink */
  fill01: number;
  /** where the outline was found, in image pixels */
  centre: PointPx;
  /** ink in the band just above and in the band just below the oval, the lesser of the two: a circle
   *  drawn around the oval shows in both */
  outsideInk01: number;
  /**
   * A scanner streak (a dark line down the whole page, dirt on the glass) runs through the interior. It
   * was taken out before anything was measured (its columns brightened back by the light they let
   * through), so the measures are of the oval without it.
   */
  streak: boolean;
  /**
   * Given (true) when a line across the whole page (a fold's crease, a line the scanner drew) runs through
   * the oval: it was taken out before anything was measured, its rows brightened back by the light they let
   * through.
   */
  pageLine?: boolean;
  /**
   * Given with a streak: the share of the interior's width it hid, where it let through too little light to
   * see anything (those columns are redrawn from the pixels either side).
   */
  streakShare01?: number;
  /**
   * How far the interior's ink spreads, in interior half-axes: twice the standard deviation of the
   * ink's position along its longest direction. An even fill is 1 (and a stroke across the oval at least
   * that, reported as 1); a round dot covering a fraction r of the interior's height is ~r; 0 without ink.
   */
  inkSpread01: number;
  /**
   * Share of the interior's ink in isolated specks: dark pixels with at most one darkened pixel around
   * them. Pen and pencil strokes are several pixels wide at any scan resolution, so specks are scanner
   * noise (speckle of a black-and-white scan, dust), not a voter's mark; 0 without ink.
   */
  speckle01: number;
  /**
   * How much darker the interior's median is than the median of the paper around the oval, as a fraction
   * of the paper level: a faint even smudge (the residue of an erased mark, a very light mark) that the
   * fill does not count as ink. Sensor and JPEG noise shift both medians alike and cancel out.
   */
  residue01: number;
  /**
   * How much lighter the paper level is than the median of the paper around the oval, as a share of the
   * paper level (after an even shading across it is flattened): near 0 on even paper; large where the oval
   * sits in a dark patch whose lighter edge is in the window (a stain, a shadow's ridge), which makes the
   * paper level too light for the oval and its fill too high.
   */
  paperSpread01: number;
  /**
   * The largest spot of solid ink in the interior, as a share of the interior's pixels: the biggest group
   * of touching pixels (8-neighbours) counted as ink in full (`inkCutoff`) that reaches into the interior
   * and is a spot of its own, at most 0.05 in across (not joined to the printed outline or to a stroke)
   * and at least half inside the interior (not a fragment of a broken outline at its edge). It is looked
   * for again among the pixels of SPOT_CORE_CUTOFF darkness alone, where a gray dot just inside the
   * outline stands apart from it (at `inkCutoff` the blur between them joins the two).
   * A hesitation dot or a tiny partial fill is one, even when the mean fill stays under the marginal
   * threshold; speckle of a black-and-white scan is single pixels, so groups of fewer than 3 count as
   * none. 0 without one, and 0 in an oval holding more solid ink than one spot could (a mark).
   */
  spot01: number;
  /**
   * How thick the dark is across the printed outline at each of EDGE_ANGLES points around it, in pixels:
   * the darkness along the outward normal, summed in half-pixel steps over a strip from 0.025 in inside
   * the outline to 0.015 in outside it (a stroke along the outside of the edge is in it; a column rule or a
   * name a few pixels off the oval can be too, which `edgeInk01` leaves out by comparing with the column's
   * ovals). Undefined in an oval holding more solid ink than one spot could (a mark). `edgeInk01` compares
   * it with the outlines of the other targets printed in the same column.
   */
  outlineThicknessPx: Float32Array | undefined;
  /**
   * The same strip's inner part alone, from 0.025 in inside the outline to the middle of its printed line
   * (where the outline is found): what a voter put against the line from inside. Nothing is printed there,
   * so a rule or a name beside the oval, which the whole strip can reach, is not in it.
   */
  outlineInwardPx: Float32Array | undefined;
  /** pixels in the interior ellipse (what `spot01` and `edgeInk01` are shares of) */
  interiorPx: number;
  /**
   * In which of SURROUND_ANGLES 15° sectors round the oval there is ink (darkness ≥ inkCutoff) between
   * SURROUND_FROM and SURROUND_TO of its outer half-axes (1 there, else 0): a circle drawn round the oval
   * shows in most directions, even broken into dots by a black-and-white scan. Undefined where the
   * outline thickness is. `surround01` leaves out the directions in which three in four of the column's
   * ovals have ink (a name beside them, a rule).
   */
  surroundInk: Uint8Array | undefined;
  /**
   * Given only when a line runs through the interior and on beyond the oval on both sides (a fold in the
   * paper, a line the scanner drew across the page, a stroke through the whole row): the fill of the
   * interior without the rows it crosses. A voter's mark stays at the oval; such a line does not.
   */
  fillWithoutLines01?: number;
  /**
   * Given only for an oval with ink enough to count that spreads across it, when most of its solid ink is
   * one group of touching pixels: that group's spread (as `inkSpread01`). On a speckled black-and-white
   * page a dot's specks and the printed outline's edge spread the ink; the dot itself stays one small group.
   */
  coreSpread01?: number;
  /** outer half-axes in pixels (for overlays) */
  halfWidthPx: number;
  halfHeightPx: number;
  /** the size of the outline found, relative to the nominal one (one of BUBBLE.scales) */
  outlineScale: number;
}

/** One table per paper level (an integer 64..255), made once per worker: this runs for every target. */
const LUTS = new Map<number, Float32Array>();

/** Darkness of one pixel value against the local paper level: 0 paper … 1 ink. */
export function darknessLut(paper: number): Float32Array {
  const cached = LUTS.get(paper);
  if (cached) return cached;
  const lut = new Float32Array(256);
  // Values within `floor` of paper are paper (JPEG ringing, sensor noise); ink reaches 1 at 45% of paper.
  const floor = Math.max(12, paper * 0.08);
  const full = paper * BUBBLE.inkDepth;
  for (let v = 0; v < 256; v++) {
    const d = (paper - v - floor) / Math.max(1, full - floor);
    lut[v] = Math.min(1, Math.max(0, d));
  }
  LUTS.set(paper, lut);
  return lut;
}

/**
 * Paper level near a point: a high percentile of a window, robust to the marks themselves. Sampled every
 * `stepPx` pixels both ways: a write-in area's window holds tens of thousands of pixels, and its 90th
 * percentile is the same from a few thousand.
 */
export function paperLevel(
  image: GrayImage,
  cx: number,
  cy: number,
  halfW: number,
  halfH: number,
  stepPx = 2,
): number {
  return paperAround(image, cx, cy, halfW, halfH, stepPx).paper;
}

/** The window's histogram, reused (scoring is synchronous, one target at a time). */
const PAPER_HIST = new Uint32Array(256);

/**
 * How the paper's level changes across the neighbourhood of an oval (a page curled off the glass): its
 * change per pixel across and down from the oval's centre (`cx`, `cy`), and `centre`, the level there that
 * the flattened pixels are scaled to (the mean of the four levels the slope was taken from).
 */
interface PaperTilt {
  readonly cx: number;
  readonly cy: number;
  readonly centre: number;
  readonly perXPx: number;
  readonly perYPx: number;
}

/** The level a pixel would have on even paper: its value scaled by how much the tilt darkens it there. */
function flattened(v: number, x: number, y: number, t: PaperTilt): number {
  const level = t.centre + t.perXPx * (x - t.cx) + t.perYPx * (y - t.cy);
  return Math.min(255, Math.round((v * t.centre) / Math.max(1, level)));
}

/** A rectangle of the image in pixel coordinates, its edges included (fractional: rounded outwards). */
interface BoxPx {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/**
 * The histogram of a box of the image (clipped to it), every `stepPx` pixels, in PAPER_HIST, with each
 * value first flattened by `tilt` when one is given; the number of samples.
 */
function histogramOf(image: GrayImage, box: BoxPx, stepPx: number, tilt?: PaperTilt): number {
  const hist = PAPER_HIST.fill(0);
  const x0 = Math.max(0, Math.floor(box.left));
  const x1 = Math.min(image.widthPx - 1, Math.ceil(box.right));
  const y0 = Math.max(0, Math.floor(box.top));
  const y1 = Math.min(image.heightPx - 1, Math.ceil(box.bottom));
  const data = image.data;
  let n = 0;
  for (let y = y0; y <= y1; y += stepPx) {
    const row = y * image.widthPx;
    for (let x = x0; x <= x1; x += stepPx) {
      const raw = data[row + x] as number; // x0..x1 and y0..y1 are clipped to the image
      const v = tilt ? flattened(raw, x, y, tilt) : raw;
      hist[v] = (hist[v] as number) + 1;
      n++;
    }
  }
  return n;
}

/** The value of PAPER_HIST (of `n` samples) that `share` of the samples are at or above. */
function levelFromTop(n: number, share: number): number {
  let seen = 0;
  for (let v = 255; v >= 0; v--) {
    seen += PAPER_HIST[v] ?? 0;
    if (seen >= n * share) return v;
  }
  return 0;
}

/**
 * Paper near a point: its level (the 90th percentile of a window, robust to the marks themselves) and
 * the window's median (mostly paper too, but shifted by noise exactly as the median of a blank interior
 * is, which makes it the reference for `residue01`). With a tilt, of the paper as if it were even.
 */
function paperAround(
  image: GrayImage,
  cx: number,
  cy: number,
  halfW: number,
  halfH: number,
  stepPx = 2,
  tilt?: PaperTilt,
): { paper: number; median: number } {
  const box = { left: cx - halfW, right: cx + halfW, top: cy - halfH, bottom: cy + halfH };
  const n = histogramOf(image, box, stepPx, tilt);
  if (n === 0) return { paper: 255, median: 255 };
  return { paper: Math.max(levelFromTop(n, 0.1), 64), median: levelFromTop(n, 0.5) };
}

/** Shading across an oval's neighbourhood under this share of the paper level is left as it is. */
const TILT_MIN = 0.03;

/**
 * How the paper's level changes round an oval, from the 75th percentiles of the four quarters of the bands
 * above and below it (from `bandFrom` to `halfH` off its centre, clear of the name printed beside it on its
 * row). Not the median: a label printed under a write-in oval can fill most of a quarter; not the 90th
 * percentile: a light streak of the scanner a few pixels wide beside the oval sets that in one quarter. On
 * a ramp each quarter's percentile is its level at the same place in it, so their differences are the
 * slope. Undefined where the paper is even to within TILT_MIN of its level across the window.
 */
function paperTilt(
  image: GrayImage,
  cx: number,
  cy: number,
  halfW: number,
  halfH: number,
  bandFrom: number,
): PaperTilt | undefined {
  const quarter = (top: number, bottom: number, left: number, right: number) => {
    const n = histogramOf(
      image,
      { left: cx + left, right: cx + right, top: cy + top, bottom: cy + bottom },
      2,
    );
    return n === 0 ? undefined : levelFromTop(n, 0.25);
  };
  const topLeft = quarter(-halfH, -bandFrom, -halfW, 0);
  const topRight = quarter(-halfH, -bandFrom, 0, halfW);
  const bottomLeft = quarter(bandFrom, halfH, -halfW, 0);
  const bottomRight = quarter(bandFrom, halfH, 0, halfW);
  if (
    topLeft === undefined ||
    topRight === undefined ||
    bottomLeft === undefined ||
    bottomRight === undefined
  )
    return undefined;
  // the quarters' middles are halfW apart across, and bandFrom + halfH apart down
  const perXPx = (topRight + bottomRight - topLeft - bottomLeft) / 2 / halfW;
  const perYPx = (bottomLeft + bottomRight - topLeft - topRight) / 2 / (bandFrom + halfH);
  const centre = (topLeft + topRight + bottomLeft + bottomRight) / 4;
  if (Math.abs(perXPx) * halfW + Math.abs(perYPx) * halfH < TILT_MIN * centre) return undefined;
  return { cx, cy, centre, perXPx, perYPx };
}

const RING_POINTS = 40;
/** The interior's histogram of raw values, reused (scoring is synchronous, one target at a time). */
const TONE_HIST = new Uint32Array(256);
const RING_COS = Float64Array.from({ length: RING_POINTS }, (_, i) =>
  Math.cos((2 * Math.PI * i) / RING_POINTS),
);
const RING_SIN = Float64Array.from({ length: RING_POINTS }, (_, i) =>
  Math.sin((2 * Math.PI * i) / RING_POINTS),
);
/** The ring just outside the outline that the search subtracts, relative to the outline (x, y). */
const OFF_RING_X = 1.3;
const OFF_RING_Y = 1.45;
/** How far above and below the oval the window reaches, in outer half-heights: the rows a streak is seen in. */
const STREAK_OUTER = 3.2;

/**
 * The pixels around one target, copied once into a reused buffer with paper (255) beyond the page edge,
 * so the search and the measures below index it directly, without a bounds check or rounding per pixel.
 */
interface Window {
  readonly data: Uint8Array;
  readonly widthPx: number;
  readonly heightPx: number;
}

let windowBuffer = new Uint8Array(64 * 64);
/**
 * Window pixels: solid interior ink not yet visited (1), visited by the flood fill (2), of a group that is
 * no spot (3); reused, cleared after each target.
 */
let solidMap = new Uint8Array(64 * 64);
/** The window indexes of the solid interior pixels, and the queue of the flood fill, reused. */
let solidList = new Int32Array(1024);
let spotQueue = new Int32Array(64 * 64);
/** Groups of solid pixels smaller than this are specks, not a spot (speckle is single pixels or pairs). */
const SPOT_MIN_PIXELS = 3;
/**
 * A group as wide or as tall as this, in grid columns (0.05 in at the 0.25 in pitch; a pen's dot is at
 * most ~0.03 in across, blur included), is a stroke or a piece of the printed outline, not a spot.
 */
const SPOT_EXTENT_COLUMNS = 0.2;
/** The darkness of a spot's core: a second look for spots among pixels this dark alone. */
const SPOT_CORE_CUTOFF = 0.5;
/** How far out of the interior a group is followed, in outer half-axes: past the printed outline. */
const SPOT_REACH = 1.25;

/** Points around the outline at which its thickness is measured (`outlineThicknessPx`). */
export const EDGE_ANGLES = 48;
/** The strip measured across the outline at each point, in grid columns (0.025 in inward, 0.015 in out). */
const EDGE_IN_COLUMNS = 0.1;
const EDGE_OUT_COLUMNS = 0.06;
/** Thinner than this (pixels), the outline is not there at a point (a gap in a faded outline). */
const EDGE_PRESENT_PX = 0.25;
/** Thickness beyond the outline's usual one that is still the outline (print and scan), grid columns. */
const EDGE_SLACK_COLUMNS = 0.02;
const EDGE_STEP = (2 * Math.PI) / EDGE_ANGLES;
const EDGE_COS = Float64Array.from({ length: EDGE_ANGLES }, (_, k) => Math.cos(k * EDGE_STEP));
const EDGE_SIN = Float64Array.from({ length: EDGE_ANGLES }, (_, k) => Math.sin(k * EDGE_STEP));

/**
 * The outline's thickness at each of EDGE_ANGLES points around the oval (window coordinates of its exact
 * centre, rotation, outer half-axes): the darkness along the outward normal, summed in half-pixel steps.
 */
function outlineThickness(
  px: Uint8Array,
  lut: Float32Array,
  stride: number,
  height: number,
  f: { cx: number; cy: number; cosT: number; sinT: number; oa: number; ob: number },
  pxPerColumn: number,
): { wholePx: Float32Array; inwardPx: Float32Array } {
  const inPx = EDGE_IN_COLUMNS * pxPerColumn;
  const outPx = EDGE_OUT_COLUMNS * pxPerColumn;
  const step = 0.5;
  const steps = Math.floor((inPx + outPx) / step);
  const inwardSteps = Math.floor(inPx / step);
  const thickness = new Float32Array(EDGE_ANGLES);
  const inward = new Float32Array(EDGE_ANGLES);
  for (let k = 0; k < EDGE_ANGLES; k++) {
    const c = EDGE_COS[k] as number;
    const s = EDGE_SIN[k] as number;
    // the outline point and its outward normal, in the bubble's frame, then in the window
    const ex = f.oa * c;
    const ey = f.ob * s;
    const nl = Math.hypot(f.ob * c, f.oa * s);
    const nx0 = (f.ob * c) / nl;
    const ny0 = (f.oa * s) / nl;
    const nx = nx0 * f.cosT - ny0 * f.sinT;
    const ny = nx0 * f.sinT + ny0 * f.cosT;
    let x = f.cx + ex * f.cosT - ey * f.sinT - nx * inPx;
    let y = f.cy + ex * f.sinT + ey * f.cosT - ny * inPx;
    let dark = 0;
    for (let i = 0; i <= steps; i++, x += nx * step, y += ny * step) {
      const xi = Math.round(x);
      const yi = Math.round(y);
      if (xi >= 0 && yi >= 0 && xi < stride && yi < height)
        dark += lut[px[yi * stride + xi] as number] as number;
      if (i === inwardSteps) inward[k] = dark * step;
    }
    thickness[k] = dark * step;
  }
  return { wholePx: thickness, inwardPx: inward };
}

/** Where ink round the oval is looked for, in outer half-axes (the vertical ones × SURROUND_TALL). */
const SURROUND_FROM = 1.3;
const SURROUND_TO = 2.2;
/** People draw circles round an oval taller than it, in proportion. */
const SURROUND_TALL = 1.15;
/** Sectors round the oval in which ink is looked for: 15° each. */
export const SURROUND_ANGLES = 24;
/** In which directions out from the oval there is ink (see `surroundInk`). */
function surroundInk(
  px: Uint8Array,
  lut: Float32Array,
  stride: number,
  height: number,
  f: { cx: number; cy: number; cosT: number; sinT: number; oa: number; ob: number },
): Uint8Array {
  const hits = new Uint8Array(SURROUND_ANGLES);
  // every pixel of the ring between SURROUND_FROM and SURROUND_TO, its ink counted in the 15° sector it
  // lies in: a circle a scan broke into dots shows in most sectors, where single rays slip between the dots.
  // Each row is read only where it crosses the ring (the ellipse u² + v² = R² solved for x along the row).
  const a = f.oa;
  const b = f.ob * SURROUND_TALL;
  const { cosT, sinT } = f;
  const qa = (cosT * cosT) / (a * a) + (sinT * sinT) / (b * b);
  const qbPerDy = 2 * cosT * sinT * (1 / (a * a) - 1 / (b * b));
  const qcPerDy2 = (sinT * sinT) / (a * a) + (cosT * cosT) / (b * b);
  const from2 = SURROUND_FROM * SURROUND_FROM;
  const to2 = SURROUND_TO * SURROUND_TO;
  const reachY = (SURROUND_TO / Math.sqrt(qa * qcPerDy2 - (qbPerDy * qbPerDy) / 4)) * Math.sqrt(qa) + 1;
  const y0 = Math.max(0, Math.floor(f.cy - reachY));
  const y1 = Math.min(height - 1, Math.ceil(f.cy + reachY));
  const perSector = SURROUND_ANGLES / (2 * Math.PI);
  // the lut falls as the pixel value rises: ink is every value up to the last one dark enough
  let inkMax = -1;
  while (inkMax < 255 && (lut[inkMax + 1] as number) >= BUBBLE.inkCutoff) inkMax++;
  const spans = [0, 0, 0, 0];
  for (let y = y0; y <= y1; y++) {
    const dy = y - f.cy;
    const qb = qbPerDy * dy;
    const outer = qb * qb - 4 * qa * (qcPerDy2 * dy * dy - to2);
    if (outer < 0) continue;
    const o0 = Math.floor(f.cx + (-qb - Math.sqrt(outer)) / (2 * qa));
    const o1 = Math.ceil(f.cx + (-qb + Math.sqrt(outer)) / (2 * qa));
    const inner = qb * qb - 4 * qa * (qcPerDy2 * dy * dy - from2);
    let n = 2;
    spans[0] = o0;
    spans[1] = o1;
    if (inner > 0) {
      spans[1] = Math.ceil(f.cx + (-qb - Math.sqrt(inner)) / (2 * qa));
      spans[2] = Math.floor(f.cx + (-qb + Math.sqrt(inner)) / (2 * qa));
      spans[3] = o1;
      n = 4;
    }
    const row = y * stride;
    for (let k = 0; k < n; k += 2) {
      const xTo = Math.min(stride - 1, spans[k + 1] as number);
      for (let x = Math.max(0, spans[k] as number); x <= xTo; x++) {
        if ((px[row + x] as number) > inkMax) continue;
        const dx = x - f.cx;
        const u = (dx * cosT + dy * sinT) / a;
        const v = (-dx * sinT + dy * cosT) / b;
        const r2 = u * u + v * v;
        if (r2 < from2 || r2 > to2) continue;
        hits[Math.floor((Math.atan2(v, u) * perSector + 0.5 + SURROUND_ANGLES) % SURROUND_ANGLES)] = 1;
      }
    }
  }
  return hits;
}

/**
 * The directions round the ovals of a group printed alike (a column of a page) in which three in four of
 * them have ink: what is printed beside every one (a name, a rule), 1 there. Undefined for fewer than 3.
 */
export function printedAround(surrounds: readonly (Uint8Array | undefined)[]): Uint8Array | undefined {
  const measured = surrounds.filter((h): h is Uint8Array => h !== undefined);
  if (measured.length < 3) return undefined;
  const printed = new Uint8Array(SURROUND_ANGLES);
  for (let k = 0; k < SURROUND_ANGLES; k++) {
    let n = 0;
    for (const h of measured) n += h[k] as number;
    // three in four: two circled ovals in a short column do not make their circles print
    printed[k] = n * 4 >= measured.length * 3 ? 1 : 0;
  }
  return printed;
}

/**
 * The share of the directions round a target's oval with ink in them, of those in which its group's ovals
 * do not nearly all have ink (`printedAround`): a circle drawn round it shows in most, a stray stroke in a few.
 * 0 where it was not measured or fewer than a third of the directions are free.
 */
export function surround01(s: TargetScore, printed: Uint8Array | undefined): number {
  const hits = s.surroundInk;
  if (!hits) return 0;
  let free = 0;
  let inked = 0;
  for (let k = 0; k < SURROUND_ANGLES; k++) {
    if (printed?.[k]) continue;
    free++;
    inked += hits[k] as number;
  }
  return free * 3 < SURROUND_ANGLES ? 0 : Math.round((inked / free) * 1000) / 1000;
}

/**
 * The usual outline of a group of targets printed alike (a column of a page): at each point round the
 * oval, the median thickness over the group's outlines. What is printed beside every oval of a column
 * (a column rule, a write-in line) is in it; a voter's dot on one oval is not. Undefined for a group of
 * fewer than 3 outlines.
 */
export function usualOutlinePx(outlines: readonly (Float32Array | undefined)[]): Float32Array | undefined {
  const measured = outlines.filter((o): o is Float32Array => o !== undefined);
  if (measured.length < 3) return undefined;
  const usual = new Float32Array(EDGE_ANGLES);
  if (MEDIAN_BUFFER.length < measured.length) MEDIAN_BUFFER = new Float64Array(measured.length * 2);
  for (let k = 0; k < EDGE_ANGLES; k++) {
    for (let i = 0; i < measured.length; i++) MEDIAN_BUFFER[i] = (measured[i] as Float32Array)[k] as number;
    usual[k] = medianOfFirst(measured.length);
  }
  return usual;
}

/** Numbers gathered for a median, reused (scoring is synchronous). */
let MEDIAN_BUFFER = new Float64Array(EDGE_ANGLES * 2);

/** The median of the first `n` numbers of MEDIAN_BUFFER (sorts them in place); 0 for none. */
function medianOfFirst(n: number): number {
  if (n === 0) return 0;
  const sorted = MEDIAN_BUFFER.subarray(0, n).sort();
  return n % 2 ? (sorted[n >> 1] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
}

/**
 * Ink along a target's printed outline beyond the outline's own line, as a share of its interior: at each
 * point round the oval, what the outline is thicker there than both its own median thickness (the oval as
 * printed and scanned) and the group's usual outline at that point (what is printed beside it), by more
 * than the slack, times the length of outline the point stands for. 0 where no thickness was measured.
 */
export function edgeInk01(
  s: TargetScore,
  usual: Float32Array | undefined,
  pxPerColumn: number,
  part: 'whole' | 'inward' = 'whole',
): number {
  const t = part === 'whole' ? s.outlineThicknessPx : s.outlineInwardPx;
  if (!t || s.interiorPx === 0) return 0;
  // the outline's own thickness where it is printed at all: a faded outline that a black-and-white scan
  // broke into pieces is as thick as ever where a piece is left, and those pieces are not ink of their own
  let present = 0;
  for (let k = 0; k < EDGE_ANGLES; k++)
    if ((t[k] as number) > EDGE_PRESENT_PX) MEDIAN_BUFFER[present++] = t[k] as number;
  const own = medianOfFirst(present);
  // at least a whole pixel: a black-and-white scan draws a line a pixel thicker or thinner in places
  const slack = Math.max(1, EDGE_SLACK_COLUMNS * pxPerColumn);
  let excess = 0;
  for (let k = 0; k < EDGE_ANGLES; k++) {
    const over = (t[k] as number) - Math.max(own, usual ? (usual[k] as number) : 0) - slack;
    if (over <= 0) continue;
    const arc = Math.hypot(s.halfWidthPx * (EDGE_SIN[k] as number), s.halfHeightPx * (EDGE_COS[k] as number));
    excess += over * arc * EDGE_STEP;
  }
  return Math.round(Math.min(1, excess / s.interiorPx) * 1000) / 1000;
}

/** The oval a spot is looked for in: window coordinates of its exact centre, rotation, outer half-axes. */
interface SpotFrame {
  readonly cx: number;
  readonly cy: number;
  readonly cosT: number;
  readonly sinT: number;
  readonly oa: number;
  readonly ob: number;
  /** the widest and tallest a spot may be, in pixels */
  readonly extentPx: number;
}

/**
 * The largest spot of solid ink, in pixels: the biggest 8-connected group of solid pixels (darkness ≥
 * inkCutoff) that starts at one of the `n` solid interior pixels in `solidList` (indexes of the window
 * `px`, `stride` wide and `height` tall, marked 1 in `solidMap`). A group is followed out of the interior
 * too, up to SPOT_REACH: a dot over the interior's edge counts whole, and a group that runs on into the
 * printed outline (found a few pixels off on a stretched scan, thick on a black-and-white one) or out of
 * the oval (a stroke) grows wider or taller than `f.extentPx` and is no spot; so is a group mostly
 * outside the interior (a fragment of a faded outline that a black-and-white scan broke up, touching the
 * interior's edge). Clears the map.
 */
function largestSpot(
  n: number,
  px: Uint8Array,
  lut: Float32Array,
  stride: number,
  height: number,
  f: SpotFrame,
  cutoff: number,
): number {
  const map = solidMap;
  if (spotQueue.length < stride * height) spotQueue = new Int32Array(stride * height);
  const queue = spotQueue;
  const reach2 = SPOT_REACH * SPOT_REACH;
  const oa2 = 1 / (f.oa * f.oa);
  const ob2 = 1 / (f.ob * f.ob);
  let largest = 0;
  // one queue for all groups (each a run of it), so that every visited pixel is cleared at the end
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const start = solidList[i] as number;
    if (map[start] !== 1) continue;
    map[start] = 2;
    const first = tail;
    queue[tail++] = start;
    let inside = 1;
    let x0 = stride;
    let x1 = 0;
    let y0 = height;
    let y1 = 0;
    // too wide or tall, or joined to a group that was: no spot, and followed no further (the printed
    // outline would be followed all the way round)
    let no = false;
    for (let head = first; head < tail && !no; ) {
      const k = queue[head++] as number;
      const ky = Math.floor(k / stride);
      const kx = k - ky * stride;
      if (kx < x0) x0 = kx;
      if (kx > x1) x1 = kx;
      if (ky < y0) y0 = ky;
      if (ky > y1) y1 = ky;
      if (x1 - x0 >= f.extentPx || y1 - y0 >= f.extentPx) no = true;
      if (kx < 1 || ky < 1 || kx >= stride - 1 || ky >= height - 1) continue;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const j = k + dy * stride + dx;
          const m = map[j];
          if (m === 1) {
            map[j] = 2;
            queue[tail++] = j;
            inside++;
          } else if (m === 3) no = true;
          else if (m === 0 && (lut[px[j] as number] as number) >= cutoff) {
            const x = kx + dx - f.cx;
            const y = ky + dy - f.cy;
            const u = x * f.cosT + y * f.sinT;
            const v = y * f.cosT - x * f.sinT;
            if (u * u * oa2 + v * v * ob2 > reach2) continue;
            map[j] = 2;
            queue[tail++] = j;
          }
        }
    }
    if (no) for (let q = first; q < tail; q++) map[queue[q] as number] = 3;
    else if (inside * 2 >= tail - first && tail - first > largest) largest = tail - first;
  }
  for (let i = 0; i < tail; i++) map[queue[i] as number] = 0;
  return largest;
}

/**
 * The largest spot at the ink cutoff, or among the darker pixels alone: in a gray scan a dot just inside
 * the printed outline is joined to it by the blur between them at the ink cutoff, but not at its own core's
 * darkness (the outline, a line of solid print, stays whole at both).
 */
function spotAtEitherCutoff(
  n: number,
  px: Uint8Array,
  lut: Float32Array,
  stride: number,
  height: number,
  f: SpotFrame,
): number {
  const atInk = largestSpot(n, px, lut, stride, height, f, BUBBLE.inkCutoff);
  // largestSpot left the map clear: mark the darker pixels again and look among them alone
  let m = 0;
  for (let i = 0; i < n; i++) {
    const k = solidList[i] as number;
    if ((lut[px[k] as number] as number) < SPOT_CORE_CUTOFF) continue;
    solidMap[k] = 1;
    solidList[m++] = k;
  }
  return m ? Math.max(atInk, largestSpot(m, px, lut, stride, height, f, SPOT_CORE_CUTOFF)) : atInk;
}

/** Clears the solid pixels of `solidList` from `solidMap` without looking for a spot; 0. */
function clearSolid(n: number): number {
  for (let i = 0; i < n; i++) solidMap[solidList[i] as number] = 0;
  return 0;
}

function windowAround(image: GrayImage, cx: number, cy: number, halfW: number, halfH: number): Window {
  const x0 = cx - halfW;
  const y0 = cy - halfH;
  const w = 2 * halfW + 1;
  const h = 2 * halfH + 1;
  if (windowBuffer.length < w * h) windowBuffer = new Uint8Array(w * h * 2);
  const data = windowBuffer;
  const inside = x0 >= 0 && y0 >= 0 && x0 + w <= image.widthPx && y0 + h <= image.heightPx;
  if (!inside) data.fill(255, 0, w * h);
  const sx0 = Math.max(0, x0);
  const sx1 = Math.min(image.widthPx, x0 + w);
  for (let y = Math.max(0, y0); y < Math.min(image.heightPx, y0 + h); y++) {
    if (sx1 <= sx0) break;
    const from = y * image.widthPx;
    data.set(image.data.subarray(from + sx0, from + sx1), (y - y0) * w + (sx0 - x0));
  }
  return { data, widthPx: w, heightPx: h };
}

/** Every pixel of a window whose top-left corner is image pixel (x0, y0) flattened by a tilt. */
function flattenWindow(win: Window, x0: number, y0: number, tilt: PaperTilt): void {
  const { data, widthPx, heightPx } = win;
  for (let y = 0; y < heightPx; y++)
    for (let x = 0, i = y * widthPx; x < widthPx; x++, i++)
      data[i] = flattened(data[i] as number, x0 + x, y0 + y, tilt);
}

/**
 * Pixel-index offsets (in a window of width `stride`) of the outline ring and the ring just outside it,
 * around a centre `fracX`, `fracY` pixels from the window pixel the offsets are added to: the samples
 * are the pixels nearest the exact ring points.
 */
function ringOffsets(
  stride: number,
  a: number,
  b: number,
  cosT: number,
  sinT: number,
  fracX: number,
  fracY: number,
  into: { on: Int32Array; off: Int32Array },
): { on: Int32Array; off: Int32Array } {
  const { on, off } = into;
  for (let i = 0; i < RING_POINTS; i++) {
    const ex = a * (RING_COS[i] ?? 0);
    const ey = b * (RING_SIN[i] ?? 0);
    const rx = ex * cosT - ey * sinT;
    const ry = ex * sinT + ey * cosT;
    on[i] = Math.round(fracY + ry) * stride + Math.round(fracX + rx);
    off[i] = Math.round(fracY + ry * OFF_RING_Y) * stride + Math.round(fracX + rx * OFF_RING_X);
  }
  return into;
}

/** The ring offsets of each outline size, reused (scoring is synchronous, one target at a time). */
const RING_BUFFERS: { on: Int32Array; off: Int32Array }[] = [];
function ringBuffer(i: number): { on: Int32Array; off: Int32Array } {
  let b = RING_BUFFERS[i];
  if (!b) {
    b = { on: new Int32Array(RING_POINTS), off: new Int32Array(RING_POINTS) };
    RING_BUFFERS[i] = b;
  }
  return b;
}

export interface ScoreOptions {
  /**
   * The share of BUBBLE.search* to search for the outline (default 1). The interpreter reads a target
   * again with a narrow search where its neighbours' outlines say the oval is.
   */
  readonly searchFraction?: number;
  /** Only this outline size, relative to the nominal one (default: each of BUBBLE.scales). */
  readonly scale?: number;
  /** Read the outline exactly where `grid` puts it, with no search at all. */
  readonly exact?: boolean;
}

/**
 * Score one bubble. `grid` says where the bubble should be; the printed outline is searched for within
 * BUBBLE.search* of that point (in whole-pixel steps), and the interior darkness measured there.
 */
export function scoreBubble(image: GrayImage, grid: LocalGrid, options: ScoreOptions = {}): TargetScore {
  const a = BUBBLE.halfWidthColumns * grid.pxPerColumn;
  const b = BUBBLE.halfHeightRows * grid.pxPerRow;
  const cosT = Math.cos(grid.angleRad);
  const sinT = Math.sin(grid.angleRad);
  // paper shaded across the oval (a curled page, a fold's tent) is flattened first, in the window and
  // in the paper level, so that the side of the oval nearer the shadow does not read as ink
  const tilt = paperTilt(image, grid.centre.xPx, grid.centre.yPx, a * 2.2, b * 3, b * 1.5);
  const around = paperAround(image, grid.centre.xPx, grid.centre.yPx, a * 2.2, b * 3, 2, tilt);
  const paper = around.paper;
  const lut = darknessLut(paper);
  const search = options.searchFraction ?? 1;
  const rangeX = options.exact
    ? 0
    : Math.max(1, Math.round(BUBBLE.searchColumns * grid.pxPerColumn * search));
  const rangeY = options.exact ? 0 : Math.max(1, Math.round(BUBBLE.searchRows * grid.pxPerRow * search));
  const maxScale = Math.max(options.scale ?? 0, ...BUBBLE.scales);

  // Everything below reads one window: the search range plus the farthest reach of the ring, the bands
  // above and below the oval, and the streak check, in any rotation.
  const reachU = a * maxScale * Math.max(OFF_RING_X, SURROUND_TO);
  const reachV = b * maxScale * Math.max(OFF_RING_Y, BUBBLE.spillOuter, STREAK_OUTER);
  const halfW = Math.ceil(rangeX + reachU * Math.abs(cosT) + reachV * Math.abs(sinT)) + 2;
  const halfH = Math.ceil(rangeY + reachU * Math.abs(sinT) + reachV * Math.abs(cosT)) + 2;
  const cx0 = Math.round(grid.centre.xPx);
  const cy0 = Math.round(grid.centre.yPx);
  const win = windowAround(image, cx0, cy0, halfW, halfH);
  if (tilt) flattenWindow(win, cx0 - halfW, cy0 - halfH, tilt);
  // a scanner streak down the page through the oval is taken out before anything is measured
  const streaks = streakRuns(win, image, cx0 - halfW, paper, {
    reachPx: Math.ceil(a * maxScale + rangeX) + 2,
    maxWidthPx: STREAK_MAX_COLUMNS * grid.pxPerColumn,
  });
  for (const run of streaks) mendRun(win, run);
  // …and so is a line across the whole page through its rows (a fold's crease, a line of the scanner)
  const lines = pageLinesIn(win, image, {
    x0: cx0 - halfW,
    y0: cy0 - halfH,
    paper,
    reachXPx: a * maxScale + rangeX,
    reachYPx: b * maxScale + rangeY,
    pageSlope: Math.tan(grid.angleRad),
    pxPerRow: grid.pxPerRow,
  });
  for (const line of lines) mendLine(win, line);
  const px = win.data;
  const stride = win.widthPx;
  if (solidMap.length < win.widthPx * win.heightPx) solidMap = new Uint8Array(win.widthPx * win.heightPx * 2);
  // A spot is looked for only in an oval with no more solid ink inside than one spot could be (it is a
  // measure for ovals the fill calls unmarked): a filled oval is not followed pixel by pixel.
  const spotExtentPx = SPOT_EXTENT_COLUMNS * grid.pxPerColumn;
  const spotLimit = Math.ceil(spotExtentPx * spotExtentPx);
  let solidCount = 0;
  const centreIndex = halfH * stride + halfW;

  // 1. Align: the offset and size whose ellipse outline is darkest, minus the darkness just outside it
  //    (so a solid fill or a stroke does not pull the ring; the printed outline is a thin dark line on
  //    paper). Printers differ a little in oval size, hence the few scales.
  const fracX = grid.centre.xPx - cx0;
  const fracY = grid.centre.yPx - cy0;
  const scales = options.scale === undefined ? BUBBLE.scales : [options.scale];
  const rings = scales.map((scale, i) =>
    ringOffsets(stride, a * scale, b * scale, cosT, sinT, fracX, fracY, ringBuffer(i)),
  );
  const ringScore = (dx: number, dy: number, scaleIndex: number): number => {
    const ring = rings[scaleIndex] as { on: Int32Array; off: Int32Array };
    const base = centreIndex + dy * stride + dx;
    let sum = 0;
    for (let i = 0; i < RING_POINTS; i++) {
      sum +=
        (lut[px[base + (ring.on[i] as number)] as number] as number) -
        (lut[px[base + (ring.off[i] as number)] as number] as number);
    }
    // Prefer the predicted position and size when the evidence is flat (blank area, solid fill).
    const scale = scales[scaleIndex] ?? 1;
    const penalty =
      Math.abs(dx) / Math.max(1, rangeX) + Math.abs(dy) / Math.max(1, rangeY) + Math.abs(scale - 1) * 4;
    return sum - 0.02 * penalty * RING_POINTS;
  };
  // Coarse to fine: position on a 2-px lattice at the nominal size, then ±1 px, then the size.
  const nominal = Math.max(0, scales.indexOf(1));
  let best = -Infinity;
  let bestDx = 0;
  let bestDy = 0;
  let bestScaleIndex = nominal;
  const consider = (dx: number, dy: number, scaleIndex: number) => {
    const score = ringScore(dx, dy, scaleIndex);
    if (score > best) {
      best = score;
      bestDx = dx;
      bestDy = dy;
      bestScaleIndex = scaleIndex;
    }
  };
  for (let dy = -rangeY; dy <= rangeY; dy += 2)
    for (let dx = -rangeX; dx <= rangeX; dx += 2) consider(dx, dy, nominal);
  const coarseX = bestDx;
  const coarseY = bestDy;
  for (let si = 0; si < scales.length; si++)
    for (let dy = coarseY - 1; dy <= coarseY + 1; dy++)
      for (let dx = coarseX - 1; dx <= coarseX + 1; dx++)
        if (Math.abs(dx) <= rangeX && Math.abs(dy) <= rangeY) consider(dx, dy, si);
  const bestScale = scales[bestScaleIndex] ?? 1;
  // the found centre in window coordinates: the nearest pixel, and the exact point (the search moved
  // the predicted centre by whole pixels; the measures below keep its fraction)
  const wx = halfW + bestDx;
  const wy = halfH + bestDy;

  // 2. Fill: mean darkness of the interior ellipse. Separately, the ink in the bands just above and
  //    below the oval (beside it are the candidate name and the next column, so only above and below
  //    are looked at): a circle drawn around the oval darkens both bands, a printed rule or a stray
  //    stroke only one, so the lesser of the two is reported.
  const oa = a * bestScale;
  const ob = b * bestScale;
  const ia = oa * BUBBLE.interiorFraction;
  const ib = ob * BUBBLE.interiorFraction;
  const bandInner = ob * BUBBLE.spillInner;
  const bandOuter = ob * BUBBLE.spillOuter;
  // the bounding box of what is measured (|u| ≤ ia, |v| ≤ bandOuter) in this rotation
  const boxX = Math.ceil(ia * Math.abs(cosT) + bandOuter * Math.abs(sinT)) + 1;
  const boxY = Math.ceil(ia * Math.abs(sinT) + bandOuter * Math.abs(cosT)) + 1;
  let sum = 0;
  let count = 0;
  let above = 0;
  let aboveCount = 0;
  let below = 0;
  let belowCount = 0;
  // how the interior's ink lies: its moments in the interior's unit coordinates, and the share of it in
  // isolated specks
  let mSum = 0;
  let mU = 0;
  let mV = 0;
  let mUU = 0;
  let mVV = 0;
  let mUV = 0;
  let specks = 0;
  const toneHist = TONE_HIST.fill(0);
  const ia2 = 1 / (ia * ia);
  const ib2 = 1 / (ib * ib);
  const iaInv = 1 / ia;
  const ibInv = 1 / ib;
  for (let dy = -boxY; dy <= boxY; dy++) {
    const row = (wy + dy) * stride + wx;
    // rotate into the bubble's frame, stepping along the row
    const py = dy - fracY;
    let u = (-boxX - fracX) * cosT + py * sinT;
    let v = (boxX + fracX) * sinT + py * cosT;
    for (let dx = -boxX; dx <= boxX; dx++, u += cosT, v -= sinT) {
      const au = Math.abs(u);
      if (au > ia) continue;
      const raw = px[row + dx] as number;
      const d0 = lut[raw] as number;
      const d = d0 >= BUBBLE.inkCutoff ? 1 : d0 * BUBBLE.faintWeight;
      const r2 = u * u * ia2 + v * v * ib2;
      if (r2 <= 1) {
        sum += d;
        count++;
        toneHist[raw] = (toneHist[raw] as number) + 1;
        if (d > 0) {
          const un = u * iaInv;
          const vn = v * ibInv;
          mSum += d;
          mU += d * un;
          mV += d * vn;
          mUU += d * un * un;
          mVV += d * vn * vn;
          mUV += d * un * vn;
          if (d0 >= BUBBLE.inkCutoff && isSpeck(px, lut, row + dx, stride)) specks += d;
          if (d0 >= BUBBLE.inkCutoff && solidCount <= spotLimit) {
            if (solidCount === solidList.length) {
              const grown = new Int32Array(solidCount * 2);
              grown.set(solidList);
              solidList = grown;
            }
            solidList[solidCount++] = row + dx;
            solidMap[row + dx] = 1;
          }
        }
      } else {
        const av = Math.abs(v);
        if (av >= bandInner && av <= bandOuter) {
          if (v < 0) {
            above += d;
            aboveCount++;
          } else {
            below += d;
            belowCount++;
          }
        }
      }
    }
  }
  // A light, even fill (pencil pressed softly) darkens the whole interior a little: its median tone
  // says so where the ink measure, built for pen strokes, does not. Strokes leave the median at paper.
  // The median is robust to sensor noise, so it is measured from a lower floor than single pixels.
  let median = 255;
  for (let v = 0, seen = 0; v < 256; v++) {
    seen += toneHist[v] ?? 0;
    if (seen * 2 >= count) {
      median = v;
      break;
    }
  }
  const tone = Math.max(0, (paper - median - BUBBLE.toneFloor * paper) / (BUBBLE.inkDepth * paper));
  const interior = Math.max(count ? sum / count : 0, Math.min(BUBBLE.toneCap, tone * BUBBLE.toneWeight));
  const outside = Math.min(aboveCount ? above / aboveCount : 0, belowCount ? below / belowCount : 0);
  // Spread: the larger eigenvalue of the ink's covariance, as two standard deviations.
  const spread = mSum > 0 ? spreadOf(mSum, mU, mV, mUU, mVV, mUV) : 0;
  // Reported to 0.001: finer digits are scanner noise, and records should not carry them.
  const r3 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
  const fill01 = r3(interior);
  const frame = { cx: wx + fracX, cy: wy + fracY, cosT, sinT, oa, ob };
  const filled = solidCount > spotLimit;
  const spot = filled
    ? clearSolid(solidCount)
    : solidCount
      ? spotAtEitherCutoff(solidCount, px, lut, stride, win.heightPx, { ...frame, extentPx: spotExtentPx })
      : 0;
  const outline = filled
    ? undefined
    : outlineThickness(px, lut, stride, win.heightPx, frame, grid.pxPerColumn);
  const ringInk = filled ? undefined : surroundInk(px, lut, stride, win.heightPx, frame);
  const withoutLines =
    interior >= LINE_MIN_FILL ? fillWithoutLines(px, lut, stride, win.heightPx, frame, ia, ib) : undefined;
  const coreSpread =
    interior >= CORE_MIN_FILL && interior < CORE_MAX_FILL && spread >= CORE_MIN_SPREAD
      ? largestGroupSpread(px, lut, stride, win.heightPx, frame, ia, ib)
      : undefined;
  return {
    fill01,
    ...(withoutLines !== undefined ? { fillWithoutLines01: r3(withoutLines) } : {}),
    ...(coreSpread !== undefined ? { coreSpread01: r3(coreSpread) } : {}),
    outsideInk01: r3(outside),
    inkSpread01: r3(spread),
    speckle01: mSum > 0 ? r3(specks / mSum) : 0,
    residue01: r3((around.median - median) / paper),
    paperSpread01: r3((paper - around.median) / paper),
    spot01: spot >= SPOT_MIN_PIXELS && count ? r3(spot / count) : 0,
    outlineThicknessPx: outline?.wholePx,
    outlineInwardPx: outline?.inwardPx,
    interiorPx: count,
    surroundInk: ringInk,
    ...streakFields(streaks, wx + fracX, ia * Math.abs(cosT) + ib * Math.abs(sinT)),
    ...(crossesOval(lines, stride, wx + fracX, wy + fracY, ob) ? { pageLine: true } : {}),
    centre: { xPx: grid.centre.xPx + bestDx, yPx: grid.centre.yPx + bestDy },
    halfWidthPx: oa,
    halfHeightPx: ob,
    outlineScale: bestScale,
  };
}

/**
 * An ink pixel is a speck when at most one of its eight neighbours is darker than paper at all: a stroke
 * of pen or pencil, even a fine one, is at least two pixels wide at 150 dpi and runs on. `k` indexes the
 * window, one pixel inside it at least.
 */
function isSpeck(px: Uint8Array, lut: Float32Array, k: number, stride: number): boolean {
  let dark = 0;
  if ((lut[px[k - 1] as number] as number) > 0) dark++;
  if ((lut[px[k + 1] as number] as number) > 0) dark++;
  if (dark === 2) return false;
  if ((lut[px[k - stride] as number] as number) > 0 && ++dark === 2) return false;
  if ((lut[px[k + stride] as number] as number) > 0 && ++dark === 2) return false;
  if ((lut[px[k - stride - 1] as number] as number) > 0 && ++dark === 2) return false;
  if ((lut[px[k - stride + 1] as number] as number) > 0 && ++dark === 2) return false;
  if ((lut[px[k + stride - 1] as number] as number) > 0 && ++dark === 2) return false;
  if ((lut[px[k + stride + 1] as number] as number) > 0 && ++dark === 2) return false;
  return true;
}

/** Where a line through the oval is looked for beside it, on each side, in outer half-widths. */
const LINE_FROM = 1.3;
const LINE_TO = 2.2;
/**
 * A row of the oval is crossed by a line when this share of both sides' samples are this dark, with no
 * two light ones in a row.
 */
const LINE_SHARE = 0.8;
const LINE_DARK = 0.15;
/** Interiors fainter than this are not looked at for lines (they read unmarked with or without). */
const LINE_MIN_FILL = 0.015;

/**
 * The fill of the interior without its rows (along the page's width) that a line crosses: a line that is
 * dark on both sides of the oval, from 1.3 to 2.2 outer half-widths out, in nearly every sample (a fold in
 * the paper, a line the scanner drew across the page, a stroke through the whole row). The row each side
 * of a crossed row is left out too (the line's soft edge). Undefined when no row is crossed. Coordinates
 * are in the window; the frame is the oval's (exact centre, rotation, outer half-axes).
 */
function fillWithoutLines(
  px: Uint8Array,
  lut: Float32Array,
  stride: number,
  height: number,
  f: { cx: number; cy: number; cosT: number; sinT: number; oa: number; ob: number },
  ia: number,
  ib: number,
): number | undefined {
  const rows = Math.ceil(ib) + 1;
  const crossed = new Uint8Array(2 * rows + 1);
  let any = false;
  // the share of one side's samples that are dark, 0 where two light ones in a row break it (the gap
  // between two letters of a name: a line runs on unbroken)
  const darkShare = (v: number, sign: number): number => {
    let dark = 0;
    let n = 0;
    let light = 0;
    for (let u = LINE_FROM * f.oa; u <= LINE_TO * f.oa; u++) {
      const x = Math.round(f.cx + sign * u * f.cosT - v * f.sinT);
      const y = Math.round(f.cy + sign * u * f.sinT + v * f.cosT);
      if (x < 0 || y < 0 || x >= stride || y >= height) continue;
      n++;
      if ((lut[px[y * stride + x] as number] as number) >= LINE_DARK) {
        dark++;
        light = 0;
      } else if (++light >= 2) return 0;
    }
    return n ? dark / n : 0;
  };
  for (let v = -rows; v <= rows; v++) {
    if (darkShare(v, 1) >= LINE_SHARE && darkShare(v, -1) >= LINE_SHARE) {
      for (let k = Math.max(0, v + rows - 1); k <= Math.min(2 * rows, v + rows + 1); k++) crossed[k] = 1;
      any = true;
    }
  }
  if (!any) return undefined;
  let sum = 0;
  let count = 0;
  const x0 = Math.max(0, Math.floor(f.cx - ia - 1));
  const x1 = Math.min(stride - 1, Math.ceil(f.cx + ia + 1));
  const y0 = Math.max(0, Math.floor(f.cy - ia - 1));
  const y1 = Math.min(height - 1, Math.ceil(f.cy + ia + 1));
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) {
      const dx = x - f.cx;
      const dy = y - f.cy;
      const u = dx * f.cosT + dy * f.sinT;
      const v = dy * f.cosT - dx * f.sinT;
      if ((u * u) / (ia * ia) + (v * v) / (ib * ib) > 1) continue;
      if (crossed[Math.round(v) + rows]) continue;
      const d0 = lut[px[y * stride + x] as number] as number;
      sum += d0 >= BUBBLE.inkCutoff ? 1 : d0 * BUBBLE.faintWeight;
      count++;
    }
  return count ? sum / count : 0;
}

/**
 * Ovals fainter than this, or whose ink spreads less, are not looked at for one compact group, nor ovals
 * fuller than CORE_MAX_FILL (a dot where a pen rested is not half the oval; the hard set's heaviest read 0.26).
 */
const CORE_MIN_FILL = 0.1;
const CORE_MAX_FILL = 0.45;
const CORE_MIN_SPREAD = 0.5;
/** The largest group must hold this share of the interior's solid pixels to speak for them. */
const CORE_SHARE = 0.6;
let coreMap = new Uint8Array(64 * 64);
let coreQueue = new Int32Array(64 * 64);

/**
 * The spread of the largest group of touching solid pixels (8-neighbours, darkness `inkCutoff` or more)
 * inside the interior ellipse, as `inkSpread01` measures it, when that group holds CORE_SHARE of them;
 * undefined otherwise (strokes apart from each other, or no solid ink).
 */
function largestGroupSpread(
  px: Uint8Array,
  lut: Float32Array,
  stride: number,
  height: number,
  f: { cx: number; cy: number; cosT: number; sinT: number },
  ia: number,
  ib: number,
): number | undefined {
  if (coreMap.length < stride * height) coreMap = new Uint8Array(stride * height * 2);
  if (coreQueue.length < stride * height) coreQueue = new Int32Array(stride * height * 2);
  const map = coreMap;
  const x0 = Math.max(1, Math.floor(f.cx - ia - 1));
  const x1 = Math.min(stride - 2, Math.ceil(f.cx + ia + 1));
  const y0 = Math.max(1, Math.floor(f.cy - ia - 1));
  const y1 = Math.min(height - 2, Math.ceil(f.cy + ia + 1));
  const inEllipse = (x: number, y: number) => {
    const dx = x - f.cx;
    const dy = y - f.cy;
    const u = dx * f.cosT + dy * f.sinT;
    const v = dy * f.cosT - dx * f.sinT;
    return (u * u) / (ia * ia) + (v * v) / (ib * ib) <= 1;
  };
  let total = 0;
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++)
      if ((lut[px[y * stride + x] as number] as number) >= BUBBLE.inkCutoff && inEllipse(x, y)) {
        map[y * stride + x] = 1;
        total++;
      }
  let best = 0;
  let bestFrom = 0;
  let tail = 0;
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) {
      const start = y * stride + x;
      if (map[start] !== 1) continue;
      map[start] = 2;
      const from = tail;
      coreQueue[tail++] = start;
      for (let head = from; head < tail; head++) {
        const k = coreQueue[head] as number;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const j = k + dy * stride + dx;
            if (map[j] === 1) {
              map[j] = 2;
              coreQueue[tail++] = j;
            }
          }
      }
      if (tail - from > best) {
        best = tail - from;
        bestFrom = from;
      }
    }
  for (let i = 0; i < tail; i++) map[coreQueue[i] as number] = 0;
  if (total === 0 || best < total * CORE_SHARE) return undefined;
  // the group's spread: two standard deviations along its longest direction, in interior half-axes
  let mU = 0;
  let mV = 0;
  let mUU = 0;
  let mVV = 0;
  let mUV = 0;
  for (let q = bestFrom; q < bestFrom + best; q++) {
    const k = coreQueue[q] as number;
    const y = Math.floor(k / stride);
    const dx = k - y * stride - f.cx;
    const dy = y - f.cy;
    const un = (dx * f.cosT + dy * f.sinT) / ia;
    const vn = (dy * f.cosT - dx * f.sinT) / ib;
    mU += un;
    mV += vn;
    mUU += un * un;
    mVV += vn * vn;
    mUV += un * vn;
  }
  return spreadOf(best, mU, mV, mUU, mVV, mUV);
}

/**
 * Two standard deviations of a weight's position along its longest direction (the larger eigenvalue of its
 * covariance), from its sums: weight, first and second moments in the interior's unit coordinates.
 */
function spreadOf(w: number, mU: number, mV: number, mUU: number, mVV: number, mUV: number): number {
  const meanU = mU / w;
  const meanV = mV / w;
  const cuu = mUU / w - meanU * meanU;
  const cvv = mVV / w - meanV * meanV;
  const cuv = mUV / w - meanU * meanV;
  const half = (cuu - cvv) / 2;
  return 2 * Math.sqrt(Math.max(0, (cuu + cvv) / 2 + Math.sqrt(half * half + cuv * cuv)));
}
