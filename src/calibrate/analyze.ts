/**
 * Calibration from data (pure): from the scores of many targets (and, for a test deck, what each target
 * truly is) find the empty and the marked populations, how well they separate, and thresholds that sit
 * between them with the margin on each side stated.
 *
 * Populations
 * - supervised (truth given): clear marks = intended and not ambiguous; clear empties = not intended and
 *   not ambiguous. Ambiguous targets (hesitation dots, erasures, faint pencil, circles, names without a
 *   mark) are left out of the fit: they are what the marginal band is for.
 * - unsupervised: a valley search. The empty population is the peak near 0; the first run of (near-)empty
 *   histogram bins after it, before the marked peak, is the valley; everything above it is marked. When
 *   there is no valley (the populations run into each other) the split is Otsu's.
 *
 * Thresholds. The two errors that change a count, a clear mark lost and a clear empty counted as a vote,
 * are what must not happen; a target sent to review only costs a person's time. So:
 * - when the populations do not touch (largest empty < smallest mark), `marginal` and `definite` split the
 *   gap between those extremes in thirds: each clear population is a third of the gap from the nearest
 *   threshold;
 * - when they do, `marginal` goes halfway between the bulk of the empties (99.9th percentile) and the
 *   smallest mark above that bulk (marks buried in the empties' bulk, e.g. light pencil that a bilevel
 *   scanner dropped, cannot be caught by any threshold: they are counted and reported), and `definite` halfway between the
 *   largest empty and the bulk of the marks (0.1th percentile), or just above the largest empty. The
 *   overlap goes to review, and margins that come out negative are reported, never hidden.
 */

export interface TargetTruthLabel {
  kind: string;
  intended: boolean;
  ambiguous: boolean;
  writeInName: boolean;
}

/** One target's scores, as the interpreter measured them. */
export interface TargetScore {
  sheetId: string;
  contestId: string;
  optionId: string;
  type: 'option' | 'write-in';
  side: 'front' | 'back';
  column: number;
  row: number;
  fill01: number;
  outsideInk01: number;
  writeInInk01?: number | undefined;
  truth?: TargetTruthLabel | undefined;
}

export interface Thresholds {
  definite: number;
  marginal: number;
  writeInInk: number;
  outsideInk: number;
}

export type TargetClass = 'clear-mark' | 'clear-empty' | 'ambiguous';

export function classOf(truth: TargetTruthLabel): TargetClass {
  if (truth.ambiguous) return 'ambiguous';
  return truth.intended ? 'clear-mark' : 'clear-empty';
}

/** Percentile by linear interpolation on sorted values (q in 0..1). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const lo = Math.floor(at);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.min(sorted.length - 1, lo + 1)] ?? a;
  return a + (b - a) * (at - lo);
}

export interface PopulationStats {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  p001: number;
  p01: number;
  p50: number;
  p99: number;
  p999: number;
}

export function populationStats(values: readonly number[]): PopulationStats {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const mean = n ? s.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const sd = n > 1 ? Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return {
    n,
    mean,
    sd,
    min: s[0] ?? Number.NaN,
    max: s[n - 1] ?? Number.NaN,
    p001: quantile(s, 0.001),
    p01: quantile(s, 0.01),
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    p999: quantile(s, 0.999),
  };
}

/** Otsu's threshold on values in 0..1 (256 bins): the split that maximises the between-class variance. */
export function otsuThreshold(values: readonly number[], bins = 256): number {
  const h = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    h[i] = (h[i] ?? 0) + 1;
  }
  const total = values.length;
  let sumAll = 0;
  for (let i = 0; i < bins; i++) sumAll += i * (h[i] ?? 0);
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let bestAt = bins / 2;
  for (let i = 0; i < bins - 1; i++) {
    wB += h[i] ?? 0;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += i * (h[i] ?? 0);
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      bestAt = i + 1;
    }
  }
  return bestAt / bins;
}

