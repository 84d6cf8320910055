/**
 * One input sheet as the batch runner hands it to the tally and the report writers: where its images came
 * from, their hashes, and what interpreting it produced. Plain data, checked with zod at the edge.
 */
import { z } from 'zod';
import { parseWith, type Result } from '../election/result.ts';
import { type SheetOutcome, SheetOutcomeSchema } from '../pipeline/outcome.ts';

export const SheetRecordSchema = z
  .object({
    /** Stable id of the sheet (input order, e.g. `000017`); the CVR `UniqueId`. */
    sheetId: z.string().min(1),
    /** The batch the sheet came in, e.g. the input directory name. */
    batchId: z.string(),
    /** Image paths as given (relative), front first when known. */
    imagePaths: z.array(z.string()),
    /** SHA-256 of each image's bytes, hex, in the order of imagePaths. */
    /** empty for a file that could not be read at all */
    imageSha256: z.array(z.string().regex(/^([0-9a-f]{64})?$/)),
    outcome: SheetOutcomeSchema,
  })
  .refine((r) => r.imageSha256.length === r.imagePaths.length, {
    message: 'as many imageSha256 entries as imagePaths',
    path: ['imageSha256'],
  });
export type SheetRecord = z.infer<typeof SheetRecordSchema>;

/** Validate plain data as a sheet record. Never throws. */
export function parseSheetRecord(value: unknown): Result<SheetRecord> {
  return parseWith(SheetRecordSchema, value);
}

/** Where a sheet ends up in the counts: every input is exactly one of these. */
export type SheetStatus = 'recorded' | 'needs-review' | 'rejected';

export function sheetStatus(outcome: SheetOutcome): SheetStatus {
  if (outcome.type === 'rejected') return 'rejected';
  return outcome.needsReview ? 'needs-review' : 'recorded';
}
