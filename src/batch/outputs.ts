/**
 * Writing a finished batch: every output file in DIR, from the results in input order.
 * Deterministic: the same inputs give the same bytes whatever the worker count; the only clock is
 * SOURCE_DATE_EPOCH (or now, when it is unset).
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { VERSION } from '../cli/version.ts';
import type { Calibration } from '../election/calibration.ts';
import type { Election } from '../election/election.ts';
import { writeCvrReport } from '../report/cvr-nist.ts';
import type { SheetRecord } from '../tally/records.ts';
import { sheetStatus } from '../tally/records.ts';
import { checkTally, type Tally, tally } from '../tally/tally.ts';
import type { ScanResult } from '../worker/job.ts';
import type { InputListing } from './inputs.ts';
import { writeTallyReports } from './reports.ts';

export interface WriteOutputsOptions {
  outDir: string;
  election: Election;
  calibration: Calibration;
  listing: InputListing;
  results: readonly ScanResult[];
  options: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

export interface BatchSummary {
  counts: Tally['sheets'];
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

function toRecords(listing: InputListing, results: readonly ScanResult[]): SheetRecord[] {
  return results.map((r, i) => {
    const sheet = listing.sheets[i];
    if (!sheet || sheet.sheetId !== r.sheetId) throw new Error(`internal: result ${r.sheetId} out of order`);
    return {
      sheetId: r.sheetId,
      batchId: sheet.batchId,
      imagePaths: sheet.displayPaths,
      imageSha256: r.imageSha256,
      outcome: r.outcome,
    };
  });
}

export async function writeOutputs(
  o: WriteOutputsOptions,
): Promise<{ summary: BatchSummary; summaryText: string }> {
  const records = toRecords(o.listing, o.results);
  const generatedDate = reportDate(o.env);
  const t = tally(o.election, records);
  const problems = checkTally(t);
  if (problems.length) throw new Error(`internal: the counts do not add up: ${problems.join('; ')}`);

  const cvrStream = createWriteStream(join(o.outDir, 'cvr-report.json'));
  await writeCvrReport(cvrStream, o.election, records, {
    version: VERSION,
    generatedDate,
    calibration: o.calibration,
  });
  cvrStream.end();
  await finished(cvrStream);

  const json = (name: string, value: unknown) =>
    writeFileSync(join(o.outDir, name), `${JSON.stringify(value, null, 2)}\n`);
  json(
    'review.json',
    records
      .filter((r) => sheetStatus(r.outcome) === 'needs-review')
      .map((r) => ({
        sheetId: r.sheetId,
        batchId: r.batchId,
        files: r.imagePaths,
        reasons:
          r.outcome.type === 'interpreted' ? r.outcome.reasons.filter((x) => x.type !== 'undervote') : [],
      })),
  );
  json(
    'rejected.json',
    records.flatMap((r) =>
      r.outcome.type === 'rejected'
        ? [
            {
              sheetId: r.sheetId,
              batchId: r.batchId,
              files: r.imagePaths,
              reason: r.outcome.reason,
              detail: r.outcome.detail,
            },
          ]
        : [],
    ),
  );
  json('manifest.json', {
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
    counts: t.sheets,
    inputs: records.map((r) => ({
      sheetId: r.sheetId,
      batchId: r.batchId,
      files: r.imagePaths.map((path, i) => ({ path, sha256: r.imageSha256[i] ?? '' })),
      status: sheetStatus(r.outcome),
      ...(r.outcome.type === 'rejected' ? { reason: r.outcome.reason, detail: r.outcome.detail } : {}),
    })),
    ignored: o.listing.ignored,
  });
  json('tally.json', t);
  const summaryText = writeTallyReports({
    outDir: o.outDir,
    election: o.election,
    tally: t,
    records,
    generatedDate,
  });

  const summary: BatchSummary = {
    counts: t.sheets,
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
