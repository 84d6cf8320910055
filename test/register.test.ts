import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { GrayImage, PointPx } from '../src/image.ts';
import {
  gridScaleAt,
  gridToPixel,
  type RegisterOk,
  type RegisterResult,
  registerPage,
} from '../src/pipeline/register.ts';
import { completeFromOther, probeMark } from '../src/pipeline/timing-marks.ts';

const FIXTURES = join(process.cwd(), '..', 'shared', 'fixtures', 'vxsuite');
const HUDSON = join(FIXTURES, 'nh-hudson-2023-01');
const AMHERST = join(FIXTURES, 'nh-amherst-2023-01');
const VX = join(FIXTURES, 'vxqa-v4.1-blank', 'png');

interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface ExpectedMark {
  column: number;
  row: number;
  status?: string;
  matchedBoundsPx?: Bounds;
}

async function toGray(input: Sharp): Promise<GrayImage> {
  const { data, info } = await input.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return {
    widthPx: info.width,
    heightPx: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
const decode = (path: string) => toGray(sharp(path));

function expectOk(result: RegisterResult): RegisterOk {
  if (result.type !== 'ok') throw new Error(`expected ok, got ${result.reason}: ${result.detail}`);
  return result;
}

const centre = (b: Bounds): PointPx => ({ xPx: b.x + b.width / 2, yPx: b.y + b.height / 2 });
const dist = (a: PointPx, b: PointPx) => Math.hypot(a.xPx - b.xPx, a.yPx - b.yPx);

/** mean darkness (0 white … 1 black) in a box around a point */
function darkness(image: GrayImage, p: PointPx, halfW: number, halfH: number): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.round(p.yPx - halfH); y <= Math.round(p.yPx + halfH); y++) {
    for (let x = Math.round(p.xPx - halfW); x <= Math.round(p.xPx + halfW); x++) {
      sum += 255 - (image.data[y * image.widthPx + x] ?? 255);
      n++;
    }
  }
  return sum / n / 255;
}

