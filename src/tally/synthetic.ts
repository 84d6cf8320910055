/**
 * Synthetic sheet outcomes from an election's layouts, for tests and benchmarks of the tally and the
 * report writers (no images involved). The contest rules are the interpreter's own (`applyContestRules`).
 */
import type { Calibration } from '../election/calibration.ts';
import { type Election, ElectionSchema } from '../election/election.ts';
import { applyContestRules } from '../pipeline/interpret.ts';
import {
  DEFAULT_REVIEW_REASONS,
  type InterpretedSheet,
  type SheetOutcome,
  type TargetResult,
} from '../pipeline/outcome.ts';
import type { SheetRecord } from './records.ts';

/** Thresholds for the synthetic fills below (0.62 marked, 0.21 marginal, 0.013 blank). */
const SYNTHETIC_CALIBRATION: Calibration = {
  schemaVersion: 1,
  name: 'synthetic',
  description: '',
  provenance: '',
  thresholds: { definite: 0.5, marginal: 0.1, writeInInk: 0.5, outsideInk: 0.5 },
};

export interface SyntheticMarks {
  /** option ids with a definite mark, per contest id (every target of the option is marked) */
  marked?: Record<string, readonly string[]>;
  /** option ids with a marginal mark, per contest id */
  marginal?: Record<string, readonly string[]>;
  /** only these targets of a cross-endorsed option are marked: `${contestId}/${optionId}` → target indexes */
  onlyTargets?: Record<string, readonly number[]>;
  precinctId?: string;
  sheetNumber?: number;
  /** override the needsReview the default review reasons give */
  needsReview?: boolean;
}

/** An interpreted sheet of a ballot style with the given marks. Throws on unknown ids (programmer error). */
export function syntheticSheet(
  election: Election,
  ballotStyleId: string,
  marks: SyntheticMarks = {},
): InterpretedSheet {
  const style = election.ballotStyles.find((b) => b.id === ballotStyleId);
  if (!style) throw new Error(`unknown ballot style ${ballotStyleId}`);
  const sheetNumber = marks.sheetNumber ?? 1;
  const layouts = election.layouts.filter(
    (l) => l.ballotStyleId === ballotStyleId && l.sheetNumber === sheetNumber,
  );
  const targets: TargetResult[] = [];
  const seen = new Map<string, number>();
  for (const layout of layouts)
    for (const t of layout.targets) {
      const key = `${t.contestId}/${t.optionId}`;
      const index = seen.get(key) ?? 0;
      seen.set(key, index + 1);
      const only = marks.onlyTargets?.[key];
      const isMarked =
        (marks.marked?.[t.contestId] ?? []).includes(t.optionId) && (!only || only.includes(index));
      const isMarginal = (marks.marginal?.[t.contestId] ?? []).includes(t.optionId);
      targets.push({
        contestId: t.contestId,
        optionId: t.optionId,
        type: t.type,
        side: layout.side,
        column: t.column,
        row: t.row,
        fill01: isMarked ? 0.62 : isMarginal ? 0.21 : 0.013,
        streak: false,
        status: isMarked ? 'marked' : isMarginal ? 'marginal' : 'unmarked',
        centrePx: { xPx: t.column * 50, yPx: t.row * 50 },
        halfWidthPx: 10,
        halfHeightPx: 7,
        outsideInk01: 0.01,
      });
    }
  const { contests, reasons } = applyContestRules(election, layouts, targets, SYNTHETIC_CALIBRATION);
  return {
    type: 'interpreted',
    ballotStyleId,
    precinctId: marks.precinctId ?? style.precinctIds[0] ?? '',
    sheetNumber,
    pages: [],
    targets,
    contests,
    reasons,
    needsReview: marks.needsReview ?? reasons.some((r) => DEFAULT_REVIEW_REASONS.includes(r.type)),
  };
}

