import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseSheetTruth, type SheetTruth } from '../../samples/generator/truth.ts';
import { type InputListing, listInputs, type Pairing } from '../batch/inputs.ts';
import { terminalProgress } from '../batch/progress.ts';
import { BatchConfigError, jobKeyOf, runBatch } from '../batch/run.ts';
import {
  analysisText,
  analyzeScores,
  type CalibrationAnalysis,
  histogramOf,
  histogramSvg,
  histogramText,
  profileFrom,
  type TargetScore,
} from '../calibrate/index.ts';
import { type Calibration, loadCalibration, parseCalibration } from '../election/calibration.ts';
import type { ScanResult } from '../worker/job.ts';
import { defaultWorkerCount } from '../worker/pool.ts';
import { intFlag, readArgs } from './args.ts';
import { loadElection } from './election-inspect.ts';
import { type CliIo, EXIT, printJson, usageError } from './io.ts';

export const CALIBRATE_HELP = `Usage: ballot-tally calibrate INPUTS... --election FILE --name NAME --out PROFILE.json [options]

Interprets every sheet in INPUTS (files, directories or manifests, as for tally) in a pool of
workers, collects the fill score of every target, and fits the thresholds of a calibration profile:
the empty and the marked populations (by truth with --truth, else a valley search on the fill
histogram), their separation (gap, overlap, d'), "marginal" and "definite" inside the gap with the
margin on each side, and "writeInInk" from the write-in areas. Prints the histogram and the numbers,
and writes the profile (use it with tally --calibration PROFILE.json).

Options:
  --election FILE       VotingWorks election definition (election.json)
  --name NAME           the profile's name (lowercase letters, digits, ".", "_", "-")
  --out PROFILE.json    where to write the profile
  --truth DIR           test-deck mode: <sheet>.truth.json files from "samples generate"; fits on the
                        clear targets and reports per-target accuracy at the new and current thresholds
  --from PROFILE        starting profile, name or path [default]: its thresholds are the "current"
                        ones compared against, and outsideInk is kept from it
  --svg HIST.svg        also write the histogram as SVG
  --description TEXT    the profile's description (default: says what it was fitted on)
  --scores-out FILE     save the collected target scores (JSON), to combine runs later
  --scores-in FILE      add scores saved by an earlier run (repeatable; e.g. another election's scans)
  --workers N           worker threads (default: one per core)
  --pairing MODE        auto | single, as for tally
  --ballot-style ID     the ballot style of every sheet (when sheets carry no readable metadata)
  --json                print the analysis and the profile as JSON

Exit codes: 0 profile written; 1 written, but a threshold could not be fitted (too few marks or
empties) and was kept from the starting profile; 2 bad usage.
The provenance date comes from SOURCE_DATE_EPOCH when it is set.
`;

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

const TargetScoreSchema = z.object({
  sheetId: z.string(),
  contestId: z.string(),
  optionId: z.string(),
  type: z.enum(['option', 'write-in']),
  side: z.enum(['front', 'back']),
  column: z.number(),
  row: z.number(),
  fill01: z.number(),
  outsideInk01: z.number(),
  writeInInk01: z.number().optional(),
  truth: z
    .object({ kind: z.string(), intended: z.boolean(), ambiguous: z.boolean(), writeInName: z.boolean() })
    .optional(),
});
const ScoresFileSchema = z.object({
  format: z.literal('ballot-tally-scores'),
  version: z.literal(1),
  data: z.string(),
  scores: z.array(TargetScoreSchema),
});
type ScoresFile = z.infer<typeof ScoresFileSchema>;

export interface CollectedScores {
  scores: TargetScore[];
  /** in input order */
  results: ScanResult[];
  rejected: { sheetId: string; paths: string[]; reason: string }[];
  /** targets left out because a scanner streak runs through them */
  streakTargets: number;
}

