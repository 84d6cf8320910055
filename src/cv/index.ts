export {
  type Blob,
  clipRect,
  type FindBlobsOptions,
  type FindBlobsResult,
  findDarkBlobs,
  type RectPx,
} from './blobs.ts';
export { CvError, cvErrorMessage, getCv, type MatScope, withMats } from './runtime.ts';
export { findDarkBlobsSimd, type StripBlobOptions } from './strip-kernel.ts';
