/**
 * The batch runner (main thread): queue sheets to the pool with a bounded number in flight, append each
 * finished sheet to a journal, resume from it, and hand back results in input order whatever the
 * completion order. Duplicates (same image SHA-256) are decided here, in input order, so the outcome
 * does not depend on which worker finished first.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type ScanResult, ScanResultSchema, type WorkerConfig } from '../worker/job.ts';
import { createScanPool } from '../worker/pool.ts';
import type { SheetInput } from './inputs.ts';

export interface BatchProgress {
  done: number;
  total: number;
  /** sheets finished in this run (not taken from the journal) */
  doneThisRun: number;
  elapsedMs: number;
}

export interface RunBatchOptions {
  sheets: readonly SheetInput[];
  config: WorkerConfig;
  outDir: string;
  workers: number;
  resume: boolean;
  /** identity of the job (election hash, calibration, options): a journal of another job is not resumed */
  jobKey: string;
  onProgress?: (p: BatchProgress) => void;
}

export interface BatchRunResult {
  /** in input order */
  results: ScanResult[];
  resumedSheets: number;
}

const JournalHeaderSchema = z.object({ type: z.literal('header'), jobKey: z.string() });
const JournalEntrySchema = z.object({
  type: z.literal('sheet'),
  paths: z.array(z.string()),
  result: ScanResultSchema,
});

export const JOURNAL_FILE = 'journal.jsonl';

/** Read the finished sheets of an earlier run; a torn last line (kill -9 mid-write) is ignored. */
function readJournal(
  path: string,
  jobKey: string,
): Map<string, { paths: string[]; result: ScanResult }> | string {
  const done = new Map<string, { paths: string[]; result: ScanResult }>();
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = JournalHeaderSchema.safeParse(safeJson(lines[0] ?? ''));
  if (!header.success) return `${path} is not a ballot-tally journal`;
  if (header.data.jobKey !== jobKey)
    return `${path} belongs to another job (other election, calibration or options); use a new --out or drop --resume`;
  for (const line of lines.slice(1)) {
    const entry = JournalEntrySchema.safeParse(safeJson(line));
    if (entry.success)
      done.set(entry.data.result.sheetId, { paths: entry.data.paths, result: entry.data.result });
  }
  return done;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

export function jobKeyOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export async function runBatch(options: RunBatchOptions): Promise<BatchRunResult> {
  const { sheets, outDir } = options;
  mkdirSync(outDir, { recursive: true });
  const journalPath = join(outDir, JOURNAL_FILE);
  let finished = new Map<string, { paths: string[]; result: ScanResult }>();
  if (options.resume && existsSync(journalPath)) {
    const read = readJournal(journalPath, options.jobKey);
    if (typeof read === 'string') throw new BatchConfigError(read);
    finished = read;
  } else {
    writeFileSync(journalPath, `${JSON.stringify({ type: 'header', jobKey: options.jobKey })}\n`);
  }
  const results = new Map<string, ScanResult>();
  let resumedSheets = 0;
  const todo: SheetInput[] = [];
  for (const s of sheets) {
    const prior = finished.get(s.sheetId);
    if (prior && prior.paths.join('\n') === s.paths.join('\n')) {
      results.set(s.sheetId, prior.result);
      resumedSheets++;
    } else todo.push(s);
  }

  const started = performance.now();
  let doneThisRun = 0;
  const report = () =>
    options.onProgress?.({
      done: results.size,
      total: sheets.length,
      doneThisRun,
      elapsedMs: performance.now() - started,
    });
  report();
  if (todo.length > 0) {
    const pool = createScanPool(options.config, options.workers);
    try {
      // A bounded window of sheets in flight keeps memory flat however long the batch.
      const window = options.workers * 4;
      let next = 0;
      const runOne = async (): Promise<void> => {
        while (next < todo.length) {
          const sheet = todo[next++];
          if (!sheet) break;
          const result = await pool.run({ sheetId: sheet.sheetId, paths: sheet.paths });
          appendFileSync(journalPath, `${JSON.stringify({ type: 'sheet', paths: sheet.paths, result })}\n`);
          results.set(sheet.sheetId, result);
          doneThisRun++;
          report();
        }
      };
      await Promise.all(Array.from({ length: Math.min(window, todo.length) }, runOne));
    } finally {
      await pool.close();
    }
  }
  const ordered = sheets.map((s) => {
    const r = results.get(s.sheetId);
    if (!r) throw new Error(`internal: no result for sheet ${s.sheetId}`);
    return r;
  });
  return { results: markDuplicates(ordered), resumedSheets };
}

/** The second and later sheets whose image bytes were already seen are rejected as duplicates. */
export function markDuplicates(results: readonly ScanResult[]): ScanResult[] {
  const seen = new Map<string, string>();
  return results.map((r) => {
    const dupOf = r.imageSha256.map((h) => (h ? seen.get(h) : undefined)).find((x) => x !== undefined);
    for (const h of r.imageSha256) if (h && !seen.has(h)) seen.set(h, r.sheetId);
    if (dupOf === undefined) return r;
    return {
      ...r,
      outcome: {
        type: 'rejected',
        reason: 'duplicate-image',
        detail: `the same image bytes (SHA-256) as sheet ${dupOf}; counted once`,
      },
    };
  });
}

/** A problem with the job's configuration (exit code 2), not with a sheet. */
export class BatchConfigError extends Error {}
