/** Calibration from data (pure): populations, separation, thresholds with margins, histograms. */
export * from './analyze.ts';
export * from './histogram.ts';
export * from './report.ts';
