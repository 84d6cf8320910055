/**
 * `calibrate`: the pure fitting on synthetic score lists (separated, overlapping, test deck), the
 * histograms, and the command end to end on a few demo sheets (the profile it writes loads).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accuracyAt,
  analysisText,
  analyzeScores,
  histogramOf,
  histogramSvg,
  histogramText,
  otsuThreshold,
  splitUnsupervised,
  type TargetScore,
  type TargetTruthLabel,
  type Thresholds,
} from '../src/calibrate/index.ts';
import { CALIBRATE_HELP, runCalibrate } from '../src/cli/calibrate.ts';
import { loadCalibration } from '../src/election/calibration.ts';
import { capture } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..');
const DEMO = join(ROOT, 'samples', 'demo');
const CURRENT: Thresholds = { definite: 0.13, marginal: 0.07, writeInInk: 0.08, outsideInk: 0.12 };
/** A starting profile whose marginal is high enough that the cap on `marginal` does not bind. */
const UNCAPPED: Thresholds = { ...CURRENT, marginal: 0.5, definite: 0.6 };

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

let serial = 0;
function score(
  fill01: number,
  truth?: Partial<TargetTruthLabel>,
  extra: Partial<TargetScore> = {},
): TargetScore {
  serial++;
  return {
    sheetId: String(Math.floor(serial / 20)),
    contestId: 'c',
    optionId: `o${serial}`,
    type: 'option',
    side: 'front',
    column: 1,
    row: serial,
    fill01,
    outsideInk01: 0,
    ...(truth
      ? { truth: { kind: 'x', intended: false, ambiguous: false, writeInName: false, ...truth } }
      : {}),
    ...extra,
  };
}

