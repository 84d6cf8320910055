/**
 * The decode-only floor for the throughput bench: a piscina worker that reads each file of a sheet and
 * decodes it with sharp to one-channel raw at full resolution, nothing else. sharp is set up as in the
 * pipeline's preprocess stage (no cache, one libvips thread per worker), so the comparison is fair.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';

sharp.cache(false);
sharp.concurrency(1);

export interface DecodeJob {
  paths: string[];
}

export interface DecodeResult {
  /** wall milliseconds for this sheet inside the worker */
  ms: number;
  pages: number;
  /** decoded bytes (one per pixel), so the decode cannot be optimised away and sizes can be checked */
  pixels: number;
}

export default async function decodeOnly(job: DecodeJob): Promise<DecodeResult> {
  const started = performance.now();
  let pixels = 0;
  for (const path of job.paths) {
    const bytes = await readFile(path);
    const data = await sharp(bytes).toColourspace('b-w').raw().toBuffer();
    pixels += data.length;
  }
  return { ms: performance.now() - started, pages: job.paths.length, pixels };
}
