/**
 * The score stage on a real page drawn on: a blank oval scores ~0 (its printed outline is not ink), a
 * filled one ~1, a small offset is found, a circled oval shows outside ink, a scanner streak is taken out.
 * How the ink lies, and what the interpreter makes of it: a dot vs a check, specks vs strokes, a faint
 * smudge, a circle that pulls the outline search off the oval, a tiny dot the fill is too small to flag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCalibration, REVIEW_DEFAULTS, reviewThresholds } from '../src/election/calibration.ts';
import type { GrayImage } from '../src/image.ts';
import { interpretSheet } from '../src/pipeline/interpret.ts';
import type { AdjudicationReason, InterpretedSheet } from '../src/pipeline/outcome.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { gridScaleAt, gridToPixel, registerPage } from '../src/pipeline/register.ts';
import { scoreBubble } from '../src/pipeline/score.ts';
import { describeReason } from '../src/report/cvr-nist.ts';
import { overlaySvg } from '../src/report/overlay.ts';
import { defaultCalibration, electionAt } from './helpers.ts';

const DEMO = join(import.meta.dirname, '..', 'samples', 'demo');
const election = electionAt(join(DEMO, 'election.json'));

/** The front of demo sheet 6 (a blank ballot of style card-number-2, 200 dpi JPEG, ~1° skew) as a mutable page. */
async function blankFront(): Promise<GrayImage & { data: Uint8Array }> {
  const d = await decodeImage(readFileSync(join(DEMO, '000006-front.jpeg')));
  if (d.type !== 'ok' || !d.pages[0]) throw new Error('demo page did not decode');
  const p = d.pages[0];
  return { widthPx: p.widthPx, heightPx: p.heightPx, data: new Uint8Array(p.data) };
}

function fillEllipse(
  img: GrayImage & { data: Uint8Array },
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  v: number,
) {
  for (let y = Math.floor(cy - ry); y <= Math.ceil(cy + ry); y++)
    for (let x = Math.floor(cx - rx); x <= Math.ceil(cx + rx); x++)
      if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) img.data[y * img.widthPx + x] = v;
}

/** A round blob of ink (a pen nib's dot), or the disc that strokes are drawn with. */
function disc(img: GrayImage & { data: Uint8Array }, cx: number, cy: number, r: number, v: number) {
  for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++)
    for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++)
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) img.data[y * img.widthPx + x] = v;
}

/** A pen stroke `widthPx` wide from one point to another. */
function stroke(
  img: GrayImage & { data: Uint8Array },
  from: [number, number],
  to: [number, number],
  widthPx: number,
) {
  const n = Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) * 2);
  for (let i = 0; i <= n; i++)
    disc(img, from[0] + ((to[0] - from[0]) * i) / n, from[1] + ((to[1] - from[1]) * i) / n, widthPx / 2, 20);
}

/** A check mark across an oval of outer half-axes a × b centred on `c`: short down-stroke, long up-stroke. */
function drawCheck(
  img: GrayImage & { data: Uint8Array },
  c: { xPx: number; yPx: number },
  a: number,
  b: number,
) {
  stroke(img, [c.xPx - a * 0.6, c.yPx], [c.xPx - a * 0.1, c.yPx + b * 0.6], 3);
  stroke(img, [c.xPx - a * 0.1, c.yPx + b * 0.6], [c.xPx + a, c.yPx - b * 1.3], 3);
}

function ring(img: GrayImage & { data: Uint8Array }, cx: number, cy: number, rx: number, ry: number) {
  for (let i = 0; i < 720; i++) {
    const a = (i / 720) * 2 * Math.PI;
    for (let w = -1; w <= 1; w++) {
      const x = Math.round(cx + (rx + w) * Math.cos(a));
      const y = Math.round(cy + (ry + w) * Math.sin(a));
      img.data[y * img.widthPx + x] = 20;
    }
  }
}

