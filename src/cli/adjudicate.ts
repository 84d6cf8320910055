import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { adjudicate, checkDecisions, parseDecisions } from '../audit/adjudicate.ts';
import { loadOurBatch } from '../audit/ours.ts';
import { reportDate } from '../batch/outputs.ts';
import type { Election } from '../election/election.ts';
import { buildElectionResults } from '../report/results-nist.ts';
import { tally } from '../tally/tally.ts';
import { readArgs } from './args.ts';
import { loadElection } from './election-inspect.ts';
import { type CliIo, EXIT, printJson, usageError } from './io.ts';
import { VERSION } from './version.ts';

export const ADJUDICATE_HELP = `Usage: ballot-tally adjudicate --ours DIR --decisions FILE [--out DIR] [options]

Applies people's decisions on targets to a tally output directory (DIR, from "ballot-tally tally"):
every decided sheet gets a "modified" CVR snapshot (the "original" one is kept) with an Annotation
naming the adjudicator, and the tallies are computed again.

The decisions file is CSV with the header
  sheet,contest,option,decision,adjudicator,reason
(decision: marked | unmarked; one row per target decided) or JSON: an array of such objects.

Writes to --out (default DIR/adjudicated):
  cvr-report.json   NIST SP 1500-103 CVRs, adjudicated ones with original + modified snapshots
  tally.json        the tally of the adjudicated records
  results.json      NIST SP 1500-100 v2 results of that tally
  review.json       sheets that still need review
  adjudication.json every decision applied, with the votes before and after

Options:
  --ours DIR          tally output directory
  --decisions FILE    decisions (.csv or .json)
  --out DIR           output directory [DIR/adjudicated]
  --election FILE     the election definition (checked against the hash in DIR/manifest.json); gives
                      results.json its names (without it, ids stand for names)
  --json              print a summary as JSON
Exit codes: 0 done and no sheet needs review; 1 done, some sheets still need review; 2 bad usage.
Timestamps come from SOURCE_DATE_EPOCH when it is set.
`;

