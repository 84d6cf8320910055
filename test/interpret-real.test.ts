/**
 * The interpreter on real scans it was not made from: VotingWorks' New Hampshire fixtures, judged
 * against another interpreter's results. Definite marks and clear blanks are truth; marks that other
 * interpreter calls marginal (or scores near its threshold) must be flagged or agree, never counted
 * against it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reviewThresholds } from '../src/election/calibration.ts';
import { interpretSheet } from '../src/pipeline/interpret.ts';
import type { InterpretedSheet } from '../src/pipeline/outcome.ts';
import {
  checkMarks,
  expectedImages,
  markedBySide,
  nearThreshold,
  sorted,
  withoutNear,
} from './expected-vx.ts';
import { AMHERST, HAVE_SHARED, HUDSON } from './fixtures.ts';
import { defaultCalibration, electionAt, pagesOf, spearman } from './helpers.ts';

const calibration = defaultCalibration();

async function interpretPair(set: string, front: string, back: string): Promise<InterpretedSheet> {
  const out = interpretSheet(
    await pagesOf([join(set, front), join(set, back)]),
    electionAt(join(set, 'election.json')),
    calibration,
  );
  if (out.type !== 'interpreted') throw new Error(`${front}: rejected ${out.reason}: ${out.detail}`);
  return out;
}

/**
 * Targets over the definite fill that the light-shading rule holds back (a darkened interior median under
 * `lightFill`): the fixtures' marks are pen, so there should be none, and their residue stays under the tone.
 */
function penMarksTakenForShading(sheet: InterpretedSheet): string[] {
  const { lightFill, lightTone } = reviewThresholds(calibration);
  return sheet.targets
    .filter(
      (t) =>
        t.fill01 >= calibration.thresholds.definite &&
        t.fill01 < lightFill &&
        (t.residue01 ?? 0) >= lightTone,
    )
    .map((t) => `${t.side} ${t.contestId}/${t.optionId} fill ${t.fill01} residue ${t.residue01}`);
}

describe.skipIf(!HAVE_SHARED)('Hudson (legal, 200 dpi, mark variety)', () => {
  const images = HAVE_SHARED ? expectedImages(HUDSON) : {};

  it('marked pair: every definite mark marked, blanks unmarked, marginal flagged, Spearman >= 0.95', async () => {
    const sheet = await interpretPair(HUDSON, 'scan-marked-front.jpeg', 'scan-marked-back.jpeg');
    expect(sheet.ballotStyleId).toBe('card-number-54');
    expect(sheet.pages.map((p) => [p.side, p.rotated180, p.dpi])).toEqual([
      ['front', false, 200],
      ['back', false, 200],
    ]);
    for (const side of ['front', 'back'] as const) {
      const exp = images[`scan-marked-${side}.jpeg`] ?? {};
      const { ours, theirs } = checkMarks(sheet, exp, side, 0.05, 0.08);
      expect(spearman(ours, theirs)).toBeGreaterThanOrEqual(0.95);
      const near = nearThreshold(exp, 0.05, 0.08);
      expect(withoutNear(markedBySide(sheet, side), near)).toEqual(withoutNear(exp.votes ?? {}, near));
    }
    expect(sheet.reasons.some((r) => r.type === 'overvote')).toBe(true);
    expect(sheet.reasons.filter((r) => r.type === 'marginal-mark').length).toBeGreaterThan(0);
    expect(sheet.needsReview).toBe(true);
    // pen marks near the threshold leave the interior's median at paper: none is taken for a light shading
    expect(penMarksTakenForShading(sheet)).toEqual([]);
  });

  it('the same sheet scanned upside down: same statuses rules, scores agree with our upright read', async () => {
    const upright = await interpretPair(HUDSON, 'scan-marked-front.jpeg', 'scan-marked-back.jpeg');
    const sheet = await interpretPair(
      HUDSON,
      'scan-marked-rotated-front.jpeg',
      'scan-marked-rotated-back.jpeg',
    );
    expect(sheet.pages.map((p) => p.rotated180)).toEqual([true, true]);
    for (const side of ['front', 'back'] as const) {
      const exp = images[`scan-marked-${side}.jpeg`] ?? {};
      checkMarks(sheet, exp, side, 0.05, 0.08);
    }
    const key = (t: { side: string; column: number; row: number }) => `${t.side}:${t.column}:${t.row}`;
    const before = new Map(upright.targets.map((t) => [key(t), t.fill01]));
    expect(
      spearman(
        sheet.targets.map((t) => t.fill01),
        sheet.targets.map((t) => before.get(key(t)) ?? -1),
      ),
    ).toBeGreaterThanOrEqual(0.95);
  });

  it('300 dpi pair: front votes equal the expected votes', async () => {
    const sheet = await interpretPair(
      HUDSON,
      'scan-marked-front-300dpi.jpeg',
      'scan-marked-back-300dpi.jpeg',
    );
    expect(sheet.pages.map((p) => p.dpi)).toEqual([300, 300]);
    const exp = images['scan-marked-front-300dpi.jpeg']?.votes ?? {};
    // Only the front's votes are given for this pair.
    expect(markedBySide(sheet, 'front')).toEqual(sorted(exp));
  });

  it('unmarked pair: every target unmarked, a blank ballot', async () => {
    const sheet = await interpretPair(HUDSON, 'scan-unmarked-front.jpeg', 'scan-unmarked-back.jpeg');
    expect(sheet.targets).toHaveLength(75);
    expect(sheet.targets.filter((t) => t.status !== 'unmarked')).toEqual([]);
    expect(sheet.reasons[0]).toEqual({ type: 'blank-ballot' });
  });
});

