/**
 * The strip-label kernels (wasm/strip-label SIMD build, its TypeScript twin) against OpenCV's
 * threshold + connectedComponentsWithStats (`findDarkBlobs`): same components, same Otsu level.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Blob, clipRect, findDarkBlobs, type RectPx } from '../src/cv/blobs.ts';
import {
  findDarkBlobsSimd,
  labelSimd,
  OTSU_ROW_STEP,
  otsuLevelSimd,
  STRIP_LABEL_WASM_URL,
  type StripBlobOptions,
} from '../src/cv/strip-kernel.ts';
import { findDarkBlobsTs, labelTs, otsuLevelTs, stripOf } from '../src/cv/strip-kernel-ts.ts';
import type { GrayImage } from '../src/image.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { AMHERST, HAVE_SHARED, HUDSON, VXQA } from './fixtures.ts';

const ROOT = join(import.meta.dirname, '..');

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function image(widthPx: number, heightPx: number, pixel: (x: number, y: number) => number): GrayImage {
  const data = new Uint8Array(widthPx * heightPx);
  for (let y = 0; y < heightPx; y++) for (let x = 0; x < widthPx; x++) data[y * widthPx + x] = pixel(x, y);
  return { widthPx, heightPx, data };
}

/** Mostly 0–100 (ink) or 150–250 (paper), with `inkShare` of ink pixels. */
function binaryish(widthPx: number, heightPx: number, inkShare: number, seed: number): GrayImage {
  const r = random(seed);
  return image(widthPx, heightPx, () =>
    r() < inkShare ? Math.floor(r() * 100) : 150 + Math.floor(r() * 100),
  );
}

const whole = (img: GrayImage): RectPx => ({ xPx: 0, yPx: 0, widthPx: img.widthPx, heightPx: img.heightPx });

const byBox = (a: Blob, b: Blob) =>
  a.xPx - b.xPx || a.yPx - b.yPx || a.widthPx - b.widthPx || a.heightPx - b.heightPx;

/** The same components: sorted by bounding box, equal boxes and areas, centroids within 1e-6 px. */
function expectSameBlobs(actual: readonly Blob[], expected: readonly Blob[], label: string): void {
  expect(actual.length, `${label}: number of components`).toBe(expected.length);
  const a = [...actual].sort(byBox);
  const e = [...expected].sort(byBox);
  for (let i = 0; i < e.length; i++) {
    const x = a[i] as Blob;
    const y = e[i] as Blob;
    const box = (b: Blob) => [b.xPx, b.yPx, b.widthPx, b.heightPx, b.areaPx];
    expect(box(x), `${label}: component ${i}`).toEqual(box(y));
    expect(Math.abs(x.centerXPx - y.centerXPx), `${label}: centre x of component ${i}`).toBeLessThan(1e-6);
    expect(Math.abs(x.centerYPx - y.centerYPx), `${label}: centre y of component ${i}`).toBeLessThan(1e-6);
  }
}

/** SIMD, TypeScript and OpenCV agree on `rect` (components, their order, and the threshold used). */
function expectAllAgree(img: GrayImage, rect: RectPx, options: StripBlobOptions, label: string): Blob[] {
  const cv = findDarkBlobs(img, rect, options);
  const simd = findDarkBlobsSimd(img, rect, options);
  const ts = findDarkBlobsTs(img, rect, options);
  expect(simd.thresholdUsed, `${label}: threshold (SIMD)`).toBe(cv.thresholdUsed);
  expect(ts.thresholdUsed, `${label}: threshold (TS)`).toBe(cv.thresholdUsed);
  expectSameBlobs(simd.blobs, cv.blobs, `${label} (SIMD vs OpenCV)`);
  expectSameBlobs(ts.blobs, cv.blobs, `${label} (TS vs OpenCV)`);
  // not only the same set: the same order as OpenCV's labels (registration sees identical input)
  expect(simd.blobs).toEqual(cv.blobs);
  expect(ts.blobs).toEqual(cv.blobs);
  return simd.blobs;
}

const ALL = { minAreaPx: 1 } as const;
/** Otsu with no range limit, so that the level itself is compared */
const OTSU = { threshold: 'otsu', otsuRange: [0, 255], minAreaPx: 1 } as const;

