/**
 * The pure tally: sheet records in, counts out. Order-independent (every count is a sum and every list is
 * sorted or in election order), so shuffling the records gives byte-identical JSON.
 *
 * Counting policy:
 * - a sheet that is interpreted and needs no review is *recorded*; its votes count;
 * - a sheet that needs review is counted as read: review is a flag for people, not a removal. Its votes
 *   (as the interpreter read them, marginal marks not counted) are in every total, and the sheet is
 *   counted under `needsReview` instead of `recorded`;
 * - a rejected sheet counts nothing but itself, under `rejected` and its reason.
 * So `inputs = recorded + needsReview + rejected`, and `checkSheetCounts` says when that fails.
 *
 * Per contest: `ballots` is the number of sheets that carried the contest, `overvotes` the number of those
 * sheets on which the contest was overvoted, `undervotes` the sum of the sheets' undervote counts (votes not
 * used, so a vote-for-3 contest with one mark adds 2), `blank` the sheets with no vote and no overvote in it.
 * With the interpreter's rules, `sum(votes) + undervotes + seats * overvotes = seats * ballots`.
 * A cross-endorsed candidate (several targets, one option) is one vote per sheet however many are marked.
 */
import { type Contest, contestOptions, type Election } from '../election/election.ts';
import { type InterpretedSheet, type RejectReason, TAKEN_OUT_WARNING } from '../pipeline/outcome.ts';
import type { SheetRecord } from './records.ts';

/** `separate`: one option per write-in line (`write-in-0`, ...); `combined`: one `write-in` option. */
export type WriteInMode = 'separate' | 'combined';

export interface TallyOptions {
  writeIns?: WriteInMode;
}

/** Option id of all write-ins summed, in `combined` mode. */
export const COMBINED_WRITE_IN_ID = 'write-in';

export interface SheetCounts {
  inputs: number;
  recorded: number;
  needsReview: number;
  rejected: number;
  /** keys in sorted order; only reasons that occurred */
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** interpreted sheets with no mark at all (the `blank-ballot` reason) */
  blankBallots: number;
}

export interface OptionTally {
  optionId: string;
  label: string;
  isWriteIn: boolean;
  votes: number;
}

export interface ContestTally {
  contestId: string;
  title: string;
  type: Contest['type'];
  seats: number;
  /** sheets that carried the contest */
  ballots: number;
  /** sheets on which the contest was overvoted */
  overvotes: number;
  /** sum of unused votes over the sheets */
  undervotes: number;
  /** sheets with no vote and no overvote in the contest */
  blank: number;
  /** in ballot order, write-ins last */
  options: OptionTally[];
}

export interface GroupTally {
  id: string;
  sheets: SheetCounts;
  /** contests that appeared on at least one sheet of the group, in election order */
  contests: ContestTally[];
}

export interface Tally {
  electionId: string;
  electionSha256: string;
  writeIns: WriteInMode;
  sheets: SheetCounts;
  /** every contest of the election, in election order */
  contests: ContestTally[];
  /** interpreted sheets only, sorted by id */
  byPrecinct: GroupTally[];
  byBallotStyle: GroupTally[];
  /** all sheets (rejected ones too), sorted by id */
  byBatch: GroupTally[];
  /** data the election does not know (unknown ids, duplicate sheet ids), sorted */
  warnings: string[];
}

interface ContestAcc {
  ballots: number;
  overvotes: number;
  undervotes: number;
  blank: number;
  votes: Map<string, number>;
}

interface GroupAcc {
  inputs: number;
  recorded: number;
  needsReview: number;
  rejected: number;
  rejectedByReason: Map<string, number>;
  blankBallots: number;
  contests: Map<string, ContestAcc>;
}

