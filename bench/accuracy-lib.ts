/**
 * Scoring the interpreter against the generator's ground truth (pure: no files, no workers).
 *
 * `scoreAccuracy(pairs)` joins every target the interpreter measured with the target the generator drew
 * (same side, grid column and row, contest and option) and counts:
 * - clear targets (not `ambiguous` in the truth) and the wrong votes among them: an intended mark we
 *   called `unmarked`, or an unintended one we called `marked` (a `marginal` call is a flag, not a vote);
 * - ambiguous targets and how many were flagged: status `marginal`, or a review reason of the sheet naming
 *   that contest and option (`marginal-mark`, `mark-outside-target`, `unmarked-write-in`,
 *   `streak-through-target`, and those that come with a `marginal` status anyway: `compact-mark`,
 *   `speckle-in-target`, `faint-residue`, `ink-spot`, `ink-on-outline`, `outline-misplaced`);
 * - clear targets wrongly flagged (`marginal` on a clear target), as a rate of the clear targets;
 * - sheets needing review, rejected sheets by reason, and whether the ballot style, the printed side of each
 *   image and its orientation were identified right.
 * Targets of rejected sheets are not scored (the whole sheet goes to a person); they are counted apart.
 */
import type { SheetTruth, TargetTruth } from '../samples/generator/truth.ts';
import type {
  AdjudicationReason,
  AdjudicationReasonType,
  SheetOutcome,
  TargetResult,
} from '../src/pipeline/outcome.ts';

/** A sheet's truth and what the interpreter said about it. */
export interface ScoredPair {
  truth: SheetTruth;
  outcome: SheetOutcome;
}

/**
 * Review reasons that name one target's contest and option. `streak-through-target` (a scanner streak
 * over the oval) also sends that target to a person, so it counts as a flag too. The reasons about how
 * the ink lies or where the outline was found always come with a `marginal` status (so a clear target
 * they flag is counted as wrongly flagged); they are listed for completeness.
 */
export const TARGET_FLAG_REASONS: readonly AdjudicationReasonType[] = [
  'marginal-mark',
  'mark-outside-target',
  'unmarked-write-in',
  'streak-through-target',
  'compact-mark',
  'speckle-in-target',
  'faint-residue',
  'ink-spot',
  'ink-on-outline',
  'outline-misplaced',
];

/** One target in a list of failures, with what the generator drew and what we measured. */
export interface TargetCase {
  sheetId: string;
  seed: number;
  dpi: number;
  format: string;
  side: 'front' | 'back';
  contestId: string;
  optionId: string;
  column: number;
  row: number;
  kind: TargetTruth['kind'];
  coverage01: number;
  darkness01: number;
  writeInName: boolean;
  intended: boolean;
  /** Our measurement; undefined when we measured no such target. */
  fill01?: number;
  status?: TargetResult['status'] | 'missing';
  outsideInk01?: number;
  writeInInk01?: number;
}

export interface KindCounts {
  targets: number;
  clear: number;
  clearWrong: number;
  clearFlagged: number;
  ambiguous: number;
  ambiguousFlagged: number;
}

export interface SheetCase {
  sheetId: string;
  seed: number;
  dpi: number;
  format: string;
  detail: string;
}

export interface ContestCase {
  sheetId: string;
  seed: number;
  contestId: string;
  /** the truth's status (valid, undervote, overvote, blank) */
  status: string;
  truthVotes: string[];
  ourVotes: string[] | null;
  ourOvervote: boolean | null;
}

export interface AccuracyReport {
  sheets: number;
  interpreted: number;
  needsReview: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  rejectedSheets: (SheetCase & { reason: string })[];
  /** Review reasons of interpreted sheets, counted once per sheet and type. */
  reviewSheetsByReason: Record<string, number>;
  identification: {
    sheets: number;
    ballotStyleRight: number;
    /** images whose printed side (front/back) we named right */
    images: number;
    sideRight: number;
    orientationRight: number;
    wrong: SheetCase[];
  };
  targets: {
    scored: number;
    /** drawn targets we have no measurement for (on interpreted sheets) */
    missing: number;
    /** on rejected sheets, not scored */
    onRejectedSheets: number;
    /** marks the scan itself erased (truth `visibleInScan: false`): reported, not scored */
    lostInScan: number;
    clear: number;
    clearWrong: number;
    clearWrongCases: TargetCase[];
    clearFlagged: number;
    /** clearFlagged / clear */
    clearFlaggedRate: number;
    clearFlaggedCases: TargetCase[];
    ambiguous: number;
    ambiguousFlagged: number;
    ambiguousUnflaggedCases: TargetCase[];
    byKind: Record<string, KindCounts>;
  };
  contests: {
    /** contests of interpreted sheets with no ambiguous target */
    clear: number;
    /** of those, contests whose counted votes differ from the truth's */
    votesWrong: number;
    votesWrongCases: ContestCase[];
  };
}