describe('strip-label kernels on synthetic strips', () => {
  it('agree with OpenCV on random binary-ish images (numeric threshold and Otsu)', () => {
    const sizes = [
      [1, 1],
      [5, 3],
      [15, 9],
      [16, 16],
      [17, 4],
      [31, 20],
      [33, 33],
      [64, 7],
      [100, 1],
      [1, 60],
      [250, 41],
    ];
    let seed = 1;
    for (const [w, h] of sizes as [number, number][]) {
      for (const share of [0.05, 0.3, 0.5, 0.8]) {
        const img = binaryish(w, h, share, seed++);
        for (const threshold of [128, 60, 101]) {
          expectAllAgree(img, whole(img), { ...ALL, threshold }, `${w}x${h} ink ${share} t ${threshold}`);
        }
        expectAllAgree(img, whole(img), OTSU, `${w}x${h} ink ${share} otsu`);
      }
    }
  });

  it('agree on full-range noise at every kind of threshold, including Otsu fallbacks', () => {
    const r = random(99);
    const img = image(77, 53, () => Math.floor(r() * 256));
    for (const threshold of [0, 1, 2, 127.5, 200, 255, 256, 300, -5]) {
      expectAllAgree(img, whole(img), { ...ALL, threshold }, `noise t ${threshold}`);
    }
    expectAllAgree(img, whole(img), { threshold: 'otsu' }, 'noise otsu default range');
    expectAllAgree(
      img,
      whole(img),
      { threshold: 'otsu', otsuRange: [200, 210], fallbackThreshold: 90 },
      'noise otsu fallback',
    );
  });

  it('agree on speckle (isolated dark pixels and pairs on noisy paper), also after minAreaPx', () => {
    const r = random(7);
    const img = image(301, 97, () => (r() < 0.02 ? Math.floor(r() * 60) : 200 + Math.floor(r() * 55)));
    const blobs = expectAllAgree(img, whole(img), { ...ALL, threshold: 128 }, 'speckle');
    expect(blobs.length).toBeGreaterThan(300);
    expectAllAgree(img, whole(img), { threshold: 128 }, 'speckle minArea 4');
    expectAllAgree(img, whole(img), { threshold: 128, minAreaPx: 2 }, 'speckle minArea 2');
    expectAllAgree(img, whole(img), { threshold: 'otsu', minAreaPx: 1 }, 'speckle otsu');
  });

  it('join thin diagonal lines (8-connectivity) and keep lines one pixel apart separate', () => {
    // three one-pixel lines: down-right, up-right, and a down-right one three columns from the first
    const img = image(90, 40, (x, y) => (x === y + 5 || x === 60 - y || x === y + 8 ? 0 : 255));
    const blobs = expectAllAgree(img, whole(img), { ...ALL, threshold: 128 }, 'diagonals');
    // the up-right line crosses both down-right lines: one component
    expect(blobs).toHaveLength(1);
    // three columns apart they do not touch; two apart they would, diagonally
    const apart = image(90, 40, (x, y) => (x === y + 5 || x === y + 8 ? 0 : 255));
    const two = expectAllAgree(apart, whole(apart), { ...ALL, threshold: 128 }, 'parallel diagonals');
    expect(two).toHaveLength(2);
    expect(two[0]?.areaPx).toBe(40);
    const near = image(90, 40, (x, y) => (x === y + 5 || x === y + 7 ? 0 : 255));
    expect(expectAllAgree(near, whole(near), { ...ALL, threshold: 128 }, 'diagonals 2 apart')).toHaveLength(
      1,
    );
    // a checkerboard is one component with 8-connectivity (it would be 1 per pixel with 4-connectivity)
    const checker = image(37, 19, (x, y) => ((x + y) % 2 === 0 ? 0 : 255));
    const one = expectAllAgree(checker, whole(checker), { ...ALL, threshold: 128 }, 'checkerboard');
    expect(one).toHaveLength(1);
  });

  it('merge touching blobs: corners, U shapes, combs joined at the bottom, spirals', () => {
    const shapes: [string, (x: number, y: number) => boolean][] = [
      ['corner-touching squares', (x, y) => (x < 10 && y < 10) || (x >= 10 && x < 20 && y >= 10 && y < 20)],
      ['squares one pixel apart', (x, y) => (x < 10 && y < 10) || (x >= 11 && x < 20 && y < 10)],
      ['U', (x, y) => (y >= 2 && y < 30 && (x < 4 || (x >= 20 && x < 24))) || (y >= 26 && y < 30 && x < 24)],
      ['comb', (x, y) => (y < 30 && x % 3 === 0) || (y >= 30 && y < 32)],
      ['inverted comb', (x, y) => (y >= 2 && x % 4 === 1) || y === 0],
      [
        'spiral',
        (x, y) => {
          const d = Math.min(x, y, 40 - x, 40 - y);
          return d % 4 === 0 && !(x === d + 1 && y === d) && d < 20;
        },
      ],
      ['ring with a hole', (x, y) => Math.hypot(x - 20, y - 20) < 15 && Math.hypot(x - 20, y - 20) > 6],
      ['W (merges from the right)', (x, y) => Math.abs(((x + 40) % 16) - 8) === Math.floor(y / 2)],
    ];
    for (const [name, ink] of shapes) {
      const img = image(47, 41, (x, y) => (ink(x, y) ? 20 : 230));
      expectAllAgree(img, whole(img), { ...ALL, threshold: 128 }, name);
      expectAllAgree(img, whole(img), OTSU, `${name} otsu`);
    }
  });

  it('handle widths not a multiple of 16, widths < 16 and one-row strips', () => {
    let seed = 500;
    for (const w of [1, 2, 3, 7, 8, 13, 15, 16, 17, 18, 31, 32, 33, 47, 48, 49, 63, 65, 127, 129]) {
      for (const h of [1, 2, 3, 9]) {
        const img = binaryish(w, h, 0.45, seed++);
        expectAllAgree(img, whole(img), { ...ALL, threshold: 128 }, `${w}x${h}`);
        expectAllAgree(img, whole(img), OTSU, `${w}x${h} otsu`);
      }
      // a run reaching the last pixel of every row (the row tail of the SIMD loop)
      const edge = image(w, 3, (x) => (x >= w - 3 ? 0 : 255));
      const blobs = expectAllAgree(
        edge,
        whole(edge),
        { ...ALL, threshold: 128 },
        `${w} ink at the right edge`,
      );
      expect(blobs).toHaveLength(1);
    }
  });

  it('all ink is one component covering the strip; no ink is none', () => {
    for (const [w, h] of [
      [1, 1],
      [15, 1],
      [16, 2],
      [40, 17],
    ] as [number, number][]) {
      const ink = image(w, h, () => 10);
      const blobs = expectAllAgree(ink, whole(ink), { ...ALL, threshold: 128 }, `all ink ${w}x${h}`);
      expect(blobs).toEqual([
        {
          xPx: 0,
          yPx: 0,
          widthPx: w,
          heightPx: h,
          areaPx: w * h,
          centerXPx: (w - 1) / 2,
          centerYPx: (h - 1) / 2,
        },
      ]);
      const paper = image(w, h, () => 240);
      expect(expectAllAgree(paper, whole(paper), { ...ALL, threshold: 128 }, `no ink ${w}x${h}`)).toEqual([]);
      // threshold 256: every value is ink; 0: none is
      expect(findDarkBlobsSimd(paper, whole(paper), { ...ALL, threshold: 256 }).blobs).toHaveLength(1);
      expect(findDarkBlobsSimd(ink, whole(ink), { ...ALL, threshold: 0 }).blobs).toEqual([]);
    }
    // a uniform strip: Otsu finds no level (0), outside the default range, so the fallback 128 is used
    const flat = image(50, 20, () => 100);
    const r = expectAllAgree(flat, whole(flat), { threshold: 'otsu' }, 'flat');
    expect(findDarkBlobsSimd(flat, whole(flat), { threshold: 'otsu' }).thresholdUsed).toBe(128);
    expect(r).toHaveLength(1);
  });

  it('report whole-image coordinates for a rectangle with an x offset, clipped rectangles and empty ones', () => {
    const img = binaryish(203, 90, 0.3, 4242);
    for (const rect of [
      { xPx: 37, yPx: 11, widthPx: 61, heightPx: 50 },
      { xPx: 5, yPx: 0, widthPx: 13, heightPx: 90 },
      { xPx: 190, yPx: 70, widthPx: 40, heightPx: 40 }, // clipped by the image
      { xPx: -8.5, yPx: 3.2, widthPx: 30, heightPx: 7.9 }, // fractional and outside: clipped like OpenCV's caller
      { xPx: 1, yPx: 89, widthPx: 202, heightPx: 1 }, // a one-row strip at the bottom
      { xPx: 4, yPx: 2, widthPx: 199, heightPx: 80 }, // near full width: copied in one piece
    ]) {
      expectAllAgree(img, rect, { ...ALL, threshold: 128 }, `rect ${JSON.stringify(rect)}`);
      expectAllAgree(img, rect, OTSU, `rect ${JSON.stringify(rect)} otsu`);
    }
    const empty = { xPx: 300, yPx: 0, widthPx: 10, heightPx: 10 };
    expect(findDarkBlobsSimd(img, empty, { threshold: 128 })).toEqual(
      findDarkBlobs(img, empty, { threshold: 128 }),
    );
    expect(findDarkBlobsTs(img, empty, { threshold: 'otsu' })).toEqual(
      findDarkBlobs(img, empty, { threshold: 'otsu' }),
    );
    // inside the rectangle, a blob is cut at the rectangle's edge exactly like OpenCV's
    const bar = image(100, 10, (x) => (x >= 20 && x < 60 ? 0 : 255));
    const cut = expectAllAgree(
      bar,
      { xPx: 40, yPx: 0, widthPx: 60, heightPx: 10 },
      { threshold: 128 },
      'cut bar',
    );
    expect(cut.map((b) => [b.xPx, b.widthPx, b.areaPx])).toEqual([[40, 20, 200]]);
  });

  it('grows its memory for very noisy strips: every component kept, nothing capped', () => {
    // isolated ink pixels at even (x, y): 300 × 300 = 90,000 components and runs
    const img = image(600, 600, (x, y) => (x % 2 === 0 && y % 2 === 0 ? 0 : 255));
    const rect = whole(img);
    const simd = findDarkBlobsSimd(img, rect, { ...ALL, threshold: 128 });
    expect(simd.blobs).toHaveLength(90_000);
    expect(simd.blobs).toEqual(findDarkBlobs(img, rect, { ...ALL, threshold: 128 }).blobs);
    // alternating columns: 300 runs per row, 1,200,000 runs for 300 components
    const stripes = image(600, 4000, (x) => (x % 2 === 0 ? 0 : 255));
    const labelled = labelSimd(stripes, whole(stripes), 127);
    expect(labelled?.runs).toBe(1_200_000);
    expect(labelled?.table.count).toBe(300);
    expect(labelTs(stripOf(stripes, whole(stripes)), 127).count).toBe(300);
    // a small strip after the big ones still works (memory is reused, never shrunk)
    const small = binaryish(40, 12, 0.4, 1);
    expectAllAgree(small, whole(small), OTSU, 'small after big');
  });

  it('computes the Otsu level exactly as OpenCV (every row; subsampling rows is not within ±2)', () => {
    expect(OTSU_ROW_STEP).toBe(1);
    let seed = 77;
    for (const [w, h] of [
      [5, 5],
      [16, 3],
      [99, 61],
      [1700, 20],
    ] as [number, number][]) {
      for (const share of [0.02, 0.2, 0.6]) {
        const img = binaryish(w, h, share, seed++);
        const rect = whole(img);
        const cv = findDarkBlobs(img, rect, OTSU).thresholdUsed;
        expect(otsuLevelSimd(img, rect)).toBe(cv);
        expect(otsuLevelTs(stripOf(img, rect))).toBe(cv);
        // the TypeScript and SIMD kernels also agree on subsampled rows
        expect(otsuLevelSimd(img, rect, 2)).toBe(otsuLevelTs(stripOf(img, rect), 2));
        expect(otsuLevelSimd(img, rect, 4)).toBe(otsuLevelTs(stripOf(img, rect), 4));
      }
    }
  });
});