describe.skipIf(!HAVE_SHARED)('Amherst (letter, 200 and 300 dpi hard cases)', () => {
  const images = HAVE_SHARED ? expectedImages(AMHERST) : {};

  it('marked pair: statuses, votes and Spearman >= 0.95 against the reference fill scores', async () => {
    const sheet = await interpretPair(AMHERST, 'scan-marked-front.jpeg', 'scan-marked-back.jpeg');
    for (const side of ['front', 'back'] as const) {
      const exp = images[`scan-marked-${side}.jpeg`] ?? {};
      const { ours, theirs } = checkMarks(sheet, exp, side, 0.05, 0.08);
      expect(spearman(ours, theirs)).toBeGreaterThanOrEqual(0.95);
      expect(markedBySide(sheet, side)).toEqual(sorted(exp.votes ?? {}));
    }
    expect(penMarksTakenForShading(sheet)).toEqual([]);
    // The cross-endorsed sheriff is marked in one party column: one vote, not an overvote.
    const sheriff = sheet.contests.find((c) => c.contestId === 'Sheriff-4243fe0b');
    expect(sheriff).toMatchObject({ votes: ['Edward-Randolph-bf4c848a'], overvote: false });
  });

  it('overvote pair needs review for an overvote', async () => {
    const sheet = await interpretPair(
      AMHERST,
      'scan-marked-overvote-front.jpeg',
      'scan-marked-overvote-back.jpeg',
    );
    expect(sheet.reasons.some((r) => r.type === 'overvote')).toBe(true);
    expect(sheet.needsReview).toBe(true);
  });

  it('unmarked pair is a blank ballot', async () => {
    const sheet = await interpretPair(AMHERST, 'scan-unmarked-front.jpeg', 'scan-unmarked-back.jpeg');
    expect(sheet.targets.filter((t) => t.status !== 'unmarked')).toEqual([]);
    expect(sheet.reasons[0]).toEqual({ type: 'blank-ballot' });
  });

  for (const variant of [
    'stretch',
    'stretch-mid',
    'stretch-mark',
    'stretch-extra',
    'timing-mark-hole',
    'uneven-crop',
  ]) {
    it(`${variant}: read, not rejected, front and back identified (given in either order)`, async () => {
      const sheet = await interpretPair(
        AMHERST,
        `scan-marked-${variant}-back.jpeg`,
        `scan-marked-${variant}-front.jpeg`,
      );
      expect(sheet.ballotStyleId).toBe('card-number-3');
      expect(sheet.pages.map((p) => [p.side, p.imageIndex])).toEqual([
        ['front', 1],
        ['back', 0],
      ]);
      expect(sheet.targets).toHaveLength(52);
      // Differently marked sheets: at least some votes, none of them from a blank-looking target.
      expect(sheet.targets.some((t) => t.status === 'marked')).toBe(true);
    });
  }

  it('write-in areas: the written names read as ink, empty areas do not, also where a stretched scan pushes a filled oval of the next column into them', async () => {
    const { writeInInk } = calibration.thresholds;
    const named: number[] = [];
    const empty = new Map<string, number[]>();
    for (const variant of [
      'marked',
      'marked-stretch',
      'marked-stretch-extra',
      'marked-overvote',
      'unmarked',
    ]) {
      const sheet = await interpretPair(AMHERST, `scan-${variant}-front.jpeg`, `scan-${variant}-back.jpeg`);
      const here: number[] = [];
      for (const t of sheet.targets)
        if (t.writeInInk01 !== undefined) (t.status === 'marked' ? named : here).push(t.writeInInk01);
      empty.set(variant, here);
    }
    // the marked write-ins of these sheets carry a handwritten name; nothing is written in the others
    expect(named).toHaveLength(6);
    expect(Math.min(...named)).toBeGreaterThanOrEqual(writeInInk * 2);
    expect(Math.max(...[...empty.values()].flat())).toBeLessThan(writeInInk);
    // the stretched scan puts the next column's filled ovals in three areas (0.05 of them, as much as a
    // short name, when that ink counted)
    expect(Math.max(...(empty.get('marked-stretch-extra') ?? []))).toBeLessThan(0.005);
  });
});
