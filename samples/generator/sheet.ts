/**
 * One sheet, end to end: choose the ballot style, plan the voter's marks, draw them on the blank faces,
 * measure the ink in every oval, scan both sides, encode, and describe it all in the truth.
 * Pure with respect to the seed: the same (election, options, seed) gives the same bytes.
 */
import { cardNumberFor } from '../../src/election/accuvote.ts';
import { contestOptions, type Election, type Side } from '../../src/election/election.ts';
import type { GrayImage } from '../../src/image.ts';
import { encodeG4, encodeJpeg, encodeMultipageG4, encodePng } from './encode.ts';
import { DPIS, type Dpi, gridToPageIn, OVAL_INTERIOR_RX_IN, OVAL_INTERIOR_RY_IN } from './geometry.ts';
import { writeInAreaFor } from './layout.ts';
import { type Canvas, drawHandwriting, drawMark, type MarkKind, measureOvalInk, ovalPx } from './marks.ts';
import { type DefectName, PROFILES, type Profile, type ProfileName, withSwitches } from './profiles.ts';
import { blankSheetSide } from './render.ts';
import { Rng } from './rng.ts';
import { type SheetScan, sampleSheetScan, sampleSideScan, scanSide, threshold } from './scanner.ts';
import {
  type ContestTruth,
  type ImageFormat,
  type ImageTruth,
  judgeTarget,
  type SheetTruth,
  type TargetTruth,
  TRUTH_VERSION,
} from './truth.ts';
import { type PlannedTarget, pickPen, planVotes, type VoterForce } from './voter.ts';

export interface SheetOptions {
  /** Used in file names (`<sheetId>-front.jpeg`); default '000001'. */
  sheetId?: string;
  profile?: ProfileName | Profile;
  ballotStyleId?: string;
  sheetNumber?: number;
  dpi?: Dpi;
  format?: ImageFormat;
  /** Force scanner defects on (true) or off (false), whatever the profile says. */
  scanner?: Partial<Record<DefectName, boolean>>;
  /** Force voter behaviour (hard cases for the demo and tests). */
  force?: VoterForce;
}

export type SheetImages = { front: Buffer; back: Buffer } | { multipage: Buffer };

export interface GeneratedSheet {
  images: SheetImages;
  truth: SheetTruth;
  /** File name → bytes, as the batch writer writes them (truth JSON excluded). */
  files: { name: string; bytes: Buffer }[];
}

export function resolveProfile(p: ProfileName | Profile | undefined): Profile {
  if (p === undefined) return PROFILES.realistic;
  return typeof p === 'string' ? PROFILES[p] : p;
}

export function extensionFor(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpeg' : format === 'png' ? 'png' : 'tiff';
}