describe('score', async () => {
  const page = await blankFront();
  const reg = registerPage(page, { paper: 'letter' });
  if (reg.type !== 'ok') throw new Error(`demo page did not register: ${reg.detail}`);
  const layout = election.layouts.find((l) => l.side === 'front' && l.ballotStyleId === 'card-number-2');
  const targets = layout?.targets ?? [];
  const at = (i: number) => {
    const t = targets[i];
    if (!t) throw new Error('no target');
    const centre = gridToPixel(reg.grid, t);
    const s = gridScaleAt(reg.grid, t);
    const ahead = gridToPixel(reg.grid, { column: t.column + 1, row: t.row });
    const angleRad = Math.atan2(ahead.yPx - centre.yPx, ahead.xPx - centre.xPx);
    return { centre, pxPerColumn: s.pxPerColumn, pxPerRow: s.pxPerRow, angleRad };
  };

  it('a blank oval scores 0: the printed outline is not ink', () => {
    for (let i = 0; i < targets.length; i++) expect(scoreBubble(page, at(i)).fill01).toBeLessThan(0.02);
  });

  it('a filled oval scores near 1, also when the fill is 4 px off the predicted centre', () => {
    const img = { ...page, data: new Uint8Array(page.data) };
    const g = at(0);
    fillEllipse(img, g.centre.xPx + 4, g.centre.yPx - 2, g.pxPerColumn * 0.38, g.pxPerRow * 0.25, 25);
    // the interior is solid; the bands above and below (15% of the score) are not
    expect(scoreBubble(img, g).fill01).toBeGreaterThan(0.8);
  });

  it('a light even pencil fill is caught by the interior tone', () => {
    const img = { ...page, data: new Uint8Array(page.data) };
    const g = at(1);
    fillEllipse(img, g.centre.xPx, g.centre.yPx, g.pxPerColumn * 0.36, g.pxPerRow * 0.24, 190);
    const s = scoreBubble(img, g);
    expect(s.fill01).toBeGreaterThanOrEqual(defaultCalibration().thresholds.definite);
  });

  it('a circle drawn around an oval leaves the interior empty but shows outside ink', () => {
    const img = { ...page, data: new Uint8Array(page.data) };
    const g = at(2);
    ring(img, g.centre.xPx, g.centre.yPx, g.pxPerColumn * 0.6, g.pxPerRow * 0.45);
    const s = scoreBubble(img, g);
    expect(s.fill01).toBeLessThan(0.05);
    expect(s.outsideInk01).toBeGreaterThanOrEqual(defaultCalibration().thresholds.outsideInk);
  });

  /** The demo sheet with the front's page replaced, read whole. */
  async function readWithFront(front: GrayImage): Promise<InterpretedSheet> {
    const back = await decodeImage(readFileSync(join(DEMO, '000006-back.jpeg')));
    if (back.type !== 'ok' || !back.pages[0]) throw new Error('demo back did not decode');
    const out = interpretSheet(
      [
        { ...front, imageIndex: 0, page: 0 },
        { ...back.pages[0], imageIndex: 1, page: 0 },
      ],
      election,
      defaultCalibration(),
    );
    if (out.type !== 'interpreted') throw new Error(`rejected: ${out.detail}`);
    return out;
  }

  /** The blank front with a streak `widthPx` wide down the whole page at `x0`, of pixel value `value`. */
  function withStreak(x0: number, widthPx: number, value: (v: number) => number) {
    const img = { ...page, data: new Uint8Array(page.data) };
    for (let y = 0; y < img.heightPx; y++)
      for (let x = x0; x < x0 + widthPx; x++)
        img.data[y * img.widthPx + x] = value(img.data[y * img.widthPx + x] as number);
    return img;
  }

  it('a scanner streak through a target is taken out before it is read: blank stays blank, a fill stays a fill', async () => {
    const g = at(0);
    const x0 = Math.round(g.centre.xPx) - 1;
    // black, 3 px wide: nothing under it can be seen, so its columns are redrawn from either side
    const black = withStreak(x0, 3, () => 30);
    const s = scoreBubble(black, g);
    expect([s.streak, s.fill01]).toEqual([true, 0]);
    expect(s.streakShare01).toBeGreaterThan(0);
    expect(s.streakShare01).toBeLessThan(0.25);
    expect(scoreBubble(page, g).streak).toBe(false);
    // grey, 6 px wide, over a filled oval and through a blank one: seen through
    const grey = withStreak(x0, 6, (v) => Math.round(v * 0.6));
    const filled = { ...grey, data: new Uint8Array(grey.data) };
    fillEllipse(filled, g.centre.xPx, g.centre.yPx, g.pxPerColumn * 0.3, g.pxPerRow * 0.2, 60);
    expect(scoreBubble(grey, g)).toMatchObject({ streak: true, streakShare01: 0, fill01: 0 });
    expect(scoreBubble(filled, g).fill01).toBeGreaterThan(0.9);
    const out = await readWithFront(black);
    const t = out.targets.find((x) => x.side === 'front' && x.optionId === targets[0]?.optionId);
    expect([t?.status, t?.streak]).toEqual(['unmarked', true]);
    expect(out.reasons.filter((r) => r.type === 'streak-through-target')).toEqual([]);
    expect(out.pages[0]?.warnings).toContainEqual(
      expect.stringMatching(/^a scanner streak runs down the page through \d+ targets? \(near x /),
    );
    // the overlay says so beside the oval
    expect(overlaySvg(out, 'front', black.widthPx, black.heightPx)).toContain('>streak taken out</text>');
    expect(overlaySvg(await readWithFront(page), 'front', page.widthPx, page.heightPx)).not.toContain(
      'taken out',
    );
  });

  it('a black streak over a quarter of an oval or more sends it to a person, never counted', async () => {
    const g = at(0);
    const out = await readWithFront(withStreak(Math.round(g.centre.xPx) - 5, 10, () => 20));
    const t = out.targets.find((x) => x.side === 'front' && x.optionId === targets[0]?.optionId);
    expect(t?.status).toBe('marginal');
    expect(t?.streakShare01).toBeGreaterThanOrEqual(0.25);
    expect(out.reasons).toContainEqual({
      type: 'streak-through-target',
      contestId: targets[0]?.contestId,
      optionId: targets[0]?.optionId,
      streakShare01: t?.streakShare01,
    });
    expect(out.needsReview).toBe(true);
  });
});

describe('how the ink lies, and what the interpreter makes of it', async () => {
  const page = await blankFront();
  const back = await decodeImage(readFileSync(join(DEMO, '000006-back.jpeg')));
  if (back.type !== 'ok' || !back.pages[0]) throw new Error('demo back did not decode');
  const backPage = back.pages[0];
  const reg = registerPage(page, { paper: 'letter' });
  if (reg.type !== 'ok') throw new Error(`demo page did not register: ${reg.detail}`);
  const layout = election.layouts.find((l) => l.side === 'front' && l.ballotStyleId === 'card-number-2');
  const targets = layout?.targets ?? [];
  /** a candidate's target (not a write-in), its grid and its oval's interior half-axes in pixels */
  const option = (i: number) => {
    const t = targets[i];
    if (t?.type !== 'option') throw new Error(`target ${i} is not an option`);
    const centre = gridToPixel(reg.grid, t);
    const s = gridScaleAt(reg.grid, t);
    const ahead = gridToPixel(reg.grid, { column: t.column + 1, row: t.row });
    const g = {
      centre,
      pxPerColumn: s.pxPerColumn,
      pxPerRow: s.pxPerRow,
      angleRad: Math.atan2(ahead.yPx - centre.yPx, ahead.xPx - centre.xPx),
    };
    // the printed ovals of the demo ballots are 0.92 of the nominal size; the interior is 0.77 of that
    return { t, g, a: s.pxPerColumn * 0.41 * 0.92, b: s.pxPerRow * 0.27 * 0.92 };
  };
  const copy = () => ({ ...page, data: new Uint8Array(page.data) });
  const calibration = defaultCalibration();
  const { definite, marginal } = calibration.thresholds;
  const read = (img: GrayImage, cal = calibration): InterpretedSheet => {
    const out = interpretSheet(
      [
        { ...img, imageIndex: 0, page: 0 },
        { ...backPage, imageIndex: 1, page: 0 },
      ],
      election,
      cal,
    );
    if (out.type !== 'interpreted') throw new Error(`rejected: ${out.detail}`);
    return out;
  };
  const targetIn = (out: InterpretedSheet, optionId: string) =>
    out.targets.find((x) => x.side === 'front' && x.optionId === optionId);
  const reasonTypes = (out: InterpretedSheet, optionId: string) =>
    out.reasons.filter((r) => 'optionId' in r && r.optionId === optionId).map((r) => r.type);

  it('a dot sits in one spot of the oval (small spread), a check spreads across it like a fill', () => {
    const { g, a, b } = option(1);
    const dot = copy();
    disc(dot, g.centre.xPx + 2, g.centre.yPx - 1, 5, 20);
    const check = copy();
    drawCheck(check, g.centre, a, b);
    const fill = copy();
    fillEllipse(fill, g.centre.xPx, g.centre.yPx, a * 0.9, b * 0.9, 25);
    const sDot = scoreBubble(dot, g);
    const sCheck = scoreBubble(check, g);
    // as much ink as a thin check: the fill alone cannot tell them apart
    expect(sDot.fill01).toBeGreaterThanOrEqual(definite);
    expect(sCheck.fill01).toBeGreaterThanOrEqual(definite);
    expect(sDot.inkSpread01).toBeLessThan(0.55);
    expect(sCheck.inkSpread01).toBeGreaterThan(0.9);
    expect(scoreBubble(fill, g).inkSpread01).toBeGreaterThan(0.9);
    expect(scoreBubble(page, g).inkSpread01).toBe(0);
  });

  it('a dot as heavy as a check is sent to review as a compact mark; the check is counted', () => {
    const { t, g, a, b } = option(1);
    const dot = copy();
    disc(dot, g.centre.xPx + 2, g.centre.yPx - 1, 5, 20);
    const out = read(dot);
    expect(targetIn(out, t.optionId)).toMatchObject({ status: 'marginal' });
    const reason = out.reasons.find((r) => r.type === 'compact-mark');
    expect(reason).toMatchObject({ contestId: t.contestId, optionId: t.optionId });
    expect(reason && 'inkSpread01' in reason && reason.inkSpread01).toBeLessThan(0.6);
    expect(out.needsReview).toBe(true);
    // the threshold is the calibration's: a profile that accepts dots counts it
    const lenient = { ...calibration, thresholds: { ...calibration.thresholds, compactSpread: 0.3 } };
    expect(targetIn(read(dot, lenient), t.optionId)?.status).toBe('marked');

    const check = copy();
    drawCheck(check, g.centre, a, b);
    const counted = read(check);
    expect(targetIn(counted, t.optionId)?.status).toBe('marked');
    expect(reasonTypes(counted, t.optionId)).toEqual([]);
  });

  it('a heavy dot among clumps of speckle is still a compact mark; a check among them is counted', () => {
    const { t, g, a, b } = option(1);
    // clumps of 2 × 2 pixels (not isolated specks) spread over the oval, as a speckled black-and-white
    // scan leaves them, which spread the ink's position across it
    const clumps = (img: GrayImage & { data: Uint8Array }) => {
      for (const [fx, fy] of [
        [-0.6, -0.4],
        [0.6, 0.4],
        [-0.55, 0.45],
        [0.55, -0.45],
        [0, 0.6],
        [0, -0.6],
      ] as const)
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++) {
            const x = Math.round(g.centre.xPx + fx * a * 0.75) + dx;
            const y = Math.round(g.centre.yPx + fy * b * 0.75) + dy;
            img.data[y * img.widthPx + x] = 20;
          }
      return img;
    };
    const dot = clumps(copy());
    disc(dot, g.centre.xPx + 2, g.centre.yPx, 4, 20);
    const s = scoreBubble(dot, g);
    expect(s.fill01).toBeGreaterThanOrEqual(definite);
    // all of its ink spreads like a mark's; the dot, most of it, does not
    expect(s.inkSpread01).toBeGreaterThanOrEqual(0.6);
    expect(s.coreSpread01).toBeLessThan(0.6);
    const out = read(dot);
    expect(targetIn(out, t.optionId)?.status).toBe('marginal');
    expect(reasonTypes(out, t.optionId)).toContain('compact-mark');

    const check = clumps(copy());
    drawCheck(check, g.centre, a, b);
    const counted = read(check);
    expect(targetIn(counted, t.optionId)?.status).toBe('marked');
    expect(reasonTypes(counted, t.optionId)).toEqual([]);
  });

  it('isolated specks (scan noise) are not a mark; strokes with as much ink are', () => {
    const { t, g, a, b } = option(2);
    const inInterior = (x: number, y: number) =>
      ((x - g.centre.xPx) / (a * 0.75)) ** 2 + ((y - g.centre.yPx) / (b * 0.75)) ** 2 <= 1;
    const specks = copy();
    for (let y = Math.floor(g.centre.yPx - b); y <= g.centre.yPx + b; y += 2)
      for (let x = Math.floor(g.centre.xPx - a); x <= g.centre.xPx + a; x += 2)
        if (inInterior(x, y)) specks.data[y * specks.widthPx + x] = 10;
    const lines = copy();
    const top = Math.floor(g.centre.yPx - b);
    for (let y = top; y <= g.centre.yPx + b; y++)
      for (let x = Math.floor(g.centre.xPx - a); x <= g.centre.xPx + a; x++)
        if (inInterior(x, y) && (y - top) % 8 < 2) lines.data[y * lines.widthPx + x] = 10;
    const sSpecks = scoreBubble(specks, g);
    const sLines = scoreBubble(lines, g);
    expect(sSpecks.fill01).toBeGreaterThanOrEqual(definite);
    expect(sLines.fill01).toBeGreaterThanOrEqual(definite);
    expect(sSpecks.speckle01).toBeGreaterThan(0.9);
    expect(sLines.speckle01).toBeLessThan(0.1);

    const out = read(specks);
    expect(targetIn(out, t.optionId)?.status).toBe('marginal');
    expect(reasonTypes(out, t.optionId)).toContain('speckle-in-target');
    expect(targetIn(read(lines), t.optionId)?.status).toBe('marked');
  });

  it('a faint even smudge (an erasure) is residue: not ink, but sent to review', () => {
    const { t, g, a, b } = option(2);
    const smudge = copy();
    for (let y = Math.floor(g.centre.yPx - b * 1.4); y <= g.centre.yPx + b * 1.4; y++)
      for (let x = Math.floor(g.centre.xPx - a * 1.4); x <= g.centre.xPx + a * 1.4; x++) {
        if (((x - g.centre.xPx) / (a * 1.25)) ** 2 + ((y - g.centre.yPx) / (b * 1.25)) ** 2 > 1) continue;
        const k = y * smudge.widthPx + x;
        const patch = ((x * 7 + y * 13) % 5) / 4; // graphite left in the paper's tooth: patchy
        smudge.data[k] = Math.round((smudge.data[k] as number) * (1 - 0.048 * (0.9 + 0.2 * patch)));
      }
    const s = scoreBubble(smudge, g);
    expect(s.fill01).toBeLessThan(marginal);
    expect(s.residue01).toBeGreaterThanOrEqual(0.04);
    expect(scoreBubble(page, g).residue01).toBeLessThan(0.01);
    const out = read(smudge);
    expect(targetIn(out, t.optionId)?.status).toBe('marginal');
    expect(out.reasons).toContainEqual({
      type: 'faint-residue',
      contestId: t.contestId,
      optionId: t.optionId,
      residue01: s.residue01,
    });
  });

  it('a light even shading just over the definite fill is marginal, a pen check as light and a darker shading count', () => {
    const { t, g, a, b } = option(1);
    const { lightFill, lightTone } = reviewThresholds(calibration);
    const shade = (level: number) => {
      const img = copy();
      fillEllipse(img, g.centre.xPx, g.centre.yPx, a * 1.05, b * 1.05, level);
      return img;
    };
    const light = shade(190);
    const s = scoreBubble(light, g);
    // over the definite threshold, under the light-shading one, and evenly dark (pen strokes are not)
    expect(s.fill01).toBeGreaterThanOrEqual(definite);
    expect(s.fill01).toBeLessThan(lightFill);
    expect(s.residue01).toBeGreaterThanOrEqual(lightTone);
    const out = read(light);
    expect(targetIn(out, t.optionId)?.status).toBe('marginal');
    const reason = out.reasons.find((r) => r.type === 'marginal-mark' && r.optionId === t.optionId);
    expect(reason).toEqual({
      type: 'marginal-mark',
      contestId: t.contestId,
      optionId: t.optionId,
      fill01: s.fill01,
      shading01: s.residue01,
    });
    expect(reason && describeReason(reason)).toContain('a light, even shading');
    expect(out.needsReview).toBe(true);

    // a pen slash reads about as much fill, but its interior's median stays at paper
    const check = copy();
    stroke(check, [g.centre.xPx - a, g.centre.yPx + b], [g.centre.xPx + a, g.centre.yPx - b], 3);
    const sCheck = scoreBubble(check, g);
    expect(sCheck.fill01).toBeLessThan(lightFill);
    expect(sCheck.residue01).toBeLessThan(lightTone);
    expect(targetIn(read(check), t.optionId)?.status).toBe('marked');

    const darker = shade(160);
    expect(scoreBubble(darker, g).fill01).toBeGreaterThanOrEqual(lightFill);
    const counted = read(darker);
    expect(targetIn(counted, t.optionId)?.status).toBe('marked');
    expect(reasonTypes(counted, t.optionId)).toEqual([]);
  });

  it('a tiny solid dot under the marginal fill is an ink spot, sent to review; specks and a blank are not', () => {
    const { t, g } = option(2);
    const { spot } = reviewThresholds(calibration);
    expect(scoreBubble(page, g).spot01).toBe(0);

    // a dot ~0.015 in across (7 solid pixels at 200 dpi) a little off the centre: too little ink for the fill
    const dot = copy();
    const x = Math.round(g.centre.xPx) + 3;
    const y = Math.round(g.centre.yPx) - 2;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) if (dx * dy !== 1) dot.data[(y + dy) * dot.widthPx + x + dx] = 20;
    const sDot = scoreBubble(dot, g);
    expect(sDot.fill01).toBeLessThan(marginal);
    expect(sDot.spot01).toBeGreaterThanOrEqual(spot);
    const outDot = read(dot);
    expect(targetIn(outDot, t.optionId)?.status).toBe('marginal');
    expect(outDot.reasons).toContainEqual({
      type: 'ink-spot',
      contestId: t.contestId,
      optionId: t.optionId,
      fill01: sDot.fill01,
      spot01: sDot.spot01,
    });

    // as much ink in isolated specks (single pixels, and a pair) is scan noise: no spot
    const specks = copy();
    for (const [dx, dy] of [
      [-8, -3],
      [-4, 3],
      [0, -4],
      [4, 2],
      [8, -2],
      [-9, 2],
      [6, 5],
      [7, 5],
    ] as const)
      specks.data[(Math.round(g.centre.yPx) + dy) * specks.widthPx + Math.round(g.centre.xPx) + dx] = 20;
    const sSpecks = scoreBubble(specks, g);
    expect(sSpecks.fill01).toBeLessThan(marginal);
    expect(sSpecks.spot01).toBe(0);
    const outSpecks = read(specks);
    expect(targetIn(outSpecks, t.optionId)?.status).toBe('unmarked');
    expect(reasonTypes(outSpecks, t.optionId)).not.toContain('ink-spot');
  });

  it('a gray dot just inside the outline, joined to it by the blur between them, is still a spot', () => {
    const { t, g, a } = option(2);
    const { spot } = reviewThresholds(calibration);
    const img = copy();
    // a gray dot (core ~0.7 dark) inside the left end of the outline, a lighter blur (~0.35) bridging the
    // two pixels between it and the printed outline, as a gray scan leaves a hesitation dot there
    const cx = g.centre.xPx - a * 0.7;
    const cy = g.centre.yPx;
    disc(img, cx, cy, 1.6, 140);
    for (let x = Math.round(cx - a * 0.32); x < Math.round(cx - 1.6); x++)
      for (let dy = -1; dy <= 1; dy++) img.data[(Math.round(cy) + dy) * img.widthPx + x] = 180;
    const s = scoreBubble(img, g);
    expect(s.fill01).toBeLessThan(marginal);
    expect(s.spot01).toBeGreaterThanOrEqual(spot);
    const out = read(img);
    expect(targetIn(out, t.optionId)?.status).toBe('marginal');
    expect(reasonTypes(out, t.optionId)).toContain('ink-spot');
  });

  it("a fold line across the page is taken out of the ovals it crosses; a voter's stroke through the row is not, and goes to review", () => {
    const { t, g, a, b } = option(1);
    // a crease's shadow, 3 px of 0.35 darkening right across the page through the oval's middle
    const fold = (img: GrayImage & { data: Uint8Array }) => {
      for (let y = Math.round(g.centre.yPx) - 1; y <= Math.round(g.centre.yPx) + 1; y++)
        for (let x = 0; x < img.widthPx; x++) {
          const k = y * img.widthPx + x;
          img.data[k] = Math.round((img.data[k] as number) * 0.65);
        }
      return img;
    };
    const blank = fold(copy());
    const s = scoreBubble(blank, g);
    expect(s.pageLine).toBe(true);
    expect(s.fill01).toBeLessThan(marginal);
    expect(s.fillWithoutLines01).toBeUndefined();
    const out = read(blank);
    expect(targetIn(out, t.optionId)).toMatchObject({ status: 'unmarked', pageLine: true });
    expect(reasonTypes(out, t.optionId)).toEqual([]);
    expect(out.pages[0]?.warnings).toContainEqual(
      expect.stringMatching(
        /^a line across the page \(a fold's crease, or one the scanner drew\) runs through \d+ targets?/,
      ),
    );

    const filled = copy();
    fillEllipse(filled, g.centre.xPx, g.centre.yPx, a * 0.9, b * 0.9, 25);
    const counted = read(fold(filled));
    expect(targetIn(counted, t.optionId)?.status).toBe('marked');
    expect(reasonTypes(counted, t.optionId)).toEqual([]);

    // a pen stroke through the row, on well beyond the oval both ways but not across the page: a person
    // decides whether it strikes the option out or marks it
    const struck = copy();
    for (let y = Math.round(g.centre.yPx) - 1; y <= Math.round(g.centre.yPx) + 1; y++)
      for (let x = Math.round(g.centre.xPx - 6 * a); x <= Math.round(g.centre.xPx + 6 * a); x++)
        struck.data[y * struck.widthPx + x] = 40;
    const ss = scoreBubble(struck, g);
    expect(ss.pageLine).toBeUndefined();
    expect(ss.fill01).toBeGreaterThanOrEqual(definite);
    expect(ss.fillWithoutLines01).toBeLessThan(marginal);
    const review = read(struck);
    expect(targetIn(review, t.optionId)?.status).toBe('marginal');
    expect(review.reasons).toContainEqual({
      type: 'line-through-target',
      contestId: t.contestId,
      optionId: t.optionId,
      fill01: ss.fill01,
      fillWithoutLines01: ss.fillWithoutLines01,
    });

    // a name's underline or a rule that stops short of the oval's far side is no line through it
    const short = copy();
    for (let y = Math.round(g.centre.yPx) - 1; y <= Math.round(g.centre.yPx) + 1; y++)
      for (let x = Math.round(g.centre.xPx - 4 * a); x <= Math.round(g.centre.xPx); x++)
        short.data[y * short.widthPx + x] = 20;
    expect(scoreBubble(short, g).fillWithoutLines01).toBeUndefined();
    expect(scoreBubble(page, g).fillWithoutLines01).toBeUndefined();
  });

  it('a dot on the printed outline or a stroke along its edge is ink on the outline, sent to review', () => {
    const { t, g, a, b } = option(2);
    const { edgeInk } = reviewThresholds(calibration);
    expect(targetIn(read(page), t.optionId)?.edgeInk01).toBe(0);

    // a pen's dot (0.025 in across) sitting on the outline up and to the right: joined to the outline, so
    // no spot of its own, and too little ink in the interior for the fill
    const dot = copy();
    disc(dot, g.centre.xPx + a * 0.66, g.centre.yPx - b * 0.7, 2.5, 20);
    const sDot = scoreBubble(dot, g);
    expect(sDot.fill01).toBeLessThan(marginal);
    expect(sDot.spot01).toBe(0);
    const outDot = read(dot);
    const onOutline = targetIn(outDot, t.optionId);
    expect(onOutline?.status).toBe('marginal');
    expect(onOutline?.edgeInk01).toBeGreaterThanOrEqual(edgeInk);
    expect(outDot.reasons).toContainEqual({
      type: 'ink-on-outline',
      contestId: t.contestId,
      optionId: t.optionId,
      fill01: onOutline?.fill01,
      edgeInk01: onOutline?.edgeInk01,
      edgeInward01: onOutline?.edgeInward01,
    });

    // a stroke drawn along the inside of the bottom of the outline, touching it (a fill begun and left)
    const edge = copy();
    stroke(
      edge,
      [g.centre.xPx - a * 0.7, g.centre.yPx + b * 0.9],
      [g.centre.xPx + a * 0.5, g.centre.yPx + b * 0.92],
      3,
    );
    const sEdge = scoreBubble(edge, g);
    expect([sEdge.fill01 < marginal, sEdge.spot01]).toEqual([true, 0]);
    const outEdge = read(edge);
    expect(targetIn(outEdge, t.optionId)?.status).toBe('marginal');
    expect(reasonTypes(outEdge, t.optionId)).toContain('ink-on-outline');
  });

  it('paper shaded across an oval (a page curled off the glass) does not read as ink in it', () => {
    // a shadow towards the right edge of the page, as a curled page casts: the paper darkens by up to 45 %,
    // quadratically over the right third of the page, steepest where the last column's ovals are
    const shaded = copy();
    const from = shaded.widthPx * 0.67;
    for (let y = 0; y < shaded.heightPx; y++)
      for (let x = Math.floor(from); x < shaded.widthPx; x++) {
        const k = y * shaded.widthPx + x;
        const t = (x - from) / (shaded.widthPx - from);
        shaded.data[k] = Math.round((shaded.data[k] as number) * (1 - 0.45 * t * t));
      }
    const before = read(page);
    const out = read(shaded);
    const inShadow = out.targets.filter(
      (x) => x.side === 'front' && x.centrePx.xPx > from + (shaded.widthPx - from) / 3,
    );
    expect(inShadow.length).toBeGreaterThan(3);
    for (const x of inShadow) {
      const was = before.targets.find(
        (y) => y.side === x.side && y.optionId === x.optionId && y.contestId === x.contestId,
      );
      expect([x.optionId, x.status]).toEqual([x.optionId, was?.status]);
      expect(Math.abs(x.fill01 - (was?.fill01 ?? 0))).toBeLessThan(0.02);
    }
  });

  it('an oval in a stain is not counted on the stain alone: the paper round it is uneven, a person looks', () => {
    const { t, g, a, b } = option(2);
    const { paperSpread } = reviewThresholds(calibration);
    // a stain: darker by 25 % over an ellipse three times the oval's size, its edge fading over the outer
    // quarter, so that its lighter rim is in the window the paper level is taken from
    const stained = copy();
    const rx = a * 3.2;
    const ry = b * 3.6;
    for (let y = Math.floor(g.centre.yPx - ry); y <= g.centre.yPx + ry; y++)
      for (let x = Math.floor(g.centre.xPx - rx); x <= g.centre.xPx + rx; x++) {
        const r = Math.hypot((x - g.centre.xPx) / rx, (y - g.centre.yPx) / ry);
        if (r > 1) continue;
        const k = y * stained.widthPx + x;
        stained.data[k] = Math.round((stained.data[k] as number) * (1 - 0.25 * Math.min(1, (1 - r) * 4)));
      }
    const s = scoreBubble(stained, g);
    const out = read(stained);
    const target = targetIn(out, t.optionId);
    // the stain alone reads as a definite fill of the blank oval: the window's lightest tenth is its rim
    expect(s.fill01).toBeGreaterThanOrEqual(definite);
    expect(s.paperSpread01).toBeGreaterThanOrEqual(paperSpread);
    expect(target?.status).toBe('marginal');
    expect(out.reasons).toContainEqual({
      type: 'marginal-mark',
      contestId: t.contestId,
      optionId: t.optionId,
      fill01: s.fill01,
      paperSpread01: s.paperSpread01,
    });
    // on even paper the paper level and the median of the paper round the oval are one
    expect(scoreBubble(page, g).paperSpread01).toBeLessThan(0.02);
  });

  it('a circle round an oval broken into dots (a black-and-white scan of a faint one) is ink round it', () => {
    const { t, g, a, b } = option(2);
    const { surround } = reviewThresholds(calibration);
    // dots of 1.5 px every 15°, 1.6 times the oval's size: little ink in the bands above and below it
    const dotted = copy();
    for (let deg = 0; deg < 360; deg += 15) {
      const th = (deg * Math.PI) / 180;
      disc(dotted, g.centre.xPx + a * 1.6 * Math.cos(th), g.centre.yPx + b * 1.85 * Math.sin(th), 1.5, 20);
    }
    const out = read(dotted);
    const target = targetIn(out, t.optionId);
    expect(target?.status).toBe('unmarked');
    expect(target?.outsideInk01).toBeLessThan(calibration.thresholds.outsideInk);
    expect(target?.surround01).toBeGreaterThanOrEqual(surround);
    expect(out.reasons).toContainEqual({
      type: 'mark-outside-target',
      contestId: t.contestId,
      optionId: t.optionId,
      outsideInk01: target?.outsideInk01,
      surround01: target?.surround01,
    });
    // on the untouched page, what is printed round the ovals (names, rules) is left out: none is circled
    expect(read(page).targets.every((x) => (x.surround01 ?? 0) < surround)).toBe(true);
  });

  it('a rule printed just beside every oval of a column, or an outline faded to pieces, is no ink on it', () => {
    const { t, g, a, b } = option(2);
    // a column rule 2 px wide, 1 px clear of the right end of the outline, down the whole page
    const ruled = copy();
    const x0 = Math.round(g.centre.xPx + a + 2);
    for (let y = 0; y < ruled.heightPx; y++)
      for (let x = x0; x < x0 + 2; x++) ruled.data[y * ruled.widthPx + x] = 30;
    const outRuled = read(ruled);
    expect(outRuled.targets.filter((x) => x.status !== 'unmarked')).toEqual([]);
    expect(outRuled.reasons.map((r) => r.type)).not.toContain('ink-on-outline');

    // every other stretch of every outline rubbed out to paper (a faded print, black-and-white scan)
    const faded = copy();
    for (const target of targets) {
      const c = gridToPixel(reg.grid, target);
      for (let y = Math.round(c.yPx - 2 * b); y <= c.yPx + 2 * b; y++)
        for (let x = Math.round(c.xPx - 2 * a); x <= c.xPx + 2 * a; x++)
          if ((x >> 2) % 2 === 0) faded.data[y * faded.widthPx + x] = 245;
    }
    const outFaded = read(faded);
    expect(targetIn(outFaded, t.optionId)?.status).toBe('unmarked');
    expect(outFaded.reasons.map((r) => r.type)).not.toContain('ink-on-outline');
  });

  it('a stroke or the printed outline reaching into the interior is no spot', () => {
    const { g, a, b } = option(2);
    // a short stroke across the interior's edge and out of the oval: wider than a dot, joined to ink outside
    const stray = copy();
    stroke(
      stray,
      [g.centre.xPx + a * 0.6, g.centre.yPx - b * 0.3],
      [g.centre.xPx + a * 1.6, g.centre.yPx - b * 1.2],
      2,
    );
    const sStray = scoreBubble(stray, g);
    expect(sStray.fill01).toBeGreaterThan(0);
    expect(sStray.spot01).toBe(0);
    // read 4 px below the printed outline, whose top arc then lies in the interior's rim
    const off = scoreBubble(
      page,
      { ...g, centre: { xPx: g.centre.xPx, yPx: g.centre.yPx + 4 } },
      { searchFraction: 0, scale: 0.92 },
    );
    expect(off.fill01).toBeGreaterThan(0);
    expect(off.spot01).toBe(0);
  });

  it('a circle that pulls the outline search off the oval: read again where the neighbours put it', () => {
    const { t, g, a, b } = option(1);
    const img = copy();
    // drawn around the oval, a little high: its top arc and the oval's own top make a better "outline"
    // 9 px up than the printed one, and the oval's top then runs through the interior found there
    for (let i = 0; i < 1440; i++) {
      const th = (i / 1440) * 2 * Math.PI;
      disc(
        img,
        g.centre.xPx + a * (0.04 + 1.51 * Math.cos(th)),
        g.centre.yPx + b * (-0.29 + 1.96 * Math.sin(th)),
        2,
        25,
      );
    }
    const first = scoreBubble(img, g);
    expect(Math.abs(first.centre.yPx - g.centre.yPx) / g.pxPerRow).toBeGreaterThan(0.09);
    expect(first.fill01).toBeGreaterThanOrEqual(definite);

    const out = read(img);
    const target = targetIn(out, t.optionId);
    expect(target?.status).toBe('marginal');
    expect(target?.fill01).toBeLessThan(marginal);
    expect(target?.firstReading).toMatchObject({ fill01: first.fill01, status: 'marked' });
    expect(out.reasons).toContainEqual(
      expect.objectContaining({ type: 'outline-misplaced', optionId: t.optionId, firstFill01: first.fill01 }),
    );
    // read where it belongs, the circle is ink around the oval
    expect(reasonTypes(out, t.optionId)).toContain('mark-outside-target');
  });

  it('profiles written before the review thresholds stay valid and take the defaults', () => {
    const old = {
      schemaVersion: 1,
      name: 'old-profile',
      thresholds: { definite: 0.13, marginal: 0.02, writeInInk: 0.07 },
    };
    const parsed = parseCalibration(old);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    expect(reviewThresholds(parsed.value)).toEqual(REVIEW_DEFAULTS);
    expect(reviewThresholds(calibration)).toEqual(REVIEW_DEFAULTS);
    const bad = parseCalibration({ ...old, thresholds: { ...old.thresholds, speckle: 1.5 } });
    expect(bad.ok).toBe(false);
  });

  /** a write-in target of the demo front, and its area's top-left corner and scale in pixels */
  const writeIn = (i: number) => {
    const t = targets[i];
    if (t?.type !== 'write-in' || !t.writeInArea)
      throw new Error(`target ${i} is not a write-in with an area`);
    const area = t.writeInArea;
    const s = gridScaleAt(reg.grid, { column: area.column, row: area.row });
    return {
      t,
      corner: gridToPixel(reg.grid, area),
      w: area.width * s.pxPerColumn,
      h: area.height * s.pxPerRow,
    };
  };
  /** a zigzag "name" of `letters` strokes across the upper part of a write-in area */
  const scribble = (
    img: GrayImage & { data: Uint8Array },
    w: ReturnType<typeof writeIn>,
    letters: number,
    widthPx: number,
    v: number,
  ) => {
    const x0 = w.corner.xPx + w.w * 0.15;
    const top = w.corner.yPx + w.h * 0.25;
    const bottom = w.corner.yPx + w.h * 0.65;
    for (let k = 0; k < letters; k++) {
      const x = x0 + k * 12;
      const n = Math.ceil(Math.hypot(6, bottom - top) * 2);
      for (const [from, to] of [
        [
          [x, bottom],
          [x + 6, top],
        ],
        [
          [x + 6, top],
          [x + 12, bottom],
        ],
      ] as const)
        for (let j = 0; j <= n; j++)
          disc(
            img,
            from[0] + ((to[0] - from[0]) * j) / n,
            from[1] + ((to[1] - from[1]) * j) / n,
            widthPx / 2,
            v,
          );
    }
  };

  it('a short name in a light pen is handwriting; the printed line and rule in the write-in area are not', () => {
    const w = writeIn(3);
    const { writeInInk } = calibration.thresholds;
    // the empty area holds the printed line under it and a column rule: neither is ink
    expect(targetIn(read(page), w.t.optionId)?.writeInInk01).toBeLessThan(0.002);
    const light = copy();
    scribble(light, w, 4, 2, 120);
    const out = read(light);
    const r = targetIn(out, w.t.optionId);
    expect(r?.status).toBe('unmarked');
    expect(r?.writeInInk01).toBeGreaterThanOrEqual(writeInInk);
    expect(reasonTypes(out, w.t.optionId)).toContain('unmarked-write-in');
    const reason = out.reasons.find((x) => x.type === 'unmarked-write-in');
    expect(reason && describeReason(reason)).toBe(
      `unmarked write-in in ${w.t.contestId} (${w.t.optionId}): ink in its write-in area, a name perhaps, but its oval is empty (ink ${r?.writeInInk01?.toFixed(3)} of the area, the printing left out)`,
    );
  });

  it('the overlay dashes every write-in area with its ink, in the marginal colour where a name sent it to review', () => {
    const w = writeIn(3);
    const named = copy();
    scribble(named, w, 4, 2, 60);
    const out = read(named);
    const svg = overlaySvg(out, 'front', named.widthPx, named.heightPx);
    const frontWriteIns = out.targets.filter((x) => x.side === 'front' && x.type === 'write-in');
    expect(frontWriteIns.length).toBeGreaterThan(1);
    expect(svg.match(/<polygon [^>]*stroke-dasharray/g)).toHaveLength(frontWriteIns.length);
    const r = targetIn(out, w.t.optionId);
    expect(svg).toContain(`fill="#ff8c00">ink ${r?.writeInInk01?.toFixed(3)}</text>`);
    expect(svg.match(/fill="#808080">ink 0\.00\d<\/text>/g)).toHaveLength(frontWriteIns.length - 1);
  });

  it('a label printed inside every write-in area of a side is printing, not a name in each', () => {
    const areas = targets.flatMap((t, i) => (t.type === 'write-in' ? [writeIn(i)] : []));
    expect(areas.length).toBeGreaterThanOrEqual(3);
    /** a short printed word: 12 small solid letters in the right half of the area, as some ballots print */
    const label = (img: GrayImage & { data: Uint8Array }, w: (typeof areas)[number]) => {
      const y0 = Math.round(w.corner.yPx + w.h * 0.45);
      for (let k = 0; k < 12; k++) {
        const x0 = Math.round(w.corner.xPx + w.w * 0.55) + k * 7;
        for (let y = y0; y < y0 + 8; y++)
          for (let x = x0; x < x0 + 4; x++) img.data[y * img.widthPx + x] = 30;
      }
    };
    const labelled = copy();
    for (const w of areas) label(labelled, w);
    const out = read(labelled);
    for (const w of areas) {
      const r = targetIn(out, w.t.optionId);
      expect(r?.writeInPrinted01).toBeGreaterThanOrEqual(calibration.thresholds.writeInInk);
      expect(r?.writeInInk01).toBeLessThan(0.005);
    }
    expect(out.reasons.filter((r) => r.type === 'unmarked-write-in')).toEqual([]);
    // a name in one of them still stands out
    const named = copy();
    for (const w of areas) label(named, w);
    const first = areas[0] as (typeof areas)[number];
    scribble(named, first, 4, 2, 120);
    expect(reasonTypes(read(named), first.t.optionId)).toContain('unmarked-write-in');
  });

  it("a bold pen's name is not taken for a printed line", () => {
    const w = writeIn(3);
    const thin = copy();
    scribble(thin, w, 8, 2, 40);
    const bold = copy();
    scribble(bold, w, 8, 6, 40);
    const thinInk = targetIn(read(thin), w.t.optionId)?.writeInInk01 ?? 0;
    const boldInk = targetIn(read(bold), w.t.optionId)?.writeInInk01 ?? 0;
    expect(thinInk).toBeGreaterThanOrEqual(calibration.thresholds.writeInInk);
    expect(boldInk).toBeGreaterThan(thinInk * 1.5);
  });

  it('a reason about a cross-endorsed candidate says which of its two ovals it means', () => {
    // frank-osgood is printed twice in executive-councilor (targets 7 and 8, columns 12 and 19)
    const { t, g, a, b } = option(8);
    expect(option(7).t.optionId).toBe(t.optionId);
    const light = copy();
    fillEllipse(light, g.centre.xPx, g.centre.yPx, a * 0.9, b * 0.9, 205); // a light even fill: marginal
    const out = read(light);
    const about = out.reasons.filter((r) => 'optionId' in r && r.optionId === t.optionId);
    expect(about.length).toBeGreaterThan(0);
    for (const r of about) expect(r).toMatchObject({ side: 'front', column: t.column, row: t.row });
    expect(describeReason(about[0] as AdjudicationReason)).toContain(
      `[the oval on the front at column ${t.column}, row ${t.row}]`,
    );
    // an option printed once keeps its reasons as they were
    const { t: once, g: g2, a: a2, b: b2 } = option(2);
    const other = copy();
    fillEllipse(other, g2.centre.xPx, g2.centre.yPx, a2 * 0.9, b2 * 0.9, 205);
    const plain = read(other).reasons.filter((r) => 'optionId' in r && r.optionId === once.optionId);
    expect(plain.length).toBeGreaterThan(0);
    for (const r of plain) expect('side' in r).toBe(false);
  });

  it('a blank ballot reads blank: none of these measures fires on clean paper', () => {
    const out = read(page);
    expect(out.targets.filter((x) => x.status !== 'unmarked')).toEqual([]);
    expect(out.targets.every((x) => x.firstReading === undefined)).toBe(true);
    expect(out.reasons[0]).toEqual({ type: 'blank-ballot' });
  });
});