const targetKey = (t: { side: string; column: number; row: number; contestId: string; optionId: string }) =>
  `${t.side}|${t.column}|${t.row}|${t.contestId}|${t.optionId}`;

/**
 * Whether a review reason of the sheet names a target. A reason names its option, and also its target's
 * place when the option is printed twice in the contest (a cross-endorsed candidate): then it flags that
 * target only.
 */
export function flaggedByReasons(outcome: {
  reasons: readonly AdjudicationReason[];
}): (t: { side: string; column: number; row: number; contestId: string; optionId: string }) => boolean {
  const flagged = new Set<string>();
  for (const r of outcome.reasons)
    if ((TARGET_FLAG_REASONS as readonly string[]).includes(r.type) && 'optionId' in r)
      flagged.add(
        r.side !== undefined && r.column !== undefined && r.row !== undefined
          ? targetKey({ ...r, side: r.side, column: r.column, row: r.row })
          : `${r.contestId}|${r.optionId}`,
      );
  return (t) => flagged.has(targetKey(t)) || flagged.has(`${t.contestId}|${t.optionId}`);
}

function sheetCase(truth: SheetTruth, detail: string): SheetCase {
  return { sheetId: truth.sheetId, seed: truth.seed, dpi: truth.dpi, format: truth.format, detail };
}

