/**
 * Milliseconds per page for the border-strip labelling of registration (Otsu + threshold + 8-connected
 * components on the strips the fast path asks for): opencv-wasm (`findDarkBlobs`), the TypeScript
 * kernel (`findDarkBlobsTs`) and our SIMD WebAssembly kernel (`findDarkBlobsSimd`, wasm/strip-label).
 * Also `registerPage` as a whole (it uses the SIMD kernel) for scale.
 *
 * Run: npm run bench:kernels   (~15 s; writes bench/results/kernels-<cores>core.json and prints a table)
 * Pages: one real 200 dpi scan (Amherst, ../shared/fixtures; skipped where absent) and one generated
 * 200 dpi page (the throughput bench's cached batch if present, else the committed demo batch).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { Bench } from 'tinybench';
import { type Blob, clipRect, findDarkBlobs, type RectPx } from '../src/cv/blobs.ts';
import { findDarkBlobsSimd, type StripBlobOptions } from '../src/cv/strip-kernel.ts';
import { findDarkBlobsTs } from '../src/cv/strip-kernel-ts.ts';
import type { GrayImage, PointPx } from '../src/image.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { registerPage } from '../src/pipeline/register.ts';

const ROOT = join(import.meta.dirname, '..');
const REAL = join(
  ROOT,
  '..',
  'shared',
  'fixtures',
  'vxsuite',
  'nh-amherst-2023-01',
  'scan-marked-front.jpeg',
);
const GENERATED_CACHE = join(ROOT, 'bench', '.cache', 'throughput-jpeg-200-200', '000001-front.jpeg');
const GENERATED_DEMO = join(ROOT, 'samples', 'demo', '000001-front.jpeg');

/** what registration's fast path asks for (src/pipeline/register.ts) */
const OPTIONS: StripBlobOptions = { threshold: 'otsu', minAreaPx: 6 };

interface Case {
  name: string;
  file: string;
  page: GrayImage;
  strips: RectPx[];
}

/**
 * The strips the fast path labels: the top and bottom 1 in of the page, and a column strip around each
 * side column of timing marks (the marks' x range ± 0.3 in, full height). The far row lies inside the
 * bottom strip and is not labelled again.
 */
function registrationStrips(page: GrayImage): RectPx[] {
  const dpi = page.widthPx / 8.5;
  const edge = Math.min(Math.round(dpi), Math.floor(page.heightPx / 2));
  const strips: RectPx[] = [
    { xPx: 0, yPx: 0, widthPx: page.widthPx, heightPx: edge },
    { xPx: 0, yPx: page.heightPx - edge, widthPx: page.widthPx, heightPx: edge },
  ];
  const reg = registerPage(page);
  if (reg.type !== 'ok') throw new Error(`the bench page does not register: ${reg.reason}`);
  const column = (points: readonly PointPx[]): RectPx => {
    const xs = points.map((p) => p.xPx);
    const margin = 0.3 * reg.dpiEstimate;
    const x0 = Math.min(...xs) - margin;
    return { xPx: x0, yPx: 0, widthPx: Math.max(...xs) + margin - x0, heightPx: page.heightPx };
  };
  for (const r of [column(reg.grid.left), column(reg.grid.right)]) strips.push(clipRect(page, r) as RectPx);
  return strips;
}

async function loadCase(name: string, file: string): Promise<Case> {
  const decoded = await decodeImage(readFileSync(file), 1);
  if (decoded.type !== 'ok' || !decoded.pages[0]) throw new Error(`cannot decode ${file}`);
  const page = decoded.pages[0];
  return { name, file: relative(ROOT, file), page, strips: registrationStrips(page) };
}

const cases: Case[] = [];
if (existsSync(REAL)) cases.push(await loadCase('real 200 dpi (Amherst)', REAL));
else console.error(`bench: ${REAL} is absent: the real page is skipped`);
cases.push(
  await loadCase('generated 200 dpi', existsSync(GENERATED_CACHE) ? GENERATED_CACHE : GENERATED_DEMO),
);

type Labeller = (image: GrayImage, rect: RectPx, options: StripBlobOptions) => { blobs: Blob[] };
const kernels: [string, Labeller][] = [
  ['opencv-wasm', findDarkBlobs],
  ['TypeScript', findDarkBlobsTs],
  ['SIMD WASM', findDarkBlobsSimd],
];

// the three must agree before their speed means anything
for (const c of cases) {
  const reference = JSON.stringify(c.strips.map((r) => findDarkBlobs(c.page, r, OPTIONS)));
  for (const [name, label] of kernels) {
    if (JSON.stringify(c.strips.map((r) => label(c.page, r, OPTIONS))) !== reference)
      throw new Error(`${name} disagrees with opencv-wasm on ${c.name}`);
  }
}

const bench = new Bench({ time: 1000, warmupTime: 300 });
for (const c of cases) {
  for (const [name, label] of kernels) {
    bench.add(`${name} | ${c.name}`, () => {
      for (const r of c.strips) label(c.page, r, OPTIONS);
    });
  }
  bench.add(`registerPage | ${c.name}`, () => {
    registerPage(c.page);
  });
}
await bench.run();

const p50 = (name: string): number => {
  const task = bench.tasks.find((t) => t.name === name);
  const r = task?.result as unknown as { latency?: { p50?: number; mean?: number } } | undefined;
  return r?.latency?.p50 ?? r?.latency?.mean ?? Number.NaN;
};
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const rows = cases.flatMap((c) => {
  const opencv = p50(`opencv-wasm | ${c.name}`);
  const megapixels = c.strips.reduce((sum, r) => sum + r.widthPx * r.heightPx, 0) / 1e6;
  return [...kernels.map(([k]) => k), 'registerPage'].map((k) => ({
    page: c.name,
    task: k === 'registerPage' ? 'registerPage (whole, SIMD kernel)' : `strips: ${k}`,
    stripMpx: round(megapixels, 2),
    p50MsPerPage: round(p50(`${k} | ${c.name}`)),
    opencvOverThis: k === 'registerPage' ? undefined : round(opencv / p50(`${k} | ${c.name}`), 2),
  }));
});
console.table(rows);
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  loadAverage1m: round(loadavg()[0] ?? 0, 2),
};
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', `kernels-${cpus().length}core.json`),
  `${JSON.stringify(
    {
      machine,
      command: 'npm run bench:kernels',
      pages: cases.map((c) => ({ name: c.name, file: c.file, strips: c.strips })),
      rows,
    },
    null,
    2,
  )}\n`,
);
