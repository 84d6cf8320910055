/**
 * Rasterize the blank face of a sheet side (SVG → sharp → one-channel raw) once per
 * (election, ballot style, sheet, side, dpi) and keep it: every generated sheet starts from a copy.
 */
import sharp from 'sharp';
import type { Election, Side } from '../../src/election/election.ts';
import type { GrayImage } from '../../src/image.ts';
import { pageSizePx } from './geometry.ts';
import { sheetSideSvg } from './layout.ts';

const cache = new Map<string, Promise<GrayImage>>();
const MAX_CACHED = 64;
/**
 * Each election object gets its own entries: a copy with a field changed (another election date, as a
 * test of the wrong-election check makes) keeps the source's sha256 but prints differently.
 */
const serials = new WeakMap<Election, number>();
let nextSerial = 0;
function serialOf(election: Election): number {
  let n = serials.get(election);
  if (n === undefined) {
    n = nextSerial++;
    serials.set(election, n);
  }
  return n;
}

export function blankSheetSide(
  election: Election,
  ballotStyleId: string,
  sheetNumber: number,
  side: Side,
  dpi: number,
): Promise<GrayImage> {
  const key = `${serialOf(election)}|${ballotStyleId}|${sheetNumber}|${side}|${dpi}`;
  let hit = cache.get(key);
  if (!hit) {
    if (cache.size >= MAX_CACHED) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    hit = rasterize(election, ballotStyleId, sheetNumber, side, dpi);
    cache.set(key, hit);
    hit.catch(() => cache.delete(key));
  }
  return hit;
}

async function rasterize(
  election: Election,
  ballotStyleId: string,
  sheetNumber: number,
  side: Side,
  dpi: number,
): Promise<GrayImage> {
  const { widthPx, heightPx } = pageSizePx(election.paper, dpi);
  const svg = sheetSideSvg(election, ballotStyleId, sheetNumber, side, widthPx, heightPx);
  const { data, info } = await sharp(Buffer.from(svg))
    .flatten({ background: '#ffffff' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== widthPx || info.height !== heightPx || info.channels !== 1)
    throw new Error(
      `rasterized ${info.width}x${info.height}x${info.channels}, expected ${widthPx}x${heightPx}x1`,
    );
  return { widthPx, heightPx, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
