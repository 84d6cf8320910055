/**
 * One sheet from files to outcome: load (bytes, SHA-256) → decode (sharp) → interpret.
 * Knows nothing of batches or pools; the worker entry and the CLI's `interpret` both call it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Calibration } from '../election/calibration.ts';
import type { Election } from '../election/election.ts';
import { type InterpretOptions, interpretSheet, type SheetPage } from '../pipeline/interpret.ts';
import type { SheetOutcome } from '../pipeline/outcome.ts';
import { decodeImage } from '../pipeline/preprocess.ts';
import type { ScanJob, ScanResult } from './job.ts';

/** Files larger than this are refused before reading (a 600 dpi legal gray PNG is ~40 MB). */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

export interface LoadedSheet {
  result: ScanResult;
  pages: SheetPage[];
}

function rejected(
  job: ScanJob,
  sha: string[],
  outcome: SheetOutcome,
  t: ScanResult['timingsMs'],
): LoadedSheet {
  return { result: { sheetId: job.sheetId, imageSha256: sha, outcome, timingsMs: t }, pages: [] };
}

export async function scanSheet(
  job: ScanJob,
  election: Election,
  calibration: Calibration,
  options: InterpretOptions = {},
): Promise<LoadedSheet> {
  const timingsMs = { load: 0, decode: 0, interpret: 0 };
  const sha: string[] = job.paths.map(() => '');
  const pages: SheetPage[] = [];
  for (const [imageIndex, path] of job.paths.entries()) {
    let t = performance.now();
    let bytes: Buffer;
    try {
      // synchronous: a worker has nothing else to do meanwhile, and it saves the thread-pool round trips
      bytes = readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      return rejected(
        job,
        sha,
        {
          type: 'rejected',
          reason: 'unreadable-file',
          detail: `${path}: cannot be read (${code})`,
          imageIndex,
        },
        timingsMs,
      );
    }
    if (bytes.length > MAX_FILE_BYTES) {
      return rejected(
        job,
        sha,
        {
          type: 'rejected',
          reason: 'too-many-pixels',
          detail: `${path}: ${bytes.length} bytes is over the ${MAX_FILE_BYTES}-byte limit`,
          imageIndex,
        },
        timingsMs,
      );
    }
    sha[imageIndex] = createHash('sha256').update(bytes).digest('hex');
    timingsMs.load += performance.now() - t;
    t = performance.now();
    const decoded = await decodeImage(bytes, job.pages?.count ?? 2, job.pages?.first ?? 0);
    timingsMs.decode += performance.now() - t;
    if (decoded.type !== 'ok')
      return rejected(
        job,
        sha,
        { type: 'rejected', reason: decoded.reason, detail: `${path}: ${decoded.detail}`, imageIndex },
        timingsMs,
      );
    decoded.pages.forEach((p, i) => {
      pages.push({ ...p, imageIndex, page: (job.pages?.first ?? 0) + i });
    });
  }
  const t = performance.now();
  const outcome = interpretSheet(pages.slice(0, 2), election, calibration, options);
  timingsMs.interpret = performance.now() - t;
  return { result: { sheetId: job.sheetId, imageSha256: sha, outcome, timingsMs }, pages };
}
