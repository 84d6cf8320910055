/**
 * What crosses the worker boundary, both ways: plain data, zod-checked on each side.
 */
import { z } from 'zod';
import { SheetOutcomeSchema } from '../pipeline/outcome.ts';

export const ScanJobSchema = z.object({
  sheetId: z.string().min(1),
  /** absolute paths of the images of one sheet (1 or 2; a multi-page TIFF is one path) */
  paths: z.array(z.string().min(1)).min(1).max(2),
  /** a sheet inside a batch TIFF (one path): its first page (0-based) and page count (1 or 2) */
  pages: z.object({ first: z.number().int().min(0), count: z.number().int().min(1).max(2) }).optional(),
});
export type ScanJob = z.infer<typeof ScanJobSchema>;

export const ScanResultSchema = z.object({
  sheetId: z.string(),
  /** SHA-256 of each image file's bytes, in the order of `paths` ('' when unreadable) */
  imageSha256: z.array(z.string()),
  outcome: SheetOutcomeSchema,
  /** milliseconds spent per stage, for benchmarks and profiling */
  timingsMs: z.object({ load: z.number(), decode: z.number(), interpret: z.number() }),
});
export type ScanResult = z.infer<typeof ScanResultSchema>;

/** Set once per worker: the election definition bytes and calibration (parsed and checked in the worker). */
export const WorkerConfigSchema = z.object({
  electionJson: z.string(),
  calibration: z.unknown(),
  ballotStyleId: z.string().optional(),
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;
