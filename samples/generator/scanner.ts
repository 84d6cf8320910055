/**
 * The scanner: one inverse-mapping pass (bilinear) from the drawn page to the image, carrying skew,
 * 180° rotation, scale, feed-direction stretch, translation and a border of scanner background, with
 * levels, uneven illumination and vertical streaks applied in the same loop; then optional blur and
 * noise passes. Everything is plain TypeScript over Uint8Arrays (no sharp resizes).
 */
import type { GrayImage } from '../../src/image.ts';
import type { Profile } from './profiles.ts';
import { makeFastNoise, type Rng } from './rng.ts';
import type { Defects, Transform } from './truth.ts';

/** What happens to the whole sheet (both sides share it: same feed, same sheet). */
export interface SheetScan {
  dpi: number;
  upsideDown: boolean;
  swapped: boolean;
  scale: number;
  stretchY: number;
  borderIn: number;
  background: number;
  jpegQuality: number;
  bilevelThreshold: number;
}

/** What happens to one side's image. */
export interface SideScan {
  rotationDeg: number;
  translateXPx: number;
  translateYPx: number;
  blurPx: number;
  noiseSigma: number;
  illumination: number;
  streaks: number;
  /** Paper white and print black as the scanner sees them. */
  white: number;
  black: number;
}

const on = (rng: Rng, p: number) => p > 0 && rng.chance(p);

export function sampleSheetScan(profile: Profile, dpi: number, rng: Rng): SheetScan {
  const s = profile.scanner;
  return {
    dpi,
    upsideDown: on(rng, s.upsideDown.p),
    swapped: on(rng, s.swap.p),
    scale: on(rng, s.scale.p) ? 1 + rng.range(-s.scale.max, s.scale.max) : 1,
    stretchY: on(rng, s.stretch.p) ? 1 + rng.range(0, s.stretch.max) : 1,
    borderIn: on(rng, s.border.p) ? rng.range(0.01, Math.max(0.01, s.border.maxIn)) : 0,
    background: rng.chance(0.6) ? rng.int(5, 40) : rng.int(110, 170),
    jpegQuality: rng.int(s.jpegQuality[0], s.jpegQuality[1]),
    bilevelThreshold: rng.int(s.bilevelThreshold[0], s.bilevelThreshold[1]),
  };
}

export function sampleSideScan(profile: Profile, sheet: SheetScan, rng: Rng): SideScan {
  const s = profile.scanner;
  // With no illumination and no noise defects the scanner is ideal: white paper 255, black ink 0.
  const clean = s.illumination.p === 0 && s.noise.p === 0;
  return {
    rotationDeg: on(rng, s.skew.p) ? rng.range(-s.skew.maxDeg, s.skew.maxDeg) : 0,
    translateXPx: on(rng, s.translate.p) ? rng.range(-s.translate.maxIn, s.translate.maxIn) * sheet.dpi : 0,
    translateYPx: on(rng, s.translate.p) ? rng.range(-s.translate.maxIn, s.translate.maxIn) * sheet.dpi : 0,
    blurPx: on(rng, s.blur.p) ? rng.range(0.2, Math.max(0.2, s.blur.maxPx)) : 0,
    noiseSigma: on(rng, s.noise.p) ? rng.range(0.5, Math.max(0.5, s.noise.maxSigma)) : 0,
    illumination: on(rng, s.illumination.p) ? rng.range(0.01, Math.max(0.01, s.illumination.max)) : 0,
    streaks: on(rng, s.streaks.p) ? rng.int(1, Math.max(1, s.streaks.max)) : 0,
    white: clean ? 255 : rng.int(232, 252),
    black: clean ? 0 : rng.int(8, 35),
  };
}

export interface ScannedSide {
  image: GrayImage;
  transform: Transform;
  defects: Defects;
}

/** Output size for a page: scaled, stretched, plus the border, the same for both sides of a sheet. */
export function scanSize(
  page: { widthPx: number; heightPx: number },
  sheet: SheetScan,
): { w: number; h: number } {
  const b = Math.round(sheet.borderIn * sheet.dpi);
  return {
    w: Math.round(page.widthPx * sheet.scale) + 2 * b,
    h: Math.round(page.heightPx * sheet.scale * sheet.stretchY) + 2 * b,
  };
}