describe.skipIf(!HAVE_SHARED)('strip-label kernels on strips of the real scans', () => {
  const pages = [
    join(AMHERST, 'scan-marked-front.jpeg'),
    join(AMHERST, 'scan-marked-stretch-mark-back.jpeg'),
    join(AMHERST, 'scan-marked-uneven-crop-front.jpeg'),
    join(HUDSON, 'scan-marked-rotated-front.jpeg'),
    join(HUDSON, 'scan-marked-back-300dpi.jpeg'),
    join(VXQA, 'png', '2_en-s3y4ua5am2y7-absentee-official-p-3.png'),
  ];

  it('give the same blobs and Otsu level as OpenCV on the border strips registration labels', async () => {
    for (const path of pages) {
      const decoded = await decodeImage(readFileSync(path), 1);
      if (decoded.type !== 'ok' || !decoded.pages[0]) throw new Error(`cannot decode ${path}`);
      const img = decoded.pages[0];
      const W = img.widthPx;
      const H = img.heightPx;
      const dpi = W / 8.5;
      const edge = Math.round(dpi);
      const column = Math.round(0.55 * dpi);
      const rects: [string, RectPx][] = [
        ['top', { xPx: 0, yPx: 0, widthPx: W, heightPx: edge }],
        ['bottom', { xPx: 0, yPx: H - edge, widthPx: W, heightPx: edge }],
        ['left column, x offset', { xPx: 4, yPx: 0, widthPx: column, heightPx: H }],
        ['right column', { xPx: W - column, yPx: 0, widthPx: column, heightPx: H }],
        ['far row band', { xPx: 0, yPx: H - 0.8 * dpi, widthPx: W, heightPx: 0.5 * dpi }],
      ];
      const name = path.split('/').slice(-2).join('/');
      for (const [where, rect] of rects) {
        const label = `${name} ${where}`;
        const clipped = clipRect(img, rect) as RectPx;
        const level = otsuLevelSimd(img, clipped);
        expect(level, `${label}: Otsu level`).toBe(findDarkBlobs(img, clipped, OTSU).thresholdUsed);
        expect(otsuLevelTs(stripOf(img, clipped)), `${label}: Otsu level (TS)`).toBe(level);
        expectAllAgree(img, rect, { threshold: level, minAreaPx: 1 }, `${label} at the Otsu level`);
        expectAllAgree(img, rect, { threshold: 'otsu', minAreaPx: 6 }, `${label} as registration asks`);
        expectAllAgree(img, rect, { threshold: 128, minAreaPx: 1 }, `${label} at 128`);
      }
    }
  });

  it('give the same blobs as OpenCV on a whole page (the slow path without opening)', async () => {
    const decoded = await decodeImage(readFileSync(join(HUDSON, 'scan-marked-front.jpeg')), 1);
    if (decoded.type !== 'ok' || !decoded.pages[0]) throw new Error('cannot decode');
    const img = decoded.pages[0];
    const blobs = expectAllAgree(img, whole(img), { threshold: 'otsu', minAreaPx: 6 }, 'whole page');
    expect(blobs.length).toBeGreaterThan(100);
  });
});

