/**
 * Whole-batch throughput: the real batch runner against a decode-only floor, on generated sheets.
 *
 * Run: npm run bench:throughput -- [--sheets N] [--workers N] [--dpi 200|300] [--format jpeg|tiff-g4]
 *                                  [--worker-counts 1,2] [--runs R] [--json] [--no-save]
 *      npm run bench:throughput -- --profile [--sheets N] [--dpi …] [--format …]
 *
 * 1. Generates N sheets once with the sample generator (seed 1, realistic profile) and caches them under
 *    bench/.cache/throughput-<format>-<dpi>-<N>/ (a `.complete.json` marks a finished cache). Beyond
 *    5,000 (or --distinct D) the generated sheets repeat as hard links, so that 100,000 fit the disk.
 * 2. For each worker count (default 1 and all): the decode-only floor (bench/decode-worker.ts: read +
 *    sharp decode to one-channel raw, same files, same worker count, same in-flight window), then the full
 *    pipeline through the real batch runner (listInputs + runBatch, demo election, default calibration,
 *    outputs to a temp dir). Each is timed from start (pool creation included) to the last result.
 * 3. Reports sheets/s, pages/s, ratio pipeline ÷ decode-only, scaling 1 → all workers, p50/p99 ms per
 *    sheet (worker-side, from `timingsMs`), and peak RSS of the process (main thread + workers share it):
 *    VmHWM from /proc/self/status, reset before each run through /proc/self/clear_refs, and the sampled
 *    maximum of process.memoryUsage().rss.
 * 4. Merges the figures into bench/results/throughput-<cores>core.json and rewrites
 *    bench/results/throughput.md from it.
 *
 * --profile runs scanSheet (the worker's whole job) on the main thread, one sheet after another, under
 * the V8 CPU profiler (the profiler behind `node --cpu-prof`), saves the .cpuprofile next to the cache
 * and prints self and inclusive time by function and by file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';
import { listInputs, type SheetInput } from '../src/batch/inputs.ts';
import { jobKeyOf, runBatch } from '../src/batch/run.ts';
import { type Calibration, loadCalibration } from '../src/election/calibration.ts';
import type { Election } from '../src/election/election.ts';
import { importVxf } from '../src/election/vxf.ts';
import type { WorkerConfig } from '../src/worker/job.ts';
import { tuneWorkerHeaps } from '../src/worker/pool.ts';
import type { DecodeJob, DecodeResult } from './decode-worker.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ELECTION_PATH = join(ROOT, 'samples', 'demo', 'election.json');
const CACHE_DIR = join(ROOT, 'bench', '.cache');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const DECODE_WORKER_URL = new URL('./decode-worker.ts', import.meta.url);
const TSX_URL = import.meta.resolve('tsx');
export const SEED = 1;
export const PROFILE = 'realistic';
const MB = 1024 * 1024;

export type BenchFormat = 'jpeg' | 'tiff-g4';
export type BenchDpi = 200 | 300;

/** Targets from issue 7. */
export const TARGETS = { ratio: 0.75, scalingAt2: 1.8, peakRssMb: 600 };

// ---------------------------------------------------------------------------------------------------
// machine, memory

export interface Machine {
  cpu: string;
  cores: number;
  ramGb: number;
  node: string;
  platform: string;
  loadAvg1mAtStart: number;
  /** glibc's malloc arena limit the run had (the batch commands run with 2); absent in older results */
  mallocArenaMax?: string | null;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAvg1mAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
  };
}

