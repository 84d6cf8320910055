/**
 * The piscina worker of `generateBatch`, and the one-sheet step it shares with the in-thread path:
 * `writeSheet(election, task)` makes a sheet and writes its files. The default export takes a task (plain
 * data, checked here) and uses the election sent once in workerData, checked on first use. Blank faces
 * are rendered once per worker (render.ts keeps them).
 *
 * Keep this module free of top-level work and of `import.meta.resolve`: under tsx on Node 20 a worker
 * loads it through the CommonJS hook, and the main thread imports it too.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { z } from 'zod';
import { type Election, parseElection } from '../../src/election/election.ts';
import { generateSheet, type SheetOptions } from './sheet.ts';
import type { SheetTruth } from './truth.ts';

/** One sheet to make and write: plain data, the same in this thread and in a pool worker. */
export interface SheetTask {
  index: number;
  sheetId: string;
  seed: number;
  outDir: string;
  /** Everything but `sheetId`; plain data (it is copied to the worker). */
  options: SheetOptions;
}

/** What making a sheet left on disk. */
export interface SheetWritten {
  index: number;
  truth: SheetTruth;
  files: number;
  bytes: number;
}

/** Make one sheet; write its images and `<sheetId>.truth.json`. */
export async function writeSheet(election: Election, task: SheetTask): Promise<SheetWritten> {
  const sheet = await generateSheet(election, { ...task.options, sheetId: task.sheetId }, task.seed);
  let bytes = 0;
  for (const f of sheet.files) {
    await writeFile(join(task.outDir, f.name), f.bytes);
    bytes += f.bytes.length;
  }
  const json = `${JSON.stringify(sheet.truth, null, 2)}\n`;
  await writeFile(join(task.outDir, `${task.sheetId}.truth.json`), json);
  bytes += json.length;
  return { index: task.index, truth: sheet.truth, files: sheet.files.length + 1, bytes };
}

const SheetTaskSchema = z.object({
  index: z.number().int().min(0),
  sheetId: z.string().min(1),
  seed: z.number().int().min(0),
  outDir: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
});

let election: Election | undefined;

function workerElection(): Election {
  if (election) return election;
  const parsed = parseElection((workerData as { election?: unknown } | null | undefined)?.election);
  if (!parsed.ok) throw new Error(`generator worker: election is not valid: ${parsed.errors.join('; ')}`);
  election = parsed.value;
  return election;
}

export default async function batchWorker(task: unknown): Promise<SheetWritten> {
  const checked = SheetTaskSchema.parse(task);
  return writeSheet(workerElection(), { ...checked, options: checked.options as SheetOptions });
}
