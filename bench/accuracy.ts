/**
 * Accuracy of the interpreter on the generated corpus (all defects on), against the generator's truth.
 *
 *   npx tsx bench/accuracy.ts --sheets N [--profile realistic|hard] [--seed S] [--workers N] [--json]
 *
 * Generates N sheets of the demo election (cached in bench/.cache/<profile>-<seed>-<N>/ and reused), runs
 * the real batch pipeline on them (listInputs + runBatch, the worker pool of `ballot-tally tally`), joins
 * every target with the truth (bench/accuracy-lib.ts) and writes bench/results/accuracy-<profile>-<N>.json.
 * Exit code 0 when the interpreter meets the targets of the issue, 1 when it does not, 2 on bad usage.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBatch } from '../samples/generator/batch.ts';
import { PROFILE_NAMES, type ProfileName } from '../samples/generator/profiles.ts';
import { parseSheetTruth, type SheetTruth } from '../samples/generator/truth.ts';
import { listInputs } from '../src/batch/inputs.ts';
import { jobKeyOf, runBatch } from '../src/batch/run.ts';
import { loadCalibration } from '../src/election/calibration.ts';
import { importVxf } from '../src/election/vxf.ts';
import { type AccuracyReport, accuracyChecks, formatAccuracy, scoreAccuracy } from './accuracy-lib.ts';

const ROOT = join(import.meta.dirname, '..');
export const ELECTION_PATH = join(ROOT, 'samples', 'demo', 'election.json');
export const CACHE_ROOT = join(ROOT, 'bench', '.cache');

/** Short hash of the generator's source files (samples/generator/*.ts). */
export function generatorHash(): string {
  const dir = join(ROOT, 'samples', 'generator');
  const h = createHash('sha256');
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.ts'))
    .sort())
    h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 10);
}
const RESULTS_DIR = join(ROOT, 'bench', 'results');