function vmHwmKb(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Peak RSS of the whole process (the workers are threads of it) over one measured run. */
export class RssSampler {
  private max = 0;
  private timer: NodeJS.Timeout | undefined;
  /** whether the kernel's peak (VmHWM) was reset at start, so it belongs to this run alone */
  private hwmReset = false;

  start(): void {
    try {
      writeFileSync('/proc/self/clear_refs', '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.max = process.memoryUsage().rss;
    this.timer = setInterval(() => {
      this.max = Math.max(this.max, process.memoryUsage().rss);
    }, 25);
    this.timer.unref();
  }

  stop(): { peakRssMb: number; sampledPeakRssMb: number; vmHwmMb: number | undefined; vmHwmReset: boolean } {
    if (this.timer) clearInterval(this.timer);
    this.max = Math.max(this.max, process.memoryUsage().rss);
    const hwm = vmHwmKb();
    const vmHwmMb = hwm === undefined ? undefined : round1(hwm / 1024);
    const sampledPeakRssMb = round1(this.max / MB);
    const peakRssMb =
      this.hwmReset && vmHwmMb !== undefined ? Math.max(vmHwmMb, sampledPeakRssMb) : sampledPeakRssMb;
    return { peakRssMb, sampledPeakRssMb, vmHwmMb, vmHwmReset: this.hwmReset };
  }
}

// ---------------------------------------------------------------------------------------------------
// the generated batch

export interface BatchSpec {
  format: BenchFormat;
  dpi: BenchDpi;
  sheets: number;
  /** distinct sheets to generate, the rest repeating them (default: all, up to MAX_DISTINCT_SHEETS) */
  distinct?: number;
}

/** How many distinct sheets a batch spec generates. */
function distinctOf(spec: BatchSpec): number {
  return Math.min(spec.sheets, spec.distinct ?? MAX_DISTINCT_SHEETS);
}

interface CacheMarker extends BatchSpec {
  seed: number;
  profile: string;
  generatedMs: number;
  generatorSheetsPerSec: number;
  bytes: number;
  /** sheets generated; the rest of a larger batch repeats them (see MAX_DISTINCT_SHEETS) */
  distinctSheets?: number;
}

/**
 * At most this many distinct sheets are generated (about 3.3 GB and 25 minutes at 200 dpi JPEG). A larger
 * batch repeats them as hard links under new names: 100,000 generated sheets would need about 65 GB of
 * disk and 8 hours, more than this machine has free. Every sheet of the batch is still read, decoded and
 * interpreted; the repeats then come out as duplicate images, which the outcomes count.
 */
export const MAX_DISTINCT_SHEETS = 5000;

/** Fill a batch of `sheets` by hard-linking the images of its first `distinct` sheets under the next ids. */
function repeatSheets(dir: string, distinct: number, sheets: number): void {
  const byId = new Map<string, string[]>();
  for (const name of readdirSync(dir)) {
    const m = /^(\d{6})(-.+\.(?:jpe?g|png|tiff?))$/i.exec(name);
    if (!m?.[1] || !m[2]) continue;
    byId.set(m[1], [...(byId.get(m[1]) ?? []), m[2]]);
  }
  const pad = (n: number) => String(n).padStart(6, '0');
  for (let i = distinct + 1; i <= sheets; i++) {
    const from = pad(((i - 1) % distinct) + 1);
    for (const suffix of byId.get(from) ?? [])
      linkSync(join(dir, `${from}${suffix}`), join(dir, `${pad(i)}${suffix}`));
  }
}

export function cacheDirFor(spec: BatchSpec): string {
  const distinct = distinctOf(spec);
  const repeats = distinct < spec.sheets ? `-of-${distinct}` : '';
  return join(CACHE_DIR, `throughput-${spec.format}-${spec.dpi}-${spec.sheets}${repeats}`);
}

export function loadDemo(): { election: Election; electionJson: string; calibration: Calibration } {
  const electionJson = readFileSync(ELECTION_PATH, 'utf8');
  const imported = importVxf(electionJson);
  if (!imported.ok) throw new Error(`demo election did not import: ${imported.errors.join('; ')}`);
  const calibration = loadCalibration('default');
  if (!calibration.ok) throw new Error(`default calibration invalid: ${calibration.errors.join('; ')}`);
  return { election: imported.value.election, electionJson, calibration: calibration.value };
}

/** Generate the batch (in this process) and return the cache marker; --generate-only runs this. */
async function generate(spec: BatchSpec, log: (s: string) => void): Promise<CacheMarker> {
  const dir = cacheDirFor(spec);
  rmSync(dir, { recursive: true, force: true });
  const distinct = distinctOf(spec);
  // a batch that repeats D sheets starts from the cached batch of D sheets when there is one (same seed,
  // same generator settings): its files are linked, not generated again
  const pool: BatchSpec = { format: spec.format, dpi: spec.dpi, sheets: distinct };
  const poolMarkerPath = join(cacheDirFor(pool), '.complete.json');
  if (distinct < spec.sheets && existsSync(poolMarkerPath)) {
    const poolMarker = JSON.parse(readFileSync(poolMarkerPath, 'utf8')) as CacheMarker;
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(cacheDirFor(pool)))
      if (!name.startsWith('.')) linkSync(join(cacheDirFor(pool), name), join(dir, name));
    repeatSheets(dir, distinct, spec.sheets);
    log(
      `  linked the ${distinct} cached sheets of ${relative(ROOT, cacheDirFor(pool))} and ${spec.sheets - distinct} repeats`,
    );
    return { ...poolMarker, ...spec, distinctSheets: distinct };
  }
  const { election } = loadDemo();
  // imported here: the measuring process should not carry the generator
  const { generateBatch } = await import('../samples/generator/index.ts');
  let last = 0;
  const summary = await generateBatch({
    election,
    count: distinct,
    seed: SEED,
    outDir: dir,
    profile: PROFILE,
    dpi: spec.dpi,
    format: spec.format,
    onProgress: ({ done, total }) => {
      const now = Date.now();
      if (done === total || now - last > 5000) {
        last = now;
        log(`  generated ${done}/${total}`);
      }
    },
  });
  if (spec.sheets > distinct) {
    repeatSheets(dir, distinct, spec.sheets);
    log(`  linked ${spec.sheets - distinct} more sheets as repeats of the ${distinct} generated`);
  }
  return {
    ...spec,
    seed: SEED,
    profile: PROFILE,
    generatedMs: summary.elapsedMs,
    generatorSheetsPerSec: summary.sheetsPerSecond,
    bytes: summary.bytes,
    distinctSheets: distinct,
  };
}

/** The cached batch, generated first when missing or unfinished. */
export async function ensureBatch(
  spec: BatchSpec,
  log: (s: string) => void,
): Promise<{ dir: string; marker: CacheMarker; generatedNow: boolean }> {
  const dir = cacheDirFor(spec);
  const markerPath = join(dir, '.complete.json');
  if (existsSync(markerPath)) {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as CacheMarker;
    if (
      marker.sheets === spec.sheets &&
      marker.format === spec.format &&
      marker.dpi === spec.dpi &&
      (marker.distinctSheets ?? marker.sheets) === distinctOf(spec)
    )
      return { dir, marker, generatedNow: false };
  }
  rmSync(dir, { recursive: true, force: true });
  log(`generating ${spec.sheets} sheets (${spec.format}, ${spec.dpi} dpi) into ${relative(ROOT, dir)} …`);
  // In a child process, so the generator's memory does not count in the measured runs' peak RSS.
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      TSX_URL,
      fileURLToPath(import.meta.url),
      '--generate-only',
      '--sheets',
      String(spec.sheets),
      '--distinct',
      String(distinctOf(spec)),
    ].concat(['--format', spec.format, '--dpi', String(spec.dpi)]),
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * MB },
  );
  if (child.status !== 0) throw new Error(`generating ${dir} failed (exit ${child.status ?? child.signal})`);
  const marker = JSON.parse(child.stdout) as CacheMarker;
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  return { dir, marker, generatedNow: true };
}

