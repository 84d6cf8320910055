/**
 * Named presets: how voters mark and how the scanner degrades the page. Every scanner defect is a
 * switch (`p` = how often it happens) so tests and users can turn it off or force it on.
 */
import type { Dpi } from './geometry.ts';
import type { MarkKind } from './marks.ts';
import type { ImageFormat } from './truth.ts';

export type IntendedKind = Extract<
  MarkKind,
  'full-fill' | 'partial-fill' | 'light-pencil' | 'check' | 'x' | 'slash' | 'circle'
>;

export interface VoterProfile {
  /** Sheet left entirely blank. */
  blankSheet: number;
  /** Contest left blank. */
  skipContest: number;
  /** Fewer choices than seats in a multi-seat contest. */
  undervote: number;
  /** One choice more than the seats allow. */
  overvote: number;
  /** A choice is a write-in (where allowed). */
  writeIn: number;
  /** Of write-ins: the name is written but the oval left empty. */
  writeInNameOnly: number;
  /** Marking both targets of a cross-endorsed candidate. */
  bothEndorsements: number;
  /** How intended marks look. */
  kinds: Record<IntendedKind, number>;
  /** Probability that a voter marks every choice the same way (their habit). */
  consistency: number;
  /** Per target not chosen. */
  hesitationDot: number;
  erasure: number;
  stray: number;
  /** Pen choice weights. */
  tools: { pen: number; pencil: number; marker: number };
}

export interface Switch {
  p: number;
}

export interface ScannerProfile {
  dpi: Partial<Record<`${Dpi}`, number>>;
  formats: Partial<Record<ImageFormat, number>>;
  jpegQuality: [number, number];
  /** Encode JPEGs with mozjpeg (about 30 % smaller, 6× slower); for committed samples. */
  mozjpeg?: boolean;
  bilevelThreshold: [number, number];
  skew: Switch & { maxDeg: number };
  upsideDown: Switch;
  swap: Switch;
  translate: Switch & { maxIn: number };
  scale: Switch & { max: number };
  stretch: Switch & { max: number };
  blur: Switch & { maxPx: number };
  noise: Switch & { maxSigma: number };
  illumination: Switch & { max: number };
  streaks: Switch & { max: number };
  border: Switch & { maxIn: number };
}

export const DEFECTS = [
  'skew',
  'upsideDown',
  'swap',
  'translate',
  'scale',
  'stretch',
  'blur',
  'noise',
  'illumination',
  'streaks',
  'border',
] as const;
export type DefectName = (typeof DEFECTS)[number];

export interface Profile {
  name: string;
  voter: VoterProfile;
  scanner: ScannerProfile;
}

const realisticVoter: VoterProfile = {
  blankSheet: 0.01,
  skipContest: 0.07,
  undervote: 0.25,
  overvote: 0.015,
  writeIn: 0.03,
  writeInNameOnly: 0.08,
  bothEndorsements: 0.1,
  kinds: { 'full-fill': 80, 'partial-fill': 5, 'light-pencil': 3, check: 5, x: 3, slash: 2, circle: 1 },
  consistency: 0.85,
  hesitationDot: 0.006,
  erasure: 0.004,
  stray: 0.004,
  tools: { pen: 0.6, pencil: 0.2, marker: 0.2 },
};

const realisticScanner: ScannerProfile = {
  dpi: { '200': 0.85, '300': 0.1, '150': 0.05 },
  formats: { jpeg: 0.85, 'tiff-g4': 0.1, 'tiff-multipage': 0.03, png: 0.02 },
  jpegQuality: [70, 92],
  bilevelThreshold: [130, 170],
  skew: { p: 0.9, maxDeg: 1.2 },
  upsideDown: { p: 0.03 },
  swap: { p: 0.03 },
  translate: { p: 0.9, maxIn: 0.08 },
  scale: { p: 0.5, max: 0.01 },
  stretch: { p: 0.5, max: 0.015 },
  blur: { p: 0.6, maxPx: 0.8 },
  noise: { p: 1, maxSigma: 3 },
  illumination: { p: 0.6, max: 0.06 },
  streaks: { p: 0.08, max: 2 },
  border: { p: 0.15, maxIn: 0.06 },
};

