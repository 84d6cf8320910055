/** Synthetic ballot generator: realistic, seeded sheets with ground truth. See samples/README.md. */
export {
  type BatchFormat,
  type BatchOptions,
  type BatchSummary,
  generateBatch,
  MIXED_FORMATS,
  sheetSeed,
} from './batch.ts';
export { type CliIo, parseSamplesGenerateArgs, runSamplesGenerate, SAMPLES_GENERATE_USAGE } from './cli.ts';
export { demoElectionVxf } from './demo-election.ts';
export { DPIS, type Dpi, gridToPageIn } from './geometry.ts';
export { MARK_KINDS, type MarkKind } from './marks.ts';
export {
  DEFECTS,
  type DefectName,
  PROFILE_NAMES,
  PROFILES,
  type Profile,
  type ProfileName,
} from './profiles.ts';
export { type GeneratedSheet, generateSheet, type SheetImages, type SheetOptions } from './sheet.ts';
export {
  type ImageFormat,
  judgeTarget,
  parseSheetTruth,
  type SheetTruth,
  SheetTruthSchema,
  type TargetTruth,
} from './truth.ts';
