/**
 * Interpret stage: from the decoded pages of one sheet to marks, votes and adjudication reasons.
 *
 * register (timing-mark grid per page) → identify (which ballot style, sheet and side each page is) →
 * score (fill of every target) → interpret (thresholds from calibration, contest rules). Pure: the same
 * pages, election and calibration give the same outcome, with no I/O.
 */
import {
  type AccuvoteMetadata,
  accuvoteBackFor,
  bitsFromBottomRow,
  decodeAccuvote,
  sheetForCardNumber,
} from '../election/accuvote.ts';
import { type Calibration, type ReviewThresholds, reviewThresholds } from '../election/calibration.ts';
import {
  type Election,
  layoutFor,
  PAPER_GRIDS,
  type SheetSideLayout,
  type Side,
} from '../election/election.ts';
import type { GrayImage, PointPx } from '../image.ts';
import {
  type AdjudicationReason,
  type AdjudicationReasonType,
  type ContestResult,
  DEFAULT_REVIEW_REASONS,
  type MarkStatus,
  type PageInfo,
  type RejectReason,
  type SheetOutcome,
  TAKEN_OUT_WARNING,
  type TargetReason,
  type TargetResult,
} from './outcome.ts';
import { readVxQrMetadata, type VxQrMetadata } from './qr-metadata.ts';
import { gridScaleAt, gridToPixel, type RegisterOk, registerPage, turnedAround } from './register.ts';
import {
  BUBBLE,
  edgeInk01,
  type LocalGrid,
  printedAround,
  scoreBubble,
  surround01,
  type TargetScore,
  usualOutlinePx,
} from './score.ts';
import { median } from './timing-marks.ts';
import { type OvalPx, scoreWriteInArea } from './write-in.ts';

export interface SheetPage extends GrayImage {
  /** resolution the file states, if any */
  readonly statedDpi?: number | undefined;
  /** which input image it came from (0, 1) and which page of it */
  readonly imageIndex: number;
  readonly page: number;
  /** the file held the page sideways and decoding turned it (see `DecodedPage.turnedSideways`) */
  readonly turnedSideways?: boolean;
}

export interface InterpretOptions {
  /**
   * The ballot style of a sheet whose own metadata is missing or unreadable (sheets of a single-style
   * election need none); a style read from the sheet wins over it.
   */
  readonly ballotStyleId?: string;
  /** adjudication reasons that send a sheet to review (default DEFAULT_REVIEW_REASONS) */
  readonly reviewReasons?: readonly AdjudicationReasonType[];
}

/** What a page says about itself: AccuVote timing-mark bits, a VotingWorks QR code, or nothing readable. */
type PageMetadata =
  | (AccuvoteMetadata & { readonly unsureNote?: string })
  | { side: Side; qr: VxQrMetadata }
  | { side: 'unknown'; reason: string; wrongElection?: boolean };

interface RegisteredPage {
  readonly page: SheetPage;
  readonly reg: RegisterOk;
  readonly meta: PageMetadata;
}

/** More bottom-row bits under a dark area than this and the row is not read at all (2^12 readings). */
const MAX_UNSURE_BITS = 12;

/**
 * The AccuVote bits of a page. Bits under a dark area (`bottomRowUnsure`: on a black-and-white scan its
 * speckle is as dark as a mark) are not trusted: every value they could have is tried, and the page's
 * metadata stands only if exactly one of those readings names a sheet of this election (a front's card
 * number, and precinct; a back's election date). None: unreadable. Several: unreadable, named.
 */
function accuvoteMetadata(reg: RegisterOk, election: Election): PageMetadata {
  const read = decodeAccuvote(bitsFromBottomRow(reg.bottomRowBits));
  const unsure = reg.bottomRowUnsure;
  if (unsure.length === 0) return read;
  const where = `bottom-row column(s) ${unsure.join(', ')} lie under a dark area`;
  if (unsure.length > MAX_UNSURE_BITS)
    return { side: 'unknown', reason: `${where}: too many bits to try (${unsure.length})` };
  const readings = new Map<string, AccuvoteMetadata>();
  for (let m = 0; m < 1 << unsure.length; m++) {
    const bits = [...reg.bottomRowBits];
    unsure.forEach((column, i) => {
      bits[column] = ((m >> i) & 1) as 0 | 1;
    });
    const meta = decodeAccuvote(bitsFromBottomRow(bits));
    if (meta.side === 'front') {
      const sheet = sheetForCardNumber(election, meta.cardNumber);
      if (!sheet) continue;
      // the precinct number matters only where the card's style serves several precincts
      const style = election.ballotStyles.find((b) => b.id === sheet.ballotStyleId);
      const precinct = (style?.precinctIds.length ?? 0) > 1 ? ` precinct ${meta.batchOrPrecinctNumber}` : '';
      const key = `front card ${meta.cardNumber}${precinct}`;
      // of the readings that differ only in what does not matter, the one as read (or the first) stays
      if (!readings.has(key) || JSON.stringify(meta) === JSON.stringify(read)) readings.set(key, meta);
    } else if (meta.side === 'back' && sameElectionDate(meta, election)) {
      if (!readings.has('back') || JSON.stringify(meta) === JSON.stringify(read)) readings.set('back', meta);
    }
  }
  const [only, ...others] = [...readings];
  if (!only)
    return { side: 'unknown', reason: `${where}, and no value of them names a sheet of this election` };
  if (others.length > 0)
    return {
      side: 'unknown',
      reason: `${where}, and they could read as ${[only, ...others]
        .map(([k]) => k)
        .sort()
        .join(' or ')}`,
    };
  const [name, meta] = only;
  const same =
    JSON.stringify(meta) === JSON.stringify(read)
      ? ', as read'
      : `, not as read (${read.side === 'unknown' ? read.reason : read.side})`;
  return {
    ...meta,
    unsureNote: `${where}: of all their values only one names a sheet of this election (${name})${same}`,
  };
}

function pageMetadata(page: SheetPage, reg: RegisterOk, election: Election): PageMetadata {
  if (election.metadataEncoding === 'timing-marks') return accuvoteMetadata(reg, election);
  const qr = readVxQrMetadata(page, reg, election);
  if (qr.ok) return { side: qr.side, qr };
  return {
    side: 'unknown',
    reason: `QR code: ${qr.detail}`,
    ...(qr.reason === 'wrong-election' ? { wrongElection: true } : {}),
  };
}