// ---------------------------------------------------------------------------------------------------
// measured runs

export interface RunMeasure {
  kind: 'pipeline' | 'decode-only';
  workers: number;
  sheets: number;
  pages: number;
  elapsedMs: number;
  /** first result → last result: throughput without pool start-up */
  steadyMs: number;
  sheetsPerSec: number;
  pagesPerSec: number;
  p50MsPerSheet: number;
  p99MsPerSheet: number;
  peakRssMb: number;
  sampledPeakRssMb: number;
  vmHwmMb: number | undefined;
  /** pipeline only: mean worker-side ms per sheet by stage */
  stageMeanMs?: { load: number; decode: number; interpret: number };
  /** pipeline only: how the sheets came out (a fast run that rejects everything is no result) */
  outcomes?: {
    interpreted: number;
    needsReview: number;
    rejected: number;
    rejectReasons: Record<string, number>;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function finish(
  kind: RunMeasure['kind'],
  workers: number,
  sheets: readonly SheetInput[],
  elapsedMs: number,
  firstResultMs: number,
  perSheetMs: number[],
  memory: ReturnType<RssSampler['stop']>,
): RunMeasure {
  const pages = sheets.reduce((n, s) => n + s.paths.length, 0);
  const sorted = [...perSheetMs].sort((a, b) => a - b);
  return {
    kind,
    workers,
    sheets: sheets.length,
    pages,
    elapsedMs: Math.round(elapsedMs),
    steadyMs: Math.round(elapsedMs - firstResultMs),
    sheetsPerSec: round1(sheets.length / (elapsedMs / 1000)),
    pagesPerSec: round1(pages / (elapsedMs / 1000)),
    p50MsPerSheet: round1(percentile(sorted, 50)),
    p99MsPerSheet: round1(percentile(sorted, 99)),
    peakRssMb: memory.peakRssMb,
    sampledPeakRssMb: memory.sampledPeakRssMb,
    vmHwmMb: memory.vmHwmMb,
  };
}

/** The full pipeline through the real batch runner, outputs to a temp dir. */
export async function measurePipeline(
  sheets: readonly SheetInput[],
  workers: number,
  config: WorkerConfig,
): Promise<RunMeasure> {
  const outDir = await mkdtemp(join(tmpdir(), 'ballot-tally-throughput-'));
  const sampler = new RssSampler();
  sampler.start();
  const started = performance.now();
  let firstResultMs = 0;
  let lastResultMs = 0;
  const perSheet: number[] = [];
  const sum = { load: 0, decode: 0, interpret: 0 };
  const outcomes = {
    interpreted: 0,
    needsReview: 0,
    rejected: 0,
    rejectReasons: {} as Record<string, number>,
  };
  let memory: ReturnType<RssSampler['stop']>;
  try {
    const run = await runBatch({
      sheets,
      config,
      outDir,
      workers,
      resume: false,
      jobKey: jobKeyOf({ bench: 'throughput' }),
      onProgress: (p) => {
        if (p.doneThisRun === 0) return;
        const at = performance.now() - started;
        if (p.doneThisRun === 1) firstResultMs = at;
        lastResultMs = at;
      },
    });
    // after the last result: reading the results back is not part of the timed run, but of its memory
    for (const r of run.results()) {
      perSheet.push(r.timingsMs.load + r.timingsMs.decode + r.timingsMs.interpret);
      sum.load += r.timingsMs.load;
      sum.decode += r.timingsMs.decode;
      sum.interpret += r.timingsMs.interpret;
      if (r.outcome.type === 'rejected') {
        outcomes.rejected++;
        outcomes.rejectReasons[r.outcome.reason] = (outcomes.rejectReasons[r.outcome.reason] ?? 0) + 1;
      } else {
        outcomes.interpreted++;
        if (r.outcome.needsReview) outcomes.needsReview++;
      }
    }
    memory = sampler.stop();
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const m = finish('pipeline', workers, sheets, lastResultMs, firstResultMs, perSheet, memory);
  const n = Math.max(1, perSheet.length);
  m.stageMeanMs = {
    load: round1(sum.load / n),
    decode: round1(sum.decode / n),
    interpret: round1(sum.interpret / n),
  };
  m.outcomes = outcomes;
  return m;
}

/** The floor: the same files, the same worker count and in-flight window, decode only. */
export async function measureDecodeOnly(sheets: readonly SheetInput[], workers: number): Promise<RunMeasure> {
  const sampler = new RssSampler();
  sampler.start();
  const started = performance.now();
  tuneWorkerHeaps(); // as the pipeline's pool does: both sides of the ratio run with the same V8 flags
  const pool = new Piscina<DecodeJob, DecodeResult>({
    filename: DECODE_WORKER_URL.href,
    minThreads: workers,
    maxThreads: workers,
    execArgv: ['--import', TSX_URL],
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  const perSheet: number[] = [];
  let firstResultMs = 0;
  let lastResultMs = 0;
  try {
    let next = 0;
    const runOne = async (): Promise<void> => {
      while (next < sheets.length) {
        const sheet = sheets[next++];
        if (!sheet) break;
        const r = await pool.run({ paths: sheet.paths });
        perSheet.push(r.ms);
        const at = performance.now() - started;
        if (perSheet.length === 1) firstResultMs = at;
        lastResultMs = at;
      }
    };
    await Promise.all(Array.from({ length: Math.min(workers * 4, sheets.length) }, runOne));
  } finally {
    await pool.destroy();
  }
  return finish('decode-only', workers, sheets, lastResultMs, firstResultMs, perSheet, sampler.stop());
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Read every file once, so the first measured run does not pay for a cold page cache. */
async function warmPageCache(sheets: readonly SheetInput[]): Promise<void> {
  for (const s of sheets) for (const p of s.paths) await readFile(p);
}

// ---------------------------------------------------------------------------------------------------
// the whole bench

export interface ThroughputOptions extends BatchSpec {
  workers: number;
  workerCounts: number[];
  runs: number;
}

export interface ThroughputReport {
  command: string;
  date: string;
  machine: Machine;
  format: BenchFormat;
  dpi: BenchDpi;
  sheets: number;
  pages: number;
  workers: number;
  pipelineSheetsPerSec: number;
  pipelinePagesPerSec: number;
  decodeOnlySheetsPerSec: number;
  decodeOnlyPagesPerSec: number;
  /** pipeline ÷ decode-only sheets/s at `workers` (median of the runs) */
  ratio: number;
  /** pipeline sheets/s at `workers` ÷ at 1 worker (null when 1 worker was not measured) */
  scaling: number | null;
  pipelineSheetsPerSecOneWorker: number | null;
  decodeOnlyScaling: number | null;
  p50MsPerSheet: number;
  p99MsPerSheet: number;
  peakRssMb: number;
  targets: { ratio: boolean; scaling: boolean | null; peakRss: boolean };
  listInputsMs: number;
  generation: {
    generatedNow: boolean;
    generatedMs: number;
    generatorSheetsPerSec: number;
    bytes: number;
    /** when fewer than `sheets`: the rest repeat these (and come out as duplicate images) */
    distinctSheets?: number;
  };
  runs: RunMeasure[];
}

export async function runThroughput(
  options: ThroughputOptions,
  command: string,
  log: (s: string) => void,
): Promise<ThroughputReport> {
  const m = machine();
  const batch = await ensureBatch(options, log);
  let t = performance.now();
  const listing = listInputs([batch.dir], ROOT);
  const listInputsMs = Math.round(performance.now() - t);
  const sheets = listing.sheets;
  if (sheets.length !== options.sheets)
    throw new Error(
      `expected ${options.sheets} sheets in ${batch.dir} but listInputs found ${sheets.length}`,
    );
  const demo = loadDemo();
  const config: WorkerConfig = { electionJson: demo.electionJson, calibration: demo.calibration };
  t = performance.now();
  await warmPageCache(sheets);
  log(
    `listed ${sheets.length} sheets in ${listInputsMs} ms; page cache warmed in ${Math.round(performance.now() - t)} ms`,
  );

  const runs: RunMeasure[] = [];
  for (let run = 0; run < options.runs; run++) {
    for (const w of options.workerCounts) {
      // decode-only first, then the pipeline: pairs measured back to back share the machine's state
      for (const kind of ['decode-only', 'pipeline'] as const) {
        const r =
          kind === 'pipeline' ? await measurePipeline(sheets, w, config) : await measureDecodeOnly(sheets, w);
        runs.push(r);
        log(
          `  run ${run + 1}/${options.runs} ${kind.padEnd(11)} ${w} worker(s): ${r.sheetsPerSec} sheets/s ` +
            `(${r.elapsedMs} ms), p50 ${r.p50MsPerSheet} ms, p99 ${r.p99MsPerSheet} ms, peak RSS ${r.peakRssMb} MB`,
        );
      }
    }
  }
  return summarise(options, command, m, runs, listInputsMs, batch);
}

function summarise(
  options: ThroughputOptions,
  command: string,
  m: Machine,
  runs: RunMeasure[],
  listInputsMs: number,
  batch: { marker: CacheMarker; generatedNow: boolean },
): ThroughputReport {
  const pick = (kind: RunMeasure['kind'], w: number) =>
    runs.filter((r) => r.kind === kind && r.workers === w);
  const med = (rs: RunMeasure[], f: (r: RunMeasure) => number) => median(rs.map(f));
  const w = options.workers;
  const pipe = pick('pipeline', w);
  const dec = pick('decode-only', w);
  const pipe1 = pick('pipeline', 1);
  const dec1 = pick('decode-only', 1);
  // the ratio is taken per back-to-back pair, then the median
  const ratios = pipe.map((p, i) => p.sheetsPerSec / (dec[i]?.sheetsPerSec ?? Number.NaN));
  const pipelineSheetsPerSec = med(pipe, (r) => r.sheetsPerSec);
  const oneWorker =
    pipe1.length && w !== 1 ? med(pipe1, (r) => r.sheetsPerSec) : w === 1 ? pipelineSheetsPerSec : null;
  const scaling = oneWorker ? round3(pipelineSheetsPerSec / oneWorker) : null;
  const decodeOnlyScaling =
    dec1.length && dec.length
      ? round3(med(dec, (r) => r.sheetsPerSec) / med(dec1, (r) => r.sheetsPerSec))
      : null;
  const peakRssMb = Math.max(...runs.map((r) => r.peakRssMb));
  const ratio = round3(median(ratios));
  return {
    command,
    date: new Date().toISOString(),
    machine: m,
    format: options.format,
    dpi: options.dpi,
    sheets: options.sheets,
    pages: pipe[0]?.pages ?? 0,
    workers: w,
    pipelineSheetsPerSec,
    pipelinePagesPerSec: med(pipe, (r) => r.pagesPerSec),
    decodeOnlySheetsPerSec: med(dec, (r) => r.sheetsPerSec),
    decodeOnlyPagesPerSec: med(dec, (r) => r.pagesPerSec),
    ratio,
    scaling,
    pipelineSheetsPerSecOneWorker: oneWorker,
    decodeOnlyScaling,
    p50MsPerSheet: med(pipe, (r) => r.p50MsPerSheet),
    p99MsPerSheet: med(pipe, (r) => r.p99MsPerSheet),
    peakRssMb,
    targets: {
      ratio: ratio >= TARGETS.ratio,
      scaling: scaling === null || w !== 2 ? null : scaling >= TARGETS.scalingAt2,
      peakRss: peakRssMb <= TARGETS.peakRssMb,
    },
    listInputsMs,
    generation: {
      generatedNow: batch.generatedNow,
      generatedMs: batch.marker.generatedMs,
      generatorSheetsPerSec: batch.marker.generatorSheetsPerSec,
      bytes: batch.marker.bytes,
      ...(batch.marker.distinctSheets !== undefined && batch.marker.distinctSheets < options.sheets
        ? { distinctSheets: batch.marker.distinctSheets }
        : {}),
    },
    runs,
  };
}

// ---------------------------------------------------------------------------------------------------
// results files

interface ResultsFile {
  machine: Machine;
  entries: Record<string, ThroughputReport>;
}

function resultsPath(cores: number): string {
  return join(RESULTS_DIR, `throughput-${cores}core.json`);
}

export function saveResults(report: ThroughputReport): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = resultsPath(report.machine.cores);
  const file: ResultsFile = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as ResultsFile)
    : { machine: report.machine, entries: {} };
  file.machine = report.machine;
  file.entries[`${report.format}-${report.dpi}-${report.sheets}-w${report.workers}`] = report;
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  const md = join(RESULTS_DIR, 'throughput.md');
  writeFileSync(md, markdown(file));
  return { json: path, md };
}

const yesNo = (b: boolean | null) => (b === null ? '–' : b ? 'yes' : '**no**');

export function markdown(file: ResultsFile): string {
  const m = file.machine;
  const entries = Object.values(file.entries).sort(
    (a, b) =>
      a.format.localeCompare(b.format) || a.dpi - b.dpi || a.sheets - b.sheets || a.workers - b.workers,
  );
  const lines = [
    '# Whole-batch throughput',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, Node ${m.node}, ${m.platform}.`,
    '',
    'Generated by `bench/throughput.ts` (do not edit by hand). Sheets are generated once with the sample',
    `generator (seed ${SEED}, ${PROFILE} profile, front + back) and cached. *Pipeline* is the real batch runner`,
    '(`listInputs` + `runBatch`, demo election, default calibration); *decode-only* is the floor: the same',
    'files, the same workers, read + `sharp(bytes).toColourspace("b-w").raw().toBuffer()` only. Both are',
    'timed from start (pool start-up included) to the last result; several runs give the median, and the',
    'ratio is the median of back-to-back pairs. p50/p99 are worker-side ms per sheet (load + decode +',
    'interpret). Peak RSS is the process (main thread and all workers) over one run: VmHWM after a reset of',
    '/proc/self/clear_refs, and the sampled `process.memoryUsage().rss`.',
    '',
    'The load average at the start of each run is listed under *Commands*: where it is above the core count,',
    'other jobs were competing for the CPU, and the absolute figures and above all the scaling are unreliable',
    '(the ratio, from back-to-back pairs, suffers less).',
    '',
    `Targets (issue 7): ratio ≥ ${TARGETS.ratio}; scaling 1 → 2 workers ≥ ${TARGETS.scalingAt2}; peak RSS ≤ ${TARGETS.peakRssMb} MB.`,
    '',
    '| format | dpi | sheets | workers | pipeline sheets/s (pages/s) | decode-only sheets/s (pages/s) | ratio | pipeline 1 worker sheets/s | ratio 1 worker | scaling | decode-only scaling | p50 / p99 ms per sheet | mean ms load / decode / interpret | peak RSS MB | targets ratio / scaling / RSS |',
    '| --- | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |',
  ];
  for (const e of entries) {
    const stage = e.runs.find((r) => r.kind === 'pipeline' && r.workers === e.workers)?.stageMeanMs;
    const one = (kind: RunMeasure['kind']) =>
      median(e.runs.filter((r) => r.kind === kind && r.workers === 1).map((r) => r.sheetsPerSec));
    const ratio1 =
      e.workers !== 1 && one('decode-only') > 0 ? round3(one('pipeline') / one('decode-only')) : '–';
    lines.push(
      `| ${e.format} | ${e.dpi} | ${e.sheets} | ${e.workers} | ${e.pipelineSheetsPerSec} (${e.pipelinePagesPerSec}) | ` +
        `${e.decodeOnlySheetsPerSec} (${e.decodeOnlyPagesPerSec}) | ${e.ratio} | ${e.pipelineSheetsPerSecOneWorker ?? '–'} | ${ratio1} | ` +
        `${e.scaling ?? '–'} | ${e.decodeOnlyScaling ?? '–'} | ${e.p50MsPerSheet} / ${e.p99MsPerSheet} | ` +
        `${stage ? `${stage.load} / ${stage.decode} / ${stage.interpret}` : '–'} | ${e.peakRssMb} | ` +
        `${yesNo(e.targets.ratio)} / ${yesNo(e.targets.scaling)} / ${yesNo(e.targets.peakRss)} |`,
    );
  }
  lines.push('', '## Commands', '');
  for (const e of entries)
    lines.push(
      `- \`${e.command}\` — finished ${e.date.slice(0, 16).replace('T', ' ')} UTC, load average at start ${e.machine.loadAvg1mAtStart}, ` +
        `${e.machine.mallocArenaMax ? `MALLOC_ARENA_MAX=${e.machine.mallocArenaMax}` : 'malloc arenas unlimited'}, ` +
        `listInputs ${e.listInputsMs} ms, generation ${Math.round(e.generation.generatedMs / 1000)} s ` +
        `(${e.generation.generatorSheetsPerSec} sheets/s)` +
        (e.generation.distinctSheets
          ? `, ${e.generation.distinctSheets} distinct sheets repeated up to ${e.sheets} (the repeats are duplicate images)`
          : ''),
    );
  lines.push('');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// CPU profile of one worker's work

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * Which WebAssembly module a profile's `wasm://wasm/<hash>` URL is: V8 names modules by a hash of their
 * bytes, so they are told apart by size: wasm/strip-label has a handful of functions, opencv-wasm
 * thousands (a frame's name is `wasm-function[<index>]`).
 */
function wasmModuleNames(profile: CpuProfile): Map<string, string> {
  const maxIndex = new Map<string, number>();
  for (const n of profile.nodes) {
    const { url, functionName } = n.callFrame;
    if (!url.startsWith('wasm://')) continue;
    const index = Number(/wasm-function\[(\d+)\]/.exec(functionName)?.[1] ?? 0);
    maxIndex.set(url, Math.max(maxIndex.get(url) ?? 0, index));
  }
  return new Map(
    [...maxIndex].map(([url, max]) => [
      url,
      max < 100 ? 'wasm/strip-label (wasm code)' : 'opencv-wasm (wasm code)',
    ]),
  );
}

function fileOf(url: string, wasmNames?: ReadonlyMap<string, string>): string {
  if (!url) return '(native / VM)';
  if (url.startsWith('wasm://')) return wasmNames?.get(url) ?? 'WebAssembly (wasm code)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return `node_modules/${pkg}`;
  }
  if (path.startsWith('node:')) return 'node internals';
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

export interface ProfileBreakdown {
  sheets: number;
  wallMs: number;
  stageMeanMs: { load: number; decode: number; interpret: number };
  byFile: { file: string; selfMs: number; selfPct: number }[];
  byFunctionSelf: { fn: string; selfMs: number; selfPct: number }[];
  byFunctionTotal: { fn: string; totalMs: number; totalPct: number }[];
  profilePath: string;
}

export function analyseProfile(
  profile: CpuProfile,
  top = 25,
): Omit<ProfileBreakdown, 'sheets' | 'stageMeanMs' | 'profilePath'> {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const wasmNames = wasmModuleNames(profile);
  const keyOf = (n: ProfileNode) => {
    const f = n.callFrame;
    const name = f.functionName || '(anonymous)';
    // tsx's output carries no line numbers worth showing (V8 inlining also folds callees into callers)
    return f.url
      ? `${name} ${fileOf(f.url, wasmNames)}${f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}`
      : name;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  let wall = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    wall += dt;
    const node = byId.get(id);
    if (!node) return;
    const k = keyOf(node);
    self.set(k, (self.get(k) ?? 0) + dt);
    const file = node.callFrame.url
      ? fileOf(node.callFrame.url, wasmNames)
      : node.callFrame.functionName || '(native / VM)';
    files.set(file, (files.get(file) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (!n) break;
      const key = keyOf(n);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + dt);
    }
  });
  const pct = (x: number) => round1((100 * x) / Math.max(wall, 1e-9));
  const sortDesc = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    wallMs: Math.round(wall),
    byFile: sortDesc(files)
      .slice(0, top)
      .map(([file, ms]) => ({ file, selfMs: Math.round(ms), selfPct: pct(ms) })),
    byFunctionSelf: sortDesc(self)
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, selfMs: Math.round(ms), selfPct: pct(ms) })),
    byFunctionTotal: sortDesc(total)
      .filter(([fn]) => !fn.startsWith('(root)'))
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, totalMs: Math.round(ms), totalPct: pct(ms) })),
  };
}

