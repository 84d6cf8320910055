/**
 * NIST SP 1500-103 cast vote records (`CVR.CastVoteRecordReport`, JSON), written as a stream: the header
 * (device, geopolitical units, election, parties) is one chunk, then one chunk per CVR, so a million CVRs
 * never sit in memory.
 *
 * Mapping (see docs of each function for details):
 * - `ContestSelection.@id` is our option id (candidate id, yes/no option id, `write-in-N`), so
 *   `CVRContestSelection.ContestSelectionId` joins back to the election without a lookup table. Candidates
 *   get `@id` `candidate-<id>` so they do not collide with their selections. Precinct GpUnits use the
 *   precinct id (the CVR's `BallotStyleUnitId`).
 * - One CVR per interpreted sheet (a sheet needing review included, with Status `needs-adjudication` and its
 *   reasons as an Annotation); rejected sheets are not CVRs.
 * - One snapshot of type `original`: every target of the sheet is a `SelectionPosition` with its fill score
 *   as `MarkMetricValue` (3 decimals), `HasIndication` yes (marked) / unknown (marginal) / no, `IsAllocable`
 *   no when the contest is overvoted. `NumberVotes` is 1 (each position is worth one vote);
 *   `TotalNumberVotes` of a selection is 1 when it counts as a vote (a cross-endorsed candidate counts once).
 * - `CVRContest.Overvotes` is the number of votes lost to an overvote (the seats), `Undervotes` the unused
 *   votes, `Selections` the number of definite marks; `votes + Undervotes + Overvotes = seats`.
 * The 1500-103 v1 schema has no ballot style object: ballot styles appear only as `CVR.BallotStyleId`.
 */

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { splitPages } from '../batch/inputs.ts';
import { type Calibration, reviewThresholds } from '../election/calibration.ts';
import { type Contest, contestOptions, type Election } from '../election/election.ts';
import type { AdjudicationReason, InterpretedSheet, TargetResult } from '../pipeline/outcome.ts';
import type { SheetRecord } from '../tally/records.ts';

export interface CvrReportOptions {
  /** ballot-tally version, for `ReportingDevice.Application` */
  version: string;
  /** report time (the runner derives it from SOURCE_DATE_EPOCH); written to the second, UTC */
  generatedDate: Date;
  /** thresholds used, described in the device notes */
  calibration?: Calibration;
  /** free text for the report's `Notes` */
  notes?: string;
}

export const CVR_DEVICE_ID = 'rd-ballot-tally';
export const CVR_JURISDICTION_ID = 'gp-jurisdiction';

export const MARK_METRIC_TYPE =
  'fill01: fraction (0.000-1.000) of the interior of the target oval covered by ink, measured on the scanned image';

/** `2024-11-06T02:15:00Z`: ISO 8601 in UTC without fractions of a second. */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A relative or absolute path as a `file:` URI (forward slashes, percent-encoded). */
export function fileUri(path: string): string {
  // a sheet inside a batch TIFF is shown as `file.tif#page=3-4`: that part is the URI's fragment
  const { file, pages } = splitPages(path);
  return `file:${encodeURI(file.replace(/\\/g, '/')).replace(/[?#]/g, (c) => encodeURIComponent(c))}${pages}`;
}

export function candidateRef(candidateId: string): string {
  return `candidate-${candidateId}`;
}

