/**
 * CI speed gate: a short whole-batch run that fails when the pipeline falls behind the decode-only floor.
 *
 * Run: npx tsx bench/throughput-gate.ts [--sheets 200] [--runs 5] [--write-floor]
 *
 * Generates (once, cached in bench/.cache/) 200 sheets of 200 dpi JPEG, then measures back-to-back pairs
 * of decode-only and full-pipeline runs with all workers (see bench/throughput.ts) and takes the median of
 * the pairs' ratios (pipeline sheets/s ÷ decode-only sheets/s). It exits 1 when that ratio is below the
 * floor committed in bench/throughput-floor.json: 80% of the baseline ratio measured with this same gate.
 * Only the ratio is gated, never an absolute time: both sides of the ratio run on the same machine at the
 * same moment, so a slower or busier CI machine moves both.
 *
 * --write-floor records the measured ratio as the new baseline (and 80% of it as the floor).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { listInputs } from '../src/batch/inputs.ts';
import type { WorkerConfig } from '../src/worker/job.ts';
import {
  ensureBatch,
  loadDemo,
  machine,
  measureDecodeOnly,
  measurePipeline,
  median,
  ROOT,
  type RunMeasure,
} from './throughput.ts';

const FLOOR_PATH = join(ROOT, 'bench', 'throughput-floor.json');
const FLOOR_SHARE = 0.8;

const FloorSchema = z.object({
  floorRatio: z.number().positive(),
  baselineRatio: z.number().positive(),
  sheets: z.number().int().positive(),
  format: z.literal('jpeg'),
  dpi: z.literal(200),
  runs: z.number().int().positive(),
  measuredOn: z.string(),
  measuredAt: z.string(),
  command: z.string(),
});
type Floor = z.infer<typeof FloorSchema>;

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const started = performance.now();
  let values: { sheets?: string; runs?: string; 'write-floor'?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { sheets: { type: 'string' }, runs: { type: 'string' }, 'write-floor': { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
  const sheets = Number(values.sheets ?? 200);
  // five pairs: on a busy machine single pairs swing by ±30 %, the median of five much less
  const runs = Number(values.runs ?? 5);
  if (!Number.isInteger(sheets) || sheets < 20 || sheets > 100_000)
    return fail(`Expected integer between 20 and 100000 for --sheets but received "${values.sheets}"`);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20)
    return fail(`Expected integer between 1 and 20 for --runs but received "${values.runs}"`);
  const writeFloor = values['write-floor'] === true;

  let floor: Floor | undefined;
  if (!writeFloor) {
    const parsed = FloorSchema.safeParse(JSON.parse(readFileSync(FLOOR_PATH, 'utf8')));
    if (!parsed.success)
      return fail(
        `${FLOOR_PATH}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    floor = parsed.data;
  }

  const log = (s: string) => process.stderr.write(`${s}\n`);
  const workers = availableParallelism();
  const batch = await ensureBatch({ format: 'jpeg', dpi: 200, sheets }, log);
  const listed = listInputs([batch.dir], ROOT).sheets;
  for (const s of listed) for (const p of s.paths) await readFile(p);
  const demo = loadDemo();
  const config: WorkerConfig = { electionJson: demo.electionJson, calibration: demo.calibration };

  const pairs: { decode: RunMeasure; pipeline: RunMeasure; ratio: number }[] = [];
  for (let run = 0; run < runs; run++) {
    const decode = await measureDecodeOnly(listed, workers);
    const pipeline = await measurePipeline(listed, workers, config);
    const ratio = pipeline.sheetsPerSec / decode.sheetsPerSec;
    pairs.push({ decode, pipeline, ratio });
    log(
      `  pair ${run + 1}/${runs}: decode-only ${decode.sheetsPerSec} sheets/s, pipeline ${pipeline.sheetsPerSec} ` +
        `sheets/s, ratio ${ratio.toFixed(3)}, peak RSS ${Math.max(decode.peakRssMb, pipeline.peakRssMb)} MB`,
    );
  }
  const ratio = Math.round(median(pairs.map((p) => p.ratio)) * 1000) / 1000;
  const rejected = pairs[0]?.pipeline.outcomes?.rejected ?? 0;
  const m = machine();
  const summary = {
    sheets,
    workers,
    runs,
    pipelineSheetsPerSec: median(pairs.map((p) => p.pipeline.sheetsPerSec)),
    decodeOnlySheetsPerSec: median(pairs.map((p) => p.decode.sheetsPerSec)),
    ratio,
    floorRatio: floor?.floorRatio ?? null,
    baselineRatio: floor?.baselineRatio ?? null,
    p50MsPerSheet: median(pairs.map((p) => p.pipeline.p50MsPerSheet)),
    p99MsPerSheet: median(pairs.map((p) => p.pipeline.p99MsPerSheet)),
    peakRssMb: Math.max(...pairs.map((p) => Math.max(p.decode.peakRssMb, p.pipeline.peakRssMb))),
    rejectedSheets: rejected,
    generatedNow: batch.generatedNow,
    elapsedS: Math.round((performance.now() - started) / 100) / 10,
    machine: `${m.cpu}, ${m.cores} cores, Node ${m.node}`,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);

  if (writeFloor) {
    const next: Floor = {
      floorRatio: Math.round(ratio * FLOOR_SHARE * 1000) / 1000,
      baselineRatio: ratio,
      sheets,
      format: 'jpeg',
      dpi: 200,
      runs,
      measuredOn: summary.machine,
      measuredAt: new Date().toISOString(),
      command: `npx tsx bench/throughput-gate.ts --sheets ${sheets} --runs ${runs} --write-floor`,
    };
    writeFileSync(FLOOR_PATH, `${JSON.stringify(next, null, 2)}\n`);
    log(`wrote ${FLOOR_PATH}: baseline ratio ${ratio}, floor ${next.floorRatio}`);
    return 0;
  }
  if (!floor) return 2;
  // a pipeline that rejects every sheet would be fast for the wrong reason
  if (rejected > sheets / 2) {
    log(`throughput gate: FAIL: ${rejected} of ${sheets} sheets rejected; the pipeline is not reading them`);
    return 1;
  }
  if (ratio < floor.floorRatio) {
    log(
      `throughput gate: FAIL: pipeline ÷ decode-only ratio ${ratio} is below the floor ${floor.floorRatio} ` +
        `(80% of the baseline ${floor.baselineRatio} in bench/throughput-floor.json)`,
    );
    return 1;
  }
  log(`throughput gate: ok: ratio ${ratio} ≥ floor ${floor.floorRatio} (baseline ${floor.baselineRatio})`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
