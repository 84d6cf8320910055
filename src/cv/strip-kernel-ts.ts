/**
 * The strip-label kernel in plain TypeScript: the same algorithm as wasm/strip-label (Otsu level as
 * OpenCV computes it; runs of ink per row, union-find over runs that touch 8-connectedly, one
 * component per root run), one pixel at a time instead of 16. The readable reference for tests and
 * the benchmark; the pipeline uses the WebAssembly build (`findDarkBlobsSimd`).
 */
import type { GrayImage } from '../image.ts';
import { clipRect, type FindBlobsResult, type RectPx } from './blobs.ts';
import {
  blobsFromTable,
  COMPONENT_BYTES,
  type ComponentTable,
  inkLevelFor,
  OTSU_ROW_STEP,
  type StripBlobOptions,
} from './strip-kernel.ts';

/** A strip of `widthPx` × `heightPx` pixels inside `data`, starting at `offset`, rows `strideBytes` apart. */
export interface StripView {
  readonly data: Uint8Array;
  readonly offset: number;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly strideBytes: number;
}

const FLT_EPSILON = 1.1920928955078125e-7;

/** OpenCV's 8-bit Otsu level (ink = value <= level) from every `rowStep`-th row of the strip. */
export function otsuLevelTs(strip: StripView, rowStep = OTSU_ROW_STEP): number {
  const histogram = new Uint32Array(256);
  let rows = 0;
  for (let y = 0; y < strip.heightPx; y += rowStep) {
    rows++;
    const row = strip.offset + y * strip.strideBytes;
    for (let x = 0; x < strip.widthPx; x++) {
      const value = strip.data[row + x] as number;
      histogram[value] = (histogram[value] as number) + 1;
    }
  }
  // the same double arithmetic, in the same order, as OpenCV, so that the level is identical
  const scale = 1 / (strip.widthPx * rows);
  let mean = 0;
  for (let i = 0; i < 256; i++) mean += i * (histogram[i] as number);
  mean *= scale;
  let mean1 = 0;
  let weight1 = 0;
  let bestSigma = 0;
  let best = 0;
  for (let i = 0; i < 256; i++) {
    const p = (histogram[i] as number) * scale;
    mean1 *= weight1;
    weight1 += p;
    const weight2 = 1 - weight1;
    if (Math.min(weight1, weight2) < FLT_EPSILON || Math.max(weight1, weight2) > 1 - FLT_EPSILON) continue;
    mean1 = (mean1 + i * p) / weight1;
    const mean2 = (mean - weight1 * mean1) / weight2;
    const sigma = weight1 * weight2 * (mean1 - mean2) * (mean1 - mean2);
    if (sigma > bestSigma) {
      bestSigma = sigma;
      best = i;
    }
  }
  return best;
}

/** Runs of ink: start, end (inclusive), row, parent run (later: component), 4 ints per run. */
class RunList {
  ints = new Int32Array(4 * 1024);
  count = 0;

  add(start: number, end: number, y: number): number {
    if ((this.count + 1) * 4 > this.ints.length) {
      const grown = new Int32Array(this.ints.length * 2);
      grown.set(this.ints);
      this.ints = grown;
    }
    const i = this.count++;
    this.ints[i * 4] = start;
    this.ints[i * 4 + 1] = end;
    this.ints[i * 4 + 2] = y;
    this.ints[i * 4 + 3] = i;
    return i;
  }

  /** root of run i's set, with path halving; a parent always has a smaller index than its child */
  root(i: number): number {
    const ints = this.ints;
    let node = i;
    let parent = ints[node * 4 + 3] as number;
    while (parent !== node) {
      const grand = ints[parent * 4 + 3] as number;
      ints[node * 4 + 3] = grand;
      node = grand;
      parent = ints[node * 4 + 3] as number;
    }
    return node;
  }
}

