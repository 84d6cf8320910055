/**
 * Comparing our count with the official one: per contest (ours, theirs and the difference per choice;
 * overvotes, undervotes, ballots) and, where the official side has per-ballot records, ballot by ballot.
 *
 * Ballot level: official records are matched to our sheets by record id, imprinted id or image file
 * name; each difference is one discrepancy of one kind:
 * - `vote-only-ours` / `vote-only-official`: a vote one side counted and the other did not;
 * - `different-choice`: both counted votes in the contest, for different choices;
 * - `overvote-ours` / `overvote-official`: one side found an overvote where the other counted votes;
 * - `marginal-mark`: the votes differ on a choice where our mark was marginal (fill between thresholds);
 * - `missing-official`: a sheet we counted that the official records do not have;
 * - `missing-ours`: an official record with no sheet of ours (or one we rejected, with the reason);
 * - `duplicate-official`: a second official record for a sheet already matched.
 * Contests the official data does not have at all are not compared (they are listed as such).
 */
import { basename, extname } from 'node:path';
import { contestOptions, type Election } from '../election/election.ts';
import type { AdjudicationReason, InterpretedSheet } from '../pipeline/outcome.ts';
import { describeReason } from '../report/cvr-nist.ts';
import { COMBINED_WRITE_IN_ID, compareIds } from '../tally/tally.ts';
import type { MappedBallot, MappedOfficial, UnmappedCount } from './mapping.ts';
import type { OfficialData } from './official.ts';
import type { OurBatch, OurSheet } from './ours.ts';

export const MATCH_BY = ['record-id', 'imprinted-id', 'file-name'] as const;
export type MatchBy = (typeof MATCH_BY)[number];

export const DISCREPANCY_KINDS = [
  'vote-only-ours',
  'vote-only-official',
  'different-choice',
  'overvote-ours',
  'overvote-official',
  'marginal-mark',
  'missing-official',
  'missing-ours',
  'duplicate-official',
] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

export interface ContestVotes {
  votes: string[];
  overvote: boolean;
}

export interface BallotDiscrepancy {
  kind: DiscrepancyKind;
  sheetId?: string;
  officialBallotId?: string;
  /** where the official record is: `CvrExport_1.json#Sessions[3]` */
  officialSource?: string;
  contestId?: string;
  ours?: ContestVotes & { marked: string[] };
  official?: ContestVotes;
  onlyOurs: string[];
  onlyOfficial: string[];
  /** our marginal marks involved, with their fill */
  marginal: { optionId: string; fill01: number }[];
  /** one sentence for people */
  detail: string;
}

export interface CountComparison {
  ours: number;
  official: number | null;
  difference: number | null;
}

export interface OptionComparison extends CountComparison {
  optionId: string;
  label: string;
}

export interface ContestComparison {
  contestId: string;
  title: string;
  seats: number;
  /** false when the official data has no such contest (not compared) */
  compared: boolean;
  officialNames: string[];
  options: OptionComparison[];
  overvotes: CountComparison;
  undervotes: CountComparison;
  ballots: CountComparison;
  /** the largest absolute difference of any number of the contest */
  largestDifference: number;
}

export interface CompareReport {
  ours: { dir: string; electionId: string; electionSha256: string; sheets: OurBatch['tally']['sheets'] };
  official: { format: string; files: string[]; ballots: number | null; warnings: string[] };
  options: { matchBy: MatchBy; tolerance: number };
  contests: ContestComparison[];
  unmapped: UnmappedCount[];
  ballots: {
    matched: number;
    discrepancies: BallotDiscrepancy[];
    byKind: Partial<Record<DiscrepancyKind, number>>;
  } | null;
  reviewQueue: { sheetId: string; reasons: string[] }[];
  summary: {
    contestsCompared: number;
    contestsWithDifferences: number;
    largestDifference: number;
    ballotDiscrepancies: number;
    unmappedVotes: number;
    withinTolerance: boolean;
  };
  warnings: string[];
}

export interface CompareOptions {
  matchBy: MatchBy;
  tolerance: number;
}

const count = (ours: number, official: number | undefined | null): CountComparison =>
  official === undefined || official === null
    ? { ours, official: null, difference: null }
    : { ours, official, difference: ours - official };

const SIDE_SUFFIX = /([-_](front|back|side[01]|a|b|p-?[12]))$/i;