export interface AccuracyOptions {
  sheets: number;
  profile: ProfileName;
  seed: number;
  workers: number;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface AccuracyRun {
  profile: ProfileName;
  seed: number;
  sheets: number;
  workers: number;
  corpusDir: string;
  /** null when the corpus came from the cache */
  generateMs: number | null;
  tallyMs: number;
  checks: Record<string, boolean>;
  report: AccuracyReport;
}

/** The corpus directory for these options, generated unless a complete one is cached. */
export async function ensureCorpus(
  o: AccuracyOptions,
): Promise<{ dir: string; truths: SheetTruth[]; generateMs: number | null }> {
  // The generator's own source is part of the key: a changed generator (or truth rule) makes a new corpus.
  const dir = join(CACHE_ROOT, `${o.profile}-${o.seed}-${o.sheets}-${generatorHash()}`);
  const index = join(dir, 'truth.jsonl');
  let generateMs: number | null = null;
  if (!existsSync(index)) {
    const imported = importVxf(readFileSync(ELECTION_PATH));
    if (!imported.ok) throw new Error(`${ELECTION_PATH}: ${imported.errors.join('; ')}`);
    // Generate beside the cache and rename: an interrupted run leaves no half corpus behind.
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    await mkdir(CACHE_ROOT, { recursive: true });
    let last = 0;
    const summary = await generateBatch({
      election: imported.value.election,
      count: o.sheets,
      seed: o.seed,
      outDir: partial,
      profile: o.profile,
      workers: o.workers,
      onProgress: ({ done, total }) => {
        if (done === total || Date.now() - last > 5000) {
          last = Date.now();
          o.log?.(`generated ${done}/${total} sheets`);
        }
      },
    });
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
    generateMs = summary.elapsedMs;
    o.log?.(`generated ${o.sheets} ${o.profile} sheets in ${(generateMs / 1000).toFixed(1)} s`);
  }
  const truths = readFileSync(index, 'utf8')
    .trim()
    .split('\n')
    .map((line, i) => {
      const t = parseSheetTruth(JSON.parse(line));
      if (!t.ok) throw new Error(`${index}:${i + 1}: ${t.errors.join('; ')}`);
      return t.value;
    });
  if (truths.length !== o.sheets)
    throw new Error(`${index} holds ${truths.length} sheets, expected ${o.sheets}; delete ${dir}`);
  return { dir, truths, generateMs };
}

export async function runAccuracy(o: AccuracyOptions): Promise<AccuracyRun> {
  const corpus = await ensureCorpus(o);
  const calibration = loadCalibration('default');
  if (!calibration.ok) throw new Error(calibration.errors.join('; '));
  const listing = listInputs([corpus.dir], corpus.dir);
  const outDir = mkdtempSync(join(tmpdir(), 'accuracy-'));
  const started = performance.now();
  let last = 0;
  try {
    const run = await runBatch({
      sheets: listing.sheets,
      config: { electionJson: readFileSync(ELECTION_PATH, 'utf8'), calibration: calibration.value },
      outDir,
      workers: o.workers,
      resume: false,
      jobKey: jobKeyOf({ accuracy: corpus.dir }),
      onProgress: (p) => {
        if (p.done === p.total || Date.now() - last > 5000) {
          last = Date.now();
          o.log?.(`interpreted ${p.done}/${p.total} sheets`);
        }
      },
    });
    const tallyMs = performance.now() - started;
    // Sheets pair with their truth by file name: NNNNNN-front.jpeg, NNNNNN.tiff → NNNNNN.
    const bySheetId = new Map(corpus.truths.map((t) => [t.sheetId, t]));
    // streamed from the journal, one sheet at a time: 20,000 outcomes need not sit in memory together
    function* pairs() {
      let i = 0;
      for (const result of run.results()) {
        const s = listing.sheets[i++];
        const id = basename(s?.paths[0] ?? '').slice(0, 6);
        const truth = bySheetId.get(id);
        if (!truth || !s) throw new Error(`no truth for input ${s?.paths.join(', ') ?? i}`);
        bySheetId.delete(id);
        yield { truth, outcome: result.outcome };
      }
    }
    const report = scoreAccuracy(pairs());
    if (bySheetId.size)
      throw new Error(
        `sheets of the truth not found as inputs: ${[...bySheetId.keys()].slice(0, 5).join(', ')}`,
      );
    return {
      profile: o.profile,
      seed: o.seed,
      sheets: o.sheets,
      workers: o.workers,
      corpusDir: corpus.dir,
      generateMs: corpus.generateMs,
      tallyMs: Math.round(tallyMs),
      checks: accuracyChecks(report),
      report,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export const ACCURACY_USAGE = `Usage: npx tsx bench/accuracy.ts --sheets N [--profile ${PROFILE_NAMES.join('|')}] [--seed S]
       [--workers N] [--json]
`;

function parseArgs(argv: readonly string[]): AccuracyOptions & { json: boolean } {
  const o = {
    sheets: 0,
    profile: 'realistic' as ProfileName,
    seed: 1,
    workers: availableParallelism(),
    json: false,
  };
  const int = (flag: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (v === undefined || !/^\d+$/.test(v) || n < min || n > max)
      throw new UsageError(
        `Expected integer between ${min} and ${max} for ${flag} but received ${v ?? 'nothing'}`,
      );
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--sheets') o.sheets = int(a, argv[++i], 1, 1_000_000);
    else if (a === '--seed') o.seed = int(a, argv[++i], 0, 4_294_967_295);
    else if (a === '--workers') o.workers = int(a, argv[++i], 1, 64);
    else if (a === '--profile') {
      const v = argv[++i];
      if (!(PROFILE_NAMES as readonly (string | undefined)[]).includes(v))
        throw new UsageError(
          `Expected one of ${PROFILE_NAMES.map((p) => `"${p}"`).join(', ')} for --profile but received "${v ?? ''}"`,
        );
      o.profile = v as ProfileName;
    } else
      throw new UsageError(
        `Expected one of --sheets, --profile, --seed, --workers, --json but received "${a}"`,
      );
  }
  if (!o.sheets) throw new UsageError('Expected a value for --sheets but received nothing');
  return o;
}

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  let o: ReturnType<typeof parseArgs>;
  try {
    o = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${ACCURACY_USAGE}`);
    return 2;
  }
  const run = await runAccuracy({ ...o, log: (l) => process.stderr.write(`${l}\n`) });
  const out = {
    ...run,
    corpusDir: run.corpusDir.slice(ROOT.length + 1),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version },
    /** the whole bench process: workers, the journal read back, and every sheet's truth held in memory */
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `accuracy-${o.profile}-${o.sheets}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else {
    process.stdout.write(formatAccuracy(run.report));
    process.stdout.write(
      `generate ${run.generateMs === null ? 'cached' : `${(run.generateMs / 1000).toFixed(1)} s`}, ` +
        `tally ${(run.tallyMs / 1000).toFixed(1)} s (${run.workers} workers), peak RSS ${out.peakRssMb} MB\n`,
    );
    for (const [name, ok] of Object.entries(run.checks))
      process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${name}\n`);
    process.stdout.write(`written ${file.slice(ROOT.length + 1)}\n`);
  }
  return Object.values(run.checks).every(Boolean) ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
