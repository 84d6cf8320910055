/**
 * A one-channel 8-bit image in row-major order: 0 is black ink, 255 is white paper.
 * This is the only image type that crosses stage boundaries (plain data, structured-clone safe).
 */
export interface GrayImage {
  readonly widthPx: number;
  readonly heightPx: number;
  /** length = widthPx * heightPx */
  readonly data: Uint8Array;
}

/** Pixel coordinates (x to the right, y down), in pixels of one specific image. */
export interface PointPx {
  readonly xPx: number;
  readonly yPx: number;
}

/** Timing-mark grid coordinates: column 0 / row 0 is the centre of the top-left corner timing mark. */
export interface GridPoint {
  readonly column: number;
  readonly row: number;
}