describe.skipIf(!existsSync(HUDSON))('registerPage on Hudson (legal, AccuVote bottom-row bits)', () => {
  const expected = existsSync(HUDSON)
    ? (JSON.parse(readFileSync(join(HUDSON, 'expected.json'), 'utf8')) as {
        images: Record<string, { marks?: ExpectedMark[] }>;
      })
    : { images: {} };
  const scans = existsSync(HUDSON) ? readdirSync(HUDSON).filter((f) => /^scan-.*\.jpeg$/.test(f)) : [];
  const bitsBySide = new Map<string, string>();

  it.each(scans)('%s: legal grid found, orientation, complete edges', async (file) => {
    const image = await decode(join(HUDSON, file));
    const result = expectOk(registerPage(image, {}));
    expect(result.paper).toBe('legal');
    expect([result.columns, result.rows]).toEqual([34, 53]);
    expect(result.rotated180).toBe(file.includes('rotated'));
    expect(result.orientationCue).toBe('complete-top-row');
    expect(result.marksFound.top).toBe(34);
    expect(result.marksFound.left).toBeGreaterThanOrEqual(51);
    expect(result.marksFound.right).toBeGreaterThanOrEqual(51);
    expect(result.marksInferred).toBeLessThanOrEqual(3);
    expect(result.marksFound.bottom).toBe(result.bottomRowBits.filter((b) => b === 1).length);
    expect(result.bottomRowBits).toHaveLength(34);
    expect([result.bottomRowBits[0], result.bottomRowBits[33]]).toEqual([1, 1]);
    expect(result.dpiEstimate).toBeGreaterThan(file.includes('300dpi') ? 260 : 180);
    // the same side of the same ballot must decode to the same bottom-row bits in every scan
    const side = file.includes('front') ? 'front' : 'back';
    const bits = result.bottomRowBits.join('');
    const seen = bitsBySide.get(side);
    if (seen) expect(bits).toBe(seen);
    else bitsBySide.set(side, bits);
  });

  const withBounds = Object.entries(expected.images).filter(([, v]) =>
    v.marks?.some((m) => m.matchedBoundsPx),
  );
  it.each(withBounds.map(([f]) => f))(
    '%s: every bubble centre within 5 px of matchedBoundsPx',
    async (file) => {
      const image = await decode(join(HUDSON, file));
      const result = expectOk(registerPage(image, {}));
      const marks = (expected.images[file]?.marks ?? []).filter((m) => m.matchedBoundsPx);
      expect(marks.length).toBeGreaterThan(10);
      for (const m of marks) {
        const p = gridToPixel(result.grid, { column: m.column, row: m.row });
        expect(dist(p, centre(m.matchedBoundsPx as Bounds)), `bubble (${m.column},${m.row})`).toBeLessThan(5);
      }
      const scale = gridScaleAt(result.grid, { column: 12, row: 20 });
      expect(scale.pxPerColumn).toBeGreaterThan(45);
      expect(scale.pxPerColumn).toBeLessThan(52);
      expect(scale.pxPerRow).toBeGreaterThan(45);
      expect(scale.pxPerRow).toBeLessThan(52);
    },
  );

  it.each([
    ['front', 'scan-marked-front.jpeg', 'scan-marked-rotated-front.jpeg'],
    ['back', 'scan-marked-back.jpeg', 'scan-marked-rotated-back.jpeg'],
  ])(
    'physically upside-down rescan (%s): same bubbles read at the same grid points',
    async (_s, upright, rotated) => {
      const a = await decode(join(HUDSON, upright));
      const b = await decode(join(HUDSON, rotated));
      const ra = expectOk(registerPage(a, {}));
      const rb = expectOk(registerPage(b, {}));
      // grid (0,0) of an upside-down scan is near the bottom-right of the image
      const origin = gridToPixel(rb.grid, { column: 0, row: 0 });
      expect(origin.xPx).toBeGreaterThan(b.widthPx * 0.9);
      expect(origin.yPx).toBeGreaterThan(b.heightPx * 0.9);
      const marks = expected.images[upright]?.marks ?? [];
      let agree = 0;
      for (const m of marks) {
        const da = darkness(a, gridToPixel(ra.grid, m), 18, 11);
        const db = darkness(b, gridToPixel(rb.grid, m), 18, 11);
        if (Math.abs(da - db) < 0.12) agree++;
      }
      expect(agree / marks.length).toBeGreaterThan(0.9);
    },
  );

  it('a digitally rotated (180°) scan maps every grid point to the rotated pixel', async () => {
    const path = join(HUDSON, 'scan-marked-front.jpeg');
    const upright = await decode(path);
    const flipped = await toGray(sharp(path).rotate(180));
    const ra = expectOk(registerPage(upright, {}));
    const rb = expectOk(registerPage(flipped, {}));
    expect(rb.rotated180).toBe(true);
    expect(rb.bottomRowBits).toEqual(ra.bottomRowBits);
    for (const m of expected.images['scan-marked-front.jpeg']?.marks ?? []) {
      const p = gridToPixel(ra.grid, m);
      const q = gridToPixel(rb.grid, m);
      expect(dist(q, { xPx: upright.widthPx - 1 - p.xPx, yPx: upright.heightPx - 1 - p.yPx })).toBeLessThan(
        1.5,
      );
    }
  });

  it.each([3, -3])('a page skewed by %d° still maps bubbles within 6 px', async (deg) => {
    const path = join(HUDSON, 'scan-marked-front.jpeg');
    const original = await decode(path);
    const skewed = await toGray(sharp(path).rotate(deg, { background: '#fff' }));
    const result = expectOk(registerPage(skewed, {}));
    expect(result.rotated180).toBe(false);
    const th = (deg * Math.PI) / 180;
    const map = (p: PointPx): PointPx => {
      const px = p.xPx - original.widthPx / 2;
      const py = p.yPx - original.heightPx / 2;
      return {
        xPx: skewed.widthPx / 2 + px * Math.cos(th) - py * Math.sin(th),
        yPx: skewed.heightPx / 2 + px * Math.sin(th) + py * Math.cos(th),
      };
    };
    for (const m of (expected.images['scan-marked-front.jpeg']?.marks ?? []).filter(
      (x) => x.matchedBoundsPx,
    )) {
      const p = gridToPixel(result.grid, m);
      expect(dist(p, map(centre(m.matchedBoundsPx as Bounds))), `bubble (${m.column},${m.row})`).toBeLessThan(
        6,
      );
    }
  });

  it('rejects a legal page when letter paper is required', async () => {
    const result = registerPage(await decode(join(HUDSON, 'scan-marked-front.jpeg')), { paper: 'letter' });
    expect(result).toMatchObject({ type: 'unreadable', reason: 'wrong-paper-size' });
  });
});

