/**
 * registerPage on pages where a dark area (a shadow; on a black-and-white scan, its dithered speckle) covers
 * part of the border: the last fallback reads them only when the grid is unambiguous, the bottom-row bits
 * under speckle are read as a person reads them, what cannot be seen is said so (unsure bits, rejection
 * details). Synthetic damage painted on a generated black-and-white page always runs; the pages of the
 * cached hard corpus (bench/.cache, made by `npx tsx bench/accuracy.ts --sheets 1000 --profile hard`) are
 * checked when present.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CACHE_ROOT, generatorHash } from '../bench/accuracy.ts';
import { gridToPageIn } from '../samples/generator/geometry.ts';
import { generateSheet } from '../samples/generator/index.ts';
import { precinctNumberFor } from '../samples/generator/layout.ts';
import {
  accuvoteBackFor,
  bottomRowFromBits,
  cardNumberFor,
  encodeAccuvote,
} from '../src/election/accuvote.ts';
import type { Election } from '../src/election/election.ts';
import { importVxf } from '../src/election/vxf.ts';
import type { GrayImage } from '../src/image.ts';
import { interpretSheet } from '../src/pipeline/interpret.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { gridToPixel, type RegisterOk, type RegisterResult, registerPage } from '../src/pipeline/register.ts';
import { defaultCalibration } from './helpers.ts';

type Affine = readonly [number, number, number, number, number, number];

function loadElection(): Election {
  const imported = importVxf(readFileSync(join(process.cwd(), 'samples', 'demo', 'election.json')));
  if (!imported.ok) throw new Error(imported.errors.join('; '));
  return imported.value.election;
}

function expectOk(result: RegisterResult): RegisterOk {
  if (result.type !== 'ok') throw new Error(`expected ok, got ${result.reason}: ${result.detail}`);
  return result;
}

/** Grid (column, row) → image pixel centre through the generator's page-inch → pixel map. */
function truthPx(m: Affine, column: number, row: number) {
  const { xIn, yIn } = gridToPageIn(column, row);
  const [a, b, c, d, e, f] = m;
  return { xPx: a * xIn + b * yIn + c - 0.5, yPx: d * xIn + e * yIn + f - 0.5 };
}

/** Largest distance (inches) between the fitted grid and the truth over points spread on the page. */
function gridErrorIn(r: RegisterOk, m: Affine, dpi: number): number {
  let worst = 0;
  for (let column = 0; column < 34; column += 3) {
    for (let row = 0; row < 41; row += 4) {
      const want = truthPx(m, column, row);
      const got = gridToPixel(r.grid, { column, row });
      worst = Math.max(worst, Math.hypot(got.xPx - want.xPx, got.yPx - want.yPx) / dpi);
    }
  }
  return worst;
}

/** The bottom row the generator printed on a side of this sheet (page left to right, corners included). */
function printedBottomRow(
  election: Election,
  t: { ballotStyleId: string; sheetNumber: number },
  side: 'front' | 'back',
) {
  return bottomRowFromBits(
    side === 'front'
      ? encodeAccuvote({
          side: 'front',
          batchOrPrecinctNumber: precinctNumberFor(election, t.ballotStyleId),
          cardNumber: cardNumberFor(election, t.ballotStyleId, t.sheetNumber),
          sequenceNumber: t.sheetNumber - 1,
        })
      : encodeAccuvote(accuvoteBackFor(election)),
    34,
  );
}

/** Paint over a block of grid cells (bounding box in the image): solid black, or dithered speckle. */
function paint(
  image: GrayImage,
  m: Affine,
  columns: [number, number],
  rows: [number, number],
  blackShare: number,
): GrayImage {
  const data = new Uint8Array(image.data);
  const corners = [
    truthPx(m, columns[0], rows[0]),
    truthPx(m, columns[1], rows[0]),
    truthPx(m, columns[0], rows[1]),
    truthPx(m, columns[1], rows[1]),
  ];
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.xPx))));
  const x1 = Math.min(image.widthPx - 1, Math.ceil(Math.max(...corners.map((p) => p.xPx))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.yPx))));
  const y1 = Math.min(image.heightPx - 1, Math.ceil(Math.max(...corners.map((p) => p.yPx))));
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) if (random() < blackShare) data[y * image.widthPx + x] = 0;
  }
  return { widthPx: image.widthPx, heightPx: image.heightPx, data };
}

