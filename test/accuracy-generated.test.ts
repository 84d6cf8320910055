/**
 * The interpreter on 1,000 generated sheets of the realistic profile (every defect on), against the
 * generator's truth: the acceptance targets of the interpreter issue. The corpus is generated once into
 * bench/.cache (a few minutes on 2 cores) and reused; `npx tsx bench/accuracy.ts --sheets 1000` prints the
 * same numbers with the failing targets listed.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runAccuracy } from '../bench/accuracy.ts';
import { type AccuracyReport, formatAccuracy, scoreAccuracy } from '../bench/accuracy-lib.ts';
import type { SheetTruth, TargetTruth } from '../samples/generator/truth.ts';
import type { InterpretedSheet, SheetOutcome, TargetResult } from '../src/pipeline/outcome.ts';

const SHEETS = 1000;
const SEED = 1;

describe('scoring against the truth', () => {
  const target = (t: Partial<TargetTruth>): TargetTruth => ({
    contestId: 'c',
    optionId: 'a',
    side: 'front',
    column: 10,
    row: 5,
    kind: 'full-fill',
    coverage01: 0.9,
    darkness01: 0.8,
    writeInName: false,
    intended: true,
    ambiguous: false,
    visibleInScan: true,
    ...t,
  });
  const ours = (t: TargetTruth, status: TargetResult['status'], fill01: number): TargetResult => ({
    contestId: t.contestId,
    optionId: t.optionId,
    type: 'option',
    side: t.side,
    column: t.column,
    row: t.row,
    fill01,
    status,
    centrePx: { xPx: 0, yPx: 0 },
    halfWidthPx: 10,
    halfHeightPx: 6,
    outsideInk01: 0,
    streak: false,
  });
  const truthOf = (targets: TargetTruth[]): SheetTruth =>
    ({
      sheetId: '000001',
      seed: 7,
      dpi: 200,
      format: 'jpeg',
      ballotStyleId: 's',
      sheetNumber: 1,
      images: [
        { file: 'f', page: 0, printedSide: 'front', transform: { upsideDown: false } },
        { file: 'b', page: 0, printedSide: 'back', transform: { upsideDown: true } },
      ],
      contests: [],
      targets,
    }) as unknown as SheetTruth;
  const sheet = (targets: TargetResult[], reasons: InterpretedSheet['reasons'] = []): SheetOutcome =>
    ({
      type: 'interpreted',
      ballotStyleId: 's',
      precinctId: 'p',
      sheetNumber: 1,
      pages: [
        { side: 'front', imageIndex: 0, page: 0, rotated180: false },
        { side: 'back', imageIndex: 1, page: 0, rotated180: false },
      ],
      targets,
      contests: [],
      reasons,
      needsReview: reasons.length > 0,
    }) as unknown as SheetOutcome;

  it('counts wrong votes, flags and identification as the issue defines them', () => {
    const full = target({});
    const missed = target({ optionId: 'b', row: 6, kind: 'check' });
    const blank = target({ optionId: 'c', row: 7, kind: 'none', intended: false });
    const dot = target({ optionId: 'd', row: 8, kind: 'hesitation-dot', intended: false, ambiguous: true });
    const circle = target({ optionId: 'e', row: 9, kind: 'circle', ambiguous: true });
    const faint = target({ optionId: 'f', row: 10, kind: 'light-pencil', ambiguous: true });
    const stray = target({ optionId: 'g', row: 11, kind: 'none', intended: false });
    const r: AccuracyReport = scoreAccuracy([
      {
        truth: truthOf([full, missed, blank, dot, circle, faint, stray]),
        outcome: sheet(
          [
            ours(full, 'marked', 0.8),
            ours(missed, 'unmarked', 0.02),
            ours(blank, 'marginal', 0.08),
            ours(dot, 'marginal', 0.09),
            ours(circle, 'unmarked', 0),
            ours(faint, 'unmarked', 0.03),
            ours(stray, 'unmarked', 0),
          ],
          [
            { type: 'mark-outside-target', contestId: 'c', optionId: 'e', outsideInk01: 0.3 },
            // a clear blank sent to a person by a reason is wrongly flagged too
            { type: 'mark-outside-target', contestId: 'c', optionId: 'g', outsideInk01: 0.1 },
          ],
        ),
      },
      { truth: truthOf([full]), outcome: { type: 'rejected', reason: 'no-timing-marks', detail: 'x' } },
    ]);
    expect(r.targets.clear).toBe(4);
    expect(r.targets.clearWrong).toBe(1);
    expect(r.targets.clearWrongCases[0]).toMatchObject({ optionId: 'b', kind: 'check', status: 'unmarked' });
    expect(r.targets.clearFlagged).toBe(2);
    expect(r.targets.clearFlaggedRate).toBeCloseTo(2 / 4);
    expect(r.targets.ambiguous).toBe(3);
    expect(r.targets.ambiguousFlagged).toBe(2);
    expect(r.targets.ambiguousUnflaggedCases.map((c) => c.optionId)).toEqual(['f']);
    expect(r.rejectedByReason).toEqual({ 'no-timing-marks': 1 });
    expect(r.targets.onRejectedSheets).toBe(1);
    expect(r.identification).toMatchObject({ ballotStyleRight: 1, sideRight: 2, orientationRight: 1 });
  });
});

describe(`accuracy on ${SHEETS} generated sheets (realistic profile, seed ${SEED})`, () => {
  it('no wrong vote on a clear target, every ambiguous target flagged, false flags < 0.5 %, no rejection', {
    timeout: 900_000,
  }, async () => {
    const run = await runAccuracy({
      sheets: SHEETS,
      profile: 'realistic',
      seed: SEED,
      workers: availableParallelism(),
      log: (line) => process.stderr.write(`accuracy: ${line}\n`),
    });
    const r = run.report;
    // The whole report on failure: which kinds, which sheets (seed), which targets.
    const why = formatAccuracy(r, 15);
    expect(r.sheets, why).toBe(SHEETS);
    expect(r.targets.missing, why).toBe(0);
    expect(r.rejectedByReason, why).toEqual({});
    expect(r.identification.ballotStyleRight, why).toBe(r.interpreted);
    expect(r.identification.sideRight, why).toBe(r.identification.images);
    expect(r.identification.orientationRight, why).toBe(r.identification.images);
    expect(r.targets.clearWrong, why).toBe(0);
    // The issue asks for every ambiguous target flagged: 454 of 454 since hesitation dots are told from
    // checks by how the ink spreads, outlines pulled off the oval by a drawn circle are read again where
    // their neighbours put them, and faint erasure residue is measured against the paper around it.
    expect(r.targets.ambiguousFlagged, why).toBe(r.targets.ambiguous);
    expect(r.targets.clearFlaggedRate, why).toBeLessThan(0.005);
  });
});