describe.skipIf(!existsSync(AMHERST))('registerPage on Amherst (letter, hard 300 dpi cases)', () => {
  const expected = existsSync(AMHERST)
    ? (JSON.parse(readFileSync(join(AMHERST, 'expected.json'), 'utf8')) as {
        timingMarkMetadata: Record<'front' | 'back', { bitsRightToLeft: number[] }>;
      })
    : undefined;
  const scans = existsSync(AMHERST) ? readdirSync(AMHERST).filter((f) => /^scan-.*\.jpeg$/.test(f)) : [];
  /** bottom row without corners, right to left, as in expected.json */
  const rightToLeft = (bits: readonly number[]) => bits.slice(1, 33).reverse();

  it.each(scans)('%s: letter grid, orientation and bottom-row bits', async (file) => {
    const image = await decode(join(AMHERST, file));
    const result = expectOk(registerPage(image, {}));
    expect(result.paper).toBe('letter');
    expect([result.columns, result.rows]).toEqual([34, 41]);
    expect(result.rotated180).toBe(file.includes('uneven-crop'));
    expect(result.marksFound.top).toBe(34);
    expect(result.marksFound.left).toBeGreaterThanOrEqual(40);
    expect(result.marksFound.right).toBeGreaterThanOrEqual(40);
    const side = file.includes('front') ? 'front' : 'back';
    expect(rightToLeft(result.bottomRowBits)).toEqual(expected?.timingMarkMetadata[side].bitsRightToLeft);
    expect([result.bottomRowBits[0], result.bottomRowBits[33]]).toEqual([1, 1]);
  });

  it('reads a page downscaled to 150 dpi', async () => {
    const path = join(AMHERST, 'scan-marked-front.jpeg');
    const image = await toGray(sharp(path).resize({ width: 1275 }));
    const result = expectOk(registerPage(image, {}));
    expect(rightToLeft(result.bottomRowBits)).toEqual(expected?.timingMarkMetadata.front.bitsRightToLeft);
    expect(result.dpiEstimate).toBeGreaterThan(140);
    expect(result.dpiEstimate).toBeLessThan(160);
  });

  it('reads a bilevel (0/255) page', async () => {
    const path = join(AMHERST, 'scan-marked-back.jpeg');
    const image = await toGray(sharp(path).toColourspace('b-w').threshold(128));
    expect(new Set(image.data).size).toBeLessThanOrEqual(2);
    const result = expectOk(registerPage(image, {}));
    expect(rightToLeft(result.bottomRowBits)).toEqual(expected?.timingMarkMetadata.back.bitsRightToLeft);
  });

  it('reads a page stretched 3% in the feed direction', async () => {
    const path = join(AMHERST, 'scan-marked-front.jpeg');
    const plain = expectOk(registerPage(await decode(path), {}));
    const image = await toGray(
      sharp(path).resize({ width: 1700, height: Math.round(2200 * 1.03), fit: 'fill' }),
    );
    const result = expectOk(registerPage(image, {}));
    expect(rightToLeft(result.bottomRowBits)).toEqual(expected?.timingMarkMetadata.front.bitsRightToLeft);
    const p = gridToPixel(plain.grid, { column: 12, row: 30 });
    const q = gridToPixel(result.grid, { column: 12, row: 30 });
    expect(Math.abs(q.xPx - p.xPx)).toBeLessThan(2);
    expect(Math.abs(q.yPx - p.yPx * 1.03)).toBeLessThan(3);
  });

  it('survives a vertical scanner streak through a side column and speckle', async () => {
    const image = await decode(join(AMHERST, 'scan-marked-front.jpeg'));
    const plain = expectOk(registerPage(image, {}));
    const data = new Uint8Array(image.data);
    const x0 = Math.round((plain.grid.left[20] as PointPx).xPx);
    for (let y = 0; y < image.heightPx; y++) data.fill(0, y * image.widthPx + x0, y * image.widthPx + x0 + 2);
    let seed = 7;
    for (let i = 0; i < data.length; i += 1) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      if (seed >>> 24 < 3) data[i] = 0; // ~1% black specks
    }
    const result = expectOk(registerPage({ ...image, data }, {}));
    expect(rightToLeft(result.bottomRowBits)).toEqual(expected?.timingMarkMetadata.front.bitsRightToLeft);
    expect(
      dist(
        gridToPixel(result.grid, { column: 12, row: 21 }),
        gridToPixel(plain.grid, { column: 12, row: 21 }),
      ),
    ).toBeLessThan(2);
  });

  it('infers torn timing marks on the top row and a side column', async () => {
    const image = await decode(join(AMHERST, 'scan-marked-front.jpeg'));
    const plain = expectOk(registerPage(image, {}));
    const data = new Uint8Array(image.data);
    const erase = (p: PointPx) => {
      for (let y = Math.round(p.yPx - 12); y <= Math.round(p.yPx + 12); y++) {
        for (let x = Math.round(p.xPx - 30); x <= Math.round(p.xPx + 30); x++)
          data[y * image.widthPx + x] = 255;
      }
    };
    erase(plain.grid.top[10] as PointPx);
    erase(plain.grid.left[20] as PointPx);
    erase(plain.grid.left[21] as PointPx);
    const torn = expectOk(registerPage({ ...image, data }, {}));
    expect(torn.marksInferred).toBeGreaterThanOrEqual(3);
    expect(torn.topRowBits[10]).toBe(0);
    expect(rightToLeft(torn.bottomRowBits)).toEqual(expected?.timingMarkMetadata.front.bitsRightToLeft);
    for (const point of [
      { column: 10, row: 0 },
      { column: 0, row: 20 },
      { column: 12, row: 21 },
    ]) {
      expect(dist(gridToPixel(torn.grid, point), gridToPixel(plain.grid, point))).toBeLessThan(2);
    }
  });
});