/** 8-connected components of ink (value <= inkMax) in the strip, in the kernel's table layout. */
export function labelTs(strip: StripView, inkMax: number): ComponentTable & { runs: number } {
  const runs = new RunList();
  const { data, widthPx, heightPx } = strip;
  let prevFirst = 0;
  for (let y = 0; inkMax >= 0 && y < heightPx; y++) {
    const row = strip.offset + y * strip.strideBytes;
    const first = runs.count;
    let prev = prevFirst;
    let x = 0;
    while (x < widthPx) {
      if ((data[row + x] as number) > inkMax) {
        x++;
        continue;
      }
      const start = x;
      while (x < widthPx && (data[row + x] as number) <= inkMax) x++;
      const end = x - 1;
      const index = runs.add(start, end, y);
      // join the runs of the previous row that overlap [start - 1, end + 1]
      while (prev < first && (runs.ints[prev * 4 + 1] as number) < start - 1) prev++;
      let root = index;
      for (let q = prev; q < first && (runs.ints[q * 4] as number) <= end + 1; q++) {
        const r = runs.root(q);
        if (root === index) root = r;
        else if (r < root) {
          runs.ints[root * 4 + 3] = r;
          root = r;
        } else if (r > root) runs.ints[r * 4 + 3] = root;
      }
      runs.ints[index * 4 + 3] = root;
    }
    prevFirst = first;
  }
  // one component per root run, in run order; each run's parent slot becomes its component
  const buffer = new ArrayBuffer(Math.max(1, runs.count) * COMPONENT_BYTES);
  const int32 = new Int32Array(buffer);
  const float64 = new Float64Array(buffer);
  const blocksPerRow = (widthPx + 1) >> 1;
  let count = 0;
  for (let i = 0; i < runs.count; i++) {
    const start = runs.ints[i * 4] as number;
    const end = runs.ints[i * 4 + 1] as number;
    const y = runs.ints[i * 4 + 2] as number;
    const parent = runs.ints[i * 4 + 3] as number;
    const length = end - start + 1;
    const block = (y >> 1) * blocksPerRow + (start >> 1);
    const sumX = ((start + end) * length) / 2;
    const sumY = y * length;
    const component = parent === i ? count++ : (runs.ints[parent * 4 + 3] as number);
    const c = component * 10;
    if (parent === i) {
      int32.set([start, y, end, y, length, block], c);
      float64[component * 5 + 3] = sumX;
      float64[component * 5 + 4] = sumY;
    } else {
      int32[c] = Math.min(int32[c] as number, start);
      int32[c + 2] = Math.max(int32[c + 2] as number, end);
      int32[c + 3] = y;
      int32[c + 4] = (int32[c + 4] as number) + length;
      int32[c + 5] = Math.min(int32[c + 5] as number, block);
      float64[component * 5 + 3] = (float64[component * 5 + 3] as number) + sumX;
      float64[component * 5 + 4] = (float64[component * 5 + 4] as number) + sumY;
    }
    runs.ints[i * 4 + 3] = component;
  }
  return { count, int32, int32Base: 0, float64, float64Base: 0, runs: runs.count };
}

/** The strip view of a clipped rectangle of an image, in place (no copy). */
export function stripOf(image: GrayImage, clipped: RectPx): StripView {
  return {
    data: image.data,
    offset: clipped.yPx * image.widthPx + clipped.xPx,
    widthPx: clipped.widthPx,
    heightPx: clipped.heightPx,
    strideBytes: image.widthPx,
  };
}

/** Find dark blobs in `rect` of `image` with the TypeScript kernel (result as `findDarkBlobs`). */
export function findDarkBlobsTs(image: GrayImage, rect: RectPx, options: StripBlobOptions): FindBlobsResult {
  const clipped = clipRect(image, rect);
  if (!clipped)
    return { blobs: [], thresholdUsed: typeof options.threshold === 'number' ? options.threshold : 128 };
  const strip = stripOf(image, clipped);
  const { inkMax, thresholdUsed } = inkLevelFor(options, () => otsuLevelTs(strip));
  const table = labelTs(strip, inkMax);
  return { blobs: blobsFromTable(table, clipped, options.minAreaPx ?? 4), thresholdUsed };
}