export const PROFILES: Record<'clean' | 'realistic' | 'hard', Profile> = {
  /** Perfect scans of clear full fills: the interpreter must get these all right. */
  clean: {
    name: 'clean',
    voter: {
      ...realisticVoter,
      blankSheet: 0,
      overvote: 0,
      writeInNameOnly: 0,
      kinds: { 'full-fill': 1, 'partial-fill': 0, 'light-pencil': 0, check: 0, x: 0, slash: 0, circle: 0 },
      consistency: 1,
      hesitationDot: 0,
      erasure: 0,
      stray: 0,
      tools: { pen: 0.7, pencil: 0, marker: 0.3 },
    },
    scanner: {
      ...realisticScanner,
      dpi: { '200': 1 },
      formats: { jpeg: 1 },
      jpegQuality: [90, 90],
      skew: { p: 0, maxDeg: 0 },
      upsideDown: { p: 0 },
      swap: { p: 0 },
      translate: { p: 0, maxIn: 0 },
      scale: { p: 0, max: 0 },
      stretch: { p: 0, max: 0 },
      blur: { p: 0, maxPx: 0 },
      noise: { p: 0, maxSigma: 0 },
      illumination: { p: 0, max: 0 },
      streaks: { p: 0, max: 0 },
      border: { p: 0, maxIn: 0 },
    },
  },
  /** All defects at rates and strengths seen in real central-count batches. */
  realistic: { name: 'realistic', voter: realisticVoter, scanner: realisticScanner },
  /** Everything on, strong: for robustness, not for accuracy baselines. */
  hard: {
    name: 'hard',
    voter: {
      ...realisticVoter,
      blankSheet: 0.05,
      skipContest: 0.15,
      overvote: 0.08,
      writeIn: 0.12,
      writeInNameOnly: 0.2,
      kinds: {
        'full-fill': 30,
        'partial-fill': 15,
        'light-pencil': 15,
        check: 12,
        x: 10,
        slash: 8,
        circle: 10,
      },
      consistency: 0.5,
      hesitationDot: 0.05,
      erasure: 0.04,
      stray: 0.04,
      tools: { pen: 0.4, pencil: 0.45, marker: 0.15 },
    },
    scanner: {
      dpi: { '150': 0.3, '200': 0.4, '300': 0.3 },
      formats: { jpeg: 0.5, 'tiff-g4': 0.3, 'tiff-multipage': 0.1, png: 0.1 },
      jpegQuality: [60, 95],
      bilevelThreshold: [110, 190],
      skew: { p: 1, maxDeg: 3 },
      upsideDown: { p: 0.25 },
      swap: { p: 0.25 },
      translate: { p: 1, maxIn: 0.15 },
      scale: { p: 1, max: 0.02 },
      stretch: { p: 1, max: 0.03 },
      blur: { p: 1, maxPx: 1.6 },
      noise: { p: 1, maxSigma: 8 },
      illumination: { p: 1, max: 0.2 },
      streaks: { p: 0.5, max: 5 },
      border: { p: 0.6, maxIn: 0.15 },
    },
  },
};

export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** A profile with some defects forced on (`true`) or off (`false`). */
export function withSwitches(profile: Profile, switches: Partial<Record<DefectName, boolean>> = {}): Profile {
  const scanner = { ...profile.scanner };
  for (const name of DEFECTS) {
    const s = switches[name];
    if (s === undefined) continue;
    const current = scanner[name];
    const fallback: Record<DefectName, number> = {
      skew: 1.5,
      upsideDown: 0,
      swap: 0,
      translate: 0.08,
      scale: 0.01,
      stretch: 0.015,
      blur: 0.8,
      noise: 3,
      illumination: 0.08,
      streaks: 2,
      border: 0.06,
    };
    const strength = { maxDeg: 0, maxIn: 0, max: 0, maxPx: 0, maxSigma: 0, ...current };
    // Forcing on a defect whose profile strength is 0 uses the realistic strength.
    const key = (['maxDeg', 'maxIn', 'max', 'maxPx', 'maxSigma'] as const).find((k) => k in current);
    const patched = { ...current, p: s ? 1 : 0 } as typeof current;
    if (s && key && (strength[key] ?? 0) === 0)
      (patched as unknown as Record<string, number>)[key] = fallback[name];
    (scanner as Record<DefectName, unknown>)[name] = patched;
  }
  return { ...profile, scanner };
}