describe.skipIf(!existsSync(VX))(
  'registerPage on VX v4.1 renders (letter, QR code, complete bottom row)',
  () => {
    const pngs = existsSync(VX) ? readdirSync(VX).filter((f) => f.endsWith('.png')) : [];

    it.each(pngs)('%s: complete grid, upright by the QR corner', async (file) => {
      const result = expectOk(registerPage(await decode(join(VX, file)), {}));
      expect(result.paper).toBe('letter');
      expect(result.rotated180).toBe(false);
      expect(result.orientationCue).toBe('qr-code-corner');
      expect(result.marksFound).toEqual({ top: 34, bottom: 34, left: 41, right: 41 });
      expect(result.marksInferred).toBe(0);
    });

    it('an upside-down VX page is detected by the QR corner', async () => {
      const file = pngs[0] as string;
      const upright = await decode(join(VX, file));
      const flipped = await toGray(sharp(join(VX, file)).rotate(180));
      const ra = expectOk(registerPage(upright, {}));
      const rb = expectOk(registerPage(flipped, {}));
      expect(rb.rotated180).toBe(true);
      const p = gridToPixel(ra.grid, { column: 20, row: 10 });
      const q = gridToPixel(rb.grid, { column: 20, row: 10 });
      expect(dist(q, { xPx: upright.widthPx - 1 - p.xPx, yPx: upright.heightPx - 1 - p.yPx })).toBeLessThan(
        1.5,
      );
    });
  },
);

describe('registerPage on pages that are not ballots', () => {
  const W = 1700;
  const H = 2200;

  it('a blank white page is unreadable: no-timing-marks', () => {
    const result = registerPage({ widthPx: W, heightPx: H, data: new Uint8Array(W * H).fill(255) }, {});
    expect(result).toMatchObject({ type: 'unreadable', reason: 'no-timing-marks' });
  });

  it('a black page is unreadable', () => {
    const result = registerPage({ widthPx: W, heightPx: H, data: new Uint8Array(W * H) }, {});
    expect(result).toMatchObject({ type: 'unreadable', reason: 'no-timing-marks' });
  });

  it('random noise is unreadable', () => {
    let seed = 12345;
    const data = new Uint8Array(W * H);
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = seed >>> 24;
    }
    const result = registerPage({ widthPx: W, heightPx: H, data }, {});
    expect(result.type).toBe('unreadable');
  });

  it('blocky noise (blobs of every size) is unreadable', () => {
    let seed = 99;
    const data = new Uint8Array(W * H).fill(255);
    for (let k = 0; k < 4000; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const x0 = seed % (W - 60);
      seed = (seed * 1103515245 + 12345) >>> 0;
      const y0 = seed % (H - 30);
      const w = 5 + (seed % 50);
      const h = 3 + ((seed >>> 8) % 20);
      for (let y = y0; y < y0 + h; y++) data.fill(0, y * W + x0, y * W + x0 + w);
    }
    expect(registerPage({ widthPx: W, heightPx: H, data }, {}).type).toBe('unreadable');
  });

  it('bad input is reported, never thrown', () => {
    expect(registerPage({ widthPx: 100, heightPx: 100, data: new Uint8Array(5) }, {})).toMatchObject({
      type: 'unreadable',
      reason: 'invalid-image',
    });
    expect(registerPage({ widthPx: 1700, heightPx: 2200, data: new Uint8Array(10) }, {})).toMatchObject({
      type: 'unreadable',
      reason: 'invalid-image',
      detail: 'Expected image.data of length 3740000 but received 10',
    });
    expect(registerPage({ widthPx: W, heightPx: H, data: new Uint8Array(W * H) }, { dpi: 0 })).toMatchObject({
      type: 'unreadable',
      reason: 'invalid-image',
      detail: 'Expected number between 50 and 1200 for options.dpi but received 0',
    });
  });
});

