/**
 * samples/contact-sheet.png: generated sheets next to real scans, for eyeballing realism.
 *   npx tsx samples/generator/contact-sheet.ts
 * Top row: 6 demo-batch images (various defects) then the real Amherst and Hudson scans, each 260 px wide.
 * Bottom row: 1:1 crops of marks (generated "hard" sheet, real Hudson mark-variety sheet).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type OverlayOptions } from 'sharp';
import { importVxf } from '../../src/election/vxf.ts';
import { generateSheet } from './sheet.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEMO = join(HERE, '..', 'demo');
const FIXTURES = join(HERE, '..', '..', '..', 'shared', 'fixtures', 'vxsuite');
const TILE = 260;

async function tile(input: Buffer | string, page = 0): Promise<{ input: Buffer; w: number; h: number }> {
  const buf = await sharp(input, { page }).toColourspace('b-w').resize({ width: TILE }).png().toBuffer();
  const m = await sharp(buf).metadata();
  return { input: buf, w: m.width ?? TILE, h: m.height ?? 0 };
}

async function crop(input: Buffer | string, left: number, top: number, width: number, height: number) {
  const buf = await sharp(input).toColourspace('b-w').extract({ left, top, width, height }).png().toBuffer();
  return { input: buf, w: width, h: height };
}

export async function makeContactSheet(out = join(HERE, '..', 'contact-sheet.png')): Promise<void> {
  const picks = [
    '000001-front.jpeg',
    '000003-back.jpeg',
    '000009-front.jpeg',
    '000012-front.jpeg',
    '000027-front.jpeg',
    '000018-front.tiff',
  ];
  const top = [
    ...(await Promise.all(picks.map((f) => tile(join(DEMO, f))))),
    await tile(join(FIXTURES, 'nh-amherst-2023-01', 'scan-marked-front.jpeg')),
    await tile(join(FIXTURES, 'nh-hudson-2023-01', 'scan-marked-front.jpeg')),
  ];
  const imported = importVxf(await readFile(join(FIXTURES, 'nh-hudson-2023-01', 'election.json')));
  if (!imported.ok) throw new Error(imported.errors.join('\n'));
  const hard = await generateSheet(
    imported.value.election,
    { profile: 'hard', dpi: 200, format: 'jpeg', scanner: { upsideDown: false, swap: false, skew: false } },
    11,
  );
  const front = 'front' in hard.images ? hard.images.front : hard.images.multipage;
  const bottom = [
    await crop(front, 560, 1450, 1100, 420),
    await crop(join(FIXTURES, 'nh-hudson-2023-01', 'scan-marked-front.jpeg'), 560, 1450, 1100, 420),
  ];
  const gap = 8;
  const topH = Math.max(...top.map((t) => t.h));
  const width =
    Math.max(
      top.length * (TILE + gap),
      bottom.reduce((s, b) => s + b.w + gap, 0),
    ) + gap;
  const height = gap + topH + gap + Math.max(...bottom.map((b) => b.h)) + gap;
  const composites: OverlayOptions[] = [];
  let xPos = gap;
  for (const t of top) {
    composites.push({ input: t.input, left: xPos, top: gap });
    xPos += TILE + gap;
  }
  xPos = gap;
  for (const b of bottom) {
    composites.push({ input: b.input, left: xPos, top: gap * 2 + topH });
    xPos += b.w + gap;
  }
  await sharp({ create: { width, height, channels: 3, background: '#7a8a9a' } })
    .composite(composites)
    .toColourspace('b-w')
    .png({ palette: true, colours: 64, compressionLevel: 9 })
    .toFile(out);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await makeContactSheet();
}
