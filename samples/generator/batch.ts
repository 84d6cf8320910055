/**
 * A batch on disk: `<NNNNNN>-front.jpeg` / `-back.jpeg` (or `.png`, `.tiff`, or one `<NNNNNN>.tiff`
 * with both pages), `<NNNNNN>.truth.json` per sheet and `truth.jsonl` (one sheet's truth per line, in
 * sheet order). Sheet i gets seed hash(`sheet/i`, batch seed), so a batch is reproducible byte for byte
 * and any single sheet can be regenerated alone.
 *
 * Sheets are made in a piscina pool (`batch-worker.ts`, one worker per core by default) or, with
 * `workers: 0`, in this thread. Either way each sheet depends only on its own seed and options, every
 * file name comes from the sheet number, and `truth.jsonl` is written in sheet order at the end, so the
 * bytes on disk do not depend on the worker count or on which sheet finished first.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { Election } from '../../src/election/election.ts';
import { type SheetTask, type SheetWritten, writeSheet } from './batch-worker.ts';
import type { Dpi } from './geometry.ts';
import type { DefectName, Profile, ProfileName } from './profiles.ts';
import { hashString } from './rng.ts';
import { resolveProfile, type SheetOptions } from './sheet.ts';
import { type ImageFormat, type SheetTruth, SheetTruthSchema } from './truth.ts';

export type { SheetTask, SheetWritten };

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
  /**
   * Worker threads (default: one per core, at most one per sheet). 0 makes every sheet in this thread.
   * The files written are the same whatever the count.
   */
  workers?: number;
  /** Sheets in flight at once per thread (JS work overlaps sharp's encoding threads). Default 3 in this
   * thread, 2 per pool worker. */
  concurrency?: number;
  /** Per-sheet options (hard cases); return undefined for the defaults. Called in this thread; the result
   * must be plain data (it is copied to a worker). */
  sheetOptions?: (index: number) => Partial<SheetOptions> | undefined;
  onProgress?: (p: { done: number; total: number; sheetId: string }) => void;
}

export interface BatchSummary {
  count: number;
  seed: number;
  profile: string;
  outDir: string;
  /** Threads that made sheets (0 = this thread only). */
  workers: number;
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

export function defaultGeneratorWorkers(): number {
  return Math.max(1, availableParallelism());
}

const WORKER_URL = new URL('./batch-worker.ts', import.meta.url);
/** Workers run the TypeScript sources through tsx, resolved from this package (not the caller's cwd). */
const TSX_URL = import.meta.resolve('tsx');

export async function generateBatch(options: BatchOptions): Promise<BatchSummary> {
  const started = performance.now();
  const base = resolveProfile(options.profile);
  const profile: Profile =
    options.format === 'mixed' ? { ...base, scanner: { ...base.scanner, formats: MIXED_FORMATS } } : base;
  const format = options.format === 'mixed' ? undefined : options.format;
  await mkdir(options.outDir, { recursive: true });
  const first = options.firstSheet ?? 1;
  const workers = Math.max(0, Math.min(options.workers ?? defaultGeneratorWorkers(), options.count));

  const taskFor = (i: number): SheetTask => ({
    index: i,
    sheetId: String(first + i).padStart(6, '0'),
    seed: sheetSeed(options.seed, first + i),
    outDir: options.outDir,
    options: {
      profile,
      ...(options.dpi ? { dpi: options.dpi } : {}),
      ...(format ? { format } : {}),
      ...(options.scanner ? { scanner: options.scanner } : {}),
      ...(options.sheetOptions?.(i) ?? {}),
    },
  });

  let make: (task: SheetTask) => Promise<SheetWritten>;
  let close = async () => {};
  let inFlight: number;
  if (workers === 0) {
    make = (task) => writeSheet(options.election, task);
    inFlight = options.concurrency ?? 3;
  } else {
    const perWorker = options.concurrency ?? 2;
    const pool = new Piscina({
      filename: WORKER_URL.href,
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: perWorker,
      workerData: { election: options.election },
      execArgv: ['--import', TSX_URL],
    });
    make = async (task) => {
      const out = (await pool.run(task)) as SheetWritten;
      // Check the shape, but keep the worker's object: its key order is what truth.jsonl must show.
      const checked = SheetTruthSchema.safeParse(out.truth);
      if (!checked.success || out.index !== task.index)
        throw new Error(`generator worker returned a malformed result for sheet ${task.sheetId}`);
      return out;
    };
    close = () => pool.destroy();
    inFlight = workers * perWorker;
  }

  const truths: (SheetTruth | undefined)[] = new Array(options.count);
  let bytes = 0;
  let files = 0;
  let done = 0;
  let next = 0;
  const lane = async () => {
    while (next < options.count) {
      const task = taskFor(next++);
      const written = await make(task);
      truths[written.index] = written.truth;
      bytes += written.bytes;
      files += written.files;
      done++;
      options.onProgress?.({ done, total: options.count, sheetId: task.sheetId });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, options.count)) }, lane));
  } finally {
    await close();
  }
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
    workers,
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