/** Notes for a page's warnings that come from its metadata (a test ballot in a tally is worth seeing). */
function metadataWarnings(meta: PageMetadata): string[] {
  if ('unsureNote' in meta && meta.unsureNote) return [meta.unsureNote];
  if (!('qr' in meta)) return [];
  return meta.qr.isTestMode
    ? [
        `test-mode ballot: the QR code marks this ${meta.qr.ballotType} ballot as a test ballot, not an official one`,
      ]
    : [];
}

/** Fields two QR-coded pages of one sheet must agree on (page numbers: one odd, the next even). */
function qrMismatch(a: VxQrMetadata, b: VxQrMetadata): string | undefined {
  if (a.ballotStyleId !== b.ballotStyleId)
    return `ballot style ${a.ballotStyleId} on one page, ${b.ballotStyleId} on the other`;
  if (a.precinctId !== b.precinctId)
    return `precinct ${a.precinctId} on one page, ${b.precinctId} on the other`;
  if (a.sheetNumber !== b.sheetNumber)
    return `pages ${a.pageNumber} and ${b.pageNumber} are not the two sides of one sheet`;
  if (a.isTestMode !== b.isTestMode) return 'one page is a test ballot and the other is not';
  if (a.ballotType !== b.ballotType)
    return `ballot type ${a.ballotType} on one page, ${b.ballotType} on the other`;
  return undefined;
}

function reject(reason: RejectReason, detail: string, imageIndex?: number): SheetOutcome {
  return imageIndex === undefined
    ? { type: 'rejected', reason, detail }
    : { type: 'rejected', reason, detail, imageIndex };
}

/** Share of clearly dark pixels on a page (sampled): a blank page has almost none. */
export function inkShare(image: GrayImage): number {
  let dark = 0;
  let n = 0;
  const { data } = image;
  for (let i = 0; i < data.length; i += 97) {
    if ((data[i] ?? 255) < 100) dark++;
    n++;
  }
  return n ? dark / n : 0;
}

function registerReject(page: SheetPage, reason: string, detail: string): SheetOutcome {
  const where = `image ${page.imageIndex + 1}${page.page ? ` page ${page.page + 1}` : ''}`;
  if (reason === 'no-timing-marks' && inkShare(page) < 0.002)
    return reject('blank-page', `${where}: the page is blank (no ink found)`, page.imageIndex);
  const mapped: RejectReason =
    reason === 'wrong-paper-size'
      ? 'wrong-paper-size'
      : reason === 'ambiguous-grid'
        ? 'ambiguous-grid'
        : reason === 'invalid-image'
          ? 'corrupt-image'
          : reason === 'cv-error'
            ? 'processing-error'
            : 'no-timing-marks';
  return reject(mapped, `${where}: ${detail}`, page.imageIndex);
}

function sameElectionDate(meta: RegisteredPage['meta'], election: Election): boolean {
  if (meta.side !== 'back' || 'qr' in meta) return true;
  const expected = accuvoteBackFor(election);
  return (
    meta.electionDay === expected.electionDay &&
    meta.electionMonth === expected.electionMonth &&
    meta.electionYear === expected.electionYear
  );
}

/** Which (style, sheet) and which side each registered page is. */
function identify(
  pages: readonly RegisteredPage[],
  election: Election,
  options: InterpretOptions,
):
  | {
      ok: true;
      ballotStyleId: string;
      sheetNumber: number;
      precinctNumber?: number;
      precinctId?: string;
      sides: Map<Side, RegisteredPage>;
    }
  | { ok: false; outcome: SheetOutcome } {
  const sheets = [...new Set(election.layouts.map((l) => `${l.ballotStyleId}\u0000${l.sheetNumber}`))].map(
    (k) => {
      const [ballotStyleId = '', sheet = '1'] = k.split('\u0000');
      return { ballotStyleId, sheetNumber: Number(sheet) };
    },
  );
  for (const p of pages) {
    if (p.meta.side === 'unknown' && p.meta.wrongElection)
      return {
        ok: false,
        outcome: reject(
          'wrong-election',
          `image ${p.page.imageIndex + 1}: ${p.meta.reason}`,
          p.page.imageIndex,
        ),
      };
    if (!sameElectionDate(p.meta, election)) {
      const m = p.meta as Extract<AccuvoteMetadata, { side: 'back' }>;
      const want = accuvoteBackFor(election);
      return {
        ok: false,
        outcome: reject(
          'wrong-election',
          `image ${p.page.imageIndex + 1}: the sheet is for an election on ${2000 + m.electionYear}-${m.electionMonth}-${m.electionDay}, not ${2000 + want.electionYear}-${want.electionMonth}-${want.electionDay}`,
          p.page.imageIndex,
        ),
      };
    }
  }
  const fronts = pages.filter((p) => p.meta.side === 'front');
  const backs = pages.filter((p) => p.meta.side === 'back');
  if (fronts.length > 1 || backs.length > 1)
    return {
      ok: false,
      outcome: reject(
        'page-mismatch',
        `both images read as the ${fronts.length > 1 ? 'front' : 'back'} of a sheet`,
      ),
    };

  let ballotStyleId: string | undefined;
  let sheetNumber = 1;
  let precinctNumber: number | undefined;
  let precinctId: string | undefined;
  const front = fronts[0];
  const qrs = pages.flatMap((p) => ('qr' in p.meta ? [p.meta.qr] : []));
  const [qr, otherQr] = qrs;
  if (qr) {
    const mismatch = otherQr && qrMismatch(qr, otherQr);
    if (mismatch)
      return { ok: false, outcome: reject('page-mismatch', `the QR codes disagree: ${mismatch}`) };
    ballotStyleId = qr.ballotStyleId;
    sheetNumber = qr.sheetNumber;
    precinctId = qr.precinctId;
  } else if (front && front.meta.side === 'front' && 'cardNumber' in front.meta) {
    const found = sheetForCardNumber(election, front.meta.cardNumber);
    if (!found && !options.ballotStyleId)
      return {
        ok: false,
        outcome: reject(
          'unknown-ballot-style',
          `image ${front.page.imageIndex + 1}: card number ${front.meta.cardNumber} is not a ballot style of this election`,
          front.page.imageIndex,
        ),
      };
    ballotStyleId = found?.ballotStyleId;
    sheetNumber = found?.sheetNumber ?? 1;
    precinctNumber = front.meta.batchOrPrecinctNumber;
  }
  // the style the caller gives is for sheets that do not say theirs: a QR code or card number read from
  // the sheet wins over it (a batch given one style can hold a sheet of another)
  if (!ballotStyleId && options.ballotStyleId) ballotStyleId = options.ballotStyleId;
  if (!ballotStyleId) {
    const only = sheets.length === 1 ? sheets[0] : undefined;
    if (!only) {
      const why = pages
        .map((p) => (p.meta.side === 'unknown' ? p.meta.reason : `read as ${p.meta.side}`))
        .join('; ');
      return {
        ok: false,
        outcome: reject(
          'unreadable-metadata',
          `the ballot style could not be read (${why}) and the election has ${sheets.length} sheet layouts`,
        ),
      };
    }
    ballotStyleId = only.ballotStyleId;
    sheetNumber = only.sheetNumber;
  }
  if (!election.ballotStyles.some((b) => b.id === ballotStyleId))
    return {
      ok: false,
      outcome: reject('unknown-ballot-style', `ballot style "${ballotStyleId}" is not in this election`),
    };

  const sides = new Map<Side, RegisteredPage>();
  if (front) sides.set('front', front);
  if (backs[0]) sides.set('back', backs[0]);
  for (const p of pages) {
    if (p === front || p === backs[0]) continue;
    // Unidentified pages take the free side, in the order given.
    const free: Side | undefined = !sides.has('front') ? 'front' : !sides.has('back') ? 'back' : undefined;
    if (free) sides.set(free, p);
  }
  return {
    ok: true,
    ballotStyleId,
    sheetNumber,
    ...(precinctNumber !== undefined ? { precinctNumber } : {}),
    ...(precinctId !== undefined ? { precinctId } : {}),
    sides,
  };
}