describe('registerPage on a black-and-white page with synthetic dark areas', () => {
  const election = loadElection();
  let page: GrayImage;
  let m: Affine;
  let clean: RegisterOk;
  let printed: (0 | 1)[];
  let back: GrayImage;
  let truthStyle: string;
  const dpi = 200;

  beforeAll(async () => {
    const sheet = await generateSheet(
      election,
      { profile: 'clean', dpi, format: 'tiff-g4', scanner: { skew: true, translate: true } },
      7,
    );
    if (!('front' in sheet.images)) throw new Error('expected separate front and back images');
    const decoded = await decodeImage(sheet.images.front);
    if (decoded.type !== 'ok') throw new Error(decoded.detail);
    page = decoded.pages[0] as GrayImage;
    const decodedBack = await decodeImage(sheet.images.back);
    if (decodedBack.type !== 'ok') throw new Error(decodedBack.detail);
    back = decodedBack.pages[0] as GrayImage;
    truthStyle = sheet.truth.ballotStyleId;
    const t = sheet.truth.images[0];
    if (!t || t.transform.upsideDown) throw new Error('expected an upright front');
    m = t.transform.pageInToImagePx as unknown as Affine;
    printed = printedBottomRow(election, sheet.truth, 'front');
    clean = expectOk(registerPage(page, { paper: 'letter', dpi }));
  }, 60_000);

  it('reads the undamaged page on the fast path', () => {
    expect(clean.warnings.filter((w) => w.includes('fast path failed'))).toEqual([]);
    expect(clean.bottomRowBits).toEqual(printed);
    expect(clean.bottomRowUnsure).toEqual([]);
    expect(gridErrorIn(clean, m, dpi)).toBeLessThan(0.02);
  });

  it('places the top-left corner under a solid dark area from the row and both side columns', () => {
    // hides top-row columns 0–6 and the left column's rows 0–14
    const damaged = paint(page, m, [-1.5, 6.5], [-1.5, 14.5], 1);
    const r = expectOk(registerPage(damaged, { paper: 'letter', dpi }));
    expect(r.warnings.some((w) => w.includes('used the search for a damaged border'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('a dark area hides the rest'))).toBe(true);
    expect(r.rotated180).toBe(false);
    expect(gridErrorIn(r, m, dpi)).toBeLessThan(0.03);
    expect(r.bottomRowBits).toEqual(printed);
  });

  it('finds the marks inside dithered speckle over the top-right corner', () => {
    const damaged = paint(page, m, [21.5, 35], [-1.5, 8.5], 0.92);
    const r = expectOk(registerPage(damaged, { paper: 'letter', dpi }));
    expect(r.warnings.some((w) => w.includes('used the search for a damaged border'))).toBe(true);
    expect(gridErrorIn(r, m, dpi)).toBeLessThan(0.03);
    expect(r.bottomRowBits).toEqual(printed);
  });

  it('reads bottom-row bits under speckle as marks and gaps, not as ink', () => {
    const damaged = paint(page, m, [0.5, 16.5], [39.5, 41.5], 0.85);
    const r = expectOk(registerPage(damaged, { paper: 'letter', dpi }));
    expect(r.bottomRowBits).toEqual(printed);
    expect(r.bottomRowUnsure).toEqual([]);
    expect(gridErrorIn(r, m, dpi)).toBeLessThan(0.03);
  });

  it('says which bottom-row bits a solid dark area hides', () => {
    const damaged = paint(page, m, [19.5, 32.5], [39.5, 41.5], 1);
    const r = expectOk(registerPage(damaged, { paper: 'letter', dpi }));
    expect(r.bottomRowUnsure).toEqual(Array.from({ length: 13 }, (_, i) => 20 + i));
    expect(r.warnings.some((w) => w.includes('unsure'))).toBe(true);
  });

  const sheetOf = (front: GrayImage) =>
    interpretSheet(
      [
        { ...front, imageIndex: 0, page: 0 },
        { ...back, imageIndex: 1, page: 0 },
      ],
      election,
      defaultCalibration(),
    );

  it('reads a front whose hidden bits can have only one value that names a sheet of the election', () => {
    // columns 19–26: the batch/precinct field and the top of the card number (cards are 1 and 2 here)
    const damaged = paint(page, m, [18.5, 26.5], [39.5, 41.5], 1);
    expect(expectOk(registerPage(damaged, { paper: 'letter', dpi })).bottomRowUnsure).toEqual([
      19, 20, 21, 22, 23, 24, 25, 26,
    ]);
    const out = sheetOf(damaged);
    if (out.type !== 'interpreted') expect.fail(`rejected: ${out.reason}: ${out.detail}`);
    expect(out.ballotStyleId).toBe(truthStyle);
    expect(out.pages[0]?.warnings).toContainEqual(
      expect.stringMatching(
        /^bottom-row column\(s\) 19, 20, .* lie under a dark area: of all their values only one names a sheet of this election \(front card \d\), as read$/,
      ),
    );
  });

  it('rejects a front whose hidden bits could name either card, and says which', () => {
    // columns 16 and 17 are the card number's two lowest bits: card 1 (01) and card 2 (10) both pass
    const damaged = paint(page, m, [15.5, 17.5], [39.5, 41.5], 1);
    expect(expectOk(registerPage(damaged, { paper: 'letter', dpi })).bottomRowUnsure).toEqual([16, 17]);
    const out = sheetOf(damaged);
    expect(out.type === 'rejected' && [out.reason, out.detail]).toEqual([
      'unreadable-metadata',
      expect.stringContaining(
        'bottom-row column(s) 16, 17 lie under a dark area, and they could read as front card 1 or front card 2',
      ),
    ]);
  });

  it('rejects a page whose whole left column is under a dark area, and says so', () => {
    const damaged = paint(page, m, [-2, 2.5], [-2, 43], 1);
    const r = registerPage(damaged, { paper: 'letter', dpi });
    expect(r.type).toBe('unreadable');
    if (r.type !== 'unreadable') return;
    expect(r.reason).toBe('incomplete-timing-marks');
    expect(r.detail).toMatch(/a dark area covers \d+ % of the left edge/);
  });
});

// ------------------------------------------------------------------------------------------------------
// The generated hard corpus (1,000 sheets, all defects on): the pages that a dark area made unreadable.

const CORPUS = join(CACHE_ROOT, `hard-1-1000-${generatorHash()}`);

interface CorpusTruth {
  readonly ballotStyleId: string;
  readonly sheetNumber: number;
  readonly dpi: number;
  readonly images: readonly {
    readonly file: string;
    readonly page: number;
    readonly printedSide: 'front' | 'back';
    readonly transform: { readonly upsideDown: boolean; readonly pageInToImagePx: readonly number[] };
  }[];
}

async function corpusPage(file: string, pageIndex = 0) {
  const truth = JSON.parse(
    readFileSync(join(CORPUS, `${file.slice(0, 6)}.truth.json`), 'utf8'),
  ) as CorpusTruth;
  const decoded = await decodeImage(readFileSync(join(CORPUS, file)));
  if (decoded.type !== 'ok') throw new Error(decoded.detail);
  const image = decoded.pages[pageIndex] as GrayImage;
  const t = truth.images.find((i) => i.file === file && i.page === pageIndex);
  if (!t) throw new Error(`no truth for ${file}`);
  return { truth, image, t, result: registerPage(image, { paper: 'letter', dpi: truth.dpi }) };
}

describe.skipIf(!existsSync(CORPUS))('registerPage on damaged pages of the hard corpus', () => {
  const election = loadElection();

  // a dark area over one end of the top row (speckle the opening sees through, or solid black pinned by
  // both side columns): the grid must land where the generator put it, upright, with the right bits
  it.each([
    ['000298.tiff', 0, 'speckle over the top-right corner'],
    ['000430-front.tiff', 0, 'speckle over the top-right corner'],
    ['000430-back.tiff', 0, 'speckle over the top-left corner'],
    ['000510-front.tiff', 0, 'speckle along the left edge'],
    ['000477-back.tiff', 0, 'solid dark top-left corner: 5 top-row marks and 17 left-column marks hidden'],
    ['000907-front.tiff', 0, 'solid dark left edge: 6 top-row marks and the left column down to row 23'],
  ] as const)(
    'reads %s page %i (%s)',
    async (file, pageIndex, _note) => {
      const { truth, t, result } = await corpusPage(file, pageIndex);
      const r = expectOk(result);
      expect(r.warnings.some((w) => w.includes('used the search for a damaged border'))).toBe(true);
      expect(r.rotated180).toBe(t.transform.upsideDown);
      expect(gridErrorIn(r, t.transform.pageInToImagePx as unknown as Affine, truth.dpi)).toBeLessThan(0.03);
      expect(r.bottomRowBits).toEqual(printedBottomRow(election, truth, t.printedSide));
    },
    30_000,
  );

  // bottom-row bits under speckle: the gaps show the paper's white specks, the marks are solid
  it.each([
    ['000113.tiff', 1],
    ['000231-front.tiff', 0],
    ['000425.tiff', 1],
    ['000632-back.tiff', 0],
    ['000839-front.tiff', 0],
  ] as const)(
    'reads the bottom-row bits of %s page %i under speckle',
    async (file, pageIndex) => {
      const { truth, t, result } = await corpusPage(file, pageIndex);
      const r = expectOk(result);
      expect(r.bottomRowBits).toEqual(printedBottomRow(election, truth, t.printedSide));
    },
    30_000,
  );

  it('reports the bottom-row bits hidden under a solid dark area as unsure', async () => {
    const { result } = await corpusPage('000532-front.tiff');
    const r = expectOk(result);
    expect(r.bottomRowUnsure.length).toBeGreaterThan(10);
  }, 30_000);

  // a dark area over the targets, or over a whole side column: rejected, and the detail says what is seen
  it.each([
    ['000805-front.tiff', 0, /a dark area covers 100 % of the left edge/],
    ['000351-front.tiff', 0, /a dark area covers 100 % of the right edge/],
    ['000468-back.tiff', 0, /% of the page inside the timing marks is dark/],
    ['000229.tiff', 1, /a dark area covers 100 % of the left edge/],
  ] as const)(
    'rejects %s page %i and describes the dark area',
    async (file, pageIndex, detail) => {
      const { result } = await corpusPage(file, pageIndex);
      expect(result.type).toBe('unreadable');
      if (result.type === 'unreadable') expect(result.detail).toMatch(detail);
    },
    30_000,
  );
});
