/**
 * A batch on disk: `<NNNNNN>-front.jpeg` / `-back.jpeg` (or `.png`, `.tiff`, or one `<NNNNNN>.tiff`
 * with both pages), `<NNNNNN>.truth.json` per sheet and `truth.jsonl` (one sheet's truth per line, in
 * sheet order). Sheet i gets seed hash(`sheet/i`, batch seed), so a batch is reproducible byte for byte
 * and any single sheet can be regenerated alone.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Election } from '../../src/election/election.ts';
import type { Dpi } from './geometry.ts';
import type { DefectName, Profile, ProfileName } from './profiles.ts';
import { hashString } from './rng.ts';
import { generateSheet, resolveProfile, type SheetOptions } from './sheet.ts';
import type { ImageFormat, SheetTruth } from './truth.ts';

export type BatchFormat = ImageFormat | 'mixed';

/** The "mixed" format: a central-count batch where several scanners and settings met. */
export const MIXED_FORMATS: Partial<Record<ImageFormat, number>> = {
  jpeg: 0.75,
  'tiff-g4': 0.15,
  'tiff-multipage': 0.05,
  png: 0.05,
};

export interface BatchOptions {
  election: Election;
  count: number;
  seed: number;
  outDir: string;
  profile?: ProfileName | Profile;
  dpi?: Dpi;
  format?: BatchFormat;
  scanner?: Partial<Record<DefectName, boolean>>;
  /** First sheet number in file names (default 1). */
  firstSheet?: number;
  /** Sheets in flight at once (JS work overlaps sharp's encoding threads). Default 3. */
  concurrency?: number;
  /** Per-sheet options (hard cases); return undefined for the defaults. */
  sheetOptions?: (index: number) => Partial<SheetOptions> | undefined;
  onProgress?: (p: { done: number; total: number; sheetId: string }) => void;
}

export interface BatchSummary {
  count: number;
  seed: number;
  profile: string;
  outDir: string;
  files: number;
  bytes: number;
  elapsedMs: number;
  sheetsPerSecond: number;
  byFormat: Record<string, number>;
  byBallotStyle: Record<string, number>;
  byDpi: Record<string, number>;
  contests: { valid: number; undervote: number; overvote: number; blank: number };
  ambiguousTargets: number;
  blankSheets: number;
  upsideDown: number;
  swapped: number;
}

export function sheetSeed(batchSeed: number, index: number): number {
  return hashString(`sheet/${index}`, batchSeed >>> 0);
}

export async function generateBatch(options: BatchOptions): Promise<BatchSummary> {
  const started = performance.now();
  const base = resolveProfile(options.profile);
  const profile: Profile =
    options.format === 'mixed' ? { ...base, scanner: { ...base.scanner, formats: MIXED_FORMATS } } : base;
  const format = options.format === 'mixed' ? undefined : options.format;
  await mkdir(options.outDir, { recursive: true });
  const first = options.firstSheet ?? 1;
  const truths: (SheetTruth | undefined)[] = new Array(options.count);
  let bytes = 0;
  let files = 0;
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      const i = next++;
      const sheetId = String(first + i).padStart(6, '0');
      const extra = options.sheetOptions?.(i) ?? {};
      const sheet = await generateSheet(
        options.election,
        {
          sheetId,
          profile,
          ...(options.dpi ? { dpi: options.dpi } : {}),
          ...(format ? { format } : {}),
          ...(options.scanner ? { scanner: options.scanner } : {}),
          ...extra,
        },
        sheetSeed(options.seed, first + i),
      );
      for (const f of sheet.files) {
        await writeFile(join(options.outDir, f.name), f.bytes);
        bytes += f.bytes.length;
        files++;
      }
      const json = `${JSON.stringify(sheet.truth, null, 2)}\n`;
      await writeFile(join(options.outDir, `${sheetId}.truth.json`), json);
      bytes += json.length;
      files++;
      truths[i] = sheet.truth;
      done++;
      options.onProgress?.({ done, total: options.count, sheetId });
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 3, options.count)) }, worker),
  );
  const lines = truths.map((t) => JSON.stringify(t)).join('\n');
  await writeFile(join(options.outDir, 'truth.jsonl'), `${lines}\n`);
  files++;
  bytes += lines.length + 1;

  const elapsedMs = performance.now() - started;
  const summary: BatchSummary = {
    count: options.count,
    seed: options.seed,
    profile: profile.name,
    outDir: options.outDir,
    files,
    bytes,
    elapsedMs: Math.round(elapsedMs),
    sheetsPerSecond: Math.round((options.count / (elapsedMs / 1000)) * 10) / 10,
    byFormat: {},
    byBallotStyle: {},
    byDpi: {},
    contests: { valid: 0, undervote: 0, overvote: 0, blank: 0 },
    ambiguousTargets: 0,
    blankSheets: 0,
    upsideDown: 0,
    swapped: 0,
  };
  const bump = (m: Record<string, number>, k: string) => {
    m[k] = (m[k] ?? 0) + 1;
  };
  for (const t of truths) {
    if (!t) continue;
    bump(summary.byFormat, t.format);
    bump(summary.byBallotStyle, t.ballotStyleId);
    bump(summary.byDpi, String(t.dpi));
    for (const c of t.contests) summary.contests[c.status]++;
    summary.ambiguousTargets += t.targets.filter((x) => x.ambiguous).length;
    if (t.blank) summary.blankSheets++;
    if (t.images[0]?.transform.upsideDown) summary.upsideDown++;
    if (t.swapped) summary.swapped++;
  }
  return summary;
}
