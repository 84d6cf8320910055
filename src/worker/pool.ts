/**
 * The main-thread side of the worker pool: one piscina worker per core by default, each loading the
 * election, calibration and opencv-wasm once. A crashed worker costs one retry in a fresh worker.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Piscina } from 'piscina';
import { type ScanJob, type ScanResult, ScanResultSchema, type WorkerConfig } from './job.ts';

export interface ScanPool {
  run(job: ScanJob): Promise<ScanResult>;
  close(): Promise<void>;
  readonly workers: number;
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

const WORKER_URL = new URL('./scan-worker.ts', import.meta.url);
/** Workers run the TypeScript sources through tsx, resolved from this package (not the caller's cwd). */
const TSX_URL = import.meta.resolve('tsx');

/**
 * V8's incremental marking is started by the external memory of decoded pages (two ~4 MB buffers per
 * sheet at 200 dpi) and then marks the worker's small heap over and over: on one thread it cost 5–8 ms
 * per sheet (`node --trace-gc`: ~50 mark-compacts per 100 sheets). Without it, young-generation
 * scavenges free the page buffers and full GCs all but stop (2–7 per 100 sheets), at the same peak RSS.
 * V8 flags are per process and read when an isolate is created, so this is set before the workers start.
 */
export function tuneWorkerHeaps(): void {
  setFlagsFromString('--no-incremental-marking');
}

export function createScanPool(config: WorkerConfig, workers = defaultWorkerCount()): ScanPool {
  tuneWorkerHeaps();
  const piscina = new Piscina({
    filename: WORKER_URL.href,
    minThreads: workers,
    maxThreads: workers,
    workerData: config,
    execArgv: ['--import', TSX_URL],
    // a WASM heap per worker is up to 1 GiB of address space; keep the JS side small
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  const runOnce = async (job: ScanJob): Promise<ScanResult> => ScanResultSchema.parse(await piscina.run(job));
  return {
    workers,
    async run(job) {
      try {
        return await runOnce(job);
      } catch (first) {
        try {
          return await runOnce(job);
        } catch (second) {
          return {
            sheetId: job.sheetId,
            imageSha256: job.paths.map(() => ''),
            outcome: {
              type: 'rejected',
              reason: 'processing-error',
              detail: `the worker failed twice on this sheet (${String((first as Error).message ?? first)}; then ${String((second as Error).message ?? second)})`,
            },
            timingsMs: { load: 0, decode: 0, interpret: 0 },
          };
        }
      }
    },
    async close() {
      await piscina.destroy();
    },
  };
}
