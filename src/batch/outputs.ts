/**
 * Writing a finished batch: every output file in DIR, from the results in input order.
 * Deterministic: the same inputs give the same bytes whatever the worker count; the only clock is
 * SOURCE_DATE_EPOCH (or now, when it is unset).
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../cli/version.ts';
import type { Calibration } from '../election/calibration.ts';
import type { Election } from '../election/election.ts';
import { csvLine, cvrCsvHeader, cvrCsvRow } from '../report/csv.ts';
import { cvrReportChunks } from '../report/cvr-nist.ts';
import type { SheetRecord } from '../tally/records.ts';
import { sheetStatus } from '../tally/records.ts';
import { checkTally, createTally, type Tally } from '../tally/tally.ts';
import type { ScanResult } from '../worker/job.ts';
import type { InputListing } from './inputs.ts';
import { writeTallyReports } from './reports.ts';

export interface WriteOutputsOptions {
  outDir: string;
  election: Election;
  calibration: Calibration;
  listing: InputListing;
  /** results in input order (read lazily; may be iterated more than once) */
  results: () => Iterable<ScanResult>;
  options: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

export interface BatchSummary {
  counts: Tally['sheets'];
  /** input files that are not ballot images, with why (also in manifest.json) */
  ignored: { path: string; reason: string }[];
  contests: {
    contestId: string;
    title: string;
    options: { optionId: string; votes: number }[];
    overvotes: number;
    undervotes: number;
  }[];
  files: string[];
}

/** Report time: SOURCE_DATE_EPOCH when set (reproducible builds convention), else now. */
export function reportDate(env: Record<string, string | undefined>): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  return new Date();
}

function toRecord(listing: InputListing, r: ScanResult, i: number): SheetRecord {
  const sheet = listing.sheets[i];
  if (!sheet || sheet.sheetId !== r.sheetId) throw new Error(`internal: result ${r.sheetId} out of order`);
  return {
    sheetId: r.sheetId,
    batchId: sheet.batchId,
    imagePaths: sheet.displayPaths,
    imageSha256: r.imageSha256,
    outcome: r.outcome,
  };
}

function* recordsOf(o: WriteOutputsOptions): Generator<SheetRecord> {
  let i = 0;
  for (const r of o.results()) yield toRecord(o.listing, r, i++);
}

/** Sequential writes to one file; synchronous, so there is no backpressure to manage. */
function fileWriter(path: string) {
  const fd = openSync(path, 'w');
  return {
    write(chunk: string) {
      writeSync(fd, chunk);
    },
    close() {
      closeSync(fd);
    },
  };
}

/**
 * Every output file, streamed from the journal in two passes (tallies and tables, then the CVR report):
 * memory does not grow with the batch.
 */
export async function writeOutputs(
  o: WriteOutputsOptions,
): Promise<{ summary: BatchSummary; summaryText: string }> {
  const generatedDate = reportDate(o.env);
  const builder = createTally(o.election);
  const review: unknown[] = [];
  const rejected: unknown[] = [];
  const csv = fileWriter(join(o.outDir, 'cvr.csv'));
  const manifest = fileWriter(join(o.outDir, 'manifest.json'));
  const head = {
    software: { name: 'ballot-tally', version: VERSION },
    generatedDate: generatedDate.toISOString(),
    election: {
      id: o.election.id,
      title: o.election.title,
      sha256: o.election.source.sha256,
      format: o.election.source.format,
    },
    calibration: o.calibration,
    options: o.options,
  };
  manifest.write(`${JSON.stringify(head, null, 2).slice(0, -2)},\n  "inputs": [`);
  csv.write(csvLine(cvrCsvHeader(o.election)));
  let first = true;
  for (const r of recordsOf(o)) {
    builder.add(r);
    csv.write(csvLine(cvrCsvRow(o.election, r)));
    const status = sheetStatus(r.outcome);
    manifest.write(
      `${first ? '' : ','}\n    ${JSON.stringify({
        sheetId: r.sheetId,
        batchId: r.batchId,
        files: r.imagePaths.map((path, i) => ({ path, sha256: r.imageSha256[i] ?? '' })),
        status,
        ...(r.outcome.type === 'rejected' ? { reason: r.outcome.reason, detail: r.outcome.detail } : {}),
      })}`,
    );
    first = false;
    if (status === 'needs-review' && r.outcome.type === 'interpreted')
      review.push({
        sheetId: r.sheetId,
        batchId: r.batchId,
        files: r.imagePaths,
        reasons: r.outcome.reasons.filter((x) => x.type !== 'undervote'),
      });
    if (r.outcome.type === 'rejected')
      rejected.push({
        sheetId: r.sheetId,
        batchId: r.batchId,
        files: r.imagePaths,
        reason: r.outcome.reason,
        detail: r.outcome.detail,
      });
  }
  csv.close();
  const t = builder.result();
  const problems = checkTally(t);
  if (problems.length) throw new Error(`internal: the counts do not add up: ${problems.join('; ')}`);
  manifest.write(
    `\n  ],\n  "counts": ${JSON.stringify(t.sheets)},\n  "ignored": ${JSON.stringify(o.listing.ignored)}\n}\n`,
  );
  manifest.close();

  const cvr = fileWriter(join(o.outDir, 'cvr-report.json'));
  for await (const chunk of cvrReportChunks(o.election, recordsOf(o), {
    version: VERSION,
    generatedDate,
    calibration: o.calibration,
  }))
    cvr.write(chunk);
  cvr.close();

  const json = (name: string, value: unknown) =>
    writeFileSync(join(o.outDir, name), `${JSON.stringify(value, null, 2)}\n`);
  json('review.json', review);
  json('rejected.json', rejected);
  json('tally.json', t);
  const summaryText = writeTallyReports({
    outDir: o.outDir,
    election: o.election,
    tally: t,
    generatedDate,
    ignoredFiles: o.listing.ignored.length,
  });

  const summary: BatchSummary = {
    counts: t.sheets,
    ignored: o.listing.ignored,
    contests: t.contests.map((c) => ({
      contestId: c.contestId,
      title: c.title,
      options: c.options.map((x) => ({ optionId: x.optionId, votes: x.votes })),
      overvotes: c.overvotes,
      undervotes: c.undervotes,
    })),
    files: [
      'cvr-report.json',
      'cvr.csv',
      'tally.json',
      'tally.csv',
      'summary.txt',
      'results.json',
      'review.json',
      'rejected.json',
      'manifest.json',
      'journal.jsonl',
    ],
  };
  return { summary, summaryText };
}