const roundPoint = (p: { xPx: number; yPx: number }) => ({
  xPx: Math.round(p.xPx * 10) / 10,
  yPx: Math.round(p.yPx * 10) / 10,
});

const STANDARD_DPI = [150, 200, 240, 300, 400, 600];

/**
 * The resolution a file states, when it is believable: it must make the page about as wide as the paper
 * (72 dpi is often a writer's default, not a measurement: a 1700 px wide page would be 23.6 in wide).
 */
function statedDpiOf(page: SheetPage, election: Election): number | undefined {
  if (!page.statedDpi) return undefined;
  const widthIn = Math.min(page.widthPx, page.heightPx) / page.statedDpi;
  const paperIn = PAPER_GRIDS[election.paper].widthIn;
  return widthIn > 0.8 * paperIn && widthIn < 1.25 * paperIn ? page.statedDpi : undefined;
}

/** Resolution of a page: as the file states it, else from its width (snapped to a standard scanner setting). */
function pageDpi(page: SheetPage, election: Election): number {
  const stated = statedDpiOf(page, election);
  if (stated) return stated;
  const fromWidth = Math.min(page.widthPx, page.heightPx) / PAPER_GRIDS[election.paper].widthIn;
  const near = STANDARD_DPI.find((d) => Math.abs(fromWidth - d) / d < 0.04);
  return near ?? Math.round(fromWidth);
}

/** Ink above and below the oval at least 60 % as dark as inside it, and past the outside-ink threshold. */
function inkAround(fill01: number, outsideInk01: number, calibration: Calibration): boolean {
  return outsideInk01 >= calibration.thresholds.outsideInk && outsideInk01 >= 0.6 * fill01;
}

function statusOf(fill01: number, calibration: Calibration): MarkStatus {
  if (fill01 >= calibration.thresholds.definite) return 'marked';
  if (fill01 >= calibration.thresholds.marginal) return 'marginal';
  return 'unmarked';
}

/** What one reading of a target measured (a TargetScore, or the same fields of a TargetResult). */
type Reading = Pick<TargetScore, 'fill01' | 'outsideInk01' | 'streak'> &
  Partial<
    Pick<
      TargetResult,
      | 'inkSpread01'
      | 'speckle01'
      | 'residue01'
      | 'paperSpread01'
      | 'spot01'
      | 'edgeInk01'
      | 'edgeInward01'
      | 'fillWithoutLines01'
      | 'coreSpread01'
      | 'streakShare01'
    >
  >;

/** Why a reading's fill alone cannot be trusted: each sends the target to a person. */
type Doubt =
  | 'streak'
  | 'line'
  | 'ink-around'
  | 'compact'
  | 'speckle'
  | 'light'
  | 'shaded'
  | 'residue'
  | 'spot'
  | 'edge';

/**
 * A definite fill that is a light, even shading (a soft pencil pressed lightly: the interior's median is
 * darker than the paper around it, where pen strokes leave it at paper) but not yet dark enough to be sure
 * of: a careful person looks at it. Its `residue01` is how dark the shading is.
 */
function lightShading(r: Pick<Reading, 'fill01' | 'residue01'>, t: ReviewThresholds): boolean {
  return r.residue01 !== undefined && r.residue01 >= t.lightTone && r.fill01 < t.lightFill;
}

/**
 * A definite fill not far over the threshold in a dark patch of the paper (a stain) whose lighter edge is in
 * the window the paper level is taken from: the level is too light for the oval, and the patch alone can
 * make such a fill. Its `paperSpread01` says how uneven the paper round it is.
 */
function shadedPaper(r: Pick<Reading, 'fill01' | 'paperSpread01'>, t: ReviewThresholds): boolean {
  return r.paperSpread01 !== undefined && r.paperSpread01 >= t.paperSpread && r.fill01 < t.shadedFill;
}

/**
 * A streak too dark to see through hides the columns it covers: over this share of the interior's width (8 px
 * of a 200 dpi oval), what is under it could change the reading.
 */
const STREAK_HIDES = 0.25;