/** The report without its CVRs: everything a reader needs to resolve the ids the CVRs use. */
export function cvrReportHeader(election: Election, options: CvrReportOptions): Record<string, unknown> {
  const deviceNotes = [`election definition ${election.source.format} sha256 ${election.source.sha256}`];
  if (options.calibration) {
    const c = options.calibration;
    const review = reviewThresholds(c);
    deviceNotes.push(
      `calibration ${c.name}: marked at fill01 >= ${c.thresholds.definite}, marginal at fill01 >= ${c.thresholds.marginal}, write-in ink >= ${c.thresholds.writeInInk}, ink around an unmarked oval >= ${c.thresholds.outsideInk} sent to review; ` +
        `a definite mark sent to review when its ink spread < ${review.compactSpread} or specks >= ${review.speckle} of it or when it is a light even shading (residue >= ${review.lightTone}) under fill01 ${review.lightFill} or sits in a dark patch of the paper (paper spread >= ${review.paperSpread}) under fill01 ${review.shadedFill}, an unmarked oval when its residue >= ${review.residue}, a target read again when its outline strays more than ${review.outlineShift} grid units from its neighbours'`,
    );
  }
  const candidates = new Map<string, Record<string, unknown>>();
  for (const contest of election.contests) {
    if (contest.type !== 'candidate') continue;
    for (const c of contest.candidates) {
      if (candidates.has(c.id)) continue;
      const candidate: Record<string, unknown> = {
        '@type': 'CVR.Candidate',
        '@id': candidateRef(c.id),
        Name: c.name,
      };
      if (c.partyIds.length === 1) candidate.PartyId = c.partyIds[0];
      candidates.set(c.id, candidate);
    }
  }
  const header: Record<string, unknown> = {
    '@type': 'CVR.CastVoteRecordReport',
    Version: '1.0.0',
    GeneratedDate: formatDateTime(options.generatedDate),
    ReportGeneratingDeviceIds: [CVR_DEVICE_ID],
    ReportType: ['originating-device-export'],
    ReportingDevice: [
      {
        '@type': 'CVR.ReportingDevice',
        '@id': CVR_DEVICE_ID,
        Application: `ballot-tally ${options.version}`,
        Model: 'independent tally of scanned ballot images',
        MarkMetricType: MARK_METRIC_TYPE,
        Notes: deviceNotes,
      },
    ],
    GpUnit: [
      {
        '@type': 'CVR.GpUnit',
        '@id': CVR_JURISDICTION_ID,
        Type: 'other',
        OtherType: 'jurisdiction',
        Name: election.state ? `${election.jurisdiction}, ${election.state}` : election.jurisdiction,
      },
      ...election.precincts.map((p) => ({
        '@type': 'CVR.GpUnit',
        '@id': p.id,
        Type: 'precinct',
        Name: p.name,
      })),
    ],
    Election: [
      {
        '@type': 'CVR.Election',
        '@id': election.id,
        Name: election.title,
        ElectionScopeId: CVR_JURISDICTION_ID,
        Candidate: [...candidates.values()],
        Contest: election.contests.map(contestDefinition),
      },
    ],
    Party: election.parties.map((p) => {
      const party: Record<string, unknown> = { '@type': 'CVR.Party', '@id': p.id, Name: p.name };
      if (p.abbrev) party.Abbreviation = p.abbrev;
      return party;
    }),
  };
  if (options.notes) header.Notes = options.notes;
  return header;
}

function contestDefinition(contest: Contest): Record<string, unknown> {
  if (contest.type === 'yesno')
    return {
      '@type': 'CVR.BallotMeasureContest',
      '@id': contest.id,
      Name: contest.title,
      VoteVariation: 'plurality',
      ContestSelection: [contest.yesOption, contest.noOption].map((o) => ({
        '@type': 'CVR.BallotMeasureSelection',
        '@id': o.id,
        Selection: o.label,
      })),
    };
  return {
    '@type': 'CVR.CandidateContest',
    '@id': contest.id,
    Name: contest.title,
    VoteVariation: contest.seats === 1 ? 'plurality' : 'n-of-m',
    VotesAllowed: contest.seats,
    NumberElected: contest.seats,
    ContestSelection: contestOptions(contest).map((o) =>
      o.isWriteIn
        ? { '@type': 'CVR.CandidateSelection', '@id': o.id, IsWriteIn: true }
        : { '@type': 'CVR.CandidateSelection', '@id': o.id, CandidateIds: [candidateRef(o.id)] },
    ),
  };
}

/** Contest reasons that `CVRContest` already expresses (Status overvoted / undervoted, WriteIns). */
const STANDARD_REASONS: ReadonlySet<string> = new Set(['overvote', 'undervote', 'write-in']);

