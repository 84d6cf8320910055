/**
 * The opencv-wasm runtime: loaded once per process (or worker thread), synchronously.
 *
 * Rules enforced here (see DESIGN.md):
 * - `cv` is a thenable; `then` is deleted right after loading so nothing can `await` it by accident.
 * - opencv.js (Emscripten) installs process-wide `uncaughtException` / `unhandledRejection` handlers that
 *   call `abort()`; we remove the handlers it added so a rejected promise elsewhere does not kill the process.
 * - Every Mat must be deleted: use `withMats`, which deletes everything it tracked in `finally`.
 * - OpenCV exceptions arrive as numbers: `cvErrorMessage` turns them into text.
 * - No Mat ever leaves src/cv: callers get plain arrays and numbers.
 */
import { createRequire } from 'node:module';

/** The few pieces of the opencv.js API we use (the package ships `any` types). */
export interface CvMat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  readonly data32S: Int32Array;
  readonly data64F: Float64Array;
  roi(rect: CvRect): CvMat;
  setTo(value: unknown): CvMat;
  delete(): void;
  isDeleted(): boolean;
}
export interface CvRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface CvModule {
  Mat: new (...args: unknown[]) => CvMat;
  Rect: new (x: number, y: number, width: number, height: number) => CvRect;
  Size: new (width: number, height: number) => unknown;
  Scalar: new (...values: number[]) => unknown;
  CV_8UC1: number;
  CV_32S: number;
  THRESH_BINARY_INV: number;
  THRESH_OTSU: number;
  MORPH_RECT: number;
  MORPH_OPEN: number;
  threshold(src: CvMat, dst: CvMat, thresh: number, maxval: number, type: number): number;
  connectedComponentsWithStats(
    image: CvMat,
    labels: CvMat,
    stats: CvMat,
    centroids: CvMat,
    connectivity: number,
    ltype: number,
  ): number;
  getStructuringElement(shape: number, size: unknown): CvMat;
  morphologyEx(src: CvMat, dst: CvMat, op: number, kernel: CvMat): void;
  exceptionFromPtr(ptr: number): { msg: string };
}

interface OpencvWasmPackage {
  cv: CvModule & { then?: unknown };
  cvTranslateError: (cv: unknown, err: unknown) => string | Error | undefined;
}

let loaded: OpencvWasmPackage | undefined;

function load(): OpencvWasmPackage {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const beforeException = new Set(process.listeners('uncaughtException'));
  const beforeRejection = new Set(process.listeners('unhandledRejection'));
  const pkg = require('opencv-wasm') as OpencvWasmPackage;
  // Never let anything await the module object (it would spin forever).
  delete pkg.cv.then;
  for (const listener of process.listeners('uncaughtException')) {
    if (!beforeException.has(listener)) process.removeListener('uncaughtException', listener);
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!beforeRejection.has(listener)) process.removeListener('unhandledRejection', listener);
  }
  loaded = pkg;
  return pkg;
}

/** The loaded OpenCV module (synchronous, not a thenable). Only src/cv may call this. */
export function getCv(): CvModule {
  return load().cv;
}

/** A readable message for anything OpenCV throws (numbers are pointers to C++ exceptions). */
export function cvErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    const pkg = load();
    const translated = pkg.cvTranslateError(pkg.cv, error);
    if (translated instanceof Error) return translated.message;
    if (typeof translated === 'string' && translated !== '') return translated;
  } catch {
    // fall through to the generic message
  }
  return `OpenCV error ${String(error)}`;
}

/** Error thrown from src/cv operations, with the OpenCV message translated. */
export class CvError extends Error {
  override readonly name = 'CvError';
}

/** Tracks Mats created in one scope; `withMats` deletes all of them at the end. */
export interface MatScope {
  /** Register a Mat (or anything with delete()) for deletion at scope end; returns it. */
  track<T extends { delete(): void }>(mat: T): T;
  /** `new cv.Mat(...args)`, tracked. */
  mat(...args: unknown[]): CvMat;
}

/**
 * Run `fn` with a scope that deletes every tracked Mat in `finally`, and translates OpenCV
 * exceptions (numbers) into `CvError`. `fn` must return plain data, never a Mat.
 */
export function withMats<T>(fn: (cv: CvModule, scope: MatScope) => T): T {
  const cv = getCv();
  const tracked: { delete(): void }[] = [];
  const scope: MatScope = {
    track(mat) {
      tracked.push(mat);
      return mat;
    },
    mat(...args) {
      const m = new cv.Mat(...args);
      tracked.push(m);
      return m;
    },
  };
  try {
    return fn(cv, scope);
  } catch (error) {
    if (error instanceof Error) throw error;
    throw new CvError(cvErrorMessage(error));
  } finally {
    for (let i = tracked.length - 1; i >= 0; i--) {
      const m = tracked[i] as { delete(): void; isDeleted?: () => boolean };
      try {
        if (!m.isDeleted?.()) m.delete();
      } catch {
        // already deleted
      }
    }
  }
}