/**
 * The status of one reading and the doubts behind it. A definite fill is not counted, but sent to a
 * person, when a scanner streak taken out of it covered too much of it to read round (at any status), when there is as much ink around the
 * oval as in it (a circled option drawn through it, a speckled or shadowed patch of the scan), or when its
 * ink does not look like a voter's strokes: all in one small spot (a dot where a pen rested), or isolated
 * specks (scan noise). An unmarked oval evenly darker than the paper around it (a rubbed-out mark) is sent
 * to a person too, and so is one holding a small spot of solid ink (a hesitation dot, a tiny partial fill)
 * that its mean fill is too small to flag, and one with ink of
 * its own on the printed outline (a dot on it, a stroke along its edge).
 */
function judge(r: Reading, calibration: Calibration): { status: MarkStatus; doubts: Doubt[] } {
  const status = statusOf(r.fill01, calibration);
  const t = reviewThresholds(calibration);
  const doubts: Doubt[] = [];
  // a line across the page through the oval (a fold): where the target reads otherwise without it, a
  // person decides
  if (r.fillWithoutLines01 !== undefined && statusOf(r.fillWithoutLines01, calibration) !== status)
    doubts.push('line');
  // a streak too wide to read round, whatever the rest of the oval says
  if (r.streakShare01 !== undefined && r.streakShare01 >= STREAK_HIDES) doubts.push('streak');
  if (status === 'marked') {
    if (inkAround(r.fill01, r.outsideInk01, calibration)) doubts.push('ink-around');
    if (
      (r.inkSpread01 !== undefined && r.inkSpread01 < t.compactSpread) ||
      (r.coreSpread01 !== undefined && r.coreSpread01 < t.compactSpread)
    )
      doubts.push('compact');
    if (r.speckle01 !== undefined && r.speckle01 >= t.speckle) doubts.push('speckle');
    if (lightShading(r, t)) doubts.push('light');
    if (shadedPaper(r, t)) doubts.push('shaded');
  } else if (status === 'unmarked') {
    if (r.residue01 !== undefined && r.residue01 >= t.residue) doubts.push('residue');
    if (r.spot01 !== undefined && r.spot01 >= t.spot) doubts.push('spot');
    if (
      (r.edgeInk01 !== undefined && r.edgeInk01 >= t.edgeInk) ||
      (r.edgeInward01 !== undefined && r.edgeInward01 >= t.edgeInward)
    )
      doubts.push('edge');
  }
  return { status: doubts.length ? 'marginal' : status, doubts };
}

/** Where the grid puts one target, as the score stage wants it. */
function localGrid(grid: RegisterOk['grid'], t: { column: number; row: number }): LocalGrid {
  const at = { column: t.column, row: t.row };
  const centre = gridToPixel(grid, at);
  const scale = gridScaleAt(grid, at);
  const ahead = gridToPixel(grid, { column: t.column + 1, row: t.row });
  return {
    centre,
    pxPerColumn: scale.pxPerColumn,
    pxPerRow: scale.pxPerRow,
    angleRad: Math.atan2(ahead.yPx - centre.yPx, ahead.xPx - centre.xPx),
  };
}

/** How many neighbours vote on where a target's outline should be, and how narrowly it is read again. */
const NEIGHBOURS = 6;
const REREAD_SEARCH = 0.25;

/** The outline size of BUBBLE.scales nearest a value. */
function nearestScale(value: number): number {
  let best = 1;
  for (const s of BUBBLE.scales) if (Math.abs(s - value) < Math.abs(best - value)) best = s;
  return best;
}

/** Each target's nearest neighbours on its side of the sheet (indexes), made once per layout. */
const NEAREST = new WeakMap<SheetSideLayout, number[][]>();

function nearestOf(layout: SheetSideLayout): number[][] {
  const cached = NEAREST.get(layout);
  if (cached) return cached;
  const ts = layout.targets;
  const lists = ts.map((t, i) =>
    ts
      .map((o, j) => ({ j, d: Math.hypot(o.column - t.column, o.row - t.row) }))
      .filter((n) => n.j !== i)
      .sort((a, b) => a.d - b.d || a.j - b.j)
      .slice(0, NEIGHBOURS)
      .map((n) => n.j),
  );
  NEAREST.set(layout, lists);
  return lists;
}

/**
 * The printed ovals of a page are all the same size, and they move together: where the grid is off, it
 * is off for neighbours alike. The outline search of a single target can be pulled by ink, though: a
 * circle drawn through or around the oval, a heavy stroke along its edge. So each target is compared with
 * its nearest neighbours on the page:
 * - found well away from where their outlines put it: it is read again there, with a narrow search and
 *   their outline size, and the first reading is kept for the record (the two are compared: if they
 *   disagree, a person decides);
 * - found at another size than theirs, with a fill between the marginal threshold and half as much
 *   again as the definite one (where a size that takes in part of the printed outline, or of a stroke
 *   along it, decides the status): it is read again where it was found, at their size.
 */
function readAgainStrays(
  page: GrayImage,
  layout: SheetSideLayout,
  grids: readonly LocalGrid[],
  first: readonly TargetScore[],
  calibration: Calibration,
): { readings: TargetScore[]; strays: Map<number, { first: TargetScore; shiftPx: number }> } {
  const limit = reviewThresholds(calibration).outlineShift;
  const { marginal, definite } = calibration.thresholds;
  const readings = [...first];
  const strays = new Map<number, { first: TargetScore; shiftPx: number }>();
  if (layout.targets.length <= 3) return { readings, strays };
  const nearest = nearestOf(layout);
  const offsetX = first.map((s, i) => s.centre.xPx - (grids[i] as LocalGrid).centre.xPx);
  const offsetY = first.map((s, i) => s.centre.yPx - (grids[i] as LocalGrid).centre.yPx);
  for (let i = 0; i < first.length; i++) {
    const g = grids[i] as LocalGrid;
    const s = first[i] as TargetScore;
    const near = nearest[i] as number[];
    const ex = median(near.map((j) => offsetX[j] as number));
    const ey = median(near.map((j) => offsetY[j] as number));
    const scale = nearestScale(median(near.map((j) => (first[j] as TargetScore).outlineScale)));
    const strayed =
      Math.max(
        Math.abs((offsetX[i] as number) - ex) / g.pxPerColumn,
        Math.abs((offsetY[i] as number) - ey) / g.pxPerRow,
      ) > limit;
    const resized = s.outlineScale !== scale && s.fill01 >= marginal && s.fill01 < 1.5 * definite;
    if (!strayed && !resized) continue;
    const again = scoreBubble(
      page,
      { ...g, centre: strayed ? { xPx: g.centre.xPx + ex, yPx: g.centre.yPx + ey } : s.centre },
      { searchFraction: REREAD_SEARCH, scale },
    );
    readings[i] = again;
    if (strayed)
      strays.set(i, {
        first: s,
        shiftPx:
          Math.round(Math.hypot(s.centre.xPx - again.centre.xPx, s.centre.yPx - again.centre.yPx) * 10) / 10,
      });
  }
  return { readings, strays };
}