describe('the committed wasm/build/strip-label.wasm', () => {
  const ascBin = join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js');

  it('is what wasm/strip-label builds to (not stale)', { skip: !existsSync(ascBin) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strip-label-'));
    try {
      const out = join(dir, 'strip-label.wasm');
      execFileSync(
        process.execPath,
        [ascBin, '--config', 'wasm/strip-label/asconfig.json', '--outFile', out],
        {
          cwd: ROOT,
          stdio: 'pipe',
        },
      );
      const built = readFileSync(out);
      const committed = readFileSync(fileURLToPath(STRIP_LABEL_WASM_URL));
      expect(
        Buffer.compare(built, committed),
        'wasm/build/strip-label.wasm is stale: run `npm run build:wasm` and commit it',
      ).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses SIMD and imports nothing', () => {
    const bytes = readFileSync(fileURLToPath(STRIP_LABEL_WASM_URL));
    const wasm = (globalThis as unknown as { WebAssembly: { Module: WasmModuleApi } }).WebAssembly;
    const module = new wasm.Module(bytes);
    expect(wasm.Module.imports(module)).toEqual([]);
    expect(wasm.Module.exports(module).map((e) => e.name)).toEqual(
      expect.arrayContaining(['memory', 'reserveInput', 'otsuLevel', 'label', 'componentsAddress']),
    );
    // 0xfd is the SIMD opcode prefix; i8x16.bitmask is 0xfd 0x64
    expect(bytes.includes(Buffer.from([0xfd, 0x64]))).toBe(true);
  });
});

interface WasmModuleApi {
  new (bytes: Uint8Array): object;
  imports(module: object): { name: string }[];
  exports(module: object): { name: string }[];
}
