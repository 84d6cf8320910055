/**
 * Where things are on the printed page, in inches, and the one conversion from timing-mark grid
 * coordinates to page inches. Measured on the real New Hampshire scans in shared/fixtures (200 dpi):
 * the top-left corner mark's centre sits 0.125 in from the left edge and 0.5 in from the top, marks are
 * 4 per inch (pitch 50.0 px on the Amherst letter scan), 38–39 × 13 px (3/16 × 1/16 in plus ink spread),
 * and a blank oval is 39 × 25 px outside (0.195 × 0.125 in) with a ~1.4 px outline.
 */
import { PAPER_GRIDS, type PaperSize } from '../../src/election/election.ts';

export const TIMING_PITCH_IN = 0.25;
export const TIMING_LEFT_IN = 0.125;
export const TIMING_TOP_IN = 0.5;
export const TIMING_MARK_WIDTH_IN = 3 / 16;
export const TIMING_MARK_HEIGHT_IN = 1 / 16;

/** Outer size of the printed oval (outline included). */
export const OVAL_WIDTH_IN = 0.195;
export const OVAL_HEIGHT_IN = 0.125;
export const OVAL_STROKE_IN = 0.007;
/** Semi-axes of the region counted as the oval's interior for coverage (inside the outline). */
export const OVAL_INTERIOR_RX_IN = 0.083;
export const OVAL_INTERIOR_RY_IN = 0.048;

export const DPIS = [150, 200, 300] as const;
export type Dpi = (typeof DPIS)[number];

export interface PageSizeIn {
  widthIn: number;
  heightIn: number;
}

export function pageSizeIn(paper: PaperSize): PageSizeIn {
  return { widthIn: PAPER_GRIDS[paper].widthIn, heightIn: PAPER_GRIDS[paper].heightIn };
}

export function pageSizePx(paper: PaperSize, dpi: number): { widthPx: number; heightPx: number } {
  const s = pageSizeIn(paper);
  return { widthPx: Math.round(s.widthIn * dpi), heightPx: Math.round(s.heightIn * dpi) };
}

/** Timing-mark grid coordinates → page inches (the centre of the grid point). */
export function gridToPageIn(column: number, row: number): { xIn: number; yIn: number } {
  return { xIn: TIMING_LEFT_IN + column * TIMING_PITCH_IN, yIn: TIMING_TOP_IN + row * TIMING_PITCH_IN };
}

/** Grid units → inches for lengths. */
export function gridLengthIn(units: number): number {
  return units * TIMING_PITCH_IN;
}