/**
 * `edgeInk01` of a reading, and where it finds ink on an outline found bigger, smaller or elsewhere than
 * the side's outlines usually are, the lesser of that and the outline measured again exactly where and
 * as big as they are found: an outline found too big or off centre (pulled by a column rule or a name
 * beside it) takes that in, and measured where it is printed it does not. Ink of the voter's own on the
 * outline is there either way.
 */
function edgeInkOf(
  image: GrayImage,
  reading: TargetScore,
  grid: LocalGrid,
  usual: ColumnUsual | undefined,
): { edgeInk01: number; edgeInward01: number } {
  const first = {
    edgeInk01: edgeInk01(reading, usual?.thicknessPx, grid.pxPerColumn),
    edgeInward01: edgeInk01(reading, usual?.inwardPx, grid.pxPerColumn, 'inward'),
  };
  if ((first.edgeInk01 === 0 && first.edgeInward01 === 0) || !usual) return first;
  const dx = usual.shiftPx.xPx - (reading.centre.xPx - grid.centre.xPx);
  const dy = usual.shiftPx.yPx - (reading.centre.yPx - grid.centre.yPx);
  if (usual.scale === reading.outlineScale && Math.abs(dx) <= 1 && Math.abs(dy) <= 1) return first;
  const centre = { xPx: grid.centre.xPx + usual.shiftPx.xPx, yPx: grid.centre.yPx + usual.shiftPx.yPx };
  const again = scoreBubble(image, { ...grid, centre }, { scale: usual.scale, exact: true });
  return {
    edgeInk01: Math.min(first.edgeInk01, edgeInk01(again, usual.thicknessPx, grid.pxPerColumn)),
    edgeInward01: Math.min(first.edgeInward01, edgeInk01(again, usual.inwardPx, grid.pxPerColumn, 'inward')),
  };
}

/** Targets printed in the same column of a side (grid columns may be fractional: to a quarter). */
const columnKey = (t: { column: number }) => Math.round(t.column * 4);

/**
 * What the ovals of a column of targets usually look like: their outline's thickness all round and what is
 * printed round them (per column), and the size and place their outlines are found at (per side).
 */
interface ColumnUsual {
  /** `usualOutlinePx` of the column, or of the side where the column has too few ovals */
  thicknessPx: Float32Array | undefined;
  /** the same of the strip's inner part (`outlineInwardPx`) */
  inwardPx: Float32Array | undefined;
  /** `printedAround` of the column, or of the side where the column has too few ovals */
  printed: Uint8Array | undefined;
  /** the median outline size found on the side (one of BUBBLE.scales): the ovals are printed alike */
  scale: number;
  /** the median of how far from where the grid puts them the side's outlines were found */
  shiftPx: PointPx;
}

/** What the ovals of each column of a side's targets usually look like (`ColumnUsual`). */
function usualByColumn(
  layout: SheetSideLayout,
  grids: readonly LocalGrid[],
  readings: readonly TargetScore[],
): Map<number, ColumnUsual> {
  const measured = readings.flatMap((reading, i) => {
    const grid = grids[i];
    const target = layout.targets[i];
    return reading.outlineThicknessPx && grid && target ? [{ reading, grid, key: columnKey(target) }] : [];
  });
  if (measured.length === 0) return new Map();
  const scales = measured.map((m) => m.reading.outlineScale).sort((a, b) => a - b);
  const scale = scales[(scales.length - 1) >> 1] as number;
  const shiftPx = {
    xPx: median(measured.map((m) => m.reading.centre.xPx - m.grid.centre.xPx)),
    yPx: median(measured.map((m) => m.reading.centre.yPx - m.grid.centre.yPx)),
  };
  const keys = new Set(measured.map((m) => m.key));
  const printedOnSide = printedAround(measured.map((m) => m.reading.surroundInk));
  const outlineOnSide = usualOutlinePx(measured.map((m) => m.reading.outlineThicknessPx));
  const inwardOnSide = usualOutlinePx(measured.map((m) => m.reading.outlineInwardPx));
  return new Map(
    [...keys].map((key) => [
      key,
      {
        thicknessPx:
          usualOutlinePx(measured.filter((m) => m.key === key).map((m) => m.reading.outlineThicknessPx)) ??
          outlineOnSide,
        inwardPx:
          usualOutlinePx(measured.filter((m) => m.key === key).map((m) => m.reading.outlineInwardPx)) ??
          inwardOnSide,
        printed:
          printedAround(measured.filter((m) => m.key === key).map((m) => m.reading.surroundInk)) ??
          printedOnSide,
        scale,
        shiftPx,
      },
    ]),
  );
}

/** The write-in area of a target: as defined, or the blank line left of the oval on AccuVote-style ballots. */
function writeInAreaOf(t: SheetSideLayout['targets'][number]) {
  if (t.type !== 'write-in') return undefined;
  return t.writeInArea ?? { column: t.column - 6.5, row: t.row - 0.75, width: 5.7, height: 0.85 };
}

/** Where the other targets' ovals that reach into a write-in area were read (their ink is not the area's). */
function ovalsNear(
  area: { column: number; row: number; width: number; height: number },
  layout: SheetSideLayout,
  readings: readonly TargetScore[],
  self: number,
): OvalPx[] {
  const out: OvalPx[] = [];
  layout.targets.forEach((o, j) => {
    const r = readings[j];
    if (j === self || !r) return;
    if (o.column < area.column - 1 || o.column > area.column + area.width + 1) return;
    if (o.row < area.row - 1 || o.row > area.row + area.height + 1) return;
    out.push({ centre: r.centre, halfWidthPx: r.halfWidthPx, halfHeightPx: r.halfHeightPx });
  });
  return out;
}

