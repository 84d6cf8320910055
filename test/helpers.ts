/** Shared test helpers: decoding fixture images into sheet pages, rank correlation. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../src/cli/io.ts';
import { loadCalibration } from '../src/election/calibration.ts';
import type { Election } from '../src/election/election.ts';
import { importVxf } from '../src/election/vxf.ts';
import type { SheetPage } from '../src/pipeline/interpret.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';

export function electionAt(path: string): Election {
  const r = importVxf(readFileSync(path));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value.election;
}

export function defaultCalibration() {
  const r = loadCalibration('default');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

export async function pagesOf(paths: readonly string[]): Promise<SheetPage[]> {
  return pagesOfBytes(
    paths.map((p) => readFileSync(p)),
    paths,
  );
}

/** The pages of a sheet from its images' bytes, decoded as the batch worker decodes files. */
export async function pagesOfBytes(
  images: readonly Uint8Array[],
  names: readonly string[] = images.map((_, i) => `image ${i + 1}`),
): Promise<SheetPage[]> {
  const pages: SheetPage[] = [];
  for (const [imageIndex, bytes] of images.entries()) {
    const d = await decodeImage(bytes);
    if (d.type !== 'ok') throw new Error(`${names[imageIndex]}: ${d.detail}`);
    for (const [page, p] of d.pages.entries()) pages.push({ ...p, imageIndex, page });
  }
  return pages;
}

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.[0] === order[i]?.[0]) j++;
    for (let k = i; k <= j; k++) out[order[k]?.[1] ?? 0] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman rank correlation with average ranks for ties. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (ra[i] ?? 0) - ma;
    const y = (rb[i] ?? 0) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return num / Math.sqrt(da * db);
}

const ROOT = join(import.meta.dirname, '..');

/** A CLI io that records what a command writes; SOURCE_DATE_EPOCH fixed so outputs are reproducible. */
export function capture(env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { SOURCE_DATE_EPOCH: '1730764800', ...env },
    cwd: ROOT,
    out: () => out,
    err: () => err,
  };
}