export async function generateSheet(
  election: Election,
  options: SheetOptions,
  seed: number,
): Promise<GeneratedSheet> {
  const rng = new Rng(seed);
  const profile = withSwitches(resolveProfile(options.profile), options.scanner);
  const sheetId = options.sheetId ?? '000001';

  // Which sheet of which style.
  const pairs = [
    ...new Map(election.layouts.map((l) => [`${l.ballotStyleId}/${l.sheetNumber}`, l] as const)).values(),
  ].filter(
    (l) =>
      (options.ballotStyleId === undefined || l.ballotStyleId === options.ballotStyleId) &&
      (options.sheetNumber === undefined || l.sheetNumber === options.sheetNumber),
  );
  const choice = rng.fork('style');
  const pair = pairs.length ? choice.pick(pairs) : undefined;
  if (!pair)
    throw new Error(
      `no layout for ballot style ${options.ballotStyleId ?? '(any)'} sheet ${options.sheetNumber ?? '(any)'}`,
    );
  const { ballotStyleId, sheetNumber } = pair;
  const style = election.ballotStyles.find((b) => b.id === ballotStyleId);
  const precinctId = style ? choice.pick(style.precinctIds) : '';

  const scanRng = rng.fork('scanner');
  const dpi = options.dpi ?? pickDpi(profile, scanRng);
  const format = options.format ?? scanRng.weighted(withDefault(profile.scanner.formats));
  const sheetScan: SheetScan = sampleSheetScan(profile, dpi, scanRng);

  // The voter.
  const voterRng = rng.fork('voter');
  const pen = pickPen(profile.voter, voterRng);
  const plan = planVotes(election, ballotStyleId, sheetNumber, profile.voter, voterRng, options.force);

  // Draw and measure each side.
  const drawRng = rng.fork('draw');
  const drawn = new Map<Side, GrayImage>();
  const targetTruths: TargetTruth[] = [];
  // where each circle drawn round an oval put its ink on the page (black-and-white formats only)
  const circleInk = new Map<string, Int32Array>();
  for (const side of ['front', 'back'] as const) {
    const blank = await blankSheetSide(election, ballotStyleId, sheetNumber, side, dpi);
    const canvas: Canvas = {
      widthPx: blank.widthPx,
      heightPx: blank.heightPx,
      data: new Uint8Array(blank.data),
      dpi,
    };
    const here = plan.targets.filter((p) => p.side === side);
    for (const p of here) {
      const { xIn, yIn } = gridToPageIn(p.target.column, p.target.row);
      drawMark(
        canvas,
        p.kind,
        ovalPx(xIn, yIn, dpi),
        pen,
        drawRng.fork(`${p.target.contestId}/${p.target.optionId}/${p.target.column},${p.target.row}`),
      );
      if (p.writeInName) {
        const area = writeInAreaFor(p.target);
        if (area) {
          const tl = gridToPageIn(area.column, area.row);
          drawHandwriting(
            canvas,
            {
              x: tl.xIn * dpi,
              y: tl.yIn * dpi,
              width: area.width * 0.25 * dpi,
              height: area.height * 0.25 * dpi,
            },
            pen,
            drawRng.fork(`name/${p.target.contestId}/${p.target.optionId}`),
          );
        }
      }
    }
    // In black-and-white formats, what survives the scanner's threshold is what the image holds.
    const bilevel =
      format === 'tiff-g4' || format === 'tiff-multipage'
        ? {
            blank: threshold(blank, sheetScan.bilevelThreshold).data,
            marked: threshold(canvas, sheetScan.bilevelThreshold).data,
          }
        : undefined;
    for (const p of here) {
      targetTruths.push(targetTruth(p, blank, canvas, bilevel));
      if (bilevel && p.kind === 'circle')
        circleInk.set(`${side}|${p.target.column}|${p.target.row}`, ringInkPx(p, blank, canvas));
    }
    drawn.set(side, { widthPx: canvas.widthPx, heightPx: canvas.heightPx, data: canvas.data });
  }

  // Scan: images in feed order; a swapped sheet shows its back first.
  const order: Side[] = sheetScan.swapped ? ['back', 'front'] : ['front', 'back'];
  const scanned = order.map((side, i) => {
    const sideRng = rng.fork(`scan/${i}`);
    const page = drawn.get(side) as GrayImage;
    return {
      side,
      ...scanSide(page, sheetScan, sampleSideScan(profile, sheetScan, sideRng), sideRng.nextU32()),
    };
  });

  // What the black-and-white scan really kept: the scanner's blur, noise and lighting come before its
  // threshold, so a light mark is judged in the scanned image itself, through the known transform.
  if (format === 'tiff-g4' || format === 'tiff-multipage') {
    for (const s of scanned) {
      const m = s.transform.pageInToImagePx;
      const rx = OVAL_INTERIOR_RX_IN * Math.hypot(m[0], m[3]);
      const ry = OVAL_INTERIOR_RY_IN * Math.hypot(m[1], m[4]);
      for (const t of targetTruths) {
        if (t.side !== s.side || !t.visibleInScan || !drawnInOval(t.kind, t)) continue;
        const survives = interiorSurvives(t.kind);
        const { xIn, yIn } = gridToPageIn(t.column, t.row);
        const cx = m[0] * xIn + m[1] * yIn + m[2] - 0.5;
        const cy = m[3] * xIn + m[4] * yIn + m[5] - 0.5;
        let n = 0;
        let black = 0;
        for (let y = Math.ceil(cy - ry); y <= Math.floor(cy + ry); y++)
          for (let x = Math.ceil(cx - rx); x <= Math.floor(cx + rx); x++) {
            if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1) continue;
            if (x < 0 || y < 0 || x >= s.image.widthPx || y >= s.image.heightPx) continue;
            n++;
            if ((s.image.data[y * s.image.widthPx + x] ?? 255) < sheetScan.bilevelThreshold) black++;
          }
        if (n > 0 && black / n < survives) t.visibleInScan = false;
      }
      // A circle round an oval: what share of the pixels it inked stayed black. A light pencil circle
      // the threshold broke into a few specks, or wiped out, is not there for anyone to see.
      for (const t of targetTruths) {
        const ink =
          t.side === s.side && t.kind === 'circle'
            ? circleInk.get(`${t.side}|${t.column}|${t.row}`)
            : undefined;
        if (!ink || ink.length === 0) continue;
        const w = drawn.get(s.side)?.widthPx ?? 1;
        let black = 0;
        for (const i of ink) {
          const xIn = ((i % w) + 0.5) / dpi;
          const yIn = (Math.floor(i / w) + 0.5) / dpi;
          const x = Math.floor(m[0] * xIn + m[1] * yIn + m[2]);
          const y = Math.floor(m[3] * xIn + m[4] * yIn + m[5]);
          if (x < 0 || y < 0 || x >= s.image.widthPx || y >= s.image.heightPx) continue;
          if ((s.image.data[y * s.image.widthPx + x] ?? 255) < sheetScan.bilevelThreshold) black++;
        }
        if (black / ink.length < CIRCLE_SURVIVES) t.visibleInScan = false;
      }
    }
  }

  const ext = extensionFor(format);
  const files: { name: string; bytes: Buffer }[] = [];
  let images: SheetImages;
  const names = ['front', 'back'];
  if (format === 'tiff-multipage') {
    const bytes = await encodeMultipageG4(
      scanned.map((s) => s.image),
      dpi,
      sheetScan.bilevelThreshold,
    );
    images = { multipage: bytes };
    files.push({ name: `${sheetId}.tiff`, bytes });
  } else {
    const encoded = await Promise.all(
      scanned.map((s) =>
        format === 'jpeg'
          ? encodeJpeg(s.image, dpi, sheetScan.jpegQuality, profile.scanner.mozjpeg === true)
          : format === 'png'
            ? encodePng(s.image, dpi)
            : encodeG4(s.image, dpi, sheetScan.bilevelThreshold),
      ),
    );
    images = { front: encoded[0] as Buffer, back: encoded[1] as Buffer };
    encoded.forEach((bytes, i) => {
      files.push({ name: `${sheetId}-${names[i]}.${ext}`, bytes });
    });
  }
  const imageTruths: ImageTruth[] = scanned.map((s, i) => ({
    file: format === 'tiff-multipage' ? `${sheetId}.tiff` : `${sheetId}-${names[i]}.${ext}`,
    page: format === 'tiff-multipage' ? i : 0,
    printedSide: s.side,
    widthPx: s.image.widthPx,
    heightPx: s.image.heightPx,
    transform: s.transform,
    defects: {
      ...s.defects,
      ...(format === 'jpeg' ? { jpegQuality: sheetScan.jpegQuality } : {}),
      ...(format === 'tiff-g4' || format === 'tiff-multipage'
        ? { bilevelThreshold: sheetScan.bilevelThreshold }
        : {}),
    },
  }));

  const truth: SheetTruth = {
    version: TRUTH_VERSION,
    sheetId,
    seed: seed >>> 0,
    profile: profile.name,
    electionId: election.id,
    electionSha256: election.source.sha256,
    ballotStyleId,
    precinctId,
    sheetNumber,
    cardNumber: cardNumberFor(election, ballotStyleId, sheetNumber),
    dpi,
    format,
    swapped: sheetScan.swapped,
    blank: plan.blank,
    voter: { tool: pen.tool, penWidthIn: round(pen.radiusIn * 2, 4) },
    images: imageTruths,
    contests: contestTruths(election, targetTruths),
    targets: targetTruths,
  };
  return { images, truth, files };
}