/** One line of text per adjudication reason, for Annotations and CSV. */
export function describeReason(r: AdjudicationReason): string {
  const text = describeWithoutPlace(r);
  // an option printed twice in the contest (cross-endorsed): which of its ovals
  return 'side' in r && r.side !== undefined && r.column !== undefined && r.row !== undefined
    ? `${text} [the oval on the ${r.side} at column ${r.column}, row ${r.row}]`
    : text;
}

function describeWithoutPlace(r: AdjudicationReason): string {
  switch (r.type) {
    case 'overvote':
      return `overvote in ${r.contestId}: ${r.optionIds.length} marks for ${r.seats} seat${r.seats === 1 ? '' : 's'} (${r.optionIds.join(', ')})`;
    case 'undervote':
      return `undervote in ${r.contestId}: ${r.votes} of ${r.seats}`;
    case 'marginal-mark':
      if (r.shading01 !== undefined)
        return `marginal mark in ${r.contestId} for ${r.optionId}: a light, even shading, as a soft pencil leaves it, not yet dark enough to count without a look (fill ${r.fill01.toFixed(3)}, shading ${r.shading01.toFixed(3)})`;
      if (r.paperSpread01 !== undefined)
        return `marginal mark in ${r.contestId} for ${r.optionId}: the oval sits in a dark patch of the paper (a stain, a shadow) that could make this fill alone (fill ${r.fill01.toFixed(3)}; the paper round it is ${r.paperSpread01.toFixed(3)} darker at its median than at its lightest)`;
      return `marginal mark in ${r.contestId} for ${r.optionId} (fill ${r.fill01.toFixed(3)})`;
    case 'write-in':
      return `write-in in ${r.contestId} (${r.optionId})`;
    case 'unmarked-write-in':
      return `unmarked write-in in ${r.contestId} (${r.optionId}): ink in its write-in area, a name perhaps, but its oval is empty (ink ${r.writeInInk01.toFixed(3)} of the area, the printing left out)`;
    case 'mark-outside-target':
      return `mark outside the target in ${r.contestId} for ${r.optionId} (ink ${r.outsideInk01.toFixed(3)}${r.surround01 !== undefined ? ` above and below it, ink ${Math.round(r.surround01 * 100)} % of the way round it` : ''})`;
    case 'compact-mark':
      return `compact mark in ${r.contestId} for ${r.optionId}: the ink sits in one small spot of the oval, like a dot where a pen rested (fill ${r.fill01.toFixed(3)}, spread ${r.inkSpread01.toFixed(3)})`;
    case 'speckle-in-target':
      return `speckle in the target in ${r.contestId} for ${r.optionId}: the ink is isolated specks of scan noise, not strokes (fill ${r.fill01.toFixed(3)}, specks ${r.speckle01.toFixed(3)} of it)`;
    case 'faint-residue':
      return `faint residue in the target in ${r.contestId} for ${r.optionId}: the oval is evenly darker than the paper around it, as an erased mark leaves it (${r.residue01.toFixed(3)})`;
    case 'ink-spot':
      return `spot of ink in the target in ${r.contestId} for ${r.optionId}: too little to count as a mark, but solid, like a dot where a pen rested (fill ${r.fill01.toFixed(3)}, spot ${r.spot01.toFixed(3)} of the oval)`;
    case 'ink-on-outline':
      return `ink on the outline of the target in ${r.contestId} for ${r.optionId}: too little to count as a mark, but of its own, like a dot where a pen rested or a stroke along the edge (fill ${r.fill01.toFixed(3)}, ink on the outline ${r.edgeInk01.toFixed(3)} of the oval${r.edgeInward01 !== undefined ? `, ${r.edgeInward01.toFixed(3)} on its inner side` : ''})`;
    case 'line-through-target':
      return `a line runs through the target in ${r.contestId} for ${r.optionId} and on beyond it on both sides, like a fold in the paper or a line the scanner drew: read with it fill ${r.fill01.toFixed(3)}, without it ${r.fillWithoutLines01.toFixed(3)}`;
    case 'streak-through-target':
      return `a scanner streak runs down the page through the target in ${r.contestId} for ${r.optionId}${r.streakShare01 !== undefined ? `, too dark to see through over ${Math.round(r.streakShare01 * 100)} % of its width` : ''}: what is under it cannot be seen`;
    case 'outline-misplaced':
      return `target outline found ${r.shiftPx} px from where its neighbours put it in ${r.contestId} for ${r.optionId}: read there fill ${r.fill01.toFixed(3)}, where found ${r.firstFill01.toFixed(3)}`;
    case 'blank-ballot':
      return 'blank ballot';
    default: {
      // a reason added to the interpreter after this writer: its type still says what it is
      const other: { type: string } = r;
      return other.type.replace(/-/g, ' ');
    }
  }
}

