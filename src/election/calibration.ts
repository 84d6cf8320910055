/**
 * Calibration profiles: the thresholds that turn continuous fill scores into marked / marginal / unmarked.
 * Kept apart from the election: the same election is scanned on different scanners and paper.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseWith, type Result } from './result.ts';

const Fraction = z.number().min(0).max(1);

export const CalibrationSchema = z
  .object({
    schemaVersion: z.literal(1),
    /** `<scanner>-<paper>` style name, e.g. `default`, `generator-gray`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    description: z.string().default(''),
    thresholds: z.object({
      /** fill01 at or above which a target is a definite mark. */
      definite: Fraction,
      /** fill01 at or above which (and below definite) a target is marginal and goes to review. */
      marginal: Fraction,
      /** ink fraction in a write-in area above which something was written there. */
      writeInInk: Fraction,
      /** ink just above and below an unmarked oval (a circled option) that sends the sheet to review */
      outsideInk: Fraction.default(0.08),
      // How the ink lies, not how much: a definite fill that looks like one of these is sent to a person
      // rather than counted. Optional, so that profiles written before them stay valid: a missing value
      // is REVIEW_DEFAULTS' (use `reviewThresholds`).
      /** `inkSpread01` under which a definite mark is a compact dot (a pen rested there), not a vote */
      compactSpread: Fraction.optional(),
      /** `speckle01` at or above which a definite mark is mostly isolated specks (scan noise) */
      speckle: Fraction.optional(),
      /** `residue01` at or above which an unmarked oval is a faint smudge worth a look (an erasure) */
      residue: Fraction.optional(),
      /**
       * A light, even shading (a soft pencil pressed lightly: the interior's median is `lightTone` or more
       * darker than the paper around it, `residue01`, where pen strokes leave it at paper) counts as a
       * definite mark only from `lightFill`; between `definite` and `lightFill` it is marginal
       */
      lightFill: Fraction.optional(),
      lightTone: Fraction.optional(),
      /**
       * A definite fill under `shadedFill` in an oval whose paper level is `paperSpread` or more lighter
       * than the median of the paper round it (`paperSpread01`: it sits in a dark patch, a stain, whose
       * lighter edge made the paper level too light for it) is marginal
       */
      paperSpread: Fraction.optional(),
      shadedFill: Fraction.optional(),
      /** `spot01` at or above which an unmarked oval holds a spot of solid ink worth a look (a dot) */
      spot: Fraction.optional(),
      /** `edgeInk01` at or above which an unmarked oval has ink of its own on its outline (a dot on it) */
      edgeInk: Fraction.optional(),
      /**
       * `edgeInward01` at or above which it does so from inside (a dot hanging from the outline into the
       * oval): nothing is printed there, so the threshold can be lower than `edgeInk`'s
       */
      edgeInward: Fraction.optional(),
      /** `surround01` at or above which an unmarked oval has ink most of the way round it (circled) */
      surround: Fraction.optional(),
      /**
       * The same for a candidate's oval on a black-and-white page, whose threshold keeps only the darker
       * parts of a pencil circle (not a write-in oval's: the write-in line printed beside it reaches into
       * its ring where the other ovals of its column have nothing)
       */
      surroundBilevel: Fraction.optional(),
      /**
       * How far, in grid units, a target's outline may be found from where its neighbours' outlines put
       * it before the target is read again there (and sent to review when the two readings disagree)
       */
      outlineShift: z.number().min(0).max(1).optional(),
    }),
    /** How the numbers were made (command, data, date), for people reviewing a report. */
    provenance: z.string().default(''),
  })
  .refine((c) => c.thresholds.marginal <= c.thresholds.definite, {
    message: 'number at most thresholds.definite',
    path: ['thresholds', 'marginal'],
  });
export type Calibration = z.infer<typeof CalibrationSchema>;

/** The review thresholds a profile may leave out, as fitted on the data in calibration/README.md. */
export const REVIEW_DEFAULTS = {
  compactSpread: 0.6,
  speckle: 0.15,
  residue: 0.035,
  lightFill: 0.175,
  lightTone: 0.06,
  paperSpread: 0.1,
  shadedFill: 0.35,
  spot: 0.01,
  edgeInk: 0.012,
  edgeInward: 0.008,
  surround: 0.65,
  surroundBilevel: 0.45,
  outlineShift: 0.09,
} as const;

export type ReviewThresholds = { readonly [K in keyof typeof REVIEW_DEFAULTS]: number };

/** A profile's review thresholds, each its own value or the default. */
export function reviewThresholds(c: Calibration): ReviewThresholds {
  const t = c.thresholds;
  return {
    compactSpread: t.compactSpread ?? REVIEW_DEFAULTS.compactSpread,
    speckle: t.speckle ?? REVIEW_DEFAULTS.speckle,
    residue: t.residue ?? REVIEW_DEFAULTS.residue,
    lightFill: t.lightFill ?? REVIEW_DEFAULTS.lightFill,
    lightTone: t.lightTone ?? REVIEW_DEFAULTS.lightTone,
    paperSpread: t.paperSpread ?? REVIEW_DEFAULTS.paperSpread,
    shadedFill: t.shadedFill ?? REVIEW_DEFAULTS.shadedFill,
    spot: t.spot ?? REVIEW_DEFAULTS.spot,
    edgeInk: t.edgeInk ?? REVIEW_DEFAULTS.edgeInk,
    edgeInward: t.edgeInward ?? REVIEW_DEFAULTS.edgeInward,
    surround: t.surround ?? REVIEW_DEFAULTS.surround,
    surroundBilevel: t.surroundBilevel ?? REVIEW_DEFAULTS.surroundBilevel,
    outlineShift: t.outlineShift ?? REVIEW_DEFAULTS.outlineShift,
  };
}

export function parseCalibration(value: unknown): Result<Calibration> {
  return parseWith(CalibrationSchema, value);
}

const CALIBRATION_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'calibration');

/**
 * Load a profile by name (a file `calibration/<name>.json` shipped with the tool) or by path.
 * Never throws: a missing or invalid file is an error message naming it.
 */
export function loadCalibration(nameOrPath = 'default'): Result<Calibration> {
  const isName = /^[a-z0-9][a-z0-9._-]*$/.test(nameOrPath) && !nameOrPath.endsWith('.json');
  const path = isName ? join(CALIBRATION_DIR, `${nameOrPath}.json`) : nameOrPath;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      errors: [
        `Expected a readable calibration file at ${path} but ${(error as NodeJS.ErrnoException).code ?? 'could not read it'}`,
      ],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      errors: [`Expected JSON in ${path} but it did not parse: ${(error as Error).message}`],
    };
  }
  const parsed = parseCalibration(json);
  return parsed.ok ? parsed : { ok: false, errors: parsed.errors.map((e) => `${path}: ${e}`) };
}
