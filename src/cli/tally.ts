import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { listInputs, type Pairing } from '../batch/inputs.ts';
import { writeOutputs } from '../batch/outputs.ts';
import { terminalProgress } from '../batch/progress.ts';
import { BatchAbandonedError, BatchConfigError, jobKeyOf, runBatch } from '../batch/run.ts';
import { loadCalibration } from '../election/calibration.ts';
import { defaultWorkerCount } from '../worker/pool.ts';
import { intFlag, readArgs } from './args.ts';
import { loadElection } from './election-inspect.ts';
import { type CliIo, EXIT, printJson, usageError } from './io.ts';

export const TALLY_HELP = `Usage: ballot-tally tally INPUTS... --election FILE --out DIR [options]

Reads every ballot image in INPUTS (files, directories, or manifest .txt/.csv files with one
"front[,back]" line per sheet), interprets each sheet in a pool of workers, and writes to DIR:
  cvr-report.json   NIST SP 1500-103 cast vote records (every target with its fill score)
  cvr.csv           one row per sheet
  tally.json/.csv   contest totals with overvotes, undervotes, by precinct, style and batch
  summary.txt       the totals as text
  results.json      NIST SP 1500-100 v2 election results
  review.json       sheets needing review, with reasons
  rejected.json     sheets that could not be read, with reasons
  manifest.json     every input with its SHA-256 and outcome, versions, options
  journal.jsonl     append-only progress log, for --resume

Options:
  --election FILE       VotingWorks election definition (election.json)
  --calibration NAME    calibration profile name (calibration/NAME.json) or path [default]
  --out DIR             output directory
  --workers N           worker threads (default: one per core)
  --pairing MODE        auto (side words, multi-page TIFFs, then consecutive pairs) | single
  --ballot-style ID     the ballot style of every sheet (when sheets carry no readable metadata)
  --resume              continue an interrupted run from DIR/journal.jsonl
  --json                print the summary as JSON (no progress bar)

Sheets are paired front/back by name (-front/-back, _side0/_side1, -A/-B, -p-1/-p-2 at the end,
or front/back inside the name before a shared suffix), a two-page TIFF is one sheet, a TIFF of
more pages (a scanned box) is split into sheets of two pages (shown as box.tif#page=3-4), and
other images pair in name order. --pairing single makes every image (and TIFF page) a sheet.
Exit codes: 0 every sheet recorded; 1 some need review or were rejected; 2 bad usage.
Timestamps in the outputs come from SOURCE_DATE_EPOCH when it is set.
`;

/** One line on the files that are not read: their names when few, else how many of each kind. */
function ignoredLine(ignored: readonly { path: string }[]): string {
  const byKind = new Map<string, number>();
  for (const f of ignored) {
    const kind = extname(f.path).toLowerCase() || 'no extension';
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const what =
    ignored.length <= 3
      ? ignored.map((f) => f.path).join(', ')
      : [...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ');
  return `${ignored.length} file(s) among the inputs are not ballot images and are not read (${what}; listed in manifest.json)`;
}

export async function runTally(argv: readonly string[], io: CliIo): Promise<number> {
  const args = readArgs(argv, {
    election: { type: 'string' },
    calibration: { type: 'string' },
    out: { type: 'string' },
    workers: { type: 'string' },
    pairing: { type: 'string' },
    'ballot-style': { type: 'string' },
    resume: { type: 'boolean' },
  });
  if (!args.ok) return usageError(io, args.errors, TALLY_HELP);
  const v = args.value.values;
  if (v.help) {
    io.stdout.write(TALLY_HELP);
    return EXIT.ok;
  }
  const errors: string[] = [];
  if (args.value.positionals.length === 0)
    errors.push('Expected at least one input (file, directory or manifest)');
  if (typeof v.election !== 'string') errors.push('Expected a path for --election but received nothing');
  if (typeof v.out !== 'string') errors.push('Expected a directory for --out but received nothing');
  const workers = intFlag(v.workers, '--workers', 1, 256, defaultWorkerCount());
  if (!workers.ok) errors.push(...workers.errors);
  const pairing = (v.pairing ?? 'auto') as string;
  if (pairing !== 'auto' && pairing !== 'single')
    errors.push(`Expected one of "auto", "single" for --pairing but received "${pairing}"`);
  if (errors.length || !workers.ok) return usageError(io, errors, TALLY_HELP);

  const electionPath = resolve(io.cwd, v.election as string);
  const loaded = loadElection(electionPath, io.cwd);
  if (!loaded.ok) return usageError(io, loaded.errors, '');
  const calibration = loadCalibration(typeof v.calibration === 'string' ? v.calibration : 'default');
  if (!calibration.ok) return usageError(io, calibration.errors, '');
  const ballotStyleId = typeof v['ballot-style'] === 'string' ? v['ballot-style'] : undefined;
  if (ballotStyleId && !loaded.election.ballotStyles.some((b) => b.id === ballotStyleId))
    return usageError(
      io,
      [`Expected a ballot style of the election for --ballot-style but received "${ballotStyleId}"`],
      '',
    );

  const listing = listInputs(args.value.positionals, io.cwd, pairing as Pairing);
  if (listing.missing.length)
    return usageError(
      io,
      listing.missing.map((m) => `Expected an existing file or directory but received "${m}"`),
      '',
    );

  const outDir = resolve(io.cwd, v.out as string);
  const json = v.json === true;
  if (listing.ignored.length) io.stderr.write(`ballot-tally: ${ignoredLine(listing.ignored)}\n`);
  const progress = terminalProgress(io.stderr, !json);
  // The worker count is left out: it must not change a byte of the outputs.
  const options = { pairing, ballotStyleId: ballotStyleId ?? null };
  const jobKey = jobKeyOf({
    election: loaded.election.source.sha256,
    calibration: calibration.value,
    pairing,
    ballotStyleId: ballotStyleId ?? null,
  });
  let run: Awaited<ReturnType<typeof runBatch>>;
  try {
    run = await runBatch({
      sheets: listing.sheets,
      config: {
        electionJson: readFileSync(electionPath, 'utf8'),
        calibration: calibration.value,
        ...(ballotStyleId ? { ballotStyleId } : {}),
      },
      outDir,
      workers: workers.value,
      resume: v.resume === true,
      jobKey,
      onProgress: (p) => progress.update(p),
      ...(io.orphaned ? { stillWanted: () => !io.orphaned?.() } : {}),
    });
  } catch (error) {
    progress.end();
    if (error instanceof BatchConfigError) return usageError(io, [error.message], '');
    if (error instanceof BatchAbandonedError) {
      io.stderr.write(`ballot-tally: ${error.message}\n`);
      return EXIT.attention;
    }
    throw error;
  }
  progress.end();
  const written = await writeOutputs({
    outDir,
    election: loaded.election,
    calibration: calibration.value,
    listing,
    results: () => run.results(),
    options,
    env: io.env,
  });
  if (json) printJson(io, { ...written.summary, resumedSheets: run.resumedSheets, outDir });
  else {
    io.stdout.write(written.summaryText);
    io.stdout.write(`\nOutputs in ${outDir}\n`);
  }
  return written.summary.counts.inputs === written.summary.counts.recorded ? EXIT.ok : EXIT.attention;
}
