/** Image files from raw gray pages: JPEG, PNG, bilevel CCITT G4 TIFF, and multi-page G4 TIFF. */
import sharp from 'sharp';
import type { GrayImage } from '../../src/image.ts';
import { threshold } from './scanner.ts';

const raw = (img: GrayImage) =>
  sharp(img.data, { raw: { width: img.widthPx, height: img.heightPx, channels: 1 } }).toColourspace('b-w');

export function encodeJpeg(img: GrayImage, dpi: number, quality: number, mozjpeg = false): Promise<Buffer> {
  return raw(img).withDensity(dpi).jpeg({ quality, mozjpeg }).toBuffer();
}

export function encodePng(img: GrayImage, dpi: number): Promise<Buffer> {
  return raw(img).withDensity(dpi).png({ compressionLevel: 6 }).toBuffer();
}

const g4 = { compression: 'ccittfax4', bitdepth: 1 as const, resolutionUnit: 'inch' as const };

export function encodeG4(img: GrayImage, dpi: number, level: number): Promise<Buffer> {
  const bw = threshold(img, level);
  return raw(bw)
    .tiff({ ...g4, xres: dpi / 25.4, yres: dpi / 25.4 })
    .toBuffer();
}

/** Both pages in one TIFF (page 0 first). Pages must be the same size. */
export function encodeMultipageG4(pages: GrayImage[], dpi: number, level: number): Promise<Buffer> {
  const first = pages[0];
  if (!first) throw new Error('no pages');
  const { widthPx, heightPx } = first;
  const all = new Uint8Array(widthPx * heightPx * pages.length);
  pages.forEach((p, i) => {
    if (p.widthPx !== widthPx || p.heightPx !== heightPx) throw new Error('pages differ in size');
    all.set(threshold(p, level).data, i * widthPx * heightPx);
  });
  return sharp(all, {
    raw: { width: widthPx, height: heightPx * pages.length, channels: 1, pageHeight: heightPx },
  })
    .toColourspace('b-w')
    .tiff({ ...g4, xres: dpi / 25.4, yres: dpi / 25.4 })
    .toBuffer();
}