/** Run a batch in the worker pool (journal in a temporary directory) and keep every target's scores. */
export async function collectScores(options: {
  listing: InputListing;
  electionJson: string;
  electionSha256: string;
  calibration: Calibration;
  workers: number;
  ballotStyleId?: string | undefined;
  onProgress?: Parameters<typeof runBatch>[0]['onProgress'];
}): Promise<CollectedScores> {
  const work = mkdtempSync(join(tmpdir(), 'ballot-tally-calibrate-'));
  try {
    const run = await runBatch({
      sheets: options.listing.sheets,
      config: {
        electionJson: options.electionJson,
        calibration: options.calibration,
        ...(options.ballotStyleId ? { ballotStyleId: options.ballotStyleId } : {}),
      },
      outDir: work,
      workers: options.workers,
      resume: false,
      jobKey: jobKeyOf({ election: options.electionSha256, calibrate: true }),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const scores: TargetScore[] = [];
    const rejected: CollectedScores['rejected'] = [];
    const results: ScanResult[] = [];
    let streaks = 0;
    let i = 0;
    // the results are read back from the journal: consume them before the directory goes
    for (const r of run.results()) {
      const sheet = options.listing.sheets[i++];
      results.push(r);
      const o = r.outcome;
      if (o.type === 'rejected') {
        rejected.push({ sheetId: r.sheetId, paths: sheet?.displayPaths ?? [], reason: o.reason });
        continue;
      }
      for (const t of o.targets) {
        // a scanner streak through the target makes its fill meaningless: not evidence for thresholds
        if ('streak' in t && t.streak === true) {
          streaks++;
          continue;
        }
        scores.push({
          sheetId: r.sheetId,
          contestId: t.contestId,
          optionId: t.optionId,
          type: t.type,
          side: t.side,
          column: t.column,
          row: t.row,
          fill01: t.fill01,
          outsideInk01: t.outsideInk01,
          ...(t.writeInInk01 !== undefined ? { writeInInk01: t.writeInInk01 } : {}),
        });
      }
    }
    return { scores, results, rejected, streakTargets: streaks };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `<file name of an image>` → the truth of its sheet, from every `*.truth.json` in DIR. */
export function readTruthDir(dir: string): { byImage: Map<string, SheetTruth>; errors: string[] } {
  const byImage = new Map<string, SheetTruth>();
  const errors: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.truth.json')) continue;
    const path = join(dir, name);
    let parsed: ReturnType<typeof parseSheetTruth>;
    try {
      parsed = parseSheetTruth(JSON.parse(readFileSync(path, 'utf8')));
    } catch (error) {
      errors.push(`Expected JSON in ${path} but it did not parse: ${(error as Error).message}`);
      continue;
    }
    if (!parsed.ok) {
      errors.push(...parsed.errors.map((e) => `${path}: ${e}`));
      continue;
    }
    for (const image of parsed.value.images) byImage.set(image.file, parsed.value);
  }
  return { byImage, errors };
}

const targetKey = (t: {
  contestId: string;
  optionId: string;
  side: string;
  column: number;
  row: number;
}): string => `${t.contestId}\u0000${t.optionId}\u0000${t.side}\u0000${t.column}\u0000${t.row}`;

/** Label each score with its target's truth; scores of sheets without truth are returned apart. */
export function attachTruth(
  collected: CollectedScores,
  listing: InputListing,
  byImage: ReadonlyMap<string, SheetTruth>,
): {
  labelled: TargetScore[];
  sheetsWithoutTruth: number;
  targetsWithoutTruth: number;
  erasedByScan: number;
} {
  const truthOf = new Map<string, Map<string, SheetTruth['targets'][number]>>();
  for (const sheet of listing.sheets) {
    const truth = sheet.paths.map((p) => byImage.get(basename(p))).find((t) => t !== undefined);
    if (truth) truthOf.set(sheet.sheetId, new Map(truth.targets.map((t) => [targetKey(t), t])));
  }
  const labelled: TargetScore[] = [];
  const without = new Set<string>();
  let targetsWithoutTruth = 0;
  let erasedByScan = 0;
  for (const s of collected.scores) {
    const t = truthOf.get(s.sheetId)?.get(targetKey(s));
    if (!t) {
      without.add(s.sheetId);
      targetsWithoutTruth++;
      continue;
    }
    // A mark the scan itself erased is in no image: it says nothing about thresholds.
    if (t.visibleInScan === false) {
      erasedByScan++;
      continue;
    }
    labelled.push({
      ...s,
      truth: { kind: t.kind, intended: t.intended, ambiguous: t.ambiguous, writeInName: t.writeInName },
    });
  }
  return { labelled, sheetsWithoutTruth: without.size, targetsWithoutTruth, erasedByScan };
}

/** `a/x.jpeg a/y.jpeg a/z.jpeg b/q.jpeg` → `a/{x.jpeg,y.jpeg,z.jpeg} b/q.jpeg`: short enough for a profile. */
export function compactPaths(paths: readonly string[]): string {
  const groups: { dir: string; names: string[] }[] = [];
  for (const p of paths) {
    const dir = dirname(p);
    const last = groups[groups.length - 1];
    if (last && last.dir === dir && p.startsWith(`${dir}/`)) last.names.push(basename(p));
    else groups.push({ dir, names: [p.startsWith(`${dir}/`) ? basename(p) : p] });
  }
  return groups
    .map((g) => {
      if (g.names.length === 1)
        return g.names[0] === basename(g.names[0] ?? '') ? `${g.dir}/${g.names[0]}` : g.names[0];
      if (g.names.length <= 3) return `${g.dir}/{${g.names.join(',')}}`;
      return `${g.dir}/{${g.names[0]},… ${g.names.length} files …,${g.names[g.names.length - 1]}}`;
    })
    .join(' ');
}

/** The command line with runs of files from one directory compacted. */
function commandLine(argv: readonly string[]): string {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length > 3) out.push(compactPaths(run));
    else out.push(...run);
    run = [];
  };
  for (const a of argv) {
    if (!a.startsWith('-') && /\.(jpe?g|png|tiff?)$/i.test(a)) run.push(a);
    else {
      flush();
      out.push(a);
    }
  }
  flush();
  return `ballot-tally calibrate ${out.join(' ')}`;
}

function isoDate(env: CliIo['env']): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  const ms = epoch && /^\d+$/.test(epoch) ? Number(epoch) * 1000 : Date.now();
  return new Date(ms).toISOString().slice(0, 10);
}