export function scanSide(page: GrayImage, sheet: SheetScan, side: SideScan, seed: number): ScannedSide {
  const W = page.widthPx;
  const H = page.heightPx;
  const { w: OW, h: OH } = scanSize(page, sheet);
  const theta = (side.rotationDeg * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = W / 2;
  const cy = H / 2;
  const ocx = OW / 2 + side.translateXPx;
  const ocy = OH / 2 + side.translateYPx;
  const s = sheet.scale;
  const sy = sheet.stretchY;
  const flip = sheet.upsideDown ? -1 : 1;

  // Forward: page px p → image px q = oc + Sy·R(θ)·s·flip·(p − c).
  const forward = (px: number, py: number) => {
    const ux = flip * (px - cx) * s;
    const uy = flip * (py - cy) * s;
    return { x: ocx + cos * ux - sin * uy, y: ocy + (sin * ux + cos * uy) * sy };
  };
  const dpi = sheet.dpi;
  const o = forward(0, 0);
  const ex = forward(dpi, 0);
  const ey = forward(0, dpi);
  const matrix: [number, number, number, number, number, number] = [
    ex.x - o.x,
    ey.x - o.x,
    o.x,
    ex.y - o.y,
    ey.y - o.y,
    o.y,
  ];

  // Inverse, per output pixel centre: p = c + flip·R(−θ)·(Sy⁻¹·(q − oc))/s.
  const out = new Uint8Array(OW * OH);
  const src = page.data;
  const white = side.white;
  const black = side.black;
  const range = (white - black) / 255;
  const bg = sheet.background;

  // Illumination: a smooth field, darker towards one corner and one side (separable: row × column).
  const rng = makeFastNoise(seed ^ 0x2545f491);
  const colGain = new Float32Array(OW);
  const rowGain = new Float32Array(OH);
  const ax = rng() * Math.PI * 2;
  const ay = rng() * Math.PI * 2;
  for (let i = 0; i < OW; i++)
    colGain[i] = 1 - side.illumination * 0.5 * (1 + Math.cos(ax + (i / OW) * Math.PI));
  for (let j = 0; j < OH; j++)
    rowGain[j] = 1 - side.illumination * 0.5 * (1 + Math.cos(ay + (j / OH) * Math.PI * 0.8));
  // Vertical streaks (dust on the sensor): a few columns a little darker or lighter for the whole feed.
  const streak = new Float32Array(OW);
  for (let k = 0; k < side.streaks; k++) {
    const x0 = Math.floor(rng() * OW);
    const width = 1 + Math.floor(rng() * 3);
    const amp = (rng() < 0.75 ? -1 : 1) * (20 + rng() * 60);
    for (let i = x0; i < Math.min(OW, x0 + width); i++) streak[i] = amp;
  }

  const ic = cos / s;
  const is = sin / s;
  for (let j = 0; j < OH; j++) {
    const qy = (j + 0.5 - ocy) / sy;
    const rg = rowGain[j] as number;
    let idx = j * OW;
    for (let i = 0; i < OW; i++, idx++) {
      const qx = i + 0.5 - ocx;
      // R(−θ)·q / s
      const ux = ic * qx + is * qy;
      const uy = -is * qx + ic * qy;
      const px = cx + flip * ux - 0.5;
      const py = cy + flip * uy - 0.5;
      const x0 = Math.floor(px);
      const y0 = Math.floor(py);
      let v: number;
      if (x0 < 0 || y0 < 0 || x0 >= W - 1 || y0 >= H - 1) {
        if (px < -1 || py < -1 || px > W || py > H) {
          out[idx] = bg;
          continue;
        }
        // The paper's very edge: clamp.
        const xi = Math.min(W - 1, Math.max(0, Math.round(px)));
        const yi = Math.min(H - 1, Math.max(0, Math.round(py)));
        v = src[yi * W + xi] as number;
      } else {
        const fx = px - x0;
        const fy = py - y0;
        const k = y0 * W + x0;
        const a = src[k] as number;
        const b = src[k + 1] as number;
        const c = src[k + W] as number;
        const d = src[k + W + 1] as number;
        v = a + (b - a) * fx + (c + (d - c) * fx - (a + (b - a) * fx)) * fy;
      }
      let val = (black + v * range) * rg * (colGain[i] as number) + (streak[i] as number) * (v / 255);
      val = Math.min(255, Math.max(0, val));
      out[idx] = val + 0.5;
    }
  }

  if (side.blurPx > 0) blur(out, OW, OH, Math.min(0.3, side.blurPx * 0.3));
  if (side.noiseSigma > 0) addNoise(out, OW, OH, side.noiseSigma, seed);

  return {
    image: { widthPx: OW, heightPx: OH, data: out },
    transform: {
      rotationDeg: side.rotationDeg,
      upsideDown: sheet.upsideDown,
      scale: sheet.scale,
      stretchY: sheet.stretchY,
      translateXPx: side.translateXPx,
      translateYPx: side.translateYPx,
      pageInToImagePx: matrix,
    },
    defects: {
      blurPx: side.blurPx,
      noiseSigma: side.noiseSigma,
      illumination: side.illumination,
      streaks: side.streaks,
      borderIn: sheet.borderIn,
      background: sheet.background,
    },
  };
}

/** Separable 3-tap blur [w, 1−2w, w], in place. */
function blur(data: Uint8Array, w: number, h: number, k: number): void {
  const c = 1 - 2 * k;
  const tmp = new Uint8Array(w);
  for (let j = 0; j < h; j++) {
    const row = j * w;
    tmp[0] = data[row] as number;
    tmp[w - 1] = data[row + w - 1] as number;
    let l = data[row] as number;
    let m = data[row + 1] as number;
    for (let i = 1; i < w - 1; i++) {
      const r = data[row + i + 1] as number;
      tmp[i] = k * (l + r) + c * m + 0.5;
      l = m;
      m = r;
    }
    data.set(tmp, row);
  }
  // Vertical pass row by row (cache-friendly), keeping the unblurred previous row.
  const prev = new Uint8Array(w);
  const cur = new Uint8Array(w);
  prev.set(data.subarray(0, w));
  for (let j = 0; j < h; j++) {
    const row = j * w;
    cur.set(data.subarray(row, row + w));
    const next = j + 1 < h ? row + w : row;
    for (let i = 0; i < w; i++) {
      data[row + i] = k * ((prev[i] as number) + (data[next + i] as number)) + c * (cur[i] as number) + 0.5;
    }
    prev.set(cur);
  }
}

/** A fixed table of Gaussian samples (σ = 64), shared by every image; images differ by per-row offsets. */
const NOISE_TABLE_SIZE = 1 << 16;
let noiseTable: Int16Array | undefined;
function gaussianTable(): Int16Array {
  if (noiseTable) return noiseTable;
  const t = new Int16Array(NOISE_TABLE_SIZE);
  const u = makeFastNoise(0x6a09e667);
  for (let i = 0; i < t.length; i++) {
    const a = Math.max(u(), 1e-9);
    t[i] = Math.round(64 * Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u()));
  }
  noiseTable = t;
  return t;
}

/** Gaussian sensor noise; a table lookup per pixel with a random start per row (fast). */
function addNoise(data: Uint8Array, w: number, h: number, sigma: number, seed: number): void {
  const table = gaussianTable();
  const mask = NOISE_TABLE_SIZE - 1;
  const rnd = makeFastNoise(seed ^ 0x68e31da4);
  const k = sigma / 64;
  for (let j = 0; j < h; j++) {
    let o = (rnd() * NOISE_TABLE_SIZE) | 0;
    const row = j * w;
    for (let i = 0; i < w; i++) {
      const v = (data[row + i] as number) + (table[o & mask] as number) * k;
      data[row + i] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5;
      o += 7;
    }
  }
}

/** Bilevel, as a scanner set to black-and-white mode does: at or above the threshold → white. */
export function threshold(image: GrayImage, level: number): GrayImage {
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (image.data[i] as number) >= level ? 255 : 0;
  return { widthPx: image.widthPx, heightPx: image.heightPx, data: out };
}