describe('fitting thresholds (pure)', () => {
  it('puts both thresholds inside the gap of well separated populations, a third of it from each side', () => {
    const empty = uniform(2000, 0, 0.04, 1);
    const marked = uniform(500, 0.3, 0.9, 2);
    const a = analyzeScores(
      [...empty, ...marked].map((f) => score(f)),
      UNCAPPED,
    );
    expect(a.supervised).toBe(false);
    expect(a.fill.ok).toBe(true);
    expect(a.fill.split.method).toBe('valley');
    expect(a.fill.split.emptyN).toBe(2000);
    expect(a.fill.split.markedN).toBe(500);
    const { emptyEdge, markedEdge, gap, overlap01 } = a.fill.separation;
    expect(emptyEdge).toBeGreaterThan(0.035);
    expect(emptyEdge).toBeLessThanOrEqual(0.04);
    expect(markedEdge).toBeGreaterThanOrEqual(0.3);
    expect(gap).toBeGreaterThan(0.25);
    expect(a.fill.separation.bulkGap).toBeGreaterThanOrEqual(gap);
    expect(overlap01).toBe(0);
    expect(a.fill.separation.dPrime).toBeGreaterThan(3);
    const { marginal, definite } = a.recommended;
    expect(marginal).toBeGreaterThan(emptyEdge);
    expect(definite).toBeGreaterThan(marginal);
    expect(definite).toBeLessThan(markedEdge);
    expect(a.fill.margins.marginal.fromEmptyMax).toBeCloseTo(gap / 3, 2);
    expect(a.fill.margins.definite.toMarkedMin).toBeCloseTo(gap / 3, 2);
    expect(a.fill.inReviewBand).toEqual({ empty: 0, marked: 0 });
    expect(a.recommended.outsideInk).toBe(CURRENT.outsideInk);
  });

  it('touching populations: marginal between the bulk of the empties and the smallest mark, definite above the largest empty', () => {
    const empty = [...uniform(5000, 0, 0.02, 13), 0.11, 0.12];
    const marked = [0.1, ...uniform(2000, 0.3, 0.9, 14)];
    const a = analyzeScores(
      [
        ...empty.map((f) => score(f, { intended: false })),
        ...marked.map((f) => score(f, { intended: true })),
      ],
      CURRENT,
    );
    expect(a.fill.separation.gap).toBeCloseTo(-0.02, 6);
    expect(a.recommended.marginal).toBeGreaterThan(0.02);
    expect(a.recommended.marginal).toBeLessThan(0.1);
    expect(a.recommended.definite).toBeGreaterThan(0.12);
    expect(a.recommended.definite).toBeLessThan(0.3);
    expect(a.accuracy?.recommended.clearMarks.lost).toBe(0);
    expect(a.accuracy?.recommended.clearEmpties.falseMarks).toBe(0);
    expect(a.fill.inReviewBand).toEqual({ empty: 2, marked: 1 });
  });

  it('finds the first valley: a small cluster of light marks counts as marks, not empties', () => {
    const values = [
      ...uniform(5000, 0, 0.03, 3),
      ...uniform(60, 0.1, 0.16, 4),
      ...uniform(1500, 0.6, 0.9, 5),
    ];
    // Otsu alone would call (some of) the light marks empty
    const otsu = otsuThreshold(values);
    expect(values.filter((v) => v >= otsu).length).toBeLessThan(1560);
    const split = splitUnsupervised(values);
    expect(split.method).toBe('valley');
    expect(split.marked.length).toBe(1560);
    const a = analyzeScores(
      values.map((f) => score(f)),
      CURRENT,
    );
    expect(a.recommended.definite).toBeLessThan(0.1);
    expect(a.recommended.marginal).toBeGreaterThan(0.03);
  });

  it("never raises the starting profile's marginal: faint deliberate marks stay in review", () => {
    const empty = uniform(2000, 0, 0.04, 1);
    const marked = uniform(500, 0.3, 0.9, 2);
    const scores = [...empty, ...marked].map((f) => score(f));
    expect(analyzeScores(scores, UNCAPPED).recommended.marginal).toBeGreaterThan(0.07);
    expect(analyzeScores(scores, CURRENT).recommended.marginal).toBe(0.07);
  });

  it('reports overlapping populations honestly: negative margins, the overlap goes to review', () => {
    const empty = uniform(1000, 0, 0.12, 6);
    const marked = uniform(1000, 0.08, 0.6, 7);
    const scores = [
      ...empty.map((f) => score(f, { intended: false })),
      ...marked.map((f) => score(f, { intended: true })),
    ];
    const a = analyzeScores(scores, UNCAPPED);
    expect(a.supervised).toBe(true);
    expect(a.fill.split.method).toBe('truth');
    const s = a.fill.separation;
    expect(s.gap).toBeLessThan(0);
    expect(s.bulkGap).toBeLessThan(0);
    expect(s.overlap01).toBeGreaterThan(0.02);
    // marks inside the bulk of the empties (below their p99.9) cannot be caught: counted, reported, lost
    expect(a.fill.buriedMarks).toBeGreaterThan(30);
    expect(a.recommended.marginal).toBeGreaterThanOrEqual(s.emptyEdge - 0.001);
    // definite just above the largest empty: nothing empty is counted
    expect(a.recommended.definite).toBeGreaterThan(s.emptyMax);
    expect(a.recommended.definite).toBeLessThan(s.emptyMax + 0.002);
    expect(a.fill.margins.marginal.toMarkedMin).toBeLessThan(0);
    expect(a.fill.margins.definite.toMarkedEdge).toBeLessThan(0);
    const acc = a.accuracy?.recommended;
    expect(acc?.clearMarks.lost).toBe(a.fill.buriedMarks);
    expect(acc?.clearEmpties.falseMarks).toBe(0);
    expect(analysisText(a)).toContain(`${a.fill.buriedMarks} marks score no higher than the empties' p99.9`);
    const text = histogramText(histogramOf(scores));
    expect(text).toContain('empty  ambig   mark');
  });

  it('keeps the starting thresholds (and says so) when a population is too small', () => {
    const a = analyzeScores(
      [0, 0.01, 0.02, 0.01, 0.0, 0.7].map((f) => score(f)),
      CURRENT,
    );
    expect(a.fill.ok).toBe(false);
    expect(a.fill.reason).toMatch(/too few values/);
    expect(a.recommended.definite).toBe(CURRENT.definite);
    expect(a.recommended.marginal).toBe(CURRENT.marginal);
  });

  it('test-deck accuracy: counts lost, flagged and false marks per class at given thresholds', () => {
    const scores = [
      score(0.5, { intended: true }),
      score(0.1, { intended: true }), // marginal at 0.07/0.13
      score(0.05, { intended: true }), // lost at 0.07/0.13
      score(0.0, { intended: false }),
      score(0.08, { intended: false }), // flagged
      score(0.2, { intended: false }), // false mark
      score(0.09, { intended: false, ambiguous: true, kind: 'hesitation-dot' }),
      score(
        0.0,
        { intended: true, ambiguous: true, writeInName: true },
        { type: 'write-in', writeInInk01: 0.2 },
      ),
      score(0.0, { intended: false }, { type: 'write-in', writeInInk01: 0.01 }),
    ];
    const at = accuracyAt(scores, CURRENT);
    expect(at.clearMarks).toEqual({ n: 3, marked: 1, marginal: 1, lost: 1 });
    expect(at.clearEmpties).toEqual({ n: 4, unmarked: 2, marginal: 1, falseMarks: 1 });
    expect(at.ambiguous).toEqual({ n: 2, marked: 0, marginal: 1, unmarked: 1 });
    expect(at.accuracy01).toBeCloseTo(3 / 7, 6);
    expect(at.flagged01).toBeCloseTo(2 / 7, 6);
    expect(at.writeIns).toEqual({ withName: 1, nameFlaggedOrMarked: 1, withoutName: 1, falselyFlagged: 0 });
    // a lower definite counts the light mark; the analysis reports both sets of thresholds
    const lower = accuracyAt(scores, { ...CURRENT, definite: 0.04, marginal: 0.03 });
    expect(lower.clearMarks.lost).toBe(0);
    expect(lower.clearMarks.marked).toBe(3);
  });

  it('fits writeInInk between areas with and without a name', () => {
    const scores = [
      ...uniform(200, 0, 0.03, 8).map((w) =>
        score(0, { intended: false }, { type: 'write-in', writeInInk01: w }),
      ),
      ...uniform(20, 0.1, 0.3, 9).map((w) =>
        score(
          0,
          { intended: true, ambiguous: true, writeInName: true },
          { type: 'write-in', writeInInk01: w },
        ),
      ),
      ...uniform(50, 0.5, 0.9, 10).map((f) => score(f, { intended: true })),
    ];
    const a = analyzeScores(scores, CURRENT);
    expect(a.writeInInk.ok).toBe(true);
    expect(a.recommended.writeInInk).toBeGreaterThan(0.03);
    expect(a.recommended.writeInInk).toBeLessThan(0.1);
    expect(a.writeInInk.margin.fromEmptyEdge).toBeGreaterThan(0);
    expect(a.writeInInk.margin.toMarkedEdge).toBeGreaterThan(0);
  });

  it('draws the histogram as text with threshold lines and as SVG', () => {
    const scores = [...uniform(300, 0, 0.03, 11), ...uniform(100, 0.5, 0.9, 12)].map((f) => score(f));
    const bins = histogramOf(scores);
    expect(bins).toHaveLength(50);
    expect(bins.reduce((n, b) => n + b.total, 0)).toBe(400);
    const text = histogramText(bins, [{ label: 'definite', at: 0.2 }]);
    expect(text).toMatch(/^0\.00-0\.02 +\d+ +#+$/m);
    expect(text).toContain('definite 0.200');
    const svg = histogramSvg(bins, { title: 'a <test>', recommended: CURRENT, current: CURRENT });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &lt;test&gt;');
    expect(svg).toContain('definite 0.130');
  });
});

describe('ballot-tally calibrate', () => {
  it('pins its usage errors in the house grammar', async () => {
    const io = capture();
    expect(
      await runCalibrate(
        ['samples/demo', '--election', 'x.json', '--name', 'Bad Name', '--out', 'p.txt'],
        io,
      ),
    ).toBe(2);
    expect(io.err()).toContain(
      'ballot-tally: Expected a path ending in .json for --out but received "p.txt"',
    );
    expect(io.err()).toContain(
      'ballot-tally: Expected a name of lowercase letters, digits, ".", "_" and "-" for --name but received "Bad Name"',
    );
    const none = capture();
    expect(await runCalibrate([], none)).toBe(2);
    expect(none.err()).toContain(
      'Expected at least one input (file, directory or manifest) or --scores-in FILE',
    );
    expect(none.err()).toContain('Expected a profile name for --name but received nothing');
    expect(none.err()).toContain('Expected a path ending in .json for --out but received nothing');
    const more = capture();
    const code = await runCalibrate(
      [
        'samples/demo',
        '--name',
        'x',
        '--out',
        'x.json',
        '--svg',
        'h.png',
        '--truth',
        'nowhere',
        '--workers',
        '0',
      ],
      more,
    );
    expect(code).toBe(2);
    expect(more.err()).toContain('Expected a path for --election but received nothing');
    expect(more.err()).toContain('Expected a path ending in .svg for --svg but received "h.png"');
    expect(more.err()).toContain(
      'Expected a directory of *.truth.json files for --truth but received "nowhere"',
    );
    expect(more.err()).toContain('Expected integer between 1 and 256 for --workers but received "0"');
    const from = capture();
    expect(
      await runCalibrate(
        [
          'samples/demo',
          '--election',
          'samples/demo/election.json',
          '--name',
          'x',
          '--out',
          '/tmp/x.json',
          '--from',
          'nope',
        ],
        from,
      ),
    ).toBe(2);
    expect(from.err()).toMatch(/Expected a readable calibration file at .*nope\.json but ENOENT/);
    const help = capture();
    expect(await runCalibrate(['--help'], help)).toBe(0);
    expect(help.out()).toBe(CALIBRATE_HELP);
  });

  it('fits a profile on a few demo sheets with truth; the profile loads and can be refitted from saved scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibrate-test-'));
    const files = ['000001', '000002', '000003', '000004', '000005', '000006'].flatMap((id) => [
      join(DEMO, `${id}-front.jpeg`),
      join(DEMO, `${id}-back.jpeg`),
    ]);
    const out = join(dir, 'demo-fit.json');
    const svg = join(dir, 'hist.svg');
    const scores = join(dir, 'scores.json');
    const io = capture();
    const code = await runCalibrate(
      [
        ...files,
        '--election',
        join(DEMO, 'election.json'),
        '--truth',
        DEMO,
        '--name',
        'demo-fit',
        '--out',
        out,
        '--svg',
        svg,
        '--scores-out',
        scores,
        '--workers',
        '1',
        '--json',
      ],
      io,
    );
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const loaded = loadCalibration(out);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value.name).toBe('demo-fit');
    expect(loaded.value.provenance).toMatch(/^2024-11-05: ballot-tally calibrate /);
    expect(loaded.value.provenance).toContain('6 sheets of election');
    const report = JSON.parse(io.out()) as {
      analysis: {
        supervised: boolean;
        sheets: number;
        accuracy: { recommended: { clearMarks: { lost: number } } };
      };
    };
    expect(report.analysis.supervised).toBe(true);
    expect(report.analysis.sheets).toBe(6);
    expect(report.analysis.accuracy.recommended.clearMarks.lost).toBe(0);
    const t = loaded.value.thresholds;
    expect(t.marginal).toBeLessThanOrEqual(t.definite);
    expect(readFileSync(svg, 'utf8')).toContain('<svg');

    // refit from the saved scores alone (no images read), in text mode
    const again = capture();
    const out2 = join(dir, 'again.json');
    expect(await runCalibrate(['--scores-in', scores, '--name', 'again', '--out', out2], again)).toBe(0);
    expect(again.out()).toContain('Recommended thresholds:');
    expect(again.out()).toContain('Per-target accuracy on the test deck:');
    const second = loadCalibration(out2);
    expect(second.ok && second.value.thresholds).toEqual(loaded.value.thresholds);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"other"}');
    const badIo = capture();
    expect(await runCalibrate(['--scores-in', bad, '--name', 'x', '--out', join(dir, 'x.json')], badIo)).toBe(
      2,
    );
    expect(badIo.err()).toContain(
      `Expected a scores file written by "calibrate --scores-out" for --scores-in but ${bad} is not one`,
    );
  }, 60_000);
});