export interface Split {
  method: 'truth' | 'valley' | 'otsu';
  empty: number[];
  marked: number[];
  /** values between the populations (unsupervised valley) or ambiguous by truth: not in either */
  between: number;
  /** where the unsupervised split was made, in fill01 */
  at?: number;
}

/** Unsupervised 2-population split of a list of scores in 0..1: first valley after the low peak, else Otsu. */
export function splitUnsupervised(values: readonly number[], binWidth = 0.01): Split {
  const bins = Math.round(1 / binWidth);
  const h = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(v / binWidth)));
    h[i] = (h[i] ?? 0) + 1;
  }
  const otsu = otsuThreshold(values);
  const otsuBin = Math.min(bins - 1, Math.max(1, Math.round(otsu / binWidth)));
  let lowPeak = 0;
  for (let i = 0; i < otsuBin; i++) if ((h[i] ?? 0) > (h[lowPeak] ?? 0)) lowPeak = i;
  let highPeak = otsuBin;
  for (let i = otsuBin; i < bins; i++) if ((h[i] ?? 0) > (h[highPeak] ?? 0)) highPeak = i;
  // near-empty: at most 1 in 10,000 of all values, and never fewer than 2 (one or two stray values in a
  // bin must not close the valley, nor their absence open one in a sparse run of marks)
  const floor = Math.max(2, Math.floor(values.length / 10000));
  let start = -1;
  let end = -1;
  for (let i = lowPeak + 1; i < highPeak; i++) {
    if ((h[i] ?? 0) <= floor) {
      if (start < 0) start = i;
      end = i;
    } else if (start >= 0) break;
  }
  if (start >= 0 && values.length > 0) {
    const lo = start * binWidth;
    const hi = (end + 1) * binWidth;
    const empty = values.filter((v) => v < lo);
    const marked = values.filter((v) => v >= hi);
    return {
      method: 'valley',
      empty,
      marked,
      between: values.length - empty.length - marked.length,
      at: (lo + hi) / 2,
    };
  }
  return {
    method: 'otsu',
    empty: values.filter((v) => v < otsu),
    marked: values.filter((v) => v >= otsu),
    between: 0,
    at: otsu,
  };
}

export interface Separation {
  /** the empty population's bulk edge (99.9th percentile) and its largest value */
  emptyEdge: number;
  emptyMax: number;
  /** the marked population's bulk edge (0.1th percentile) and its smallest value */
  markedEdge: number;
  markedMin: number;
  /** markedMin − emptyMax: negative when the populations overlap at all */
  gap: number;
  /** markedEdge − emptyEdge: negative when their bulks overlap */
  bulkGap: number;
  /** the least share of the two populations that any single threshold gets wrong (0 = separable) */
  overlap01: number;
  /** sensitivity index: difference of means over the pooled standard deviation */
  dPrime: number;
}