/** `dir/000001-front.jpeg` → `000001-front.jpeg`, `000001-front`, `000001` */
export function fileKeys(path: string): string[] {
  const name = basename(path.replace(/\\/g, '/'));
  const stem = name.slice(0, name.length - extname(name).length);
  return [...new Set([name, stem, stem.replace(SIDE_SUFFIX, '')])].filter(Boolean);
}

function ourKeys(sheet: OurSheet, matchBy: MatchBy): string[] {
  const files = sheet.record.imagePaths.flatMap(fileKeys);
  if (matchBy === 'record-id') return [sheet.record.sheetId];
  if (matchBy === 'imprinted-id') return [sheet.record.sheetId, ...files];
  return files;
}

function officialKeys(b: MappedBallot, matchBy: MatchBy): string[] {
  if (matchBy === 'record-id') return [b.ballotId];
  if (matchBy === 'imprinted-id') return [b.imprintedId ?? b.ballotId];
  return b.fileName ? fileKeys(b.fileName) : [];
}

/** Our votes in a contest, write-in lines folded into `write-in` when the official side sums them. */
function ourContestVotes(sheet: InterpretedSheet, contestId: string, combined: boolean) {
  const r = sheet.contests.find((c) => c.contestId === contestId);
  const fold = (ids: readonly string[]) =>
    combined
      ? [...new Set(ids.map((id) => (id.startsWith('write-in-') ? COMBINED_WRITE_IN_ID : id)))]
      : [...ids];
  const marginal = sheet.targets
    .filter((t) => t.contestId === contestId && t.status === 'marginal')
    .map((t) => ({ optionId: fold([t.optionId])[0] ?? t.optionId, fill01: t.fill01 }));
  return {
    votes: fold(r?.votes ?? []),
    marked: fold(r?.marked ?? []),
    overvote: r?.overvote ?? false,
    marginal,
  };
}

export function labelsOf(election: Election): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const c of election.contests) {
    const m = new Map(contestOptions(c).map((o) => [o.id, o.label]));
    m.set(COMBINED_WRITE_IN_ID, 'Write-in (all)');
    out.set(c.id, m);
  }
  return out;
}

function compareBallot(
  sheet: OurSheet & { record: { outcome: InterpretedSheet } },
  b: MappedBallot,
  official: MappedOfficial,
  labels: Map<string, Map<string, string>>,
): BallotDiscrepancy[] {
  const outcome = sheet.record.outcome;
  const contestIds = new Set([...outcome.contests.map((c) => c.contestId), ...Object.keys(b.votes)]);
  const out: BallotDiscrepancy[] = [];
  for (const contestId of [...contestIds]) {
    if (!official.contests.has(contestId)) continue;
    const ours = ourContestVotes(outcome, contestId, official.combinedWriteIns.has(contestId));
    const theirs: ContestVotes = {
      votes: [...(b.votes[contestId] ?? [])],
      overvote: b.overvoted.includes(contestId),
    };
    if (ours.overvote && theirs.overvote) continue;
    const onlyOurs = ours.overvote ? [] : ours.votes.filter((v) => !theirs.votes.includes(v));
    const onlyOfficial = theirs.overvote ? [] : theirs.votes.filter((v) => !ours.votes.includes(v));
    if (ours.overvote === theirs.overvote && onlyOurs.length === 0 && onlyOfficial.length === 0) continue;
    const differing = new Set([...onlyOurs, ...onlyOfficial]);
    const overvoteKind = ours.overvote || theirs.overvote;
    const marginal = ours.marginal.filter((m) => overvoteKind || differing.has(m.optionId));
    const name = (ids: readonly string[]) =>
      ids.length ? ids.map((id) => labels.get(contestId)?.get(id) ?? id).join(', ') : 'no vote';
    let kind: DiscrepancyKind;
    let detail: string;
    if (ours.overvote) {
      kind = 'overvote-ours';
      detail = `we found an overvote (marks for ${name(ours.marked)}); the official count has ${name(theirs.votes)}`;
    } else if (theirs.overvote) {
      kind = 'overvote-official';
      detail = `the official count has an overvote; we counted ${name(ours.votes)}`;
    } else if (marginal.length > 0) {
      kind = 'marginal-mark';
      detail = `votes differ where our mark is marginal (${marginal.map((m) => `${name([m.optionId])} fill ${m.fill01.toFixed(3)}`).join('; ')}): we counted ${name(ours.votes)}, the official count has ${name(theirs.votes)}`;
    } else if (onlyOurs.length && onlyOfficial.length) {
      kind = 'different-choice';
      detail = `we counted ${name(onlyOurs)}; the official count has ${name(onlyOfficial)} instead`;
    } else if (onlyOurs.length) {
      kind = 'vote-only-ours';
      detail = `we counted ${name(onlyOurs)}; the official count does not`;
    } else {
      kind = 'vote-only-official';
      detail = `the official count has ${name(onlyOfficial)}; we did not count it`;
    }
    out.push({
      kind,
      sheetId: sheet.record.sheetId,
      officialBallotId: b.ballotId,
      officialSource: b.source,
      contestId,
      ours: { votes: ours.votes, overvote: ours.overvote, marked: ours.marked },
      official: theirs,
      onlyOurs,
      onlyOfficial,
      marginal,
      detail,
    });
  }
  return out;
}