function withDefault<K extends string>(weights: Partial<Record<K, number>>): Record<K, number> {
  const entries = Object.entries(weights).filter(([, w]) => typeof w === 'number' && w > 0);
  return Object.fromEntries(entries) as Record<K, number>;
}

function pickDpi(profile: Profile, rng: Rng): Dpi {
  const key = rng.weighted(withDefault(profile.scanner.dpi));
  const dpi = Number(key);
  return (DPIS as readonly number[]).includes(dpi) ? (dpi as Dpi) : 200;
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}

/**
 * Below this share of its inked pixels left black by a black-and-white scan, a circle is gone from the image
 * (the share an oval's interior must keep, in `targetTruth`).
 */
const CIRCLE_SURVIVES = 0.02;
/**
 * Below this share of the interior left black by a black-and-white scan, a mark drawn in the oval is gone
 * from the image. For a hesitation dot it is the share from which `judgeTarget` calls a drawn dot a mark
 * to look at: a dot the threshold shrank to a speck under it is no more there than one drawn so small.
 */
function interiorSurvives(kind: MarkKind): number {
  return kind === 'hesitation-dot' ? 0.01 : 0.02;
}

/** Whether a mark put ink in the oval's interior at all, by the ink measured there before the scan. */
function drawnInOval(kind: MarkKind, ink: { coverage01: number; darkness01: number }): boolean {
  if (kind === 'hesitation-dot') return ink.coverage01 >= interiorSurvives(kind);
  return ink.coverage01 > 0.02 || ink.darkness01 > 0.02;
}

