/**
 * Dark blobs with our own WebAssembly kernel (wasm/strip-label: Otsu level, then SIMD threshold and
 * run-based 8-connected labelling). Same result as `findDarkBlobs` without `openKernel`: the same
 * components in the same order, the same Otsu level, plain data in whole-image coordinates.
 *
 * The module is compiled and instantiated synchronously, once per process or worker thread, on the
 * first call. Its memory grows with the largest strip and the noisiest strip seen, and is never shrunk.
 */
import { readFileSync } from 'node:fs';
import type { GrayImage } from '../image.ts';
import { type Blob, clipRect, type FindBlobsOptions, type FindBlobsResult, type RectPx } from './blobs.ts';

/** Options of `findDarkBlobs` that the kernel supports (the opening stays with OpenCV). */
export type StripBlobOptions = Omit<FindBlobsOptions, 'openKernel'>;

/** The committed build of wasm/strip-label (rebuild: `npm run build:wasm`). */
export const STRIP_LABEL_WASM_URL = new URL('../../wasm/build/strip-label.wasm', import.meta.url);

/**
 * Every row of the strip goes into the Otsu histogram (rowStep 1), so the level is OpenCV's exactly;
 * every 2nd row would save ~0.1–0.2 ms per page but moves the level by up to a few grey levels on
 * real strips (measured in wasm/README.md).
 */
export const OTSU_ROW_STEP = 1;

/** Bytes per component in a component table (the kernel's layout). */
export const COMPONENT_BYTES = 40;
const COMPONENT_INTS = COMPONENT_BYTES / 4;
const COMPONENT_FLOATS = COMPONENT_BYTES / 8;

/**
 * Components as the kernels write them. Component c has, at `int32[int32Base + 10c + k]`,
 * k = 0 minX, 1 minY, 2 maxX, 3 maxY (inclusive, strip coordinates), 4 areaPx, 5 firstBlock (index of the
 * first 2×2 block holding one of its pixels, block-raster order: OpenCV's label order), and at
 * `float64[float64Base + 5c + k]`, k = 3 sum of x, 4 sum of y over its pixels.
 */
export interface ComponentTable {
  readonly count: number;
  readonly int32: Int32Array;
  readonly int32Base: number;
  readonly float64: Float64Array;
  readonly float64Base: number;
}

/** The part of the WebAssembly JS API used here (Node's global; @types/node 20 does not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

interface StripLabelExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  reserveInput(byteLength: number): number;
  otsuLevel(widthPx: number, heightPx: number, strideBytes: number, rowStep: number): number;
  label(widthPx: number, heightPx: number, strideBytes: number, inkMax: number): number;
  componentsAddress(): number;
  runsLabelled(): number;
}

let loaded: StripLabelExports | undefined;

function kernel(): StripLabelExports {
  if (loaded) return loaded;
  const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  const module = new wasm.Module(readFileSync(STRIP_LABEL_WASM_URL));
  const instance = new wasm.Instance(module, {});
  loaded = instance.exports as unknown as StripLabelExports;
  return loaded;
}

/**
 * The ink level of `findDarkBlobs`' options: ink = value <= inkMax. A numeric threshold t means
 * value < t (OpenCV: THRESH_BINARY_INV at t - 1, floored); an Otsu level L means value <= L, unless L
 * is outside `otsuRange` (default 60..190), then `fallbackThreshold` (default 128) applies.
 */
export function inkLevelFor(
  options: StripBlobOptions,
  otsuLevel: () => number,
): { inkMax: number; thresholdUsed: number } {
  if (options.threshold === 'otsu') {
    const level = otsuLevel();
    const [lo, hi] = options.otsuRange ?? [60, 190];
    if (level >= lo && level <= hi) return { inkMax: level, thresholdUsed: level };
    const fallback = options.fallbackThreshold ?? 128;
    return { inkMax: inkMaxBelow(fallback), thresholdUsed: fallback };
  }
  return { inkMax: inkMaxBelow(options.threshold), thresholdUsed: options.threshold };
}

function inkMaxBelow(threshold: number): number {
  const level = Math.floor(threshold - 1);
  if (Number.isNaN(level)) return -1;
  return Math.max(-1, Math.min(255, level));
}