export function separationOf(empty: readonly number[], marked: readonly number[]): Separation {
  const e = populationStats(empty);
  const m = populationStats(marked);
  const pooled = Math.sqrt((e.sd ** 2 + m.sd ** 2) / 2);
  // sweep every candidate threshold: errors(t) = empties ≥ t + marks < t
  const es = [...empty].sort((a, b) => a - b);
  const ms = [...marked].sort((a, b) => a - b);
  let best = Math.min(es.length, ms.length);
  let i = 0;
  let j = 0;
  for (const t of [...es, ...ms].sort((a, b) => a - b)) {
    while (i < es.length && (es[i] ?? 0) < t) i++;
    while (j < ms.length && (ms[j] ?? 0) < t) j++;
    best = Math.min(best, es.length - i + j);
  }
  const overlapping = m.min > e.max ? 0 : best;
  return {
    emptyEdge: e.p999,
    emptyMax: e.max,
    markedEdge: m.p001,
    markedMin: m.min,
    gap: m.min - e.max,
    bulkGap: m.p001 - e.p999,
    overlap01: empty.length + marked.length ? overlapping / (empty.length + marked.length) : 0,
    dPrime: pooled > 0 ? (m.mean - e.mean) / pooled : Number.POSITIVE_INFINITY,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const floor3 = (x: number) => Math.floor(x * 1000 + 1e-9) / 1000;
const ceil3 = (x: number) => Math.ceil(x * 1000 - 1e-9) / 1000;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

export interface Margin {
  /** threshold − empty population's upper edge (99.9th percentile); negative = empties beyond it */
  fromEmptyEdge: number;
  /** same, from the largest empty value */
  fromEmptyMax: number;
  /** marked population's lower edge (0.1th percentile) − threshold; negative = marks below it */
  toMarkedEdge: number;
  toMarkedMin: number;
}

function marginOf(threshold: number, s: Separation): Margin {
  return {
    fromEmptyEdge: round3(threshold - s.emptyEdge),
    fromEmptyMax: round3(threshold - s.emptyMax),
    toMarkedEdge: round3(s.markedEdge - threshold),
    toMarkedMin: round3(s.markedMin - threshold),
  };
}

export interface FillRecommendation {
  ok: boolean;
  /** why there is no recommendation (too few values in a population), when !ok */
  reason?: string;
  split: Omit<Split, 'empty' | 'marked'> & { emptyN: number; markedN: number };
  empty: PopulationStats;
  marked: PopulationStats;
  separation: Separation;
  definite: number;
  marginal: number;
  /** for `marginal`: distance to the empty side; for `definite`: distance to the marked side */
  margins: { marginal: Margin; definite: Margin };
  /** clear values (of the two populations) that would land in the review band [marginal, definite) */
  inReviewBand: { empty: number; marked: number };
  /** marks no higher than the empties' 99.9th percentile: no threshold can catch them without flagging the empties */
  buriedMarks: number;
}

export const MIN_POPULATION = 5;

/** Recommended `marginal` and `definite` from the two populations. */
export function recommendFill(
  split: Split,
  fallback: Pick<Thresholds, 'definite' | 'marginal'>,
): FillRecommendation {
  const empty = populationStats(split.empty);
  const marked = populationStats(split.marked);
  const separation = separationOf(split.empty, split.marked);
  const { empty: _e, marked: _m, ...rest } = split;
  const base = {
    split: { ...rest, emptyN: split.empty.length, markedN: split.marked.length },
    empty,
    marked,
    separation,
  };
  const band = (marginal: number, definite: number) => ({
    empty: split.empty.filter((v) => v >= marginal && v < definite).length,
    marked: split.marked.filter((v) => v >= marginal && v < definite).length,
  });
  if (split.empty.length < MIN_POPULATION || split.marked.length < MIN_POPULATION) {
    const { definite, marginal } = fallback;
    return {
      ...base,
      ok: false,
      reason: `too few values to fit (empty ${split.empty.length}, marked ${split.marked.length}; at least ${MIN_POPULATION} each); kept the starting profile's thresholds`,
      definite,
      marginal,
      margins: { marginal: marginOf(marginal, separation), definite: marginOf(definite, separation) },
      inReviewBand: band(marginal, definite),
      buriedMarks: 0,
    };
  }
  const { emptyEdge, emptyMax, markedEdge, gap } = separation;
  let marginal: number;
  let definite: number;
  let buried = 0;
  if (gap > 0) {
    marginal = round3(emptyMax + gap / 3);
    definite = round3(emptyMax + (2 * gap) / 3);
  } else {
    // marks no higher than the bulk of the empties cannot be told from them by any threshold
    const visible = split.marked.filter((v) => v > emptyEdge);
    buried = split.marked.length - visible.length;
    const visibleMin = visible.length ? Math.min(...visible) : markedEdge;
    marginal = floor3((emptyEdge + visibleMin) / 2);
    definite = emptyMax < markedEdge ? ceil3((emptyMax + markedEdge) / 2) : ceil3(emptyMax + 0.0005);
  }
  // Review costs a person's time; a faint mark nobody looks at can change a count. So the fit may lower
  // the starting profile's `marginal` but never raise it (faint deliberate marks, left out of the two
  // populations as ambiguous, live just above the empties).
  marginal = clamp01(Math.min(marginal, fallback.marginal));
  definite = clamp01(Math.max(definite, marginal));
  return {
    ...base,
    ok: true,
    definite,
    marginal,
    margins: { marginal: marginOf(marginal, separation), definite: marginOf(definite, separation) },
    inReviewBand: band(marginal, definite),
    buriedMarks: buried,
  };
}

export interface InkRecommendation {
  ok: boolean;
  reason?: string;
  method: Split['method'];
  noInk: PopulationStats;
  ink: PopulationStats;
  separation: Separation;
  writeInInk: number;
  margin: Margin;
}

/**
 * `writeInInk`: ink in a write-in area above which a name was written. It only sends a sheet to review,
 * so it leans low: the middle of the gap between the extremes; when they touch, the faintest name, but
 * never below the bulk of the blank areas (99.9th percentile): at most 1 in 1,000 blank areas is flagged.
 */
export function recommendWriteInInk(split: Split, fallback: number): InkRecommendation {
  const noInk = populationStats(split.empty);
  const ink = populationStats(split.marked);
  const separation = separationOf(split.empty, split.marked);
  const base = { method: split.method, noInk, ink, separation };
  if (split.empty.length < MIN_POPULATION || split.marked.length < MIN_POPULATION)
    return {
      ...base,
      ok: false,
      reason: `too few write-in areas to fit (without ink ${split.empty.length}, with ink ${split.marked.length}; at least ${MIN_POPULATION} each); kept the starting profile's value`,
      writeInInk: fallback,
      margin: marginOf(fallback, separation),
    };
  const { emptyEdge: blankEdge, emptyMax, markedMin, gap } = separation;
  const t = clamp01(gap > 0 ? round3(emptyMax + gap / 2) : ceil3(Math.max(markedMin, blankEdge)));
  return { ...base, ok: true, writeInInk: t, margin: marginOf(t, separation) };
}

export interface AccuracyCounts {
  clearMarks: { n: number; marked: number; marginal: number; lost: number };
  clearEmpties: { n: number; unmarked: number; marginal: number; falseMarks: number };
  ambiguous: { n: number; marked: number; marginal: number; unmarked: number };
  /** clear targets read right without review, over all clear targets */
  accuracy01: number;
  /** clear targets sent to review (marginal), over all clear targets */
  flagged01: number;
  writeIns: { withName: number; nameFlaggedOrMarked: number; withoutName: number; falselyFlagged: number };
}

export function statusAt(fill01: number, t: Pick<Thresholds, 'definite' | 'marginal'>) {
  if (fill01 >= t.definite) return 'marked' as const;
  if (fill01 >= t.marginal) return 'marginal' as const;
  return 'unmarked' as const;
}

/** Per-target accuracy of thresholds on a test deck (targets without truth are skipped). */
export function accuracyAt(scores: readonly TargetScore[], t: Thresholds): AccuracyCounts {
  const a: AccuracyCounts = {
    clearMarks: { n: 0, marked: 0, marginal: 0, lost: 0 },
    clearEmpties: { n: 0, unmarked: 0, marginal: 0, falseMarks: 0 },
    ambiguous: { n: 0, marked: 0, marginal: 0, unmarked: 0 },
    accuracy01: 0,
    flagged01: 0,
    writeIns: { withName: 0, nameFlaggedOrMarked: 0, withoutName: 0, falselyFlagged: 0 },
  };
  for (const s of scores) {
    if (!s.truth) continue;
    const status = statusAt(s.fill01, t);
    const c = classOf(s.truth);
    if (c === 'clear-mark') {
      a.clearMarks.n++;
      if (status === 'marked') a.clearMarks.marked++;
      else if (status === 'marginal') a.clearMarks.marginal++;
      else a.clearMarks.lost++;
    } else if (c === 'clear-empty') {
      a.clearEmpties.n++;
      if (status === 'unmarked') a.clearEmpties.unmarked++;
      else if (status === 'marginal') a.clearEmpties.marginal++;
      else a.clearEmpties.falseMarks++;
    } else {
      a.ambiguous.n++;
      a.ambiguous[status]++;
    }
    if (s.type === 'write-in' && s.writeInInk01 !== undefined) {
      // what interpret does: a marked write-in is reviewed as a write-in; an unmarked one with ink is flagged
      const seen = status !== 'unmarked' || s.writeInInk01 >= t.writeInInk;
      if (s.truth.writeInName) {
        a.writeIns.withName++;
        if (seen) a.writeIns.nameFlaggedOrMarked++;
      } else if (status === 'unmarked') {
        a.writeIns.withoutName++;
        if (s.writeInInk01 >= t.writeInInk) a.writeIns.falselyFlagged++;
      }
    }
  }
  const clear = a.clearMarks.n + a.clearEmpties.n;
  a.accuracy01 = clear ? (a.clearMarks.marked + a.clearEmpties.unmarked) / clear : 0;
  a.flagged01 = clear ? (a.clearMarks.marginal + a.clearEmpties.marginal) / clear : 0;
  return a;
}

export interface CalibrationAnalysis {
  targets: number;
  sheets: number;
  supervised: boolean;
  fill: FillRecommendation;
  writeInInk: InkRecommendation;
  recommended: Thresholds;
  current: Thresholds;
  /** test-deck mode only */
  accuracy?: { recommended: AccuracyCounts; current: AccuracyCounts };
}

/** Everything `calibrate` computes from the scores: populations, separation, thresholds, accuracy. */
export function analyzeScores(scores: readonly TargetScore[], current: Thresholds): CalibrationAnalysis {
  const supervised = scores.length > 0 && scores.every((s) => s.truth !== undefined);
  let fillSplit: Split;
  let inkSplit: Split;
  const writeIns = scores.filter((s) => s.type === 'write-in' && s.writeInInk01 !== undefined);
  if (supervised) {
    const empty: number[] = [];
    const marked: number[] = [];
    let between = 0;
    for (const s of scores) {
      const c = classOf(s.truth as TargetTruthLabel);
      if (c === 'clear-mark') marked.push(s.fill01);
      else if (c === 'clear-empty') empty.push(s.fill01);
      else between++;
    }
    fillSplit = { method: 'truth', empty, marked, between };
    // write-in areas: a name written (whatever the oval) vs no name; only areas whose oval is not a clear mark
    const ink: number[] = [];
    const noInk: number[] = [];
    for (const s of writeIns) {
      if (s.truth?.writeInName) ink.push(s.writeInInk01 as number);
      else if (!s.truth?.intended) noInk.push(s.writeInInk01 as number);
    }
    inkSplit = { method: 'truth', empty: noInk, marked: ink, between: 0 };
  } else {
    fillSplit = splitUnsupervised(scores.map((s) => s.fill01));
    inkSplit = splitUnsupervised(writeIns.map((s) => s.writeInInk01 as number));
  }
  const fill = recommendFill(fillSplit, current);
  const writeInInk = recommendWriteInInk(inkSplit, current.writeInInk);
  const recommended: Thresholds = {
    definite: fill.definite,
    marginal: fill.marginal,
    writeInInk: writeInInk.writeInInk,
    outsideInk: current.outsideInk,
  };
  const analysis: CalibrationAnalysis = {
    targets: scores.length,
    sheets: new Set(scores.map((s) => s.sheetId)).size,
    supervised,
    fill,
    writeInInk,
    recommended,
    current,
  };
  if (supervised)
    analysis.accuracy = {
      recommended: accuracyAt(scores, recommended),
      current: accuracyAt(scores, current),
    };
  return analysis;
}
