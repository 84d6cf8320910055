/**
 * strip-label: Otsu level and 8-connected dark components of a gray strip, with WASM SIMD.
 *
 * AssemblyScript (built with `npm run build:wasm`, see wasm/README.md). The caller (src/cv/strip-kernel.ts)
 * reserves room with `reserveInput`, copies the strip's rows to the returned address (row stride
 * `strideBytes` >= `widthPx`), then calls `otsuLevel` and/or `label`, and reads the components at
 * `componentsAddress()`:
 *
 *   per component, COMPONENT_BYTES = 40 bytes, little-endian:
 *     i32 minX, i32 minY, i32 maxX, i32 maxY (inclusive), i32 areaPx, i32 firstBlock,
 *     f64 sumX, f64 sumY (sums of the pixel coordinates; centroid = sum / area)
 *
 * Components come in raster order of their first run. `firstBlock` is the index of the first 2×2 block
 * (block-raster order) holding one of its pixels: sorting by it gives OpenCV's label order.
 *
 * Ink is `value <= inkMax` (inkMax -1: nothing is ink; 255: everything is).
 * Memory grows as needed (runs and components have no fixed cap); it is never shrunk.
 */

const HIST_BINS: i32 = 256;
/** four interleaved histograms (fewer store-to-load stalls on runs of equal values), u32 each */
const HIST: usize = memory.data(4 * HIST_BINS * 4, 16);
const RUN_BYTES: usize = 16; // i32 start, i32 end (inclusive), i32 y, i32 parent (then component)
const COMPONENT_BYTES: usize = 40;
/** the strip may be read up to 15 bytes past its last pixel (one v128 load) */
const SLACK_BYTES: usize = 16;
const FLT_EPSILON: f64 = 1.1920928955078125e-7;

const INPUT: usize = (__heap_base + 15) & ~(<usize>15);
let inputBytes: usize = 0;
let runsBase: usize = INPUT;
let runCount: i32 = 0;
let componentsBase: usize = INPUT;
let memoryEnd: usize = 0;

function ensureMemory(end: usize): bool {
  memoryEnd = (<usize>memory.size()) << 16;
  if (end <= memoryEnd) return true;
  const needPages = <i32>((end - memoryEnd + 0xffff) >> 16);
  // grow by at least half the current size so that many small steps stay cheap
  const morePages = max(needPages, memory.size() >> 1);
  if (memory.grow(morePages) < 0 && memory.grow(needPages) < 0) return false;
  memoryEnd = (<usize>memory.size()) << 16;
  return true;
}

/** Makes room for a strip of `byteLength` bytes; returns its address, or 0 when memory cannot grow. */
export function reserveInput(byteLength: i32): usize {
  if (byteLength < 0) return 0;
  inputBytes = <usize>byteLength;
  runsBase = (INPUT + inputBytes + SLACK_BYTES + 15) & ~(<usize>15);
  runCount = 0;
  if (!ensureMemory(runsBase)) {
    inputBytes = 0;
    return 0;
  }
  return INPUT;
}

function fitsInput(widthPx: i32, heightPx: i32, strideBytes: i32): bool {
  if (widthPx <= 0 || heightPx <= 0 || strideBytes < widthPx) return false;
  return <u64>(heightPx - 1) * <u64>strideBytes + <u64>widthPx <= <u64>inputBytes;
}

/**
 * OpenCV's Otsu level (THRESH_OTSU on 8-bit) of the strip, from every `rowStep`-th row:
 * the level L maximising the between-class variance, ink = value <= L. -1 when the input is invalid.
 */