export async function runAdjudicate(argv: readonly string[], io: CliIo): Promise<number> {
  const args = readArgs(argv, {
    ours: { type: 'string' },
    decisions: { type: 'string' },
    out: { type: 'string' },
    election: { type: 'string' },
  });
  if (!args.ok) return usageError(io, args.errors, ADJUDICATE_HELP);
  const v = args.value.values;
  if (v.help) {
    io.stdout.write(ADJUDICATE_HELP);
    return EXIT.ok;
  }
  const errors: string[] = [];
  if (typeof v.ours !== 'string') errors.push('Expected a directory for --ours but received nothing');
  if (typeof v.decisions !== 'string') errors.push('Expected a file for --decisions but received nothing');
  if (args.value.positionals.length)
    errors.push(`Expected no positional arguments but received "${args.value.positionals.join(' ')}"`);
  if (errors.length) return usageError(io, errors, ADJUDICATE_HELP);

  const batch = loadOurBatch(v.ours as string, io.cwd);
  if (!batch.ok) return usageError(io, batch.errors, '');
  let election: Election = batch.value.election;
  if (typeof v.election === 'string') {
    const loaded = loadElection(v.election, io.cwd);
    if (!loaded.ok) return usageError(io, loaded.errors, '');
    if (loaded.election.source.sha256 !== batch.value.manifest.election.sha256)
      return usageError(
        io,
        [
          `Expected the election of ${v.ours} (sha256 ${batch.value.manifest.election.sha256}) for --election but received one with sha256 ${loaded.election.source.sha256}`,
        ],
        '',
      );
    election = loaded.election;
  }

  const decisionsPath = resolve(io.cwd, v.decisions as string);
  if (!existsSync(decisionsPath))
    return usageError(io, [`Expected an existing file for --decisions but received "${v.decisions}"`], '');
  const kind = extname(decisionsPath).toLowerCase() === '.json' ? 'json' : 'csv';
  const decisions = parseDecisions(readFileSync(decisionsPath, 'utf8'), kind, v.decisions as string);
  if (!decisions.ok) return usageError(io, decisions.errors, '');
  const problems = checkDecisions(decisions.value, batch.value);
  if (problems.length)
    return usageError(
      io,
      problems.map((p) => `${v.decisions}: ${p}`),
      '',
    );

  const reportPath = join(batch.value.dir, 'cvr-report.json');
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(readFileSync(reportPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return usageError(io, [`Expected a readable ${reportPath} but ${(error as Error).message}`], '');
  }
  const originalCvrs = Array.isArray(report.CVR) ? (report.CVR as Record<string, unknown>[]) : [];
  const byId = new Map(originalCvrs.map((c) => [String(c.UniqueId), c]));
  const generatedDate = reportDate(io.env);
  const result = adjudicate(batch.value, election, decisions.value, (id) => byId.get(id), generatedDate);

  const outDir = resolve(io.cwd, typeof v.out === 'string' ? v.out : join(batch.value.dir, 'adjudicated'));
  mkdirSync(outDir, { recursive: true });
  const { CVR: _cvrs, ...header } = report;
  const reportTypes = Array.isArray(header.ReportType) ? (header.ReportType as string[]) : [];
  const newHeader = {
    ...header,
    GeneratedDate: generatedDate.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ReportType: [...new Set([...reportTypes, 'adjudicated'])],
  };
  const lines = originalCvrs.map((c) => JSON.stringify(result.cvrs.get(String(c.UniqueId)) ?? c));
  writeFileSync(
    join(outDir, 'cvr-report.json'),
    `${JSON.stringify(newHeader).slice(0, -1)},\n"CVR":[${lines.length ? `\n${lines.join(',\n')}` : ''}\n]}\n`,
  );
  const t = tally(election, result.records);
  const json = (name: string, value: unknown) =>
    writeFileSync(join(outDir, name), `${JSON.stringify(value, null, 2)}\n`);
  json('tally.json', t);
  json('results.json', buildElectionResults(election, t, { version: VERSION, generatedDate }));
  json(
    'review.json',
    result.records
      .filter((r) => r.outcome.type === 'interpreted' && r.outcome.needsReview)
      .map((r) => ({
        sheetId: r.sheetId,
        batchId: r.batchId,
        files: r.imagePaths,
        reasons:
          r.outcome.type === 'interpreted' ? r.outcome.reasons.filter((x) => x.type !== 'undervote') : [],
      })),
  );
  const before = new Map(batch.value.tally.contests.map((c) => [c.contestId, c]));
  const totals = t.contests.flatMap((c) =>
    c.options.flatMap((o) => {
      const was = before.get(c.contestId)?.options.find((x) => x.optionId === o.optionId)?.votes ?? 0;
      return was === o.votes
        ? []
        : [{ contestId: c.contestId, optionId: o.optionId, before: was, after: o.votes }];
    }),
  );
  const summary = {
    decisions: decisions.value.length,
    sheetsAdjudicated: result.cvrs.size,
    stillNeedsReview: result.stillNeedsReview,
    totalsChanged: totals,
    outDir,
  };
  json('adjudication.json', { ...summary, changes: result.changes });
  if (v.json === true) printJson(io, summary);
  else {
    io.stdout.write(
      `Applied ${summary.decisions} decision${summary.decisions === 1 ? '' : 's'} to ${summary.sheetsAdjudicated} sheet${summary.sheetsAdjudicated === 1 ? '' : 's'}.\n`,
    );
    for (const x of totals) io.stdout.write(`  ${x.contestId} / ${x.optionId}: ${x.before} → ${x.after}\n`);
    io.stdout.write(
      `Still needing review: ${result.stillNeedsReview.length ? result.stillNeedsReview.join(', ') : 'none'}\n`,
    );
    io.stdout.write(`Outputs in ${outDir}\n`);
  }
  return result.stillNeedsReview.length ? EXIT.attention : EXIT.ok;
}
