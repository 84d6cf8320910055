/**
 * VotingWorks v4.1 ballots (QR-code metadata, stadium-shaped bubbles, no AccuVote bits) with marks: the
 * fixtures hold only blank pages rendered from VotingWorks' own PDFs, so a pen fill and a pen check are
 * drawn into them here, where our blank reading of the page puts the bubbles, and the sheet is read again
 * as scanners would deliver it (black-and-white G4, 150 and 300 dpi JPEG, skewed, upside down).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type InterpretOptions, interpretSheet } from '../src/pipeline/interpret.ts';
import type { InterpretedSheet } from '../src/pipeline/outcome.ts';
import { gridToPixel, registerPage } from '../src/pipeline/register.ts';
import { HAVE_SHARED, VXQA } from './fixtures.ts';
import { defaultCalibration, electionAt, pagesOfBytes } from './helpers.ts';

const STYLE = '2_en';
const page = (n: number) => join(VXQA, 'png', `${STYLE}-s3y4ua5am2y7-precinct-official-p-${n}.png`);

async function read(buffers: readonly Buffer[], options: InterpretOptions = {}): Promise<InterpretedSheet> {
  const pages = await pagesOfBytes(buffers);
  const out = interpretSheet(pages, electionAt(join(VXQA, 'election.json')), defaultCalibration(), options);
  if (out.type !== 'interpreted') throw new Error(`rejected: ${out.reason}: ${out.detail}`);
  return out;
}

const gray = (s: Sharp) => s.flatten({ background: '#ffffff' }).toColourspace('b-w');
const SCANS: [string, (png: Buffer) => Promise<Buffer>][] = [
  ['as rendered', async (png) => png],
  [
    'black-and-white G4 TIFF',
    (png) =>
      gray(sharp(png))
        .threshold(128)
        .toColourspace('b-w')
        .tiff({
          compression: 'ccittfax4',
          bitdepth: 1,
          resolutionUnit: 'inch',
          xres: 200 / 25.4,
          yres: 200 / 25.4,
        })
        .toBuffer(),
  ],
  [
    '150 dpi JPEG',
    (png) => gray(sharp(png).resize(1275, 1650)).withDensity(150).jpeg({ quality: 80 }).toBuffer(),
  ],
  [
    '300 dpi JPEG',
    (png) => gray(sharp(png).resize(2550, 3300)).withDensity(300).jpeg({ quality: 80 }).toBuffer(),
  ],
  [
    'skewed 2°',
    (png) =>
      gray(sharp(png).rotate(2, { background: '#ffffff' }))
        .png()
        .toBuffer(),
  ],
  ['upside down', (png) => gray(sharp(png).rotate(180)).png().toBuffer()],
];

describe.skipIf(!HAVE_SHARED)('a VotingWorks v4.1 ballot with marks drawn in', () => {
  let marked: Buffer;
  let back: Buffer;
  /** contest → the option marked (the first of each contest on the front: a fill, or a check) */
  const expected = new Map<string, string>();
  beforeAll(async () => {
    back = readFileSync(page(2));
    const blank = await read([readFileSync(page(1)), back]);
    expect(blank.targets.every((t) => t.status === 'unmarked')).toBe(true);
    let svg = '<svg width="1700" height="2200" xmlns="http://www.w3.org/2000/svg">';
    for (const [i, contest] of blank.contests.entries()) {
      const t = blank.targets.find((x) => x.contestId === contest.contestId && x.side === 'front');
      if (!t) continue;
      expected.set(contest.contestId, t.optionId);
      const { xPx: x, yPx: y } = t.centrePx;
      svg +=
        i % 2 === 0
          ? `<ellipse cx="${x}" cy="${y}" rx="${t.halfWidthPx * 0.85}" ry="${t.halfHeightPx * 0.8}" fill="#202020"/>`
          : `<path d="M ${x - 12} ${y - 2} L ${x - 3} ${y + 10} L ${x + 16} ${y - 14}" stroke="#303030" stroke-width="4" fill="none"/>`;
    }
    svg += '</svg>';
    marked = await sharp(page(1))
      .composite([{ input: Buffer.from(svg) }])
      .png()
      .toBuffer();
  });

  it('a ballot style given for sheets without metadata does not override the QR code read', async () => {
    const sheet = await read([marked, back], { ballotStyleId: '1_en' });
    expect(sheet.ballotStyleId).toBe(STYLE);
    for (const [contestId, optionId] of expected)
      expect(sheet.contests.find((c) => c.contestId === contestId)?.votes, contestId).toEqual([optionId]);
  });

  /** The marked front with six marks of its top row painted out (and, if asked, its QR code too). */
  async function damagedTop(qrToo: boolean): Promise<Buffer> {
    const decoded = await pagesOfBytes([marked]);
    const p = decoded[0];
    if (!p) throw new Error('no page');
    const reg = registerPage(p);
    if (reg.type !== 'ok') throw new Error(reg.detail);
    const boxes = [3, 8, 14, 19, 24, 29].map((c) => {
      const m = reg.grid.top[c] as { xPx: number; yPx: number };
      return `<rect x="${m.xPx - 25}" y="${m.yPx - 12}" width="50" height="24" fill="#fff"/>`;
    });
    if (qrToo) {
      const a = gridToPixel(reg.grid, { column: 0.45, row: reg.rows - 6 });
      const b = gridToPixel(reg.grid, { column: 4.8, row: reg.rows - 1.45 });
      boxes.push(
        `<rect x="${a.xPx}" y="${a.yPx}" width="${b.xPx - a.xPx}" height="${b.yPx - a.yPx}" fill="#fff"/>`,
      );
    }
    const svg = `<svg width="${p.widthPx}" height="${p.heightPx}" xmlns="http://www.w3.org/2000/svg">${boxes.join('')}</svg>`;
    return sharp(marked)
      .composite([{ input: Buffer.from(svg) }])
      .png()
      .toBuffer();
  }

  it('with six top-row marks gone, the QR code says which way up the page is, either way it was scanned', async () => {
    const damaged = await damagedTop(false);
    for (const turned of [false, true]) {
      const front = turned ? await gray(sharp(damaged).rotate(180)).png().toBuffer() : damaged;
      const sheet = await read([front, back]);
      expect(sheet.pages.map((p) => [p.side, p.rotated180])).toEqual([
        ['front', turned],
        ['back', false],
      ]);
      for (const [contestId, optionId] of expected)
        expect(sheet.contests.find((c) => c.contestId === contestId)?.votes, contestId).toEqual([optionId]);
    }
  });

  it('with six top-row marks and the QR code gone, the page is rejected rather than read by a guess', async () => {
    const pages = await pagesOfBytes([await damagedTop(true), back]);
    const out = interpretSheet(pages, electionAt(join(VXQA, 'election.json')), defaultCalibration());
    expect(out.type === 'rejected' && [out.reason, out.detail.split(' (')[0]]).toEqual([
      'unreadable-metadata',
      'image 1: one row of timing marks is incomplete, so which way up the page is rests on its QR code, which could not be read either way up',
    ]);
  });

  for (const [name, scan] of SCANS) {
    it(`${name}: each mark read as the contest's vote, every other bubble unmarked`, async () => {
      const sheet = await read([await scan(marked), await scan(back)]);
      expect(sheet.ballotStyleId).toBe(STYLE);
      expect(expected.size).toBeGreaterThanOrEqual(2);
      for (const [contestId, optionId] of expected) {
        expect(sheet.contests.find((c) => c.contestId === contestId)?.votes, contestId).toEqual([optionId]);
      }
      const others = sheet.targets.filter((t) => expected.get(t.contestId) !== t.optionId);
      expect(others.filter((t) => t.status !== 'unmarked')).toEqual([]);
    });
  }
});