/** Mayor (vote for 1, Carol cross-endorsed in two columns, one write-in), Council (vote for 2), a measure. */
export function sampleElection(): Election {
  const opt = (contestId: string, optionId: string, column: number, row: number) => ({
    type: 'option' as const,
    contestId,
    optionId,
    column,
    row,
  });
  return ElectionSchema.parse({
    id: 'test-2024',
    title: 'Test Election',
    date: '2024-11-05',
    jurisdiction: 'Example County',
    state: 'EX',
    paper: 'letter',
    grid: { columns: 34, rows: 41 },
    metadataEncoding: 'timing-marks',
    parties: [
      { id: 'dem', name: 'Democratic', abbrev: 'D' },
      { id: 'rep', name: 'Republican', abbrev: 'R' },
    ],
    districts: [{ id: 'd1', name: 'District 1' }],
    precincts: [
      { id: 'p1', name: 'Precinct 1' },
      { id: 'p2', name: 'Precinct 2' },
    ],
    contests: [
      {
        type: 'candidate',
        id: 'mayor',
        title: 'Mayor',
        districtId: 'd1',
        seats: 1,
        allowWriteIns: true,
        candidates: [
          { id: 'alice', name: 'Alice Adams', partyIds: ['dem'] },
          { id: 'bob', name: 'Bob Baker', partyIds: ['rep'] },
          { id: 'carol', name: 'Carol Cole', partyIds: ['dem', 'rep'] },
        ],
      },
      {
        type: 'candidate',
        id: 'council',
        title: 'City Council',
        districtId: 'd1',
        seats: 2,
        allowWriteIns: true,
        candidates: [
          { id: 'dan', name: 'Dan Dorn', partyIds: ['dem'] },
          { id: 'eve', name: '=Eve "E" Evans', partyIds: ['rep'] },
          { id: 'fay', name: 'Fay Fox, Jr.', partyIds: [] },
        ],
      },
      {
        type: 'yesno',
        id: 'prop1',
        title: 'Proposition 1',
        districtId: 'd1',
        description: 'Shall the city build a library?',
        yesOption: { id: 'prop1-yes', label: 'Yes' },
        noOption: { id: 'prop1-no', label: 'No' },
      },
    ],
    ballotStyles: [{ id: 'bs1', precinctIds: ['p1', 'p2'], districtIds: ['d1'] }],
    layouts: [
      {
        ballotStyleId: 'bs1',
        sheetNumber: 1,
        side: 'front',
        targets: [
          opt('mayor', 'alice', 2, 5),
          opt('mayor', 'bob', 2, 6),
          opt('mayor', 'carol', 2, 7),
          opt('mayor', 'carol', 12, 7),
          {
            type: 'write-in',
            contestId: 'mayor',
            optionId: 'write-in-0',
            writeInIndex: 0,
            column: 2,
            row: 8,
          },
          opt('council', 'dan', 2, 12),
          opt('council', 'eve', 2, 13),
          opt('council', 'fay', 2, 14),
          {
            type: 'write-in',
            contestId: 'council',
            optionId: 'write-in-0',
            writeInIndex: 0,
            column: 2,
            row: 15,
          },
          {
            type: 'write-in',
            contestId: 'council',
            optionId: 'write-in-1',
            writeInIndex: 1,
            column: 2,
            row: 16,
          },
        ],
      },
      {
        ballotStyleId: 'bs1',
        sheetNumber: 1,
        side: 'back',
        targets: [opt('prop1', 'prop1-yes', 2, 5), opt('prop1', 'prop1-no', 2, 6)],
      },
    ],
    source: { format: 'vxf-4.1', sha256: 'ab'.repeat(32) },
  });
}

/** The image hash synthetic records carry. */
export const SAMPLE_HASH = 'c'.repeat(64);

/** A record with two image paths under the batch. */
export function syntheticRecord(sheetId: string, outcome: SheetOutcome, batchId = 'batch-a'): SheetRecord {
  return {
    sheetId,
    batchId,
    imagePaths: [`${batchId}/${sheetId}-front.jpeg`, `${batchId}/${sheetId}-back.jpeg`],
    imageSha256: [SAMPLE_HASH, SAMPLE_HASH],
    outcome,
  };
}

/**
 * Ten records of the sample election: recorded, cross-endorsed, overvoted, marginal, blank and rejected sheets
 * in two batches and two precincts (see the comments for each).
 */
export function sampleRecords(e: Election): SheetRecord[] {
  const s = (marks: Parameters<typeof syntheticSheet>[2]) => syntheticSheet(e, 'bs1', marks);
  return [
    syntheticRecord(
      '000001',
      s({ marked: { mayor: ['alice'], council: ['dan', 'eve'], prop1: ['prop1-yes'] } }),
    ),
    syntheticRecord(
      '000002',
      s({ marked: { mayor: ['alice'], council: ['dan'], prop1: ['prop1-no'] }, precinctId: 'p2' }),
    ),
    // cross-endorsed Carol marked in both columns: one vote
    syntheticRecord(
      '000003',
      s({ marked: { mayor: ['carol'], council: ['fay', 'write-in-1'], prop1: ['prop1-yes'] } }),
    ),
    // overvote in mayor: needs review, counted as read (council and prop1 count)
    syntheticRecord(
      '000004',
      s({ marked: { mayor: ['alice', 'bob'], council: ['eve'], prop1: ['prop1-yes'] } }),
      'batch-b',
    ),
    // a marginal mark in council: needs review, the definite marks count
    syntheticRecord(
      '000005',
      s({
        marked: { mayor: ['write-in-0'], council: ['dan'], prop1: ['prop1-no'] },
        marginal: { council: ['fay'] },
      }),
      'batch-b',
    ),
    // blank ballot
    syntheticRecord('000006', s({ precinctId: 'p2' }), 'batch-b'),
    // Carol marked in one column only
    syntheticRecord(
      '000007',
      s({ marked: { mayor: ['carol'], prop1: ['prop1-yes'] }, onlyTargets: { 'mayor/carol': [1] } }),
    ),
    syntheticRecord('000008', {
      type: 'rejected',
      reason: 'no-timing-marks',
      detail: 'front: no timing marks',
    }),
    syntheticRecord(
      '000009',
      { type: 'rejected', reason: 'blank-page', detail: 'back: blank', imageIndex: 1 },
      'batch-b',
    ),
    syntheticRecord(
      '000010',
      { type: 'rejected', reason: 'no-timing-marks', detail: 'back: no timing marks' },
      'batch-b',
    ),
  ];
}