function scoreSide(layout: SheetSideLayout, p: RegisteredPage, calibration: Calibration): TargetResult[] {
  const { grid } = p.reg;
  const grids = layout.targets.map((t) => localGrid(grid, t));
  const first = grids.map((g) => scoreBubble(p.page, g));
  const { readings, strays } = readAgainStrays(p.page, layout, grids, first, calibration);
  const usual = usualByColumn(layout, grids, readings);
  const results = layout.targets.map((t, i) => {
    const s = readings[i] as TargetScore;
    const { angleRad } = grids[i] as LocalGrid;
    const stray = strays.get(i);
    const column = usual.get(columnKey(t));
    const { edgeInk01: edgeInk, edgeInward01 } = edgeInkOf(p.page, s, grids[i] as LocalGrid, column);
    const judged = judge({ ...s, edgeInk01: edgeInk, edgeInward01 }, calibration);
    const firstStatus = stray && judge(stray.first, calibration).status;
    const result: TargetResult = {
      contestId: t.contestId,
      optionId: t.optionId,
      type: t.type,
      side: layout.side,
      column: t.column,
      row: t.row,
      fill01: s.fill01,
      outsideInk01: s.outsideInk01,
      streak: s.streak,
      ...(s.streakShare01 !== undefined ? { streakShare01: s.streakShare01 } : {}),
      ...(s.pageLine ? { pageLine: true } : {}),
      // Counted only when nothing casts doubt on the reading, and when a target read twice (its outline
      // strayed from its neighbours') reads the same both times; otherwise a person decides.
      status: firstStatus && firstStatus !== judged.status ? 'marginal' : judged.status,
      centrePx: s.centre,
      halfWidthPx: s.halfWidthPx,
      halfHeightPx: s.halfHeightPx,
      inkSpread01: s.inkSpread01,
      speckle01: s.speckle01,
      residue01: s.residue01,
      paperSpread01: s.paperSpread01,
      spot01: s.spot01,
      edgeInk01: edgeInk,
      edgeInward01,
      surround01: surround01(s, column?.printed),
      ...(s.fillWithoutLines01 !== undefined ? { fillWithoutLines01: s.fillWithoutLines01 } : {}),
      ...(s.coreSpread01 !== undefined ? { coreSpread01: s.coreSpread01 } : {}),
    };
    if (stray && firstStatus)
      result.firstReading = { shiftPx: stray.shiftPx, fill01: stray.first.fill01, status: firstStatus };
    const area = writeInAreaOf(t);
    if (area) {
      const corner = gridToPixel(grid, { column: area.column, row: area.row });
      const areaScale = gridScaleAt(grid, {
        column: area.column + area.width / 2,
        row: area.row + area.height / 2,
      });
      const where = {
        corner,
        widthPx: area.width * areaScale.pxPerColumn,
        heightPx: area.height * areaScale.pxPerRow,
        angleRad,
      };
      result.writeInInk01 = scoreWriteInArea(p.page, {
        ...where,
        // timing marks are a quarter inch apart
        pxPerInch: areaScale.pxPerColumn * 4,
        skip: ovalsNear(area, layout, readings, i),
      });
      result.writeInAreaPx = where;
    }
    return result;
  });
  return withoutPrintingInEvery(results);
}

/** Write-in ink that every write-in area of a side holds is printed there (a label inside the area). */
const WRITE_IN_PRINTED_FLOOR = 0.01;

/**
 * Where a side has 3 or more write-in areas and even the emptiest holds write-in ink of 0.01 or more, that
 * much is printing common to all of them (a label printed inside each area on some ballot designs), not
 * handwriting: it is taken off every area's ink and kept as `writeInPrinted01`. On the realistic generated
 * sheets and the VotingWorks scans the emptiest area reads 0 and nothing changes; on a noisy black-and-white
 * page it takes off the noise every area holds.
 */
function withoutPrintingInEvery(results: TargetResult[]): TargetResult[] {
  const inks = results.flatMap((r) => (r.writeInInk01 !== undefined ? [r.writeInInk01] : []));
  if (inks.length < 3) return results;
  const floor = Math.min(...inks);
  if (floor < WRITE_IN_PRINTED_FLOOR) return results;
  for (const r of results)
    if (r.writeInInk01 !== undefined) {
      r.writeInPrinted01 = floor;
      r.writeInInk01 = r.writeInInk01 - floor;
    }
  return results;
}

/** The reasons, with their evidence, that how a target's ink lies (or where it was read) gives. */
function inkReasons(t: TargetResult, contestId: string, calibration: Calibration): TargetReason[] {
  const optionId = t.optionId;
  const out: TargetReason[] = [];
  const { status, doubts } = judge(t, calibration);
  for (const doubt of doubts) {
    if (doubt === 'compact' && t.inkSpread01 !== undefined)
      out.push({
        type: 'compact-mark',
        contestId,
        optionId,
        fill01: t.fill01,
        // the spread that made it compact: of all its ink, or of its one large group of solid ink
        inkSpread01: Math.min(t.inkSpread01, t.coreSpread01 ?? 1),
      });
    else if (doubt === 'streak')
      out.push({
        type: 'streak-through-target',
        contestId,
        optionId,
        ...(t.streakShare01 !== undefined ? { streakShare01: t.streakShare01 } : {}),
      });
    else if (doubt === 'speckle' && t.speckle01 !== undefined)
      out.push({ type: 'speckle-in-target', contestId, optionId, fill01: t.fill01, speckle01: t.speckle01 });
    else if (doubt === 'residue' && t.residue01 !== undefined)
      out.push({ type: 'faint-residue', contestId, optionId, residue01: t.residue01 });
    else if (doubt === 'spot' && t.spot01 !== undefined)
      out.push({ type: 'ink-spot', contestId, optionId, fill01: t.fill01, spot01: t.spot01 });
    else if (doubt === 'line' && t.fillWithoutLines01 !== undefined)
      out.push({
        type: 'line-through-target',
        contestId,
        optionId,
        fill01: t.fill01,
        fillWithoutLines01: t.fillWithoutLines01,
      });
    else if (doubt === 'edge' && t.edgeInk01 !== undefined)
      out.push({
        type: 'ink-on-outline',
        contestId,
        optionId,
        fill01: t.fill01,
        edgeInk01: t.edgeInk01,
        ...(t.edgeInward01 !== undefined ? { edgeInward01: t.edgeInward01 } : {}),
      });
  }
  if (t.firstReading && t.firstReading.status !== status)
    out.push({
      type: 'outline-misplaced',
      contestId,
      optionId,
      shiftPx: t.firstReading.shiftPx,
      fill01: t.fill01,
      firstFill01: t.firstReading.fill01,
    });
  return out;
}