export function otsuLevel(widthPx: i32, heightPx: i32, strideBytes: i32, rowStep: i32): i32 {
  if (!fitsInput(widthPx, heightPx, strideBytes) || rowStep < 1) return -1;
  memory.fill(HIST, 0, 4 * HIST_BINS * 4);
  const h0 = HIST;
  const h1 = HIST + HIST_BINS * 4;
  const h2 = HIST + HIST_BINS * 8;
  const h3 = HIST + HIST_BINS * 12;
  let rows: i32 = 0;
  for (let y: i32 = 0; y < heightPx; y += rowStep) {
    rows++;
    const row = INPUT + <usize>y * <usize>strideBytes;
    let x: i32 = 0;
    for (; x + 4 <= widthPx; x += 4) {
      const v = load<u32>(row + <usize>x);
      const a = h0 + <usize>((v & 255) << 2);
      const b = h1 + <usize>((v >> 6) & 1020);
      const c = h2 + <usize>((v >> 14) & 1020);
      const d = h3 + <usize>((v >> 22) & 1020);
      store<u32>(a, load<u32>(a) + 1);
      store<u32>(b, load<u32>(b) + 1);
      store<u32>(c, load<u32>(c) + 1);
      store<u32>(d, load<u32>(d) + 1);
    }
    for (; x < widthPx; x++) {
      const a = h0 + ((<usize>load<u8>(row + <usize>x)) << 2);
      store<u32>(a, load<u32>(a) + 1);
    }
  }
  for (let i: i32 = 0; i < HIST_BINS; i++) {
    const o = (<usize>i) << 2;
    store<u32>(h0 + o, load<u32>(h0 + o) + load<u32>(h1 + o) + load<u32>(h2 + o) + load<u32>(h3 + o));
  }
  // the same double arithmetic, in the same order, as OpenCV's 8-bit Otsu, so the level is identical
  const scale: f64 = 1.0 / (<f64>widthPx * <f64>rows);
  let mean: f64 = 0;
  for (let i: i32 = 0; i < HIST_BINS; i++) mean += <f64>i * <f64>load<u32>(h0 + ((<usize>i) << 2));
  mean *= scale;
  let mean1: f64 = 0;
  let weight1: f64 = 0;
  let bestSigma: f64 = 0;
  let best: i32 = 0;
  for (let i: i32 = 0; i < HIST_BINS; i++) {
    const p = <f64>load<u32>(h0 + ((<usize>i) << 2)) * scale;
    mean1 *= weight1;
    weight1 += p;
    const weight2 = 1.0 - weight1;
    if (min(weight1, weight2) < FLT_EPSILON || max(weight1, weight2) > 1.0 - FLT_EPSILON) continue;
    mean1 = (mean1 + <f64>i * p) / weight1;
    const mean2 = (mean - weight1 * mean1) / weight2;
    const sigma = weight1 * weight2 * (mean1 - mean2) * (mean1 - mean2);
    if (sigma > bestSigma) {
      bestSigma = sigma;
      best = i;
    }
  }
  return best;
}

function runAt(i: i32): usize {
  return runsBase + ((<usize>i) << 4);
}

function parentOf(i: i32): i32 {
  return load<i32>(runAt(i), 12);
}

/** root of run i's set (path halving); parents always have smaller indices */
function findRoot(i: i32): i32 {
  let node = i;
  let parent = parentOf(node);
  while (parent !== node) {
    const grand = parentOf(parent);
    store<i32>(runAt(node), grand, 12);
    node = grand;
    parent = parentOf(node);
  }
  return node;
}

/**
 * Appends run [start, end] of row y and joins it with the runs of the previous row [prev, prevEnd)
 * that touch it 8-connectedly (overlap [start-1, end+1]). Returns the new `prev` cursor, or -1 when
 * memory cannot grow.
 */
function addRun(start: i32, end: i32, y: i32, prev: i32, prevEnd: i32): i32 {
  const index = runCount;
  const at = runAt(index);
  if (at + RUN_BYTES > memoryEnd && !ensureMemory(at + RUN_BYTES)) return -1;
  store<i32>(at, start);
  store<i32>(at, end, 4);
  store<i32>(at, y, 8);
  runCount = index + 1;
  let p = prev;
  while (p < prevEnd && load<i32>(runAt(p), 4) < start - 1) p++;
  let root = index;
  for (let q = p; q < prevEnd && load<i32>(runAt(q)) <= end + 1; q++) {
    const r = findRoot(q);
    if (root === index) {
      root = r;
    } else if (r !== root) {
      if (r < root) {
        store<i32>(runAt(root), r, 12);
        root = r;
      } else {
        store<i32>(runAt(r), root, 12);
      }
    }
  }
  store<i32>(at, root, 12);
  return p;
}

/**
 * Labels the 8-connected components of ink (value <= inkMax) in the strip. Returns the number of
 * components, -1 when memory cannot grow, -2 when the input does not fit what was reserved.
 */