const isInterpreted = (s: OurSheet): s is OurSheet & { record: { outcome: InterpretedSheet } } =>
  s.record.outcome.type === 'interpreted';

export function compareBallots(
  batch: OurBatch,
  official: MappedOfficial & { ballots: MappedBallot[] },
  matchBy: MatchBy,
  warnings: string[],
): { matched: number; discrepancies: BallotDiscrepancy[] } {
  const labels = labelsOf(batch.election);
  const index = new Map<string, OurSheet>();
  const ambiguous = new Set<string>();
  for (const sheet of batch.sheets)
    for (const key of new Set(ourKeys(sheet, matchBy))) {
      const prior = index.get(key);
      if (prior && prior !== sheet) ambiguous.add(key);
      else index.set(key, sheet);
    }
  for (const key of ambiguous) index.delete(key);
  if (ambiguous.size)
    warnings.push(
      `${ambiguous.size} ${matchBy} key${ambiguous.size === 1 ? '' : 's'} name more than one of our sheets and match nothing (first: "${[...ambiguous].sort(compareIds)[0]}")`,
    );
  const discrepancies: BallotDiscrepancy[] = [];
  const matchedTo = new Map<string, MappedBallot>();
  let noKey = 0;
  for (const b of official.ballots) {
    const keys = officialKeys(b, matchBy);
    if (keys.length === 0) noKey++;
    const sheet = keys.map((k) => index.get(k)).find((s) => s !== undefined);
    const base = {
      officialBallotId: b.ballotId,
      officialSource: b.source,
      onlyOurs: [],
      onlyOfficial: [],
      marginal: [],
    };
    if (!sheet) {
      discrepancies.push({
        kind: 'missing-ours',
        ...base,
        detail: `no sheet of ours matches official record ${b.ballotId}`,
      });
      continue;
    }
    const id = sheet.record.sheetId;
    const outcome = sheet.record.outcome;
    if (outcome.type === 'rejected') {
      discrepancies.push({
        kind: 'missing-ours',
        ...base,
        sheetId: id,
        detail: `we rejected sheet ${id} (${outcome.reason}: ${outcome.detail}); the official count has it as record ${b.ballotId}`,
      });
      continue;
    }
    const first = matchedTo.get(id);
    if (first) {
      discrepancies.push({
        kind: 'duplicate-official',
        ...base,
        sheetId: id,
        detail: `official record ${b.ballotId} is a second record for sheet ${id} (already matched to ${first.ballotId})`,
      });
      continue;
    }
    matchedTo.set(id, b);
  }
  if (noKey)
    warnings.push(
      `${noKey} official record${noKey === 1 ? ' has' : 's have'} no ${matchBy === 'file-name' ? 'file name' : 'id'} to match by`,
    );
  for (const sheet of batch.sheets) {
    if (!isInterpreted(sheet)) continue;
    const b = matchedTo.get(sheet.record.sheetId);
    if (!b) {
      discrepancies.push({
        kind: 'missing-official',
        sheetId: sheet.record.sheetId,
        onlyOurs: [],
        onlyOfficial: [],
        marginal: [],
        detail: `we counted sheet ${sheet.record.sheetId}; no official record matches it`,
      });
      continue;
    }
    discrepancies.push(...compareBallot(sheet, b, official, labels));
  }
  const order = (d: BallotDiscrepancy) => d.sheetId ?? `~${d.officialBallotId ?? ''}`;
  const contestOrder = new Map(batch.election.contests.map((c, i) => [c.id, i]));
  discrepancies.sort(
    (a, b) =>
      compareIds(order(a), order(b)) ||
      (contestOrder.get(a.contestId ?? '') ?? -1) - (contestOrder.get(b.contestId ?? '') ?? -1) ||
      compareIds(a.officialBallotId ?? '', b.officialBallotId ?? ''),
  );
  return { matched: matchedTo.size, discrepancies };
}

