/** The tabular and readable tally outputs of a batch: CSVs, NIST results, the text summary. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../cli/version.ts';
import type { Election } from '../election/election.ts';
import { tallyCsv } from '../report/csv.ts';
import { buildElectionResults } from '../report/results-nist.ts';
import { summaryText } from '../report/summary.ts';
import type { Tally } from '../tally/tally.ts';

export interface TallyReportInput {
  outDir: string;
  election: Election;
  tally: Tally;
  generatedDate: Date;
  /** input files that are not ballot images, for the summary */
  ignoredFiles?: number;
}

/** Writes tally.csv, results.json and summary.txt; returns the summary text. */
export function writeTallyReports(input: TallyReportInput): string {
  const { outDir, election, tally } = input;
  writeFileSync(join(outDir, 'tally.csv'), tallyCsv(tally));
  const results = buildElectionResults(election, tally, {
    version: VERSION,
    generatedDate: input.generatedDate,
  });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const text = summaryText(election, tally, { ignoredFiles: input.ignoredFiles ?? 0 });
  writeFileSync(join(outDir, 'summary.txt'), text);
  return text;
}
