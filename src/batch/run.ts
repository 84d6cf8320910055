/**
 * The batch runner (main thread): queue sheets to the pool with a bounded number in flight, append each
 * finished sheet to a journal, resume from it, and hand back results in input order whatever the
 * completion order. Duplicates (same image SHA-256) are decided here, in input order, so the outcome
 * does not depend on which worker finished first.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
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
  /**
   * Asked before each finished sheet is written to the journal: false stops the run there with a
   * BatchAbandonedError (the command runs in a child of a launcher that was killed: a `--resume` may
   * already be appending to the same journal).
   */
  stillWanted?: () => boolean;
}

export interface BatchRunResult {
  /** how many sheets were taken from an earlier run's journal */
  resumedSheets: number;
  /**
   * The results in input order, read back from the journal one at a time (memory stays flat however
   * large the batch); duplicates already marked. Can be iterated more than once.
   */
  results(): Generator<ScanResult>;
}

export const JOURNAL_FILE = 'journal.jsonl';

const JournalHeaderSchema = z.object({ type: z.literal('header'), jobKey: z.string() });
const JournalEntrySchema = z.object({
  type: z.literal('sheet'),
  paths: z.array(z.string()),
  /** the sheet's pages inside a batch TIFF */
  pages: z.object({ first: z.number(), count: z.number() }).optional(),
  result: ScanResultSchema,
});

/** What a finished sheet is matched on when a run resumes: its files, and its pages in a batch TIFF. */
function inputKey(s: {
  paths: readonly string[];
  pages?: { first: number; count: number } | undefined;
}): string {
  return s.pages ? `${s.paths.join('\n')}#${s.pages.first}+${s.pages.count}` : s.paths.join('\n');
}

