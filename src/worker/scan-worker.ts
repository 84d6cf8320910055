/**
 * The piscina worker entry: default-exports one function, job → result. It loads the election and
 * calibration once (from workerData) and opencv-wasm once (on first use, in src/cv).
 */
import { workerData } from 'node:worker_threads';
import { parseCalibration } from '../election/calibration.ts';
import { importVxf } from '../election/vxf.ts';
import { type ScanJob, ScanJobSchema, type ScanResult, WorkerConfigSchema } from './job.ts';
import { scanSheet } from './scan-sheet.ts';

const config = WorkerConfigSchema.parse(workerData);
const imported = importVxf(config.electionJson);
if (!imported.ok) throw new Error(`worker: election did not import: ${imported.errors.join('; ')}`);
const calibration = parseCalibration(config.calibration);
if (!calibration.ok) throw new Error(`worker: calibration invalid: ${calibration.errors.join('; ')}`);
const election = imported.value.election;
const profile = calibration.value;
/** Fault injection for the crash-recovery test: the worker dies on this sheet id. */
const crashOn = process.env.BALLOT_TALLY_TEST_CRASH_ON_SHEET;
const options = config.ballotStyleId ? { ballotStyleId: config.ballotStyleId } : {};

export default async function scanWorker(job: unknown): Promise<ScanResult> {
  const checked: ScanJob = ScanJobSchema.parse(job);
  if (crashOn && checked.sheetId === crashOn) process.exit(70);
  const { result } = await scanSheet(checked, election, profile, options);
  return result;
}
