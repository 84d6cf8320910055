/**
 * Regenerates samples/demo: the demo election (VXF v4.0) and a batch of ~40 sheets with truth.
 *   npx tsx samples/generator/make-demo.ts
 * Mostly 200 dpi JPEG, some 300 dpi, some G4 TIFF, two multi-page TIFFs, and fixed hard cases:
 * an overvote, a blank ballot, an upside-down sheet, a swapped sheet and write-ins.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importVxf } from '../../src/election/vxf.ts';
import { generateBatch } from './batch.ts';
import { demoElectionVxf } from './demo-election.ts';
import { PROFILES, type Profile } from './profiles.ts';
import type { SheetOptions } from './sheet.ts';

const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'demo');
const COUNT = 40;
const SEED = 2024;

/** Realistic, with less sensor noise and a lower JPEG quality so 40 sheets stay under 10 MB. */
const DEMO_PROFILE: Profile = {
  ...PROFILES.realistic,
  name: 'realistic-demo',
  scanner: {
    ...PROFILES.realistic.scanner,
    noise: { p: 1, maxSigma: 1 },
    jpegQuality: [60, 70],
    mozjpeg: true,
  },
};

export async function makeDemo(outDir = DEMO_DIR): Promise<void> {
  const json = `${JSON.stringify(demoElectionVxf(), null, 2)}\n`;
  const imported = importVxf(json);
  if (!imported.ok) throw new Error(imported.errors.join('\n'));
  for (const f of await readdir(outDir).catch(() => [] as string[]))
    if (/^\d{6}[.-]/.test(f) || f === 'truth.jsonl') await rm(join(outDir, f));
  await writeFile(join(outDir, 'election.json'), json);
  const special: Record<number, Partial<SheetOptions>> = {
    2: { force: { overvote: true } },
    5: { force: { blank: true } },
    8: { scanner: { upsideDown: true } },
    11: { force: { writeIn: true } },
    14: { format: 'tiff-multipage', dpi: 200 },
    17: { format: 'tiff-g4', dpi: 200, force: { writeIn: true } },
    20: { scanner: { swap: true } },
    23: { format: 'tiff-g4', dpi: 300 },
    26: { dpi: 300, format: 'jpeg' },
    29: { format: 'tiff-multipage', dpi: 200, scanner: { upsideDown: true } },
    32: { dpi: 300, format: 'jpeg', force: { overvote: true } },
    35: { format: 'tiff-g4', dpi: 200 },
    37: { format: 'tiff-g4', dpi: 200, scanner: { skew: true } },
    38: { format: 'tiff-g4', dpi: 300 },
  };
  const summary = await generateBatch({
    election: imported.value.election,
    count: COUNT,
    seed: SEED,
    outDir,
    profile: DEMO_PROFILE,
    // The README's demo: mostly 200 dpi JPEG; the special sheets above pick other formats.
    dpi: 200,
    format: 'jpeg',
    sheetOptions: (i) => ({
      ballotStyleId: i % 2 === 0 ? 'card-number-1' : 'card-number-2',
      ...special[i],
    }),
  });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await makeDemo();
}
