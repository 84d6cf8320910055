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