/** scanSheet (the worker's whole job) on this thread, sheet after sheet, under the V8 CPU profiler. */
export async function profileOneWorker(spec: BatchSpec, log: (s: string) => void): Promise<ProfileBreakdown> {
  const batch = await ensureBatch(spec, log);
  const sheets = listInputs([batch.dir], ROOT).sheets;
  const demo = loadDemo();
  const { scanSheet } = await import('../src/worker/scan-sheet.ts');
  tuneWorkerHeaps(); // the V8 flags of the pool's workers, so the garbage collector costs what it costs there
  // warm-up: opencv-wasm load, JIT, page cache
  for (const s of sheets.slice(0, 20)) await scanSheet(s, demo.election, demo.calibration);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const sum = { load: 0, decode: 0, interpret: 0 };
  for (const s of sheets) {
    const { result } = await scanSheet(s, demo.election, demo.calibration);
    sum.load += result.timingsMs.load;
    sum.decode += result.timingsMs.decode;
    sum.interpret += result.timingsMs.interpret;
  }
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  const profilePath = join(CACHE_DIR, `throughput-${spec.format}-${spec.dpi}-${spec.sheets}.cpuprofile`);
  writeFileSync(profilePath, JSON.stringify(profile));
  const n = sheets.length;
  return {
    sheets: n,
    stageMeanMs: {
      load: round1(sum.load / n),
      decode: round1(sum.decode / n),
      interpret: round1(sum.interpret / n),
    },
    ...analyseProfile(profile),
    profilePath: relative(ROOT, profilePath),
  };
}

