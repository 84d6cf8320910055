/**
 * Does a fitted calibration profile do at least as well as the default on hard generated batches?
 *
 *   npx tsx bench/calibration-compare.ts [--count 300] [--workers N] [--cache DIR] [--json]
 *
 * Generates (once, cached) held-out batches with seeds the shipped profiles were not fitted on:
 *   light-pencil-gray     pencil voters, 45 % of marks light pencil, 200 dpi JPEG   → generator-gray
 *   light-pencil-bilevel  the same voters, CCITT G4 TIFF (bilevel)                  → generator-bilevel
 *   realistic-gray        the realistic profile, JPEG                               → generator-gray
 *   realistic-bilevel     the realistic profile, G4 TIFF                            → generator-bilevel
 * interprets every sheet once (scores do not depend on thresholds), then applies the default and the
 * fitted profile's thresholds to the same scores and compares them target by target against the truth:
 * clear marks lost (unmarked), clear targets flagged (marginal), clear empties counted as marks, and the
 * clear marks the fitted profile loses that the default keeps (must be 0).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateBatch, PROFILES, type Profile } from '../samples/generator/index.ts';
import { listInputs } from '../src/batch/inputs.ts';
import { accuracyAt, classOf, statusAt, type TargetScore, type Thresholds } from '../src/calibrate/index.ts';
import { attachTruth, collectScores, readTruthDir } from '../src/cli/calibrate.ts';
import { type Calibration, loadCalibration } from '../src/election/calibration.ts';
import { importVxf } from '../src/election/vxf.ts';
import { defaultWorkerCount } from '../src/worker/pool.ts';

const ROOT = join(import.meta.dirname, '..');
const ELECTION = join(ROOT, 'samples', 'demo', 'election.json');

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '300' },
    workers: { type: 'string' },
    cache: { type: 'string', default: join(tmpdir(), 'ballot-tally-calibration-compare') },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const workers = values.workers ? Number(values.workers) : defaultWorkerCount();

const realistic = PROFILES.realistic;
const lightPencil: Profile = {
  ...realistic,
  name: 'light-pencil',
  voter: {
    ...realistic.voter,
    kinds: { 'full-fill': 40, 'partial-fill': 5, 'light-pencil': 45, check: 4, x: 3, slash: 2, circle: 1 },
    consistency: 0.6,
    tools: { pen: 0.2, pencil: 0.7, marker: 0.1 },
  },
};

const BATCHES = [
  { name: 'light-pencil-gray', profile: lightPencil, format: 'jpeg', seed: 9101, fitted: 'generator-gray' },
  {
    name: 'light-pencil-bilevel',
    profile: lightPencil,
    format: 'tiff-g4',
    seed: 9102,
    fitted: 'generator-bilevel',
  },
  { name: 'realistic-gray', profile: realistic, format: 'jpeg', seed: 9103, fitted: 'generator-gray' },
  {
    name: 'realistic-bilevel',
    profile: realistic,
    format: 'tiff-g4',
    seed: 9104,
    fitted: 'generator-bilevel',
  },
] as const;

function mustLoad(name: string): Calibration {
  const r = loadCalibration(name);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

function compare(scores: readonly TargetScore[], base: Thresholds, fitted: Thresholds) {
  const a = accuracyAt(scores, base);
  const b = accuracyAt(scores, fitted);
  let lostOnlyByFitted = 0;
  let flaggedOnlyByFitted = 0;
  let lightPencilClear = 0;
  const lightLost = { base: 0, fitted: 0 };
  for (const s of scores) {
    if (!s.truth) continue;
    const c = classOf(s.truth);
    if (c === 'ambiguous') continue;
    const x = statusAt(s.fill01, base);
    const y = statusAt(s.fill01, fitted);
    if (c === 'clear-mark' && y === 'unmarked' && x !== 'unmarked') lostOnlyByFitted++;
    if (y === 'marginal' && x !== 'marginal') flaggedOnlyByFitted++;
    if (c === 'clear-mark' && s.truth.kind === 'light-pencil') {
      lightPencilClear++;
      if (x === 'unmarked') lightLost.base++;
      if (y === 'unmarked') lightLost.fitted++;
    }
  }
  return { default: a, fitted: b, lostOnlyByFitted, flaggedOnlyByFitted, lightPencilClear, lightLost };
}

const election = importVxf(await readFile(ELECTION));
if (!election.ok) throw new Error(election.errors.join('\n'));
const electionJson = await readFile(ELECTION, 'utf8');
const defaultProfile = mustLoad('default');
interface Row extends ReturnType<typeof compare> {
  batch: string;
  profile: string;
  sheets: number;
  rejected: number;
}
const rows: Row[] = [];
for (const batch of BATCHES) {
  const dir = join(values.cache, `${batch.name}-${count}-${batch.seed}`);
  if (!existsSync(join(dir, 'truth.jsonl'))) {
    process.stderr.write(`generating ${batch.name} (${count} sheets) in ${dir}\n`);
    await generateBatch({
      election: election.value.election,
      count,
      seed: batch.seed,
      outDir: dir,
      profile: batch.profile,
      dpi: 200,
      format: batch.format,
    });
  }
  process.stderr.write(`interpreting ${batch.name}\n`);
  const listing = listInputs([dir], ROOT);
  const collected = await collectScores({
    listing,
    electionJson,
    electionSha256: election.value.election.source.sha256,
    calibration: defaultProfile,
    workers,
  });
  const truth = readTruthDir(dir);
  const { labelled } = attachTruth(collected, listing, truth.byImage);
  const fitted = mustLoad(batch.fitted);
  const c = compare(labelled, defaultProfile.thresholds, fitted.thresholds);
  rows.push({
    batch: batch.name,
    sheets: listing.sheets.length,
    rejected: collected.rejected.length,
    profile: batch.fitted,
    ...c,
  });
}

if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  const lines = [
    '| batch | profile | clear marks | lost | flagged marks | clear empties | flagged empties | counted as marks | light-pencil lost | accuracy |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    for (const [name, a, light] of [
      ['default', r.default, r.lightLost.base],
      [r.profile, r.fitted, r.lightLost.fitted],
    ] as const)
      lines.push(
        `| ${r.batch} (${r.sheets} sheets, ${r.rejected} rejected) | ${name} | ${a.clearMarks.n} | ${a.clearMarks.lost} | ${a.clearMarks.marginal} | ${a.clearEmpties.n} | ${a.clearEmpties.marginal} | ${a.clearEmpties.falseMarks} | ${light} of ${r.lightPencilClear} | ${(a.accuracy01 * 100).toFixed(2)} % |`,
      );
    lines.push(
      `| ${r.batch} | ${r.profile} vs default | lost only by ${r.profile}: **${r.lostOnlyByFitted}** | | flagged only by ${r.profile}: **${r.flaggedOnlyByFitted}** | | | | | |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
