/**
 * What interpreting one sheet produces: plain, zod-checked data (it crosses the worker boundary).
 * Every unhappy outcome is a tagged variant with its evidence, never an exception.
 */
import { z } from 'zod';

export const MarkStatusSchema = z.enum(['marked', 'marginal', 'unmarked']);
export type MarkStatus = z.infer<typeof MarkStatusSchema>;

export const TargetResultSchema = z.object({
  contestId: z.string(),
  optionId: z.string(),
  type: z.enum(['option', 'write-in']),
  side: z.enum(['front', 'back']),
  column: z.number(),
  row: z.number(),
  /** continuous fill of the oval interior, 0..1 */
  fill01: z.number(),
  status: MarkStatusSchema,
  /** where it was measured, in the pixels of that side's image (for overlays and reports) */
  centrePx: z.object({ xPx: z.number(), yPx: z.number() }),
  halfWidthPx: z.number(),
  halfHeightPx: z.number(),
  /**
   * a scanner streak (a dark line down the whole page) runs through the target: it was taken out before
   * the target was read, its columns brightened back by the light they let through
   */
  streak: z.boolean(),
  /**
   * given (true) when a line across the whole page (a fold's crease, a line the scanner drew) runs through
   * the oval: it was taken out before the target was read, its rows brightened back by the light they let
   * through
   */
  pageLine: z.boolean().optional(),
  /**
   * given with a streak: the share of the interior's width it hid, where it let through too little light
   * to see anything under it (those columns are redrawn from either side)
   */
  streakShare01: z.number().optional(),
  /** ink just above and below the oval (a circled option), 0..1 */
  outsideInk01: z.number(),
  /** ink fraction of the write-in area, for write-in targets: its pixels that are ink, the printing left out */
  writeInInk01: z.number().optional(),
  /**
   * write-in ink every write-in area of the side held, taken off `writeInInk01` as printing (a label inside
   * each area); absent where the emptiest area is empty
   */
  writeInPrinted01: z.number().optional(),
  /** where the write-in area was read, in the pixels of that side's image (a rectangle turned about its corner) */
  writeInAreaPx: z
    .object({
      corner: z.object({ xPx: z.number(), yPx: z.number() }),
      widthPx: z.number(),
      heightPx: z.number(),
      angleRad: z.number(),
    })
    .optional(),
  // How the ink in the oval lies (src/pipeline/score.ts defines each). Optional: records made before
  // these measures existed do not have them.
  /** spread of the interior's ink, in interior half-axes: ~1 an even fill or strokes across, small a dot */
  inkSpread01: z.number().optional(),
  /** share of the interior's ink in isolated specks (scan noise, not strokes) */
  speckle01: z.number().optional(),
  /** how much darker than the paper around it the interior is as a whole (a faint smudge), 0..1 */
  residue01: z.number().optional(),
  /**
   * the largest spot of solid ink of its own (not joined to the printed outline or a stroke) reaching into
   * the interior, as a share of it (a hesitation dot), 0..1; 0 in an oval holding more solid ink than that
   */
  spot01: z.number().optional(),
  /**
   * ink along the printed outline beyond the outline's own line (a dot on it, a stroke along its edge), as
   * a share of the interior, 0..1; 0 in an oval holding more solid ink than one spot could be
   */
  edgeInk01: z.number().optional(),
  /**
   * the same, of the inner part of the strip across the outline alone (the printed line and inward): what
   * is printed beside the oval, a rule or a name, is not in it
   */
  edgeInward01: z.number().optional(),
  /** how much lighter the paper level is than the median of the paper round the oval, 0..1 (a stain) */
  paperSpread01: z.number().optional(),
  /**
   * the share of the directions round the oval with ink in them between 1.3 and 2.2 times its size (a
   * circle drawn round it), of those in which the other ovals of its column have no printing, 0..1
   */
  surround01: z.number().optional(),
  /**
   * given only when a line runs through the interior and on beyond the oval on both sides (a fold in the
   * paper, a line a scanner drew across the page, a stroke through the whole row): the fill without the
   * rows it crosses
   */
  fillWithoutLines01: z.number().optional(),
  /**
   * given only for an oval with ink enough to count that spreads across it, when most of its solid ink is
   * one group of touching pixels: that group's spread (a dot among the specks of a speckled page)
   */
  coreSpread01: z.number().optional(),
  /**
   * The outline was first found `shiftPx` from where the outlines of the neighbouring targets put it, so
   * the target was read again there (the fields above); this is what the first reading said.
   */
  firstReading: z.object({ shiftPx: z.number(), fill01: z.number(), status: MarkStatusSchema }).optional(),
});
export type TargetResult = z.infer<typeof TargetResultSchema>;