/** Contest rules: votes, overvotes, undervotes; adjudication reasons with evidence. */
export function applyContestRules(
  election: Election,
  layouts: readonly SheetSideLayout[],
  targets: readonly TargetResult[],
  calibration: Calibration,
  bilevelSides: ReadonlySet<'front' | 'back'> = new Set(),
): { contests: ContestResult[]; reasons: AdjudicationReason[] } {
  const review = reviewThresholds(calibration);
  const contestIds: string[] = [];
  for (const l of layouts)
    for (const t of l.targets) if (!contestIds.includes(t.contestId)) contestIds.push(t.contestId);
  const contests: ContestResult[] = [];
  const reasons: AdjudicationReason[] = [];
  for (const contestId of contestIds) {
    const contest = election.contests.find((c) => c.id === contestId);
    const seats = contest?.type === 'candidate' ? contest.seats : 1;
    const mine = targets.filter((t) => t.contestId === contestId);
    // An option with several targets (cross-endorsement) is one vote however many are marked.
    const marked = [...new Set(mine.filter((t) => t.status === 'marked').map((t) => t.optionId))];
    const overvote = marked.length > seats;
    contests.push({
      contestId,
      votes: overvote ? [] : marked,
      marked,
      overvote,
      undervotes: overvote ? 0 : seats - marked.length,
    });
    if (overvote) reasons.push({ type: 'overvote', contestId, optionIds: marked, seats });
    else if (marked.length < seats)
      reasons.push({ type: 'undervote', contestId, votes: marked.length, seats });
    for (const t of mine) {
      const own: TargetReason[] = [];
      if (t.status === 'marginal')
        own.push({
          type: 'marginal-mark',
          contestId,
          optionId: t.optionId,
          fill01: t.fill01,
          ...(t.fill01 >= calibration.thresholds.definite && lightShading(t, review)
            ? { shading01: t.residue01 }
            : {}),
          ...(t.fill01 >= calibration.thresholds.definite && shadedPaper(t, review)
            ? { paperSpread01: t.paperSpread01 }
            : {}),
        });
      own.push(...inkReasons(t, contestId, calibration));
      const circledFrom =
        t.type === 'option' && bilevelSides.has(t.side) ? review.surroundBilevel : review.surround;
      const circled = t.surround01 !== undefined && t.surround01 >= circledFrom;
      if (
        (t.status === 'unmarked' && (t.outsideInk01 >= calibration.thresholds.outsideInk || circled)) ||
        (t.status !== 'unmarked' && inkAround(t.fill01, t.outsideInk01, calibration))
      )
        own.push({
          type: 'mark-outside-target',
          contestId,
          optionId: t.optionId,
          outsideInk01: t.outsideInk01,
          ...(t.surround01 !== undefined ? { surround01: t.surround01 } : {}),
        });
      if (t.type === 'write-in' && t.status === 'marked')
        own.push({ type: 'write-in', contestId, optionId: t.optionId });
      if (
        t.type === 'write-in' &&
        t.status === 'unmarked' &&
        t.writeInInk01 !== undefined &&
        t.writeInInk01 >= calibration.thresholds.writeInInk
      )
        own.push({
          type: 'unmarked-write-in',
          contestId,
          optionId: t.optionId,
          writeInInk01: t.writeInInk01,
        });
      // an option printed more than once in the contest (cross-endorsed): say which of its targets
      const twice = mine.some((o) => o !== t && o.optionId === t.optionId);
      for (const r of own) reasons.push(twice ? { ...r, side: t.side, column: t.column, row: t.row } : r);
    }
  }
  if (targets.length > 0 && targets.every((t) => t.status === 'unmarked'))
    reasons.unshift({ type: 'blank-ballot' });
  return { contests, reasons };
}

/** Whether a page is black and white (every pixel, sampled across it, 0 or 255): a bilevel scan. */
function isBilevel(page: GrayImage): boolean {
  const { data } = page;
  for (let i = 0; i < data.length; i += 251) {
    const v = data[i] as number;
    if (v !== 0 && v !== 255) return false;
  }
  return true;
}

/** What a page's reader says of the scanner streaks taken out of its targets. */
function streakWarning(streaked: readonly TargetResult[]): string {
  const xs = [...new Set(streaked.map((t) => Math.round(t.centrePx.xPx / 10) * 10))].sort((a, b) => a - b);
  const n = streaked.length;
  return `${TAKEN_OUT_WARNING.streak} through ${n} target${n === 1 ? '' : 's'} (near x ${xs.join(', ')} px): each was read with the streak taken out`;
}

/** What a page's reader says of the lines across the page taken out of its targets. */
function pageLineWarning(crossed: readonly TargetResult[]): string {
  const rows = [...new Set(crossed.map((t) => Math.round(t.row)))].sort((a, b) => a - b);
  const n = crossed.length;
  return `${TAKEN_OUT_WARNING.pageLine} runs through ${n} target${n === 1 ? '' : 's'} (in row${rows.length === 1 ? '' : 's'} ${rows.join(', ')}): each was read with the line taken out`;
}

/**
 * One page: its grid, which way up it is and what it says about itself, or why it cannot be read. Blank
 * paper is told apart (beside a printed page it may be the unprinted back of a one-sided sheet).
 */