export function compare(
  batch: OurBatch,
  officialData: OfficialData,
  official: MappedOfficial,
  options: CompareOptions,
): CompareReport {
  const warnings = [...officialData.warnings];
  const contests: ContestComparison[] = batch.tally.contests.map((t) => {
    const m = official.contests.get(t.contestId);
    const combined = official.combinedWriteIns.has(t.contestId);
    const rows: { optionId: string; label: string; votes: number }[] = [];
    for (const o of t.options) {
      if (combined && o.isWriteIn) {
        const prior = rows.find((r) => r.optionId === COMBINED_WRITE_IN_ID);
        if (prior) prior.votes += o.votes;
        else rows.push({ optionId: COMBINED_WRITE_IN_ID, label: 'Write-in (all)', votes: o.votes });
      } else rows.push({ optionId: o.optionId, label: o.label, votes: o.votes });
    }
    const optionRows: OptionComparison[] = rows.map((r) => ({
      optionId: r.optionId,
      label: r.label,
      ...count(r.votes, m ? (m.options.get(r.optionId) ?? 0) : null),
    }));
    const c: ContestComparison = {
      contestId: t.contestId,
      title: t.title,
      seats: t.seats,
      compared: m !== undefined,
      officialNames: m?.officialNames ?? [],
      options: optionRows,
      overvotes: count(t.overvotes, m?.overvotes),
      undervotes: count(t.undervotes, m?.undervotes),
      ballots: count(t.ballots, m?.ballots),
      largestDifference: 0,
    };
    c.largestDifference = Math.max(
      0,
      ...[...c.options, c.overvotes, c.undervotes, c.ballots].map((x) => Math.abs(x.difference ?? 0)),
    );
    return c;
  });
  let ballots: CompareReport['ballots'] = null;
  if (official.ballots) {
    const r = compareBallots(batch, { ...official, ballots: official.ballots }, options.matchBy, warnings);
    const byKind: Partial<Record<DiscrepancyKind, number>> = {};
    for (const kind of DISCREPANCY_KINDS) {
      const n = r.discrepancies.filter((d) => d.kind === kind).length;
      if (n) byKind[kind] = n;
    }
    ballots = { matched: r.matched, discrepancies: r.discrepancies, byKind };
  }
  const notCompared = contests.filter((c) => !c.compared).map((c) => c.contestId);
  if (notCompared.length) warnings.push(`not in the official data, not compared: ${notCompared.join(', ')}`);
  const unknownVotes = official.unmapped.filter((u) => u.why === 'unknown');
  if (unknownVotes.length)
    warnings.push(
      `${unknownVotes.length} official choice${unknownVotes.length === 1 ? ' is' : 's are'} not in the mapping; write a draft with --draft-mapping and complete it`,
    );
  const largestDifference = Math.max(0, ...contests.map((c) => c.largestDifference));
  const unmappedVotes = unknownVotes.reduce((a, u) => a + u.votes, 0);
  const ballotDiscrepancies = ballots?.discrepancies.length ?? 0;
  const tol = options.tolerance;
  return {
    ours: {
      dir: batch.dir,
      electionId: batch.tally.electionId,
      electionSha256: batch.tally.electionSha256,
      sheets: batch.tally.sheets,
    },
    official: {
      format: officialData.format,
      files: officialData.files,
      ballots: officialData.ballots?.length ?? null,
      warnings: officialData.warnings,
    },
    options: { matchBy: options.matchBy, tolerance: tol },
    contests,
    unmapped: official.unmapped,
    ballots,
    reviewQueue: batch.review.map((r) => ({
      sheetId: r.sheetId,
      reasons: r.reasons.map((x) => describeReason(x as unknown as AdjudicationReason)),
    })),
    summary: {
      contestsCompared: contests.filter((c) => c.compared).length,
      contestsWithDifferences: contests.filter((c) => c.largestDifference > 0).length,
      largestDifference,
      ballotDiscrepancies,
      unmappedVotes,
      withinTolerance:
        largestDifference <= tol && ballotDiscrepancies <= tol && unknownVotes.every((u) => u.votes <= tol),
    },
    warnings,
  };
}
