/**
 * Milliseconds per page by stage: decode (sharp), register (opencv-wasm), score, interpret.
 * Run: npm run bench            (writes bench/results/stages-<machine>.json and prints a table)
 * Inputs: the committed demo batch (samples/demo): 200 and 300 dpi JPEG and CCITT G4 TIFF pages.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { loadCalibration } from '../src/election/calibration.ts';
import { importVxf } from '../src/election/vxf.ts';
import { interpretSheet, type SheetPage } from '../src/pipeline/interpret.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { gridScaleAt, gridToPixel, registerPage } from '../src/pipeline/register.ts';
import { scoreBubble } from '../src/pipeline/score.ts';

const DEMO = join(import.meta.dirname, '..', 'samples', 'demo');
const imported = importVxf(readFileSync(join(DEMO, 'election.json')));
const calibration = loadCalibration('default');
if (!imported.ok || !calibration.ok) throw new Error('demo election or calibration did not load');
const election = imported.value.election;

interface Case {
  name: string;
  bytes: Buffer;
  page: SheetPage;
  dpi: number;
}

async function pickCases(): Promise<Case[]> {
  const files = readdirSync(DEMO).filter((f) => /-front\.(jpeg|tiff)$/.test(f));
  const cases: Case[] = [];
  const want = new Set(['jpeg-200', 'jpeg-300', 'tiff-200', 'tiff-300']);
  for (const f of files) {
    const bytes = readFileSync(join(DEMO, f));
    const d = await decodeImage(bytes, 1);
    if (d.type !== 'ok' || !d.pages[0]) continue;
    const dpi = Math.round(d.pages[0].widthPx / 8.5 / 50) * 50;
    const key = `${f.endsWith('.tiff') ? 'tiff' : 'jpeg'}-${dpi}`;
    if (!want.has(key)) continue;
    want.delete(key);
    cases.push({
      name: key === 'tiff-200' || key === 'tiff-300' ? `G4 TIFF ${dpi} dpi` : `JPEG ${dpi} dpi`,
      bytes,
      page: { ...d.pages[0], imageIndex: 0, page: 0 },
      dpi,
    });
  }
  return cases;
}

const cases = await pickCases();
const bench = new Bench({ time: 1500, warmupTime: 300 });
for (const c of cases) {
  bench.add(`decode ${c.name}`, async () => {
    await decodeImage(c.bytes, 1);
  });
  bench.add(`register ${c.name}`, () => {
    registerPage(c.page, { paper: election.paper });
  });
  const reg = registerPage(c.page, { paper: election.paper });
  if (reg.type === 'ok') {
    const layout = election.layouts.find((l) => l.side === 'front' && l.targets.length > 0);
    const targets = layout?.targets ?? [];
    bench.add(`score ${targets.length} targets ${c.name}`, () => {
      for (const t of targets) {
        const centre = gridToPixel(reg.grid, t);
        const s = gridScaleAt(reg.grid, t);
        scoreBubble(c.page, { centre, pxPerColumn: s.pxPerColumn, pxPerRow: s.pxPerRow, angleRad: 0 });
      }
    });
  }
  bench.add(`interpret (register+score+rules) ${c.name}`, () => {
    interpretSheet([c.page], election, calibration.value, {
      ballotStyleId: election.ballotStyles[0]?.id ?? '',
    });
  });
}
await bench.run();
const rows = bench.tasks.map((t) => {
  const r = t.result as unknown as { latency?: { p50?: number; mean?: number } } | undefined;
  const ms = r?.latency?.p50 ?? r?.latency?.mean ?? Number.NaN;
  return { task: t.name, p50Ms: Math.round(ms * 100) / 100 };
});
console.table(rows);
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', `stages-${cpus().length}core.json`),
  `${JSON.stringify({ machine, command: 'npm run bench', rows }, null, 2)}\n`,
);