function readPage(
  page: SheetPage,
  election: Election,
): { type: 'page'; page: RegisteredPage } | { type: 'blank' | 'rejected'; outcome: SheetOutcome } {
  const stated = statedDpiOf(page, election);
  const registration = registerPage(page, { paper: election.paper, ...(stated ? { dpi: stated } : {}) });
  if (registration.type !== 'ok') {
    const outcome = registerReject(page, registration.reason, registration.detail);
    const blank = outcome.type === 'rejected' && outcome.reason === 'blank-page';
    return { type: blank ? 'blank' : 'rejected', outcome };
  }
  let reg: RegisterOk = registration;
  let meta = pageMetadata(page, reg, election);
  // A VotingWorks QR code sits at the page's bottom-left corner: where it is not found there but is at
  // the opposite corner, the page is the other way up (its timing marks were damaged where they would
  // have told). A page whose orientation came from the QR-code corner itself is not turned.
  if (
    meta.side === 'unknown' &&
    election.metadataEncoding !== 'timing-marks' &&
    reg.orientationCue !== 'qr-code-corner'
  ) {
    const turned = turnedAround(reg);
    const again = pageMetadata(page, turned, election);
    if (again.side !== 'unknown') {
      reg = turned;
      meta = again;
    }
  }
  const where = `image ${page.imageIndex + 1}`;
  // a page top found from the side columns alone (no usable row) stands only if the page's own metadata,
  // read that way up, confirms it
  if (reg.orientationCue === 'side-columns' && meta.side === 'unknown')
    return {
      type: 'rejected',
      outcome: reject(
        'unreadable-metadata',
        `${where}: no usable row of timing marks, so which way up the page is rests on its metadata, which could not be read (${meta.reason})`,
        page.imageIndex,
      ),
    };
  // VotingWorks prints complete rows at both ends: with one of them damaged, "the complete row is the top"
  // is a guess that only the QR code can confirm
  if (
    reg.orientationCue === 'complete-top-row' &&
    election.metadataEncoding !== 'timing-marks' &&
    meta.side === 'unknown'
  )
    return {
      type: 'rejected',
      outcome: reject(
        'unreadable-metadata',
        `${where}: one row of timing marks is incomplete, so which way up the page is rests on its QR code, which could not be read either way up (${meta.reason})`,
        page.imageIndex,
      ),
    };
  return { type: 'page', page: { page, reg, meta } };
}

/**
 * Interpret one sheet from its pages (front and back in either order; one page for a one-sided scan).
 * Never throws for bad input: every failure is a `rejected` outcome with a reason and detail.
 */
export function interpretSheet(
  pages: readonly SheetPage[],
  election: Election,
  calibration: Calibration,
  options: InterpretOptions = {},
): SheetOutcome {
  if (pages.length === 0) return reject('missing-page', 'no image was given for this sheet');
  const registered: RegisteredPage[] = [];
  // blank paper beside a printed page: the unprinted back of a one-sided sheet (kept only if that side
  // of the sheet's layout has no targets, below)
  const blank: { page: SheetPage; outcome: SheetOutcome }[] = [];
  for (const page of pages) {
    const read = readPage(page, election);
    if (read.type === 'page') registered.push(read.page);
    else if (read.type === 'blank' && pages.length > 1) blank.push({ page, outcome: read.outcome });
    else return read.outcome;
  }
  if (registered.length === 0) return (blank[0] as { outcome: SheetOutcome }).outcome;
  const id = identify(registered, election, options);
  if (!id.ok) return id.outcome;
  const blankNote = (p: SheetPage) =>
    `image ${p.imageIndex + 1}${p.page ? ` page ${p.page + 1}` : ''} is blank paper`;

  const style = election.ballotStyles.find((b) => b.id === id.ballotStyleId);
  const precinctId =
    id.precinctId ??
    (style && style.precinctIds.length > 1 && id.precinctNumber !== undefined
      ? (election.precincts[id.precinctNumber - 1]?.id ?? style.precinctIds[0] ?? '')
      : (style?.precinctIds[0] ?? ''));

  const layouts: SheetSideLayout[] = [];
  const targets: TargetResult[] = [];
  const pageInfos: PageInfo[] = [];
  for (const side of ['front', 'back'] as const) {
    const p = id.sides.get(side);
    const layout = layoutFor(election, id.ballotStyleId, id.sheetNumber, side);
    if (!p) {
      const blankPage = blank[0]?.page;
      if (layout && layout.targets.length > 0 && blankPage)
        return reject(
          'missing-page',
          `${blankNote(blankPage)}, but the ${side} of this sheet has ${layout.targets.length} targets`,
          blankPage.imageIndex,
        );
      if (layout && layout.targets.length > 0)
        return reject(
          'missing-page',
          `the ${side} of the sheet is missing and it has ${layout.targets.length} targets`,
        );
      continue;
    }
    pageInfos.push({
      side,
      imageIndex: p.page.imageIndex,
      page: p.page.page,
      widthPx: p.page.widthPx,
      heightPx: p.page.heightPx,
      dpi: pageDpi(p.page, election),
      rotated180: p.reg.rotated180,
      marksInferred: p.reg.marksInferred,
      warnings: [
        ...(p.page.turnedSideways
          ? ['the image holds the page sideways (wider than tall): it was turned a quarter turn to read it']
          : []),
        ...p.reg.warnings,
        ...metadataWarnings(p.meta),
        ...blank.map((b) => `${blankNote(b.page)}: taken as the unprinted other side of a one-sided sheet`),
      ],
      timingMarksPx: {
        left: p.reg.grid.left.map(roundPoint),
        right: p.reg.grid.right.map(roundPoint),
        top: p.reg.grid.top.map(roundPoint),
        bottom: p.reg.grid.bottom.map(roundPoint),
      },
    });
    if (!layout) continue;
    layouts.push(layout);
    const read = scoreSide(layout, p, calibration);
    const info = pageInfos[pageInfos.length - 1];
    const streaked = read.filter((t) => t.streak);
    if (streaked.length) info?.warnings.push(streakWarning(streaked));
    const crossed = read.filter((t) => t.pageLine);
    if (crossed.length) info?.warnings.push(pageLineWarning(crossed));
    targets.push(...read);
  }
  const bilevel = new Set([...id.sides.entries()].filter(([, p]) => isBilevel(p.page)).map(([side]) => side));
  const { contests, reasons } = applyContestRules(election, layouts, targets, calibration, bilevel);
  const review = options.reviewReasons ?? DEFAULT_REVIEW_REASONS;
  return {
    type: 'interpreted',
    ballotStyleId: id.ballotStyleId,
    precinctId,
    sheetNumber: id.sheetNumber,
    pages: pageInfos,
    targets,
    contests,
    reasons,
    needsReview: reasons.some((r) => review.includes(r.type)),
  };
}
