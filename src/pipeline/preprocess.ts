/**
 * Preprocess stage (sharp): image bytes → one-channel 8-bit pages at the scanned resolution.
 *
 * JPEG, PNG, TIFF (8-bit, 1-bit CCITT G3/G4, multi-page) are read; nothing is resized. A pixel limit read
 * from the header refuses decompression bombs before any decoding.
 */
import sharp, { type Metadata } from 'sharp';
import type { GrayImage } from '../image.ts';

/** 600 dpi of the longest ballot paper (8.5 × 22 in) is 5100 × 13200 = 67 Mpx; anything beyond is not a ballot scan. */
export const MAX_INPUT_PIXELS = 72_000_000;
/** 100 dpi letter is 850 × 1100; smaller cannot hold readable timing marks. */
export const MIN_SIDE_PX = 600;

export interface DecodedPage extends GrayImage {
  /** resolution the file states, if any and plausible (72–1200) */
  readonly statedDpi: number | undefined;
  /**
   * The file holds the page sideways (wider than tall: a landscape scan setting, or an EXIF orientation
   * the scanner wrote instead of turning the pixels). Ballot paper is always portrait, so the page was
   * turned a quarter turn clockwise on decoding; registration then finds whether it is upside down.
   */
  readonly turnedSideways: boolean;
}

/** A page this much wider than tall is lying on its side (ballot paper is 8.5 in by 11 in or longer). */
const SIDEWAYS_ASPECT = 1.1;

export type DecodeResult =
  | { type: 'ok'; format: string; pages: DecodedPage[]; bitsPerSample: number }
  | {
      type: 'unreadable';
      reason: 'empty-file' | 'not-an-image' | 'corrupt-image' | 'too-many-pixels' | 'too-small';
      detail: string;
    };

/** sharp caches decoded images and spawns its own threads; a worker pool wants neither. */
sharp.cache(false);
sharp.concurrency(1);

function describeSharpError(error: unknown): string {
  return (
    String((error as Error).message ?? error)
      .split('\n')[0]
      ?.trim() ?? 'unknown error'
  );
}

/**
 * Decode up to `maxPages` pages from page `firstPage` on (a front/back multi-page TIFF has 2; a batch TIFF
 * holds many sheets). Never throws for bad bytes.
 */
export async function decodeImage(bytes: Uint8Array, maxPages = 2, firstPage = 0): Promise<DecodeResult> {
  if (bytes.length === 0)
    return { type: 'unreadable', reason: 'empty-file', detail: 'the file is empty (0 bytes)' };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    return {
      type: 'unreadable',
      reason: 'not-an-image',
      detail: `not a JPEG, PNG or TIFF image (${describeSharpError(error)})`,
    };
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > MAX_INPUT_PIXELS) {
    return {
      type: 'unreadable',
      reason: 'too-many-pixels',
      detail: `${width}x${height} pixels exceeds the limit of ${MAX_INPUT_PIXELS} (not decoded)`,
    };
  }
  if (Math.min(width, height) < MIN_SIDE_PX) {
    return {
      type: 'unreadable',
      reason: 'too-small',
      detail: `${width}x${height} pixels is too small for a ballot scan (shortest side under ${MIN_SIDE_PX})`,
    };
  }
  const filePages = Math.max(1, meta.pages ?? 1);
  if (firstPage >= filePages)
    return {
      type: 'unreadable',
      reason: 'corrupt-image',
      detail: `page ${firstPage + 1} was asked for but the file has ${filePages} page(s)`,
    };
  const pageEnd = Math.min(firstPage + maxPages, filePages);
  const density = meta.density && meta.density >= 72 && meta.density <= 1200 ? meta.density : undefined;
  const pages: DecodedPage[] = [];
  // every page of a multi-page TIFF has the first page's size here; each page is checked on its own below
  for (let page = firstPage; page < pageEnd; page++) {
    try {
      const source = sharp(bytes, { page, limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' });
      const pageMeta = page === 0 ? meta : await source.metadata();
      const sideways = (pageMeta.width ?? 0) > SIDEWAYS_ASPECT * (pageMeta.height ?? 0);
      const { data, info } = await (sideways ? source.rotate(90) : source)
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 1) throw new Error(`expected 1 channel after b-w but got ${info.channels}`);
      pages.push({
        widthPx: info.width,
        heightPx: info.height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        statedDpi: density,
        turnedSideways: sideways,
      });
    } catch (error) {
      return {
        type: 'unreadable',
        reason: 'corrupt-image',
        detail: `page ${page + 1} could not be decoded (${describeSharpError(error)})`,
      };
    }
  }
  // as the file stores it (1 for a black-and-white TIFF, CCITT G3/G4 or not); 8 where sharp does not say
  const bitsPerSample = meta.bitsPerSample ?? 8;
  return { type: 'ok', format: meta.format ?? 'unknown', pages, bitsPerSample };
}