/** `0.000`..`1.000`. */
export function markMetric(fill01: number): string {
  return Math.min(1, Math.max(0, fill01)).toFixed(3);
}

/**
 * The `CVR.CVR` of one interpreted sheet. Contests in election order, selections in ballot order, positions
 * in the order of the sheet's targets.
 */
export function buildCvr(
  election: Election,
  record: SheetRecord & { outcome: InterpretedSheet },
): Record<string, unknown> {
  const sheet = record.outcome;
  const snapshotId = `${record.sheetId}-original`;
  const targetsByContest = new Map<string, TargetResult[]>();
  for (const t of sheet.targets) {
    const list = targetsByContest.get(t.contestId);
    if (list) list.push(t);
    else targetsByContest.set(t.contestId, [t]);
  }
  const results = new Map(sheet.contests.map((c) => [c.contestId, c]));
  const cvrContests: Record<string, unknown>[] = [];
  for (const contest of election.contests) {
    const result = results.get(contest.id);
    const targets = targetsByContest.get(contest.id) ?? [];
    if (!result && targets.length === 0) continue;
    const seats = contest.type === 'candidate' ? contest.seats : 1;
    const overvote = result?.overvote ?? false;
    const votes = new Set(result?.votes ?? []);
    const marked = new Set(result?.marked ?? []);
    const reasons = sheet.reasons.filter((r) => 'contestId' in r && r.contestId === contest.id);
    const selections: Record<string, unknown>[] = [];
    contestOptions(contest).forEach((option, optionPosition) => {
      const mine = targets.filter((t) => t.optionId === option.id);
      if (mine.length === 0) return;
      const positions = mine.map((t, position) => {
        const indicated = t.status === 'marked' ? 'yes' : t.status === 'marginal' ? 'unknown' : 'no';
        const p: Record<string, unknown> = {
          '@type': 'CVR.SelectionPosition',
          Position: position,
          NumberVotes: 1,
          HasIndication: indicated,
          IsAllocable: overvote || indicated === 'no' ? 'no' : indicated === 'unknown' ? 'unknown' : 'yes',
          MarkMetricValue: [markMetric(t.fill01)],
        };
        if (overvote && indicated === 'yes') p.Status = ['invalidated-rules'];
        if (t.type === 'write-in') {
          const inked = reasons.some((r) => r.type === 'unmarked-write-in' && r.optionId === t.optionId);
          if (indicated !== 'no' || inked) p.CVRWriteIn = { '@type': 'CVR.CVRWriteIn' };
          if (t.writeInInk01 !== undefined) {
            p.Status = [...((p.Status as string[] | undefined) ?? []), 'other'];
            p.OtherStatus = `write-in-ink01=${markMetric(t.writeInInk01)}`;
          }
        }
        return p;
      });
      const selection: Record<string, unknown> = {
        '@type': 'CVR.CVRContestSelection',
        ContestSelectionId: option.id,
        OptionPosition: optionPosition,
        TotalNumberVotes: votes.has(option.id) ? 1 : 0,
        SelectionPosition: positions,
      };
      const status: string[] = [];
      if (overvote && marked.has(option.id)) status.push('invalidated-rules');
      const flagged = reasons.some(
        (r) => r.type !== 'write-in' && 'optionId' in r && r.optionId === option.id,
      );
      if (flagged || mine.some((t) => t.status === 'marginal')) status.push('needs-adjudication');
      if (status.length) selection.Status = status;
      selections.push(selection);
    });
    const status: string[] = [];
    const other: string[] = [];
    if (overvote) status.push('overvoted');
    else if ((result?.undervotes ?? 0) > 0) status.push('undervoted');
    if (marked.size === 0) status.push('not-indicated');
    // reasons the standard has no status for (marginal-mark, unmarked-write-in, mark-outside-target, ...)
    for (const r of reasons) if (!STANDARD_REASONS.has(r.type) && !other.includes(r.type)) other.push(r.type);
    if (other.length) status.push('other');
    const cvrContest: Record<string, unknown> = {
      '@type': 'CVR.CVRContest',
      ContestId: contest.id,
      Selections: marked.size,
      Overvotes: overvote ? seats : 0,
      Undervotes: result?.undervotes ?? 0,
    };
    if (contest.type === 'candidate' && contest.allowWriteIns)
      cvrContest.WriteIns = [...votes].filter((id) => id.startsWith('write-in-')).length;
    if (status.length) cvrContest.Status = status;
    if (other.length) cvrContest.OtherStatus = other.join(' ');
    cvrContest.CVRContestSelection = selections;
    cvrContests.push(cvrContest);
  }
  const snapshot: Record<string, unknown> = {
    '@type': 'CVR.CVRSnapshot',
    '@id': snapshotId,
    Type: 'original',
  };
  if (sheet.needsReview) snapshot.Status = ['needs-adjudication'];
  if (sheet.reasons.length)
    snapshot.Annotation = [{ '@type': 'CVR.Annotation', Message: sheet.reasons.map(describeReason) }];
  snapshot.CVRContest = cvrContests;
  return {
    '@type': 'CVR.CVR',
    ElectionId: election.id,
    CreatingDeviceId: CVR_DEVICE_ID,
    UniqueId: record.sheetId,
    BatchId: record.batchId,
    BallotStyleId: sheet.ballotStyleId,
    BallotStyleUnitId: sheet.precinctId,
    BallotSheetId: String(sheet.sheetNumber),
    CurrentSnapshotId: snapshotId,
    BallotImage: record.imagePaths.map((path, i) => {
      const image: Record<string, unknown> = { '@type': 'CVR.ImageData', Location: fileUri(path) };
      const hash = record.imageSha256[i];
      if (hash) image.Hash = { '@type': 'CVR.Hash', Type: 'sha-256', Value: hash };
      return image;
    }),
    CVRSnapshot: [snapshot],
  };
}

