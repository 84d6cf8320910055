/**
 * Dark connected components ("blobs") in a rectangle of a gray image, found with OpenCV.
 * Returns plain data in the pixel coordinates of the whole image.
 */
import type { GrayImage } from '../image.ts';
import { type CvMat, getCv, withMats } from './runtime.ts';

/** An axis-aligned rectangle in image pixels. */
export interface RectPx {
  readonly xPx: number;
  readonly yPx: number;
  readonly widthPx: number;
  readonly heightPx: number;
}

/** One dark connected component (8-connected), in whole-image pixel coordinates. */
export interface Blob {
  /** bounding box, left/top inclusive */
  readonly xPx: number;
  readonly yPx: number;
  readonly widthPx: number;
  readonly heightPx: number;
  /** number of dark pixels */
  readonly areaPx: number;
  /** centroid of the dark pixels */
  readonly centerXPx: number;
  readonly centerYPx: number;
}

export interface FindBlobsOptions {
  /** pixels with gray < threshold are ink; 'otsu' picks it from the rectangle's histogram */
  readonly threshold: number | 'otsu';
  /** when Otsu's choice falls outside [min,max] use `fallbackThreshold` (default 128) */
  readonly otsuRange?: readonly [number, number];
  readonly fallbackThreshold?: number;
  /** drop components smaller than this (default 4 px) */
  readonly minAreaPx?: number;
  /** morphological opening with a rectangle (removes thin streaks and speckle) before labelling */
  readonly openKernel?: { readonly widthPx: number; readonly heightPx: number };
}

export interface FindBlobsResult {
  readonly blobs: Blob[];
  readonly thresholdUsed: number;
}

/** Clip a rectangle to the image; returns undefined when empty. */
export function clipRect(image: GrayImage, rect: RectPx): RectPx | undefined {
  const x0 = Math.max(0, Math.floor(rect.xPx));
  const y0 = Math.max(0, Math.floor(rect.yPx));
  const x1 = Math.min(image.widthPx, Math.ceil(rect.xPx + rect.widthPx));
  const y1 = Math.min(image.heightPx, Math.ceil(rect.yPx + rect.heightPx));
  if (x1 - x0 < 1 || y1 - y0 < 1) return undefined;
  return { xPx: x0, yPx: y0, widthPx: x1 - x0, heightPx: y1 - y0 };
}

function copyIntoMat(image: GrayImage, rect: RectPx, mat: CvMat): void {
  // re-read mat.data after allocation: heap growth detaches older views
  const dst = mat.data;
  if (rect.xPx === 0 && rect.widthPx === image.widthPx) {
    const start = rect.yPx * image.widthPx;
    dst.set(image.data.subarray(start, start + rect.widthPx * rect.heightPx));
    return;
  }
  for (let row = 0; row < rect.heightPx; row++) {
    const start = (rect.yPx + row) * image.widthPx + rect.xPx;
    dst.set(image.data.subarray(start, start + rect.widthPx), row * rect.widthPx);
  }
}

/** Find dark blobs in `rect` of `image` (OpenCV threshold + connectedComponentsWithStats). */
export function findDarkBlobs(image: GrayImage, rect: RectPx, options: FindBlobsOptions): FindBlobsResult {
  const clipped = clipRect(image, rect);
  if (!clipped)
    return { blobs: [], thresholdUsed: typeof options.threshold === 'number' ? options.threshold : 128 };
  const cv = getCv();
  return withMats((_cv, scope) => {
    const src = scope.mat(clipped.heightPx, clipped.widthPx, cv.CV_8UC1);
    copyIntoMat(image, clipped, src);
    let bin = scope.mat();
    let thresholdUsed: number;
    if (options.threshold === 'otsu') {
      // THRESH_BINARY_INV: ink (dark) becomes 255. Otsu returns the level it chose.
      const level = cv.threshold(src, bin, 0, 255, cv.THRESH_BINARY_INV | cv.THRESH_OTSU);
      const [lo, hi] = options.otsuRange ?? [60, 190];
      if (level < lo || level > hi) {
        thresholdUsed = options.fallbackThreshold ?? 128;
        cv.threshold(src, bin, thresholdUsed - 1, 255, cv.THRESH_BINARY_INV);
      } else {
        thresholdUsed = level;
      }
    } else {
      thresholdUsed = options.threshold;
      cv.threshold(src, bin, thresholdUsed - 1, 255, cv.THRESH_BINARY_INV);
    }
    if (options.openKernel) {
      const kernel = scope.track(
        cv.getStructuringElement(
          cv.MORPH_RECT,
          new cv.Size(
            Math.max(1, Math.round(options.openKernel.widthPx)),
            Math.max(1, Math.round(options.openKernel.heightPx)),
          ),
        ),
      );
      const opened = scope.mat();
      cv.morphologyEx(bin, opened, cv.MORPH_OPEN, kernel);
      bin = opened;
    }
    const labels = scope.mat();
    const stats = scope.mat();
    const centroids = scope.mat();
    const count = cv.connectedComponentsWithStats(bin, labels, stats, centroids, 8, cv.CV_32S);
    const s = stats.data32S;
    const c = centroids.data64F;
    const minArea = options.minAreaPx ?? 4;
    const blobs: Blob[] = [];
    for (let i = 1; i < count; i++) {
      const areaPx = s[i * 5 + 4] ?? 0;
      if (areaPx < minArea) continue;
      blobs.push({
        xPx: (s[i * 5] ?? 0) + clipped.xPx,
        yPx: (s[i * 5 + 1] ?? 0) + clipped.yPx,
        widthPx: s[i * 5 + 2] ?? 0,
        heightPx: s[i * 5 + 3] ?? 0,
        areaPx,
        centerXPx: (c[i * 2] ?? 0) + clipped.xPx,
        centerYPx: (c[i * 2 + 1] ?? 0) + clipped.yPx,
      });
    }
    return { blobs, thresholdUsed };
  });
}
