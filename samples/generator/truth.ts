/**
 * Ground truth for one generated sheet: what the voter meant, what was drawn at every target (with the
 * ink measured inside the oval from the drawn pixels) and exactly how the "scanner" turned the page into
 * the image files. zod schema with the type beside it; `parseSheetTruth(unknown)` never throws.
 *
 * `intended` = a careful human counts it as a vote. `ambiguous` = a careful human would send it to review.
 * The rule (applied in `judgeTarget`, from the kind drawn and the ink measured):
 *   full-fill, check, x, slash                 → intended, not ambiguous
 *   circle                                     → intended, ambiguous (the ink is around the oval, not in it:
 *                                                 whether it is a vote is a voter-intent decision for review)
 *   partial-fill                               → intended; ambiguous when coverage01 < 0.1 (less ink in the
 *                                                 oval than the lightest clear check leaves)
 *   light-pencil                               → intended; ambiguous when darkness01 < 0.15 (faint)
 *   hesitation-dot                             → not intended; ambiguous when visible (coverage01 ≥ 0.01)
 *   erasure                                    → not intended; ambiguous when its residue is visible
 *                                                 (darkness01 ≥ 0.05); a clean erasure is no mark at all
 *   stray                                      → not intended, not ambiguous (ink is outside the target)
 *   none with a write-in name and no oval mark → intended (the name shows intent), ambiguous
 *   none                                       → neither
 */
import { z } from 'zod';
import { parseWith, type Result } from '../../src/election/result.ts';
import { MARK_KINDS, type MarkKind } from './marks.ts';

export const TRUTH_VERSION = 1;

export const ImageFormatSchema = z.enum(['jpeg', 'png', 'tiff-g4', 'tiff-multipage']);
export type ImageFormat = z.infer<typeof ImageFormatSchema>;

export const TransformSchema = z.object({
  /** Skew of the page in the image, degrees, positive = clockwise. */
  rotationDeg: z.number(),
  upsideDown: z.boolean(),
  /** Uniform scale (1 = true size at `dpi`). */
  scale: z.number().positive(),
  /** Extra scale along the feed direction (image y), 1 = none. */
  stretchY: z.number().positive(),
  translateXPx: z.number(),
  translateYPx: z.number(),
  /**
   * Page inches → image pixels, the whole transform above as one affine map:
   * xPx = a·xIn + b·yIn + c, yPx = d·xIn + e·yIn + f.
   */
  pageInToImagePx: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]),
});
export type Transform = z.infer<typeof TransformSchema>;

export const DefectsSchema = z.object({
  blurPx: z.number().min(0),
  noiseSigma: z.number().min(0),
  /** Darkest corner of the illumination field as a fraction of white (0 = even). */
  illumination: z.number().min(0),
  streaks: z.number().int().min(0),
  borderIn: z.number().min(0),
  /** Gray level outside the paper (scanner lid / background). */
  background: z.number().int().min(0).max(255),
  jpegQuality: z.number().int().min(1).max(100).optional(),
  /** Gray level at or above which a pixel became white in a bilevel image. */
  bilevelThreshold: z.number().int().min(0).max(255).optional(),
});
export type Defects = z.infer<typeof DefectsSchema>;

export const ImageTruthSchema = z.object({
  file: z.string().min(1),
  /** Page index inside the file (multi-page TIFF), else 0. */
  page: z.number().int().min(0),
  /** Which printed side of the sheet this image shows (differs from the file name when swapped). */
  printedSide: z.enum(['front', 'back']),
  widthPx: z.number().int().positive(),
  heightPx: z.number().int().positive(),
  transform: TransformSchema,
  defects: DefectsSchema,
});
export type ImageTruth = z.infer<typeof ImageTruthSchema>;

export const ContestStatusSchema = z.enum(['valid', 'undervote', 'overvote', 'blank']);

export const ContestTruthSchema = z.object({
  contestId: z.string().min(1),
  seats: z.number().int().min(1),
  /** Options the voter meant to vote for (intended targets), ballot order, each once. */
  marked: z.array(z.string()),
  /** What counts: `marked`, or nothing when overvoted. */
  votes: z.array(z.string()),
  status: ContestStatusSchema,
  /** True when any target of the contest is ambiguous: a careful tally would review it. */
  needsReview: z.boolean(),
});
export type ContestTruth = z.infer<typeof ContestTruthSchema>;

export const TargetTruthSchema = z.object({
  contestId: z.string().min(1),
  optionId: z.string().min(1),
  side: z.enum(['front', 'back']),
  column: z.number(),
  row: z.number(),
  kind: z.enum(MARK_KINDS),
  /** Fraction of the oval's interior pixels darkened by ≥ 25 % of white, measured on the drawn page. */
  coverage01: z.number().min(0).max(1),
  /** Mean darkening of the oval's interior, 0..1. */
  darkness01: z.number().min(0).max(1),
  /** A name was written in this write-in target's area. */
  writeInName: z.boolean(),
  intended: z.boolean(),
  ambiguous: z.boolean(),
  /**
   * false when the scan itself erased the mark (a light mark lighter than a black-and-white scanner's
   * threshold): the voter meant it, but no image-reading tally can see it. Readers of the truth report
   * these apart from interpreter errors.
   */
  visibleInScan: z.boolean().default(true),
});
export type TargetTruth = z.infer<typeof TargetTruthSchema>;

export const SheetTruthSchema = z.object({
  version: z.literal(TRUTH_VERSION),
  sheetId: z.string().min(1),
  seed: z.number().int().min(0),
  profile: z.string(),
  electionId: z.string(),
  electionSha256: z.string().regex(/^[0-9a-f]{64}$/),
  ballotStyleId: z.string().min(1),
  precinctId: z.string().min(1),
  sheetNumber: z.number().int().min(1),
  cardNumber: z.number().int().min(0),
  dpi: z.number().int().positive(),
  format: ImageFormatSchema,
  /** Front and back came out of the scanner in the other order. */
  swapped: z.boolean(),
  /** The voter made no mark at all. */
  blank: z.boolean(),
  voter: z.object({ tool: z.enum(['pen', 'pencil', 'marker']), penWidthIn: z.number().positive() }),
  /** In scan order: images[0] is the file named front (or page 0). */
  images: z.array(ImageTruthSchema).min(1).max(2),
  contests: z.array(ContestTruthSchema),
  targets: z.array(TargetTruthSchema),
});
export type SheetTruth = z.infer<typeof SheetTruthSchema>;

export function parseSheetTruth(value: unknown): Result<SheetTruth> {
  return parseWith(SheetTruthSchema, value);
}

/** The review rule above. */
export function judgeTarget(
  kind: MarkKind,
  ink: { coverage01: number; darkness01: number },
  writeInName: boolean,
): { intended: boolean; ambiguous: boolean } {
  switch (kind) {
    case 'full-fill':
    case 'check':
    case 'x':
    case 'slash':
      return { intended: true, ambiguous: false };
    case 'circle':
      return { intended: true, ambiguous: true };
    case 'partial-fill':
      return { intended: true, ambiguous: ink.coverage01 < 0.1 };
    case 'light-pencil':
      return { intended: true, ambiguous: ink.darkness01 < 0.15 };
    case 'hesitation-dot':
      // a speck too small to see at scan resolution is no mark at all
      return { intended: false, ambiguous: ink.coverage01 >= 0.01 };
    case 'erasure':
      return { intended: false, ambiguous: ink.darkness01 >= 0.05 };
    case 'stray':
      return { intended: false, ambiguous: false };
    case 'none':
      return writeInName ? { intended: true, ambiguous: true } : { intended: false, ambiguous: false };
  }
}