/** Blobs of at least `minAreaPx` in OpenCV's label order, moved to whole-image coordinates. */
export function blobsFromTable(table: ComponentTable, clipped: RectPx, minAreaPx: number): Blob[] {
  const { int32, int32Base, float64, float64Base } = table;
  const kept: { firstBlock: number; blob: Blob }[] = [];
  for (let c = 0; c < table.count; c++) {
    const i = int32Base + c * COMPONENT_INTS;
    const areaPx = int32[i + 4] as number;
    if (areaPx < minAreaPx) continue;
    const minX = int32[i] as number;
    const minY = int32[i + 1] as number;
    const f = float64Base + c * COMPONENT_FLOATS;
    kept.push({
      firstBlock: int32[i + 5] as number,
      blob: {
        xPx: minX + clipped.xPx,
        yPx: minY + clipped.yPx,
        widthPx: (int32[i + 2] as number) - minX + 1,
        heightPx: (int32[i + 3] as number) - minY + 1,
        areaPx,
        centerXPx: (float64[f + 3] as number) / areaPx + clipped.xPx,
        centerYPx: (float64[f + 4] as number) / areaPx + clipped.yPx,
      },
    });
  }
  kept.sort((a, b) => a.firstBlock - b.firstBlock);
  return kept.map((k) => k.blob);
}

/** Copies the clipped rectangle into the kernel's memory; returns the row stride used. */
function copyIn(k: StripLabelExports, image: GrayImage, r: RectPx): number {
  // One copy of the whole row span when it is not much wider than the strip (full-width strips);
  // row by row for narrow strips (side columns), where the span would be many times the strip.
  const contiguous = image.widthPx - r.widthPx <= 1024;
  const strideBytes = contiguous ? image.widthPx : r.widthPx;
  const byteLength = (r.heightPx - 1) * strideBytes + r.widthPx;
  const address = k.reserveInput(byteLength);
  if (address === 0) throw new Error(`strip-label: cannot grow WebAssembly memory for ${byteLength} bytes`);
  const memory = new Uint8Array(k.memory.buffer); // after reserveInput: growth detaches older views
  if (contiguous) {
    const start = r.yPx * image.widthPx + r.xPx;
    memory.set(image.data.subarray(start, start + byteLength), address);
  } else {
    for (let row = 0; row < r.heightPx; row++) {
      const start = (r.yPx + row) * image.widthPx + r.xPx;
      memory.set(image.data.subarray(start, start + r.widthPx), address + row * strideBytes);
    }
  }
  return strideBytes;
}

function labelledTable(k: StripLabelExports, count: number): ComponentTable {
  const address = k.componentsAddress();
  const buffer = k.memory.buffer;
  return {
    count,
    int32: new Int32Array(buffer),
    int32Base: address / 4,
    float64: new Float64Array(buffer),
    float64Base: address / 8,
  };
}

/** Find dark blobs in `rect` of `image` with the SIMD WebAssembly kernel (result as `findDarkBlobs`). */
export function findDarkBlobsSimd(
  image: GrayImage,
  rect: RectPx,
  options: StripBlobOptions,
): FindBlobsResult {
  const clipped = clipRect(image, rect);
  if (!clipped)
    return { blobs: [], thresholdUsed: typeof options.threshold === 'number' ? options.threshold : 128 };
  const k = kernel();
  const strideBytes = copyIn(k, image, clipped);
  const { widthPx, heightPx } = clipped;
  const { inkMax, thresholdUsed } = inkLevelFor(options, () =>
    k.otsuLevel(widthPx, heightPx, strideBytes, OTSU_ROW_STEP),
  );
  const count = k.label(widthPx, heightPx, strideBytes, inkMax);
  if (count < 0) {
    throw new Error(
      count === -1
        ? `strip-label: cannot grow WebAssembly memory while labelling ${widthPx}x${heightPx} px`
        : `strip-label: the strip (${widthPx}x${heightPx} px) does not fit the reserved input`,
    );
  }
  return { blobs: blobsFromTable(labelledTable(k, count), clipped, options.minAreaPx ?? 4), thresholdUsed };
}

/** The kernel's Otsu level of `rect` (every `rowStep`-th row), for tests and benchmarks. */
export function otsuLevelSimd(image: GrayImage, rect: RectPx, rowStep = OTSU_ROW_STEP): number {
  const clipped = clipRect(image, rect);
  if (!clipped) return 0;
  const k = kernel();
  const strideBytes = copyIn(k, image, clipped);
  return k.otsuLevel(clipped.widthPx, clipped.heightPx, strideBytes, rowStep);
}

/** The kernel's raw component table for `rect` at ink = value <= inkMax (tests): read it before the next call. */
export function labelSimd(
  image: GrayImage,
  rect: RectPx,
  inkMax: number,
): { table: ComponentTable; runs: number } | undefined {
  const clipped = clipRect(image, rect);
  if (!clipped) return undefined;
  const k = kernel();
  const strideBytes = copyIn(k, image, clipped);
  const count = k.label(clipped.widthPx, clipped.heightPx, strideBytes, inkMax);
  if (count < 0) throw new Error(`strip-label: label failed (${count})`);
  return { table: labelledTable(k, count), runs: k.runsLabelled() };
}