// ---------------------------------------------------------------------------------------------------
// command line

export const USAGE = `Usage: npm run bench:throughput -- [--sheets N] [--workers N] [--dpi 200|300] [--format jpeg|tiff-g4]
                                 [--worker-counts 1,N] [--runs R] [--json] [--no-save] [--profile]
                                 [--distinct D]
  --distinct D   generate D distinct sheets and repeat them (hard links) up to N [min(N, ${MAX_DISTINCT_SHEETS})]
`;

type Parsed =
  | {
      ok: true;
      options: ThroughputOptions;
      json: boolean;
      save: boolean;
      profile: boolean;
      generateOnly: boolean;
    }
  | { ok: false; errors: string[] };

function intBetween(name: string, raw: string | undefined, min: number, max: number, fallback: number) {
  if (raw === undefined) return { value: fallback };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    return { error: `Expected integer between ${min} and ${max} for ${name} but received "${raw}"` };
  return { value: n };
}

export function parseThroughputArgs(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        sheets: { type: 'string' },
        workers: { type: 'string' },
        dpi: { type: 'string' },
        format: { type: 'string' },
        'worker-counts': { type: 'string' },
        runs: { type: 'string' },
        json: { type: 'boolean' },
        'no-save': { type: 'boolean' },
        profile: { type: 'boolean' },
        'generate-only': { type: 'boolean' },
        distinct: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] };
  }
  const errors: string[] = [];
  const take = (r: { value?: number; error?: string }) => {
    if (r.error) errors.push(r.error);
    return r.value ?? 0;
  };
  const cores = availableParallelism();
  const sheets = take(intBetween('--sheets', values.sheets as string | undefined, 1, 1_000_000, 2000));
  const workers = take(intBetween('--workers', values.workers as string | undefined, 1, 256, cores));
  const runs = take(intBetween('--runs', values.runs as string | undefined, 1, 50, 1));
  const distinct = take(
    intBetween(
      '--distinct',
      values.distinct as string | undefined,
      1,
      1_000_000,
      Math.min(sheets, MAX_DISTINCT_SHEETS),
    ),
  );
  const dpi = (values.dpi ?? '200') as string;
  if (dpi !== '200' && dpi !== '300') errors.push(`Expected one of 200, 300 for --dpi but received "${dpi}"`);
  const format = (values.format ?? 'jpeg') as string;
  if (format !== 'jpeg' && format !== 'tiff-g4')
    errors.push(`Expected one of "jpeg", "tiff-g4" for --format but received "${format}"`);
  let workerCounts = [...new Set([1, workers])];
  if (typeof values['worker-counts'] === 'string') {
    workerCounts = [];
    for (const part of values['worker-counts'].split(','))
      workerCounts.push(take(intBetween('--worker-counts', part, 1, 256, 1)));
    if (!workerCounts.includes(workers)) workerCounts.push(workers);
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    options: {
      sheets,
      distinct: Math.min(distinct, sheets),
      workers,
      runs,
      workerCounts,
      dpi: Number(dpi) as BenchDpi,
      format: format as BenchFormat,
    },
    json: values.json === true,
    save: values['no-save'] !== true,
    profile: values.profile === true,
    generateOnly: values['generate-only'] === true,
  };
}