/**
 * Where on the sheet the target a reason is about is, given when its option is printed more than once in
 * the contest (a cross-endorsed candidate), so a person knows which of its ovals is meant.
 */
const TargetAt = {
  side: z.enum(['front', 'back']).optional(),
  column: z.number().optional(),
  row: z.number().optional(),
};

export const AdjudicationReasonSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('overvote'),
    contestId: z.string(),
    optionIds: z.array(z.string()),
    seats: z.number(),
  }),
  z.object({ type: z.literal('undervote'), contestId: z.string(), votes: z.number(), seats: z.number() }),
  z.object({
    type: z.literal('marginal-mark'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    fill01: z.number(),
    /**
     * Given when the fill is over the definite threshold but is a light, even shading (a soft pencil
     * pressed lightly), which counts only when darker: how much darker than the paper its interior is
     */
    shading01: z.number().optional(),
    /**
     * Given when the fill is over the definite threshold but the oval sits in a dark patch of the paper (a
     * stain) that can make such a fill alone: how much lighter the paper level is than the paper round it
     */
    paperSpread01: z.number().optional(),
  }),
  z.object({ type: z.literal('write-in'), contestId: z.string(), optionId: z.string(), ...TargetAt }),
  z.object({
    type: z.literal('unmarked-write-in'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    writeInInk01: z.number(),
  }),
  z.object({
    type: z.literal('mark-outside-target'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    outsideInk01: z.number(),
    /** how much of the way round the oval there is ink (a circle round it), where that was measured */
    surround01: z.number().optional(),
  }),
  /** a scanner streak covers so much of the oval that what is under it cannot be read */
  z.object({
    type: z.literal('streak-through-target'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    streakShare01: z.number().optional(),
  }),
  /** a definite fill that sits in one small spot of the oval (a dot where a pen rested), not across it */
  z.object({
    type: z.literal('compact-mark'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    fill01: z.number(),
    inkSpread01: z.number(),
  }),
  /** a definite fill made mostly of isolated specks: scanner noise, not a voter's strokes */
  z.object({
    type: z.literal('speckle-in-target'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    fill01: z.number(),
    speckle01: z.number(),
  }),
  /** an unmarked oval evenly darker than the paper around it: the residue of an erased mark, or a faint one */
  z.object({
    type: z.literal('faint-residue'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    residue01: z.number(),
  }),
  /**
   * an unmarked oval holding one small spot of solid ink (a hesitation dot, a tiny partial fill) that its
   * mean fill is too small to flag
   */
  z.object({
    type: z.literal('ink-spot'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    fill01: z.number(),
    spot01: z.number(),
  }),
  /**
   * an unmarked oval with ink of its own on its printed outline (a dot on the outline, a stroke along its
   * edge): the outline is thicker there than the same oval elsewhere and the other ovals of its column
   */
  z.object({
    type: z.literal('ink-on-outline'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    fill01: z.number(),
    edgeInk01: z.number(),
    /** the same of the strip's inner part alone (`edgeInward01` of the target) */
    edgeInward01: z.number().optional(),
  }),
  /**
   * a line runs through the oval and on beyond it on both sides (a fold in the paper, a line a scanner
   * drew across the page, a stroke through the whole row), and the target reads otherwise without it
   */
  z.object({
    type: z.literal('line-through-target'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    fill01: z.number(),
    fillWithoutLines01: z.number(),
  }),
  /**
   * the printed outline was found `shiftPx` from where its neighbours put it (ink around it may have
   * been taken for it), and reading the target there and where it was found disagree
   */
  z.object({
    type: z.literal('outline-misplaced'),
    contestId: z.string(),
    optionId: z.string(),
    ...TargetAt,
    shiftPx: z.number(),
    fill01: z.number(),
    firstFill01: z.number(),
  }),
  z.object({ type: z.literal('blank-ballot') }),
]);
export type AdjudicationReason = z.infer<typeof AdjudicationReasonSchema>;
export type AdjudicationReasonType = AdjudicationReason['type'];
/** A reason about one target (one option's oval) rather than a contest or the sheet. */
export type TargetReason = Extract<AdjudicationReason, { optionId: string }>;

/**
 * How the page warnings start that say something was taken out of targets before they were read: a scanner
 * streak, a line across the page. The batch counts the sheets whose pages say so by these.
 */
export const TAKEN_OUT_WARNING = {
  streak: 'a scanner streak runs down the page',
  pageLine: "a line across the page (a fold's crease, or one the scanner drew)",
} as const;

/** Reasons that send a sheet to a person by default (undervotes and write-ins are only recorded). */
export const DEFAULT_REVIEW_REASONS: readonly AdjudicationReasonType[] = [
  'overvote',
  'marginal-mark',
  'unmarked-write-in',
  'mark-outside-target',
  'streak-through-target',
  'compact-mark',
  'speckle-in-target',
  'faint-residue',
  'ink-spot',
  'ink-on-outline',
  'line-through-target',
  'outline-misplaced',
  'blank-ballot',
];

export const RejectReasonSchema = z.enum([
  'unreadable-file',
  'empty-file',
  'not-an-image',
  'corrupt-image',
  'too-many-pixels',
  'too-small',
  'no-timing-marks',
  'wrong-paper-size',
  'ambiguous-grid',
  'blank-page',
  'unknown-ballot-style',
  'wrong-election',
  'unreadable-metadata',
  'missing-page',
  'page-mismatch',
  'streak-through-target',
  'processing-error',
  'duplicate-image',
]);
export type RejectReason = z.infer<typeof RejectReasonSchema>;

export const PageInfoSchema = z.object({
  side: z.enum(['front', 'back']),
  /** which of the given images this side came from (0 or 1), and the page within it */
  imageIndex: z.number().int(),
  page: z.number().int(),
  widthPx: z.number().int(),
  heightPx: z.number().int(),
  dpi: z.number(),
  rotated180: z.boolean(),
  marksInferred: z.number().int(),
  warnings: z.array(z.string()),
  /** the fitted timing marks (pixel centres), for overlays: left/right per row, top/bottom per column */
  timingMarksPx: z.object({
    left: z.array(z.object({ xPx: z.number(), yPx: z.number() })),
    right: z.array(z.object({ xPx: z.number(), yPx: z.number() })),
    top: z.array(z.object({ xPx: z.number(), yPx: z.number() })),
    bottom: z.array(z.object({ xPx: z.number(), yPx: z.number() })),
  }),
});
export type PageInfo = z.infer<typeof PageInfoSchema>;

export const ContestResultSchema = z.object({
  contestId: z.string(),
  /** option ids counted as votes (empty for an overvote) */
  votes: z.array(z.string()),
  /** option ids with a definite mark, whatever the contest rule says */
  marked: z.array(z.string()),
  overvote: z.boolean(),
  undervotes: z.number().int(),
});
export type ContestResult = z.infer<typeof ContestResultSchema>;

export const SheetOutcomeSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('interpreted'),
    ballotStyleId: z.string(),
    precinctId: z.string(),
    sheetNumber: z.number().int(),
    pages: z.array(PageInfoSchema),
    targets: z.array(TargetResultSchema),
    contests: z.array(ContestResultSchema),
    reasons: z.array(AdjudicationReasonSchema),
    /** true when one of the reasons is in the review list */
    needsReview: z.boolean(),
  }),
  z.object({
    type: z.literal('rejected'),
    reason: RejectReasonSchema,
    detail: z.string(),
    /** which image (0 front-or-first, 1 second) the reason is about, when it is about one */
    imageIndex: z.number().int().optional(),
  }),
]);
export type SheetOutcome = z.infer<typeof SheetOutcomeSchema>;
export type InterpretedSheet = Extract<SheetOutcome, { type: 'interpreted' }>;
export type RejectedSheet = Extract<SheetOutcome, { type: 'rejected' }>;