interface JournalSlot {
  offset: number;
  length: number;
  paths: string;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The journal is read in chunks of this size: a million-sheet journal (~22 GB) is never in memory. */
const JOURNAL_CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Index the finished sheets of an earlier run, reading the journal a chunk at a time. A torn last line
 * (kill -9 mid-write) is cut off, so the journal can be appended to again.
 */
function indexJournal(path: string, jobKey: string): Map<string, JournalSlot> | string {
  const slots = new Map<string, JournalSlot>();
  const fd = openSync(path, 'r');
  let first = true;
  /** file offset of the first byte of `pending` */
  let pendingOffset = 0;
  let pending = Buffer.alloc(0);
  let complete = 0;
  try {
    const chunk = Buffer.alloc(JOURNAL_CHUNK_BYTES);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pendingOffset + pending.length);
      if (n === 0) break;
      const bytes = pending.length ? Buffer.concat([pending, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let at = 0;
      for (let end = bytes.indexOf(0x0a, at); end >= 0; end = bytes.indexOf(0x0a, at)) {
        const line = bytes.subarray(at, end).toString('utf8');
        const offset = pendingOffset + at;
        if (first) {
          const header = JournalHeaderSchema.safeParse(safeJson(line));
          if (!header.success) return `${path} is not a ballot-tally journal`;
          if (header.data.jobKey !== jobKey)
            return `${path} belongs to another job (other election, calibration or options); use a new --out or drop --resume`;
          first = false;
        } else {
          const entry = JournalEntrySchema.safeParse(safeJson(line));
          if (entry.success)
            slots.set(entry.data.result.sheetId, {
              offset,
              length: end - at,
              paths: inputKey(entry.data),
            });
        }
        at = end + 1;
      }
      complete = pendingOffset + at;
      // the unfinished line is copied out: `chunk` is overwritten by the next read
      pending = Buffer.from(bytes.subarray(at));
      pendingOffset = complete;
    }
  } finally {
    closeSync(fd);
  }
  if (pending.length > 0) truncateSync(path, complete);
  return first ? `${path} is empty` : slots;
}

function readSlot(fd: number, slot: JournalSlot): ScanResult {
  const buffer = Buffer.alloc(slot.length);
  readSync(fd, buffer, 0, slot.length, slot.offset);
  return JournalEntrySchema.parse(JSON.parse(buffer.toString('utf8'))).result;
}

export function jobKeyOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export async function runBatch(options: RunBatchOptions): Promise<BatchRunResult> {
  const { sheets, outDir } = options;
  mkdirSync(outDir, { recursive: true });
  const journalPath = join(outDir, JOURNAL_FILE);
  let slots = new Map<string, JournalSlot>();
  if (options.resume && existsSync(journalPath)) {
    const read = indexJournal(journalPath, options.jobKey);
    if (typeof read === 'string') throw new BatchConfigError(read);
    slots = read;
  } else {
    writeFileSync(journalPath, `${JSON.stringify({ type: 'header', jobKey: options.jobKey })}\n`);
  }
  const done = new Map<string, JournalSlot>();
  let resumedSheets = 0;
  const todo: SheetInput[] = [];
  for (const s of sheets) {
    const prior = slots.get(s.sheetId);
    if (prior && prior.paths === inputKey(s)) {
      done.set(s.sheetId, prior);
      resumedSheets++;
    } else todo.push(s);
  }

  const started = performance.now();
  let doneThisRun = 0;
  const report = () =>
    options.onProgress?.({
      done: done.size,
      total: sheets.length,
      doneThisRun,
      elapsedMs: performance.now() - started,
    });
  report();
  if (todo.length > 0) {
    const pool = createScanPool(options.config, options.workers);
    let journalSize = statSync(journalPath).size;
    try {
      // A bounded window of sheets in flight keeps memory flat however long the batch.
      const window = options.workers * 4;
      let next = 0;
      const runOne = async (): Promise<void> => {
        while (next < todo.length) {
          const sheet = todo[next++];
          if (!sheet) break;
          const result = await pool.run({
            sheetId: sheet.sheetId,
            paths: sheet.paths,
            ...(sheet.pages ? { pages: sheet.pages } : {}),
          });
          if (options.stillWanted && !options.stillWanted()) {
            next = todo.length;
            throw new BatchAbandonedError('the process that started this run is gone; stopped');
          }
          const entry = {
            type: 'sheet',
            paths: sheet.paths,
            ...(sheet.pages ? { pages: sheet.pages } : {}),
            result,
          };
          const line = Buffer.from(`${JSON.stringify(entry)}\n`);
          appendFileSync(journalPath, line);
          done.set(sheet.sheetId, {
            offset: journalSize,
            length: line.length - 1,
            paths: inputKey(sheet),
          });
          journalSize += line.length;
          doneThisRun++;
          report();
        }
      };
      await Promise.all(Array.from({ length: Math.min(window, todo.length) }, runOne));
    } finally {
      await pool.close();
    }
  }
  for (const s of sheets)
    if (!done.has(s.sheetId)) throw new Error(`internal: no result for sheet ${s.sheetId}`);
  return {
    resumedSheets,
    *results() {
      const fd = openSync(journalPath, 'r');
      try {
        const seen = new Map<string, string>();
        for (const s of sheets) {
          const slot = done.get(s.sheetId);
          if (slot) yield markDuplicate(readSlot(fd, slot), seen, s.pages?.first);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * The second and later sheets whose image bytes were already seen are rejected as duplicates (the sheets
 * of one batch TIFF share its bytes: there the pages are part of what must not repeat).
 */
function markDuplicate(r: ScanResult, seen: Map<string, string>, firstPage?: number): ScanResult {
  const keys = r.imageSha256.map((h) => (h && firstPage !== undefined ? `${h}#${firstPage}` : h));
  const dupOf = keys.map((h) => (h ? seen.get(h) : undefined)).find((x) => x !== undefined);
  for (const h of keys) if (h && !seen.has(h)) seen.set(h, r.sheetId);
  if (dupOf === undefined) return r;
  return {
    ...r,
    outcome: {
      type: 'rejected',
      reason: 'duplicate-image',
      detail: `the same image bytes (SHA-256) as sheet ${dupOf}; counted once`,
    },
  };
}

/** A problem with the job's configuration (exit code 2), not with a sheet. */
export class BatchConfigError extends Error {}

/** The run was stopped because nobody waits for it any more (see `stillWanted`). */
export class BatchAbandonedError extends Error {}