describe('side-column helpers (synthetic)', () => {
  // a 150 dpi-like column: marks 28 × 9 px, pitch 37.5 px, centres at x = 30
  const W = 200;
  const H = 400;
  const size = { markWidthPx: 28, markHeightPx: 9, pitchPx: 37.5 };
  const rowY = (r: number) => 20 + r * 37.5;
  function column(opts: { background?: number; rule?: boolean }): GrayImage {
    const data = new Uint8Array(W * H).fill(235);
    const fill = (x0: number, y0: number, x1: number, y1: number, v: number) => {
      for (let y = Math.round(y0); y < Math.round(y1); y++)
        data.fill(v, y * W + Math.round(x0), y * W + Math.round(x1));
    };
    for (let r = 0; r < 10; r++) fill(16, rowY(r) - 4.5, 44, rowY(r) + 4.5, 20);
    // a scanner background touching the marks' outer ends
    if (opts.background !== undefined) fill(0, 0, 17, H, opts.background);
    // a table rule printed 2 px inward of the marks
    if (opts.rule) fill(46, 0, 48, H, 30);
    return { widthPx: W, heightPx: H, data };
  }
  const down = { xPx: 0, yPx: 1 };
  const inward = { xPx: 1, yPx: 0 };

  it.each([
    ['a plain mark', {}],
    ['a mark merged with a black background', { background: 15 }],
    ['a mark merged with a gray background and next to a rule', { background: 130, rule: true }],
  ])('probeMark finds %s within 1 px', (_, opts) => {
    const image = column(opts);
    const got = probeMark(image, { xPx: 33, yPx: rowY(4) + 5 }, down, inward, size);
    expect(got).toBeDefined();
    expect(dist(got as PointPx, { xPx: 29.5, yPx: rowY(4) - 0.5 })).toBeLessThan(1);
  });

  it('probeMark finds nothing on blank paper, on solid black, or between marks', () => {
    const blank = { widthPx: W, heightPx: H, data: new Uint8Array(W * H).fill(235) };
    expect(probeMark(blank, { xPx: 30, yPx: 100 }, down, inward, size)).toBeUndefined();
    const black = { widthPx: W, heightPx: H, data: new Uint8Array(W * H).fill(10) };
    expect(probeMark(black, { xPx: 30, yPx: 100 }, down, inward, size)).toBeUndefined();
    // below the last mark of the column: paper only
    expect(probeMark(column({}), { xPx: 30, yPx: rowY(11) }, down, inward, size)).toBeUndefined();
  });

  it('completeFromOther places a missing stretch of one column from the other (affine scans)', () => {
    // a skewed, stretched grid: left[r] = (10 + 0.05 r·50, 100 + 51 r), right = left + (1650, −80)
    const left = new Map<number, PointPx>();
    const right = new Map<number, PointPx>();
    for (let r = 0; r < 41; r++) {
      const p = { xPx: 10 + 2.5 * r, yPx: 100 + 51 * r };
      left.set(r, p);
      if (r < 4 || r === 20) right.set(r, { xPx: p.xPx + 1650, yPx: p.yPx - 80 });
    }
    const { points, borrowed } = completeFromOther(right, left, 41);
    // no unknown row has known marks within 4 rows on both sides, so every one is borrowed
    expect(borrowed).toBe(41 - 5);
    for (let r = 0; r < 41; r++) {
      const l = left.get(r) as PointPx;
      expect(dist(points[r] as PointPx, { xPx: l.xPx + 1650, yPx: l.yPx - 80 })).toBeLessThan(1e-6);
    }
  });
});