function readScoresFile(path: string): { ok: true; value: ScoresFile } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error: code
        ? `Expected a readable scores file for --scores-in but ${path} gave ${code}`
        : `Expected JSON for --scores-in but ${path} did not parse: ${(error as Error).message}`,
    };
  }
  const parsed = ScoresFileSchema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      error: `Expected a scores file written by "calibrate --scores-out" for --scores-in but ${path} is not one (${parsed.error.issues[0]?.message ?? 'invalid'})`,
    };
  return { ok: true, value: parsed.data };
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

export async function runCalibrate(argv: readonly string[], io: CliIo): Promise<number> {
  const args = readArgs(argv, {
    election: { type: 'string' },
    truth: { type: 'string' },
    from: { type: 'string' },
    name: { type: 'string' },
    out: { type: 'string' },
    svg: { type: 'string' },
    description: { type: 'string' },
    'scores-out': { type: 'string' },
    'scores-in': { type: 'string', multiple: true },
    workers: { type: 'string' },
    pairing: { type: 'string' },
    'ballot-style': { type: 'string' },
  });
  if (!args.ok) return usageError(io, args.errors, CALIBRATE_HELP);
  const v = args.value.values;
  if (v.help) {
    io.stdout.write(CALIBRATE_HELP);
    return EXIT.ok;
  }
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const scoresIn = Array.isArray(v['scores-in']) ? (v['scores-in'] as string[]) : [];
  const inputs = args.value.positionals;
  const errors: string[] = [];
  if (inputs.length === 0 && scoresIn.length === 0)
    errors.push('Expected at least one input (file, directory or manifest) or --scores-in FILE');
  if (inputs.length > 0 && str('election') === undefined)
    errors.push('Expected a path for --election but received nothing');
  const name = str('name');
  if (name === undefined) errors.push('Expected a profile name for --name but received nothing');
  else if (!NAME_PATTERN.test(name))
    errors.push(
      `Expected a name of lowercase letters, digits, ".", "_" and "-" for --name but received "${name}"`,
    );
  const out = str('out');
  if (out === undefined) errors.push('Expected a path ending in .json for --out but received nothing');
  else if (!out.endsWith('.json'))
    errors.push(`Expected a path ending in .json for --out but received "${out}"`);
  const svg = str('svg');
  if (svg !== undefined && !svg.endsWith('.svg'))
    errors.push(`Expected a path ending in .svg for --svg but received "${svg}"`);
  const truthDir = str('truth');
  if (truthDir !== undefined && !isDir(resolve(io.cwd, truthDir)))
    errors.push(`Expected a directory of *.truth.json files for --truth but received "${truthDir}"`);
  const workers = intFlag(v.workers, '--workers', 1, 256, defaultWorkerCount());
  if (!workers.ok) errors.push(...workers.errors);
  const pairing = str('pairing') ?? 'auto';
  if (pairing !== 'auto' && pairing !== 'single')
    errors.push(`Expected one of "auto", "single" for --pairing but received "${pairing}"`);
  if (errors.length || !workers.ok || !name || !out) return usageError(io, errors, CALIBRATE_HELP);

  const from = loadCalibration(str('from') ?? 'default');
  if (!from.ok) return usageError(io, from.errors, '');
  const json = v.json === true;
  const dataParts: string[] = [];
  let scores: TargetScore[] = [];
  const notes: string[] = [];

  for (const path of scoresIn) {
    const read = readScoresFile(resolve(io.cwd, path));
    if (!read.ok) return usageError(io, [read.error], '');
    scores.push(...read.value.scores);
    dataParts.push(read.value.data);
  }

  if (inputs.length > 0) {
    const electionPath = resolve(io.cwd, str('election') as string);
    const loaded = loadElection(electionPath, io.cwd);
    if (!loaded.ok) return usageError(io, loaded.errors, '');
    const ballotStyleId = str('ballot-style');
    if (ballotStyleId && !loaded.election.ballotStyles.some((b) => b.id === ballotStyleId))
      return usageError(
        io,
        [`Expected a ballot style of the election for --ballot-style but received "${ballotStyleId}"`],
        '',
      );
    const listing = listInputs(inputs, io.cwd, pairing as Pairing);
    if (listing.missing.length)
      return usageError(
        io,
        listing.missing.map((m) => `Expected an existing file or directory but received "${m}"`),
        '',
      );
    if (listing.sheets.length === 0)
      return usageError(
        io,
        [`Expected ballot images in the inputs but found none (${inputs.join(', ')})`],
        '',
      );
    let truth: ReturnType<typeof readTruthDir> | undefined;
    if (truthDir !== undefined) {
      truth = readTruthDir(resolve(io.cwd, truthDir));
      if (truth.errors.length) return usageError(io, truth.errors, '');
      if (truth.byImage.size === 0)
        return usageError(
          io,
          [`Expected a directory of *.truth.json files for --truth but ${truthDir} holds none`],
          '',
        );
    }
    const progress = terminalProgress(io.stderr, !json);
    let collected: CollectedScores;
    try {
      collected = await collectScores({
        listing,
        electionJson: readFileSync(electionPath, 'utf8'),
        electionSha256: loaded.election.source.sha256,
        calibration: from.value,
        workers: workers.value,
        ballotStyleId,
        onProgress: (p) => progress.update(p),
      });
    } catch (error) {
      progress.end();
      if (error instanceof BatchConfigError) return usageError(io, [error.message], '');
      throw error;
    }
    progress.end();
    if (collected.rejected.length)
      notes.push(
        `${collected.rejected.length} of ${listing.sheets.length} sheets rejected (not used): ${collected.rejected
          .slice(0, 5)
          .map((r) => `${r.paths.join('+')} ${r.reason}`)
          .join('; ')}${collected.rejected.length > 5 ? '; …' : ''}`,
      );
    if (collected.streakTargets)
      notes.push(`${collected.streakTargets} targets with a scanner streak through them left out`);
    let mine = collected.scores;
    if (truth) {
      const t = attachTruth(collected, listing, truth.byImage);
      if (t.targetsWithoutTruth)
        notes.push(
          `${t.targetsWithoutTruth} targets on ${t.sheetsWithoutTruth} sheets have no truth and are left out`,
        );
      if (t.erasedByScan)
        notes.push(`${t.erasedByScan} marks the scan itself erased (truth visibleInScan false) left out`);
      mine = t.labelled;
    }
    const sheetsUsed = listing.sheets.length - collected.rejected.length;
    const prefix = `${loaded.election.id}:`;
    scores.push(...mine.map((s) => ({ ...s, sheetId: `${prefix}${s.sheetId}` })));
    dataParts.push(
      `${sheetsUsed} sheets of election ${loaded.election.id} from ${compactPaths(inputs)}${truth ? ` with truth from ${truthDir}` : ''}`,
    );
    const scoresOut = str('scores-out');
    if (scoresOut !== undefined) {
      const file: ScoresFile = {
        format: 'ballot-tally-scores',
        version: 1,
        data: dataParts[dataParts.length - 1] ?? '',
        scores: mine.map((s) => ({ ...s, sheetId: `${prefix}${s.sheetId}` })),
      };
      const p = resolve(io.cwd, scoresOut);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, `${JSON.stringify(file)}\n`);
    }
  } else if (str('scores-out') !== undefined) {
    notes.push('--scores-out ignored: no images were read in this run');
  }
  // Mixing labelled and unlabelled scores would make the fit silently unsupervised: keep one kind.
  if (scores.some((s) => s.truth) && scores.some((s) => !s.truth)) {
    notes.push('some scores have truth and some do not: fitting on the labelled ones only');
    scores = scores.filter((s) => s.truth);
  }
  if (scores.length === 0)
    return usageError(io, ['Expected target scores to fit but no sheet was read (all rejected?)'], '');

  const current = from.value.thresholds;
  const analysis: CalibrationAnalysis = analyzeScores(scores, current);
  const data = dataParts.join('; ');
  const profile = profileFrom(analysis, {
    name,
    ...(str('description') !== undefined ? { description: str('description') as string } : {}),
    command: commandLine(argv),
    data,
    date: isoDate(io.env),
  });
  const checked = parseCalibration(profile);
  if (!checked.ok) throw new Error(`internal: the fitted profile is invalid: ${checked.errors.join('; ')}`);
  const outPath = resolve(io.cwd, out);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(checked.value, null, 2)}\n`);
  const bins = histogramOf(scores);
  let svgPath: string | undefined;
  if (svg !== undefined) {
    svgPath = resolve(io.cwd, svg);
    mkdirSync(dirname(svgPath), { recursive: true });
    writeFileSync(
      svgPath,
      histogramSvg(bins, {
        title: `${name}: fill01 of ${analysis.targets} targets on ${analysis.sheets} sheets`,
        recommended: analysis.recommended,
        current,
      }),
    );
  }
  for (const n of notes) io.stderr.write(`ballot-tally: ${n}\n`);
  if (json)
    printJson(io, {
      profile: checked.value,
      out: outPath,
      svg: svgPath ?? null,
      notes,
      analysis,
      histogram: bins,
    });
  else {
    io.stdout.write(
      histogramText(bins, [
        { label: 'marginal', at: analysis.recommended.marginal },
        { label: 'definite', at: analysis.recommended.definite },
      ]),
    );
    io.stdout.write(`\n${analysisText(analysis)}`);
    io.stdout.write(`\nWrote ${outPath}${svgPath ? ` and ${svgPath}` : ''}\n`);
  }
  return analysis.fill.ok ? EXIT.ok : EXIT.attention;
}