export function printReport(r: ThroughputReport, out: (s: string) => void): void {
  out(
    [
      `${r.sheets} sheets (${r.pages} pages), ${r.format} ${r.dpi} dpi, ${r.workers} workers on ${r.machine.cpu} ` +
        `(${r.machine.cores} cores, ${r.machine.ramGb} GB, Node ${r.machine.node})`,
      `  pipeline     ${r.pipelineSheetsPerSec} sheets/s  ${r.pipelinePagesPerSec} pages/s`,
      `  decode-only  ${r.decodeOnlySheetsPerSec} sheets/s  ${r.decodeOnlyPagesPerSec} pages/s`,
      `  ratio pipeline ÷ decode-only  ${r.ratio}  (target ≥ ${TARGETS.ratio}: ${yesNo(r.targets.ratio)})`,
      `  scaling 1 → ${r.workers} workers  ${r.scaling ?? '–'}  (1 worker: ${r.pipelineSheetsPerSecOneWorker ?? '–'} sheets/s; ` +
        `decode-only scaling ${r.decodeOnlyScaling ?? '–'}; target ≥ ${TARGETS.scalingAt2} at 2: ${yesNo(r.targets.scaling)})`,
      `  p50 / p99 per sheet  ${r.p50MsPerSheet} / ${r.p99MsPerSheet} ms`,
      `  peak RSS  ${r.peakRssMb} MB  (target ≤ ${TARGETS.peakRssMb}: ${yesNo(r.targets.peakRss)})`,
      '',
    ].join('\n'),
  );
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseThroughputArgs(argv);
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`${e}\n`);
    process.stderr.write(USAGE);
    return 2;
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const { options } = parsed;
  if (parsed.generateOnly) {
    process.stdout.write(JSON.stringify(await generate(options, log)));
    return 0;
  }
  if (parsed.profile) {
    const b = await profileOneWorker(options, log);
    if (parsed.json) process.stdout.write(`${JSON.stringify(b, null, 2)}\n`);
    else {
      const out = [
        `${b.sheets} sheets, one thread, ${b.wallMs} ms profiled; mean ms per sheet: load ${b.stageMeanMs.load}, ` +
          `decode ${b.stageMeanMs.decode}, interpret ${b.stageMeanMs.interpret}; profile: ${b.profilePath}`,
        '',
        'self time by file:',
        ...b.byFile.map(
          (f) => `  ${String(f.selfMs).padStart(7)} ms ${String(f.selfPct).padStart(5)} %  ${f.file}`,
        ),
        '',
        'self time by function:',
        ...b.byFunctionSelf.map(
          (f) => `  ${String(f.selfMs).padStart(7)} ms ${String(f.selfPct).padStart(5)} %  ${f.fn}`,
        ),
        '',
        'total (inclusive) time by function:',
        ...b.byFunctionTotal.map(
          (f) => `  ${String(f.totalMs).padStart(7)} ms ${String(f.totalPct).padStart(5)} %  ${f.fn}`,
        ),
        '',
      ];
      process.stdout.write(out.join('\n'));
    }
    return 0;
  }
  const command = `npm run bench:throughput -- ${argv.join(' ')}`.trim();
  const report = await runThroughput(options, command, log);
  if (parsed.save) {
    const saved = saveResults(report);
    log(`results: ${relative(ROOT, saved.json)}, ${relative(ROOT, saved.md)}`);
  }
  if (parsed.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report, (s) => process.stdout.write(s));
  return 0;
}

/**
 * The batch commands run with glibc's malloc limited to two arenas (`bin/ballot-tally.js`), and glibc
 * reads that only when a process starts: so the bench runs itself again under the same setting, or its
 * peak RSS would be another configuration's.
 */
function rerunWithArenaLimit(): number | undefined {
  if (process.platform !== 'linux' || process.env.MALLOC_ARENA_MAX !== undefined) return undefined;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
  });
  if (child.error) throw child.error;
  return child.status ?? 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = rerunWithArenaLimit() ?? (await main(process.argv.slice(2)));
}