function isInterpreted(r: SheetRecord): r is SheetRecord & { outcome: InterpretedSheet } {
  return r.outcome.type === 'interpreted';
}

/**
 * The report as chunks of JSON text (one for the header, one per CVR, one to close). Rejected records are
 * skipped. Concatenated, the chunks are one JSON document, one CVR per line.
 */
export async function* cvrReportChunks(
  election: Election,
  records: AsyncIterable<SheetRecord> | Iterable<SheetRecord>,
  options: CvrReportOptions,
): AsyncGenerator<string> {
  const header = JSON.stringify(cvrReportHeader(election, options));
  yield `${header.slice(0, -1)},\n"CVR":[`;
  let first = true;
  for await (const record of records) {
    if (!isInterpreted(record)) continue;
    yield `${first ? '\n' : ',\n'}${JSON.stringify(buildCvr(election, record))}`;
    first = false;
  }
  yield '\n]}\n';
}

/** Write the report to a stream, respecting backpressure. Resolves with the number of CVRs written. */
export async function writeCvrReport(
  out: Writable,
  election: Election,
  records: AsyncIterable<SheetRecord> | Iterable<SheetRecord>,
  options: CvrReportOptions,
): Promise<{ cvrs: number }> {
  let chunks = 0;
  for await (const chunk of cvrReportChunks(election, records, options)) {
    chunks++;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  return { cvrs: chunks - 2 };
}