/**
 * The page pixels (index y × width + x) a circle drawn round the oval of `p` inked: in the ring out to 2.4 of
 * the oval's half-axes (taller by 1.15, as circles are drawn), at least 0.15 darker than the blank page and
 * 2 px or more from anything printed.
 */
function ringInkPx(p: PlannedTarget, blank: GrayImage, canvas: Canvas): Int32Array {
  const { xIn, yIn } = gridToPageIn(p.target.column, p.target.row);
  const o = ovalPx(xIn, yIn, canvas.dpi);
  const bTall = o.b * 1.15;
  const out: number[] = [];
  for (
    let y = Math.max(0, Math.floor(o.cy - 2.4 * bTall));
    y <= Math.min(canvas.heightPx - 1, Math.ceil(o.cy + 2.4 * bTall));
    y++
  )
    for (
      let x = Math.max(0, Math.floor(o.cx - 2.4 * o.a));
      x <= Math.min(canvas.widthPx - 1, Math.ceil(o.cx + 2.4 * o.a));
      x++
    ) {
      const r2 = ((x - o.cx) / o.a) ** 2 + ((y - o.cy) / bTall) ** 2;
      if (r2 < 1.1 * 1.1 || r2 > 2.4 * 2.4) continue;
      const i = y * canvas.widthPx + x;
      if ((blank.data[i] as number) - (canvas.data[i] as number) < 38) continue;
      // away from the printing (names, rules), whose own ink a scan would blur onto the circle's
      let nearPrint = false;
      for (let dy = -2; dy <= 2 && !nearPrint; dy++)
        for (let dx = -2; dx <= 2; dx++)
          if (((blank.data[i + dy * canvas.widthPx + dx] ?? 255) as number) < 200) {
            nearPrint = true;
            break;
          }
      if (!nearPrint) out.push(i);
    }
  return Int32Array.from(out);
}

function targetTruth(
  p: PlannedTarget,
  blank: GrayImage,
  canvas: Canvas,
  bilevel?: { blank: Uint8Array; marked: Uint8Array },
): TargetTruth {
  const { xIn, yIn } = gridToPageIn(p.target.column, p.target.row);
  const oval = ovalPx(xIn, yIn, canvas.dpi);
  const ink = measureOvalInk(blank.data, canvas.data, canvas.widthPx, canvas.heightPx, oval, canvas.dpi);
  const judged = judgeTarget(p.kind, ink, p.writeInName);
  // A mark that was ink on paper but is (almost) gone after the black-and-white threshold.
  const afterScan = bilevel
    ? measureOvalInk(bilevel.blank, bilevel.marked, canvas.widthPx, canvas.heightPx, oval, canvas.dpi)
    : ink;
  const visibleInScan =
    !bilevel || !drawnInOval(p.kind, ink) || afterScan.coverage01 >= interiorSurvives(p.kind);
  return {
    contestId: p.target.contestId,
    optionId: p.target.optionId,
    side: p.side,
    column: p.target.column,
    row: p.target.row,
    kind: p.kind,
    coverage01: round(ink.coverage01, 4),
    darkness01: round(ink.darkness01, 4),
    writeInName: p.writeInName,
    ...judged,
    visibleInScan,
  };
}

function contestTruths(election: Election, targets: TargetTruth[]): ContestTruth[] {
  const ids = [...new Set(targets.map((t) => t.contestId))];
  const out: ContestTruth[] = [];
  for (const id of ids) {
    const contest = election.contests.find((c) => c.id === id);
    if (!contest) continue;
    const seats = contest.type === 'candidate' ? contest.seats : 1;
    const here = targets.filter((t) => t.contestId === id);
    const marked = contestOptions(contest)
      .map((o) => o.id)
      .filter((o) => here.some((t) => t.optionId === o && t.intended));
    const status =
      marked.length === 0
        ? 'blank'
        : marked.length > seats
          ? 'overvote'
          : marked.length < seats
            ? 'undervote'
            : 'valid';
    out.push({
      contestId: id,
      seats,
      marked,
      votes: status === 'overvote' ? [] : marked,
      status,
      needsReview: here.some((t) => t.ambiguous),
    });
  }
  return out;
}