function targetCase(truth: SheetTruth, t: TargetTruth, ours: TargetResult | undefined): TargetCase {
  return {
    sheetId: truth.sheetId,
    seed: truth.seed,
    dpi: truth.dpi,
    format: truth.format,
    side: t.side,
    contestId: t.contestId,
    optionId: t.optionId,
    column: t.column,
    row: t.row,
    kind: t.kind,
    coverage01: t.coverage01,
    darkness01: t.darkness01,
    writeInName: t.writeInName,
    intended: t.intended,
    status: ours?.status ?? 'missing',
    ...(ours
      ? {
          fill01: round(ours.fill01),
          outsideInk01: round(ours.outsideInk01),
          ...(ours.writeInInk01 !== undefined ? { writeInInk01: round(ours.writeInInk01) } : {}),
        }
      : {}),
  };
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

const bump = (m: Record<string, number>, k: string, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};

/** Pairs are read once, in order: a 20,000-sheet run can stream them from the journal. */
export function scoreAccuracy(pairs: Iterable<ScoredPair>): AccuracyReport {
  const report: AccuracyReport = {
    sheets: 0,
    interpreted: 0,
    needsReview: 0,
    rejected: 0,
    rejectedByReason: {},
    rejectedSheets: [],
    reviewSheetsByReason: {},
    identification: {
      sheets: 0,
      ballotStyleRight: 0,
      images: 0,
      sideRight: 0,
      orientationRight: 0,
      wrong: [],
    },
    targets: {
      scored: 0,
      missing: 0,
      onRejectedSheets: 0,
      lostInScan: 0,
      clear: 0,
      clearWrong: 0,
      clearWrongCases: [],
      clearFlagged: 0,
      clearFlaggedRate: 0,
      clearFlaggedCases: [],
      ambiguous: 0,
      ambiguousFlagged: 0,
      ambiguousUnflaggedCases: [],
      byKind: {},
    },
    contests: { clear: 0, votesWrong: 0, votesWrongCases: [] },
  };
  const T = report.targets;
  for (const { truth, outcome } of pairs) {
    report.sheets++;
    if (outcome.type === 'rejected') {
      report.rejected++;
      bump(report.rejectedByReason, outcome.reason);
      report.rejectedSheets.push({ ...sheetCase(truth, outcome.detail), reason: outcome.reason });
      T.onRejectedSheets += truth.targets.length;
      continue;
    }
    report.interpreted++;
    if (outcome.needsReview) report.needsReview++;
    for (const type of new Set(outcome.reasons.map((r) => r.type))) bump(report.reviewSheetsByReason, type);

    // Identification: ballot style, and for each page the printed side and orientation.
    const id = report.identification;
    id.sheets++;
    const wrong: string[] = [];
    if (outcome.ballotStyleId === truth.ballotStyleId && outcome.sheetNumber === truth.sheetNumber)
      id.ballotStyleRight++;
    else
      wrong.push(
        `ballot style ${outcome.ballotStyleId}/${outcome.sheetNumber}, truth ${truth.ballotStyleId}/${truth.sheetNumber}`,
      );
    const multipage = truth.format === 'tiff-multipage';
    for (const page of outcome.pages) {
      const image = truth.images[multipage ? page.page : page.imageIndex];
      id.images++;
      if (!image) {
        wrong.push(`page ${page.imageIndex}/${page.page} has no image in the truth`);
        continue;
      }
      if (image.printedSide === page.side) id.sideRight++;
      else wrong.push(`${image.file}#${image.page} read as ${page.side}, shows ${image.printedSide}`);
      if (image.transform.upsideDown === page.rotated180) id.orientationRight++;
      else
        wrong.push(
          `${image.file}#${image.page} rotated180=${page.rotated180}, truth ${image.transform.upsideDown}`,
        );
    }
    if (wrong.length) id.wrong.push(sheetCase(truth, wrong.join('; ')));

    // Targets.
    const ours = new Map<string, TargetResult>();
    for (const t of outcome.targets) ours.set(targetKey(t), t);
    const flaggedTarget = flaggedByReasons(outcome);
    for (const t of truth.targets) {
      const o = ours.get(targetKey(t));
      const kindName = t.writeInName && t.kind === 'none' ? 'none+write-in-name' : t.kind;
      const kind = T.byKind[kindName] ?? {
        targets: 0,
        clear: 0,
        clearWrong: 0,
        clearFlagged: 0,
        ambiguous: 0,
        ambiguousFlagged: 0,
      };
      T.byKind[kindName] = kind;
      kind.targets++;
      if (!o) T.missing++;
      else T.scored++;
      const status = o?.status;
      if (t.visibleInScan === false) {
        T.lostInScan++;
        continue;
      }
      if (t.ambiguous) {
        T.ambiguous++;
        kind.ambiguous++;
        const flagged = status === 'marginal' || flaggedTarget(t);
        if (flagged) {
          T.ambiguousFlagged++;
          kind.ambiguousFlagged++;
        } else T.ambiguousUnflaggedCases.push(targetCase(truth, t, o));
      } else {
        T.clear++;
        kind.clear++;
        const wrongVote =
          status === undefined ||
          (t.intended && status === 'unmarked') ||
          (!t.intended && status === 'marked');
        if (wrongVote) {
          T.clearWrong++;
          kind.clearWrong++;
          T.clearWrongCases.push(targetCase(truth, t, o));
        } else if (status === 'marginal' || flaggedTarget(t)) {
          // sent to a person for no good reason: by its fill, or by a reason (ink around it, a write-in
          // line with ink but no mark, residue…)
          T.clearFlagged++;
          kind.clearFlagged++;
          T.clearFlaggedCases.push(targetCase(truth, t, o));
        }
      }
    }

    // Contests without an ambiguous target: the votes we count must be the truth's.
    const lostContests = new Set(
      truth.targets.filter((t) => t.visibleInScan === false).map((t) => t.contestId),
    );
    for (const c of truth.contests) {
      if (c.needsReview || lostContests.has(c.contestId)) continue;
      report.contests.clear++;
      const r = outcome.contests.find((x) => x.contestId === c.contestId);
      const a = [...(r?.votes ?? [])].sort().join(',');
      const b = [...c.votes].sort().join(',');
      if (!r || a !== b) {
        report.contests.votesWrong++;
        report.contests.votesWrongCases.push({
          sheetId: truth.sheetId,
          seed: truth.seed,
          contestId: c.contestId,
          status: c.status,
          truthVotes: c.votes,
          ourVotes: r?.votes ?? null,
          ourOvervote: r?.overvote ?? null,
        });
      }
    }
  }
  T.clearFlaggedRate = T.clear ? T.clearFlagged / T.clear : 0;
  return report;
}

/** The acceptance targets of the interpreter issue, as named checks (true = met). */
export function accuracyChecks(r: AccuracyReport): Record<string, boolean> {
  return {
    'zero wrong votes on clear targets': r.targets.clearWrong === 0,
    'every ambiguous target flagged': r.targets.ambiguousFlagged === r.targets.ambiguous,
    'clear targets wrongly flagged < 0.5%': r.targets.clearFlaggedRate < 0.005,
    'no sheet rejected': r.rejected === 0,
  };
}

/** A few lines for a terminal. */
export function formatAccuracy(r: AccuracyReport, maxCases = 10): string {
  const T = r.targets;
  const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(2)} %` : 'n/a');
  const lines = [
    `sheets ${r.sheets}: interpreted ${r.interpreted} (needing review ${r.needsReview}), rejected ${r.rejected}` +
      (r.rejected ? ` ${JSON.stringify(r.rejectedByReason)}` : ''),
    `review reasons (sheets): ${JSON.stringify(r.reviewSheetsByReason)}`,
    `identified: ballot style ${r.identification.ballotStyleRight}/${r.identification.sheets}, ` +
      `side ${r.identification.sideRight}/${r.identification.images}, ` +
      `orientation ${r.identification.orientationRight}/${r.identification.images}`,
    `targets scored ${T.scored}, missing ${T.missing}, on rejected sheets ${T.onRejectedSheets}, marks the scan erased (not scored) ${T.lostInScan}`,
    `clear targets ${T.clear}: wrong votes ${T.clearWrong}, wrongly flagged ${T.clearFlagged} (${pct(T.clearFlagged, T.clear)})`,
    `ambiguous targets ${T.ambiguous}: flagged ${T.ambiguousFlagged} (${pct(T.ambiguousFlagged, T.ambiguous)})`,
    `contests without ambiguity ${r.contests.clear}: votes wrong ${r.contests.votesWrong}`,
    'by kind (targets / clear: wrong, flagged / ambiguous: flagged):',
    ...Object.entries(T.byKind)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([k, c]) =>
          `  ${k.padEnd(20)} ${String(c.targets).padStart(6)} / ${c.clear}: ${c.clearWrong}, ${c.clearFlagged}` +
          ` / ${c.ambiguous}: ${c.ambiguousFlagged}`,
      ),
  ];
  const list = (title: string, cases: TargetCase[]) => {
    if (!cases.length) return;
    lines.push(`${title} (${cases.length}${cases.length > maxCases ? `, first ${maxCases}` : ''}):`);
    for (const c of cases.slice(0, maxCases))
      lines.push(
        `  ${c.sheetId} seed ${c.seed} ${c.dpi}dpi ${c.format} ${c.side} ${c.contestId}/${c.optionId} ` +
          `${c.kind} cov ${c.coverage01} dark ${c.darkness01}${c.writeInName ? ' +name' : ''} → ` +
          `${c.status} fill ${c.fill01 ?? '-'} outside ${c.outsideInk01 ?? '-'}` +
          (c.writeInInk01 !== undefined ? ` writeIn ${c.writeInInk01}` : ''),
      );
  };
  list('wrong votes on clear targets', T.clearWrongCases);
  list('ambiguous targets not flagged', T.ambiguousUnflaggedCases);
  list('clear targets flagged', T.clearFlaggedCases);
  if (r.contests.votesWrongCases.length)
    lines.push(`contests (no ambiguous target) whose votes differ (first ${maxCases}):`);
  for (const c of r.contests.votesWrongCases.slice(0, maxCases))
    lines.push(
      `  ${c.sheetId} seed ${c.seed} ${c.contestId} (${c.status}): truth [${c.truthVotes.join(', ')}], ` +
        `ours [${c.ourVotes?.join(', ') ?? 'missing'}]${c.ourOvervote ? ' overvote' : ''}`,
    );
  for (const s of r.rejectedSheets.slice(0, maxCases))
    lines.push(`  rejected ${s.sheetId} seed ${s.seed} ${s.dpi}dpi ${s.format}: ${s.reason}: ${s.detail}`);
  for (const s of r.identification.wrong.slice(0, maxCases))
    lines.push(`  misidentified ${s.sheetId} seed ${s.seed}: ${s.detail}`);
  return `${lines.join('\n')}\n`;
}