function newGroup(): GroupAcc {
  return {
    inputs: 0,
    recorded: 0,
    needsReview: 0,
    rejected: 0,
    rejectedByReason: new Map(),
    blankBallots: 0,
    contests: new Map(),
  };
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Plain code-unit comparison: the same order on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Incremental tally: add records one at a time (a million never need to sit in memory), then `result()`. */
export interface TallyBuilder {
  add(record: SheetRecord): void;
  result(): Tally;
}

/**
 * Page warnings worth a line of the batch's warnings, by how they start: a scanner streak taken out of
 * targets (dirt on the glass draws it on every page until cleaned), a line across the page taken out (a
 * fold's crease, or a line the scanner drew).
 */
const SCAN_NOTES: readonly (readonly [string, string])[] = [
  [
    TAKEN_OUT_WARNING.streak,
    'A scanner streak (a dark line down the page, dirt on the glass) ran through targets and was taken out before they were read',
  ],
  [
    TAKEN_OUT_WARNING.pageLine,
    "A line across the page (a fold's crease, or one the scanner drew) ran through targets and was taken out before they were read",
  ],
];

export function createTally(election: Election, options: TallyOptions = {}): TallyBuilder {
  const writeIns = options.writeIns ?? 'separate';
  const contests = new Map(election.contests.map((c) => [c.id, c]));
  const optionIds = new Map(
    election.contests.map((c) => [c.id, new Set(contestOptions(c).map((o) => o.id))]),
  );
  const precinctIds = new Set(election.precincts.map((p) => p.id));
  const styleIds = new Set(election.ballotStyles.map((b) => b.id));
  const total = newGroup();
  const byPrecinct = new Map<string, GroupAcc>();
  const byStyle = new Map<string, GroupAcc>();
  const byBatch = new Map<string, GroupAcc>();
  const seenSheets = new Set<string>();
  /** warning message → number of sheets and the smallest sheet id (order-independent evidence) */
  const warnings = new Map<string, { sheets: number; first: string }>();

  const warn = (message: string, sheetId: string) => {
    const w = warnings.get(message);
    if (!w) warnings.set(message, { sheets: 1, first: sheetId });
    else {
      w.sheets++;
      if (compareIds(sheetId, w.first) < 0) w.first = sheetId;
    }
  };
  const group = (map: Map<string, GroupAcc>, id: string) => {
    let g = map.get(id);
    if (!g) {
      g = newGroup();
      map.set(id, g);
    }
    return g;
  };

  const addInterpreted = (groups: GroupAcc[], sheet: InterpretedSheet, sheetId: string) => {
    // what the scans themselves say, batch-wide (a streak on every page: the scanner's glass wants cleaning)
    for (const [start, note] of SCAN_NOTES)
      if (sheet.pages.some((p) => p.warnings.some((w) => w.startsWith(start)))) warn(note, sheetId);
    const review = sheet.needsReview;
    const blank = sheet.reasons.some((r) => r.type === 'blank-ballot');
    for (const g of groups) {
      if (review) g.needsReview++;
      else g.recorded++;
      if (blank) g.blankBallots++;
    }
    for (const result of sheet.contests) {
      const contest = contests.get(result.contestId);
      if (!contest) {
        warn(`Expected a known contest id but received "${result.contestId}"`, sheetId);
        continue;
      }
      const known = optionIds.get(contest.id) ?? new Set<string>();
      const votes = [...new Set(result.votes)].filter((id) => {
        if (known.has(id)) return true;
        warn(`Expected an option of contest "${contest.id}" but received "${id}"`, sheetId);
        return false;
      });
      for (const g of groups) {
        let acc = g.contests.get(contest.id);
        if (!acc) {
          acc = { ballots: 0, overvotes: 0, undervotes: 0, blank: 0, votes: new Map() };
          g.contests.set(contest.id, acc);
        }
        acc.ballots++;
        if (result.overvote) acc.overvotes++;
        acc.undervotes += result.undervotes;
        if (!result.overvote && votes.length === 0) acc.blank++;
        for (const id of votes) bump(acc.votes, id);
      }
    }
  };

  return {
    add(record) {
      const { sheetId, outcome } = record;
      if (seenSheets.has(sheetId)) warn('Expected unique sheet ids but received a duplicate', sheetId);
      seenSheets.add(sheetId);
      const batch = group(byBatch, record.batchId);
      for (const g of [total, batch]) g.inputs++;
      if (outcome.type === 'rejected') {
        for (const g of [total, batch]) {
          g.rejected++;
          bump(g.rejectedByReason, outcome.reason);
        }
        return;
      }
      if (!precinctIds.has(outcome.precinctId))
        warn(`Expected a known precinct id but received "${outcome.precinctId}"`, sheetId);
      if (!styleIds.has(outcome.ballotStyleId))
        warn(`Expected a known ballot style id but received "${outcome.ballotStyleId}"`, sheetId);
      const precinct = group(byPrecinct, outcome.precinctId);
      const style = group(byStyle, outcome.ballotStyleId);
      precinct.inputs++;
      style.inputs++;
      addInterpreted([total, batch, precinct, style], outcome, sheetId);
    },
    result() {
      const finishGroups = (map: Map<string, GroupAcc>): GroupTally[] =>
        [...map.keys()].sort(compareIds).map((id) => {
          const g = map.get(id) as GroupAcc;
          return {
            id,
            sheets: finishSheets(g),
            contests: election.contests
              .filter((c) => g.contests.has(c.id))
              .map((c) => finishContest(c, g.contests.get(c.id), writeIns)),
          };
        });
      return {
        electionId: election.id,
        electionSha256: election.source.sha256,
        writeIns,
        sheets: finishSheets(total),
        contests: election.contests.map((c) => finishContest(c, total.contests.get(c.id), writeIns)),
        byPrecinct: finishGroups(byPrecinct),
        byBallotStyle: finishGroups(byStyle),
        byBatch: finishGroups(byBatch),
        warnings: [...warnings.entries()]
          .map(
            ([message, w]) =>
              `${message} on ${w.sheets} sheet${w.sheets === 1 ? '' : 's'} (first ${w.first})`,
          )
          .sort(compareIds),
      };
    },
  };
}

function finishSheets(g: GroupAcc): SheetCounts {
  const rejectedByReason: Record<string, number> = {};
  for (const reason of [...g.rejectedByReason.keys()].sort(compareIds))
    rejectedByReason[reason] = g.rejectedByReason.get(reason) ?? 0;
  return {
    inputs: g.inputs,
    recorded: g.recorded,
    needsReview: g.needsReview,
    rejected: g.rejected,
    rejectedByReason,
    blankBallots: g.blankBallots,
  };
}

function finishContest(contest: Contest, acc: ContestAcc | undefined, writeIns: WriteInMode): ContestTally {
  const options: OptionTally[] = [];
  let combined: OptionTally | undefined;
  for (const o of contestOptions(contest)) {
    const votes = acc?.votes.get(o.id) ?? 0;
    if (o.isWriteIn && writeIns === 'combined') {
      if (!combined) {
        combined = { optionId: COMBINED_WRITE_IN_ID, label: 'Write-in', isWriteIn: true, votes: 0 };
        options.push(combined);
      }
      combined.votes += votes;
    } else {
      options.push({ optionId: o.id, label: o.label, isWriteIn: o.isWriteIn, votes });
    }
  }
  return {
    contestId: contest.id,
    title: contest.title,
    type: contest.type,
    seats: contest.type === 'candidate' ? contest.seats : 1,
    ballots: acc?.ballots ?? 0,
    overvotes: acc?.overvotes ?? 0,
    undervotes: acc?.undervotes ?? 0,
    blank: acc?.blank ?? 0,
    options,
  };
}

/** Tally all records at once. Pure; the result does not depend on the order of `records`. */
export function tally(election: Election, records: Iterable<SheetRecord>, options: TallyOptions = {}): Tally {
  const builder = createTally(election, options);
  for (const r of records) builder.add(r);
  return builder.result();
}

/** `undefined` when `inputs = recorded + needsReview + rejected` (and the reasons add up), else why not. */
export function checkSheetCounts(c: SheetCounts, where = 'sheets'): string | undefined {
  if (c.inputs !== c.recorded + c.needsReview + c.rejected)
    return `Expected inputs = recorded + needing review + rejected for ${where} but received ${c.inputs} ≠ ${c.recorded} + ${c.needsReview} + ${c.rejected}`;
  const byReason = Object.values(c.rejectedByReason).reduce((a, b) => a + (b ?? 0), 0);
  if (byReason !== c.rejected)
    return `Expected rejected = sum of rejected by reason for ${where} but received ${c.rejected} ≠ ${byReason}`;
  return undefined;
}

/**
 * Every invariant of a tally, one message per violation: the sheet equation for the total and every group,
 * and per contest `sum(votes) + undervotes + seats * overvotes = seats * ballots` (which fails when records
 * carry votes for unknown options or disagree with the contest rules).
 */
export function checkTally(t: Tally): string[] {
  const errors: string[] = [];
  const checkContests = (contests: ContestTally[], where: string) => {
    for (const c of contests) {
      const votes = c.options.reduce((a, o) => a + o.votes, 0);
      if (votes + c.undervotes + c.seats * c.overvotes !== c.seats * c.ballots)
        errors.push(
          `Expected votes + undervotes + seats × overvotes = seats × ballots for contest "${c.contestId}" in ${where} but received ${votes} + ${c.undervotes} + ${c.seats} × ${c.overvotes} ≠ ${c.seats} × ${c.ballots}`,
        );
    }
  };
  const sheetError = checkSheetCounts(t.sheets, 'the total');
  if (sheetError) errors.push(sheetError);
  checkContests(t.contests, 'the total');
  for (const [kind, groups] of [
    ['precinct', t.byPrecinct],
    ['ballot style', t.byBallotStyle],
    ['batch', t.byBatch],
  ] as const) {
    for (const g of groups) {
      const where = `${kind} "${g.id}"`;
      const e = checkSheetCounts(g.sheets, where);
      if (e) errors.push(e);
      checkContests(g.contests, where);
    }
  }
  return errors;
}