export function label(widthPx: i32, heightPx: i32, strideBytes: i32, inkMax: i32): i32 {
  runCount = 0;
  if (!fitsInput(widthPx, heightPx, strideBytes)) return -2;
  if (inkMax < 0) return 0;
  const level = i8x16.splat(<i8>min(inkMax, 255));
  memoryEnd = (<usize>memory.size()) << 16;
  let prevFirst: i32 = 0;
  for (let y: i32 = 0; y < heightPx; y++) {
    const row = INPUT + <usize>y * <usize>strideBytes;
    const first = runCount;
    let prev = prevFirst;
    let inRun = false;
    let runStart: i32 = 0;
    for (let x: i32 = 0; x < widthPx; x += 16) {
      // bit i set: pixel x+i is ink (16 paper pixels are skipped with one compare)
      let ink = i8x16.bitmask(i8x16.le_u(v128.load(row + <usize>x), level));
      let valid: i32 = 0xffff;
      if (widthPx - x < 16) {
        valid = (1 << (widthPx - x)) - 1;
        ink &= valid;
      }
      if (inRun) {
        if (ink === valid) continue;
        const end = <i32>ctz(~ink & valid);
        prev = addRun(runStart, x + end - 1, y, prev, first);
        if (prev < 0) return -1;
        inRun = false;
        ink &= -1 << end;
      }
      while (ink !== 0) {
        const start = <i32>ctz(ink);
        const paper = ~ink & valid & (-1 << start);
        if (paper === 0) {
          inRun = true;
          runStart = x + start;
          break;
        }
        const end = <i32>ctz(paper);
        prev = addRun(x + start, x + end - 1, y, prev, first);
        if (prev < 0) return -1;
        ink &= -1 << end;
      }
    }
    if (inRun) {
      prev = addRun(runStart, widthPx - 1, y, prev, first);
      if (prev < 0) return -1;
    }
    prevFirst = first;
  }
  return summarise(widthPx);
}

/** One component per root run, in run order; each run's parent slot becomes its component index. */
function summarise(widthPx: i32): i32 {
  componentsBase = (runAt(runCount) + 7) & ~(<usize>7);
  const blocksPerRow = (widthPx + 1) >> 1;
  let count: i32 = 0;
  for (let i: i32 = 0; i < runCount; i++) {
    const at = runAt(i);
    const start = load<i32>(at);
    const end = load<i32>(at, 4);
    const y = load<i32>(at, 8);
    const parent = load<i32>(at, 12);
    const length = end - start + 1;
    const block = (y >> 1) * blocksPerRow + (start >> 1);
    // (start + end) * length is even: the sum start + ... + end is exact
    const sumX = <f64>((<i64>(start + end) * <i64>length) >> 1);
    const sumY = <f64>y * <f64>length;
    let component: i32;
    if (parent === i) {
      component = count++;
      const c = componentsBase + <usize>component * COMPONENT_BYTES;
      if (c + COMPONENT_BYTES > memoryEnd && !ensureMemory(c + COMPONENT_BYTES)) return -1;
      store<i32>(c, start);
      store<i32>(c, y, 4);
      store<i32>(c, end, 8);
      store<i32>(c, y, 12);
      store<i32>(c, length, 16);
      store<i32>(c, block, 20);
      store<f64>(c, sumX, 24);
      store<f64>(c, sumY, 32);
    } else {
      // the parent has a smaller index: its slot already holds its component
      component = load<i32>(runAt(parent), 12);
      const c = componentsBase + <usize>component * COMPONENT_BYTES;
      store<i32>(c, min(load<i32>(c), start));
      store<i32>(c, max(load<i32>(c, 8), end), 8);
      store<i32>(c, y, 12);
      store<i32>(c, load<i32>(c, 16) + length, 16);
      store<i32>(c, min(load<i32>(c, 20), block), 20);
      store<f64>(c, load<f64>(c, 24) + sumX, 24);
      store<f64>(c, load<f64>(c, 32) + sumY, 32);
    }
    store<i32>(at, component, 12);
  }
  return count;
}

/** Address of the components of the last `label` call. */
export function componentsAddress(): usize {
  return componentsBase;
}

/** Number of runs of the last `label` call (for tests and benchmarks). */
export function runsLabelled(): i32 {
  return runCount;
}
