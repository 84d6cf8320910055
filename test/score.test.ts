/**
 * The score stage on a real page drawn on: a blank oval scores ~0 (its printed outline is not ink), a
 * filled one ~1, a small offset is found, a circled oval shows outside ink, a scanner streak is caught.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GrayImage } from '../src/image.ts';
import { interpretSheet } from '../src/pipeline/interpret.ts';
import { decodeImage } from '../src/pipeline/preprocess.ts';
import { gridScaleAt, gridToPixel, registerPage } from '../src/pipeline/register.ts';
import { scoreBubble } from '../src/pipeline/score.ts';
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

  it('a scanner streak through a blank target is flagged and never counted as a vote', async () => {
    const img = { ...page, data: new Uint8Array(page.data) };
    const g = at(0);
    const x0 = Math.round(g.centre.xPx);
    for (let y = 0; y < img.heightPx; y++)
      for (let x = x0 - 1; x <= x0 + 1; x++) img.data[y * img.widthPx + x] = 30;
    expect(scoreBubble(img, g).streak).toBe(true);
    expect(scoreBubble(page, g).streak).toBe(false);
    const back = await decodeImage(readFileSync(join(DEMO, '000006-back.jpeg')));
    if (back.type !== 'ok' || !back.pages[0]) throw new Error('demo back did not decode');
    const out = interpretSheet(
      [
        { ...img, imageIndex: 0, page: 0 },
        { ...back.pages[0], imageIndex: 1, page: 0 },
      ],
      election,
      defaultCalibration(),
    );
    if (out.type !== 'interpreted') throw new Error(`rejected: ${out.detail}`);
    const t = out.targets.find((x) => x.side === 'front' && x.optionId === targets[0]?.optionId);
    expect(t?.status).not.toBe('marked');
    expect(out.reasons).toContainEqual({
      type: 'streak-through-target',
      contestId: targets[0]?.contestId,
      optionId: targets[0]?.optionId,
    });
    expect(out.needsReview).toBe(true);
  });
});
