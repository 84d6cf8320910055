/**
 * Does the per-sheet work leak? `npm run bench:memory -- [--sheets N] [--every K]`
 *
 * Runs a worker's whole job (`scanSheet`: read, SHA-256, decode, register, score, contest rules) on this
 * thread over N sheets of the cached throughput batch (200 dpi JPEG, 2,000 distinct sheets, taken round
 * and round), with the workers' V8 flags, and prints RSS and the V8 heap every K sheets. A leaked Mat,
 * WebAssembly allocation or cache grows RSS with the sheet count; here it stays flat. (The pool adds the
 * main thread's list of inputs, about 790 bytes a sheet, and malloc's arenas: see the README.)
 */
import { parseArgs } from 'node:util';
import { listInputs } from '../src/batch/inputs.ts';
import { tuneWorkerHeaps } from '../src/worker/pool.ts';
import { scanSheet } from '../src/worker/scan-sheet.ts';
import { ensureBatch, loadDemo, ROOT } from './throughput.ts';

const MB = 1024 * 1024;

export interface MemoryPoint {
  sheets: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { sheets: { type: 'string', default: '6000' }, every: { type: 'string', default: '1000' } },
  });
  const sheets = Number(values.sheets);
  const every = Number(values.every);
  if (!Number.isInteger(sheets) || sheets < 1 || !Number.isInteger(every) || every < 1) {
    process.stderr.write('Usage: npm run bench:memory -- [--sheets N] [--every K]  (positive integers)\n');
    return 2;
  }
  tuneWorkerHeaps();
  const batch = await ensureBatch({ format: 'jpeg', dpi: 200, sheets: 2000 }, (s) =>
    process.stderr.write(`${s}\n`),
  );
  const inputs = listInputs([batch.dir], ROOT).sheets;
  const demo = loadDemo();
  const points: MemoryPoint[] = [];
  for (let i = 0; i < sheets; i++) {
    const input = inputs[i % inputs.length];
    if (!input) throw new Error('empty batch');
    await scanSheet(input, demo.election, demo.calibration);
    if ((i + 1) % every === 0 || i + 1 === sheets) {
      const m = process.memoryUsage();
      const p = {
        sheets: i + 1,
        rssMb: Math.round(m.rss / MB),
        heapUsedMb: Math.round(m.heapUsed / MB),
        externalMb: Math.round(m.external / MB),
      };
      points.push(p);
      process.stdout.write(
        `${String(p.sheets).padStart(7)} sheets: RSS ${p.rssMb} MB, V8 heap ${p.heapUsedMb} MB, external ${p.externalMb} MB\n`,
      );
    }
  }
  const after = points.filter((p) => p.sheets >= Math.min(every, sheets));
  const rss = after.map((p) => p.rssMb);
  process.stdout.write(
    `RSS from ${after[0]?.sheets} sheets on: ${Math.min(...rss)}–${Math.max(...rss)} MB (pid ${process.pid}, MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'})\n`,
  );
  return 0;
}

process.exitCode = await main();
