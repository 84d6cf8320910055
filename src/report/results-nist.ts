/**
 * NIST SP 1500-100 v2 election results (`ElectionResults.ElectionReport`, JSON) from a tally.
 *
 * Reporting units: the jurisdiction (`ru-jurisdiction`), one per district (`district-<id>`, made of the
 * precincts whose ballot styles carry the district) and one per precinct (`precinct-<id>`); prefixes keep
 * district and precinct ids apart (VotingWorks NH definitions use the same id for both).
 * Every selection has a `total` VoteCounts for the jurisdiction and one per precinct where the contest
 * appeared; `OtherCounts` carries overvotes (sheets with an overvote) and undervotes (unused votes).
 * `BallotCounts.BallotsCast` counts interpreted sheets (recorded + needing review) and `BallotsRejected`
 * the rejected ones; for multi-sheet ballot styles these are sheets, not ballots.
 * Selection `@id`s are our option ids, candidates `candidate-<id>`, as in the CVR report.
 */
import type { Election } from '../election/election.ts';
import type { ContestTally, GroupTally, SheetCounts, Tally } from '../tally/tally.ts';
import { candidateRef, formatDateTime } from './cvr-nist.ts';

export type ResultsStatus =
  | 'certified'
  | 'correction'
  | 'pre-election'
  | 'recount'
  | 'unofficial-complete'
  | 'unofficial-partial';

export type ElectionType =
  | 'general'
  | 'other'
  | 'partisan-primary-closed'
  | 'partisan-primary-open'
  | 'primary'
  | 'runoff'
  | 'special';

export interface ResultsOptions {
  version: string;
  generatedDate: Date;
  /** default `unofficial-complete` */
  status?: ResultsStatus;
  /** default: `primary` when a ballot style has a party, else `general` */
  electionType?: ElectionType;
  issuer?: string;
  issuerAbbreviation?: string;
  isTest?: boolean;
}

export const ERR_JURISDICTION_ID = 'ru-jurisdiction';
export const precinctRef = (id: string) => `precinct-${id}`;
export const districtRef = (id: string) => `district-${id}`;

function text(content: string) {
  return {
    '@type': 'ElectionResults.InternationalizedText',
    Text: [{ '@type': 'ElectionResults.LanguageString', Language: 'en', Content: content }],
  };
}

/** `YYYY-MM-DD` from the election's date (which may carry a time). */
export function electionDay(date: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(date);
  if (m?.[1]) return m[1];
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? '1970-01-01' : d.toISOString().slice(0, 10);
}

function ballotCounts(gpUnitId: string, s: SheetCounts) {
  return {
    '@type': 'ElectionResults.BallotCounts',
    GpUnitId: gpUnitId,
    Type: 'total',
    BallotsCast: s.recorded + s.needsReview,
    BallotsRejected: s.rejected,
  };
}

/** The report as a plain object, ready for `JSON.stringify`. */
export function buildElectionResults(
  election: Election,
  tally: Tally,
  options: ResultsOptions,
): Record<string, unknown> {
  const precinctIds = [
    ...new Set([...election.precincts.map((p) => p.id), ...tally.byPrecinct.map((g) => g.id)]),
  ];
  const precinctNames = new Map(election.precincts.map((p) => [p.id, p.name]));
  const districtPrecincts = new Map<string, Set<string>>(election.districts.map((d) => [d.id, new Set()]));
  for (const style of election.ballotStyles)
    for (const d of style.districtIds) for (const p of style.precinctIds) districtPrecincts.get(d)?.add(p);

  // per contest, the precinct groups in which it appeared
  const perPrecinct = new Map<string, { group: GroupTally; contest: ContestTally }[]>();
  for (const group of tally.byPrecinct)
    for (const contest of group.contests) {
      const list = perPrecinct.get(contest.contestId) ?? [];
      list.push({ group, contest });
      perPrecinct.set(contest.contestId, list);
    }
  const tallies = new Map(tally.contests.map((c) => [c.contestId, c]));

  const candidates = new Map<string, Record<string, unknown>>();
  for (const contest of election.contests) {
    if (contest.type !== 'candidate') continue;
    for (const c of contest.candidates) {
      if (candidates.has(c.id)) continue;
      const candidate: Record<string, unknown> = {
        '@type': 'ElectionResults.Candidate',
        '@id': candidateRef(c.id),
        BallotName: text(c.name),
      };
      if (c.partyIds.length === 1) candidate.PartyId = c.partyIds[0];
      candidates.set(c.id, candidate);
    }
  }

  const contests = election.contests.map((contest, sequence) => {
    const t = tallies.get(contest.id);
    const local = perPrecinct.get(contest.id) ?? [];
    const voteCounts = (optionId: string) => [
      {
        '@type': 'ElectionResults.VoteCounts',
        GpUnitId: ERR_JURISDICTION_ID,
        Type: 'total',
        Count: t?.options.find((o) => o.optionId === optionId)?.votes ?? 0,
      },
      ...local.map(({ group, contest: c }) => ({
        '@type': 'ElectionResults.VoteCounts',
        GpUnitId: precinctRef(group.id),
        Type: 'total',
        Count: c.options.find((o) => o.optionId === optionId)?.votes ?? 0,
      })),
    ];
    const otherCounts = [
      {
        '@type': 'ElectionResults.OtherCounts',
        GpUnitId: ERR_JURISDICTION_ID,
        Overvotes: t?.overvotes ?? 0,
        Undervotes: t?.undervotes ?? 0,
      },
      ...local.map(({ group, contest: c }) => ({
        '@type': 'ElectionResults.OtherCounts',
        GpUnitId: precinctRef(group.id),
        Overvotes: c.overvotes,
        Undervotes: c.undervotes,
      })),
    ];
    const common = {
      '@id': contest.id,
      Name: contest.title,
      ElectionDistrictId: districtPrecincts.has(contest.districtId)
        ? districtRef(contest.districtId)
        : ERR_JURISDICTION_ID,
      SequenceOrder: sequence + 1,
    };
    const options = t?.options ?? [];
    if (contest.type === 'yesno') {
      const labels = new Map([
        [contest.yesOption.id, contest.yesOption.label],
        [contest.noOption.id, contest.noOption.label],
      ]);
      const c: Record<string, unknown> = {
        '@type': 'ElectionResults.BallotMeasureContest',
        ...common,
        VoteVariation: 'plurality',
        OtherCounts: otherCounts,
        ContestSelection: options.map((o, i) => ({
          '@type': 'ElectionResults.BallotMeasureSelection',
          '@id': o.optionId,
          SequenceOrder: i + 1,
          Selection: text(labels.get(o.optionId) ?? o.label),
          VoteCounts: voteCounts(o.optionId),
        })),
      };
      if (contest.description) c.FullText = text(contest.description);
      return c;
    }
    const partyIds = new Map(contest.candidates.map((c) => [c.id, c.partyIds]));
    return {
      '@type': 'ElectionResults.CandidateContest',
      ...common,
      VoteVariation: contest.seats === 1 ? 'plurality' : 'n-of-m',
      VotesAllowed: contest.seats,
      NumberElected: contest.seats,
      OtherCounts: otherCounts,
      ContestSelection: options.map((o, i) => {
        const selection: Record<string, unknown> = {
          '@type': 'ElectionResults.CandidateSelection',
          '@id': o.optionId,
          SequenceOrder: i + 1,
        };
        if (o.isWriteIn) selection.IsWriteIn = true;
        else {
          selection.CandidateIds = [candidateRef(o.optionId)];
          const parties = partyIds.get(o.optionId) ?? [];
          if (parties.length > 1) selection.EndorsementPartyIds = parties;
        }
        selection.VoteCounts = voteCounts(o.optionId);
        return selection;
      }),
    };
  });

  const contestsOfStyle = new Map<string, string[]>();
  for (const layout of election.layouts) {
    const list = contestsOfStyle.get(layout.ballotStyleId) ?? [];
    for (const t of layout.targets) if (!list.includes(t.contestId)) list.push(t.contestId);
    contestsOfStyle.set(layout.ballotStyleId, list);
  }
  const contestOrder = new Map(election.contests.map((c, i) => [c.id, i]));

  const report: Record<string, unknown> = {
    '@type': 'ElectionResults.ElectionReport',
    Format: 'precinct-level',
    GeneratedDate: formatDateTime(options.generatedDate),
    Issuer: options.issuer ?? 'ballot-tally',
    IssuerAbbreviation: options.issuerAbbreviation ?? 'ballot-tally',
    SequenceStart: 1,
    SequenceEnd: 1,
    Status: options.status ?? 'unofficial-complete',
    VendorApplicationId: `ballot-tally ${options.version}`,
    Notes: `Independent tally of scanned ballot images (election definition sha256 ${election.source.sha256}). Sheets needing review are counted as read; rejected sheets are not counted. Counts are of sheets.`,
    GpUnit: [
      {
        '@type': 'ElectionResults.ReportingUnit',
        '@id': ERR_JURISDICTION_ID,
        Type: 'other',
        OtherType: 'jurisdiction',
        Name: text(election.state ? `${election.jurisdiction}, ${election.state}` : election.jurisdiction),
        ComposingGpUnitIds: precinctIds.map(precinctRef),
      },
      ...election.districts.map((d) => ({
        '@type': 'ElectionResults.ReportingUnit',
        '@id': districtRef(d.id),
        Type: 'other',
        OtherType: 'district',
        Name: text(d.name),
        ComposingGpUnitIds: [...(districtPrecincts.get(d.id) ?? [])].map(precinctRef),
      })),
      ...precinctIds.map((id) => ({
        '@type': 'ElectionResults.ReportingUnit',
        '@id': precinctRef(id),
        Type: 'precinct',
        Name: text(precinctNames.get(id) ?? id),
      })),
    ],
    Party: election.parties.map((p) => {
      const party: Record<string, unknown> = {
        '@type': 'ElectionResults.Party',
        '@id': p.id,
        Name: text(p.name),
      };
      if (p.abbrev) party.Abbreviation = text(p.abbrev);
      return party;
    }),
    Election: [
      {
        '@type': 'ElectionResults.Election',
        Type: options.electionType ?? (election.ballotStyles.some((b) => b.partyId) ? 'primary' : 'general'),
        StartDate: electionDay(election.date),
        EndDate: electionDay(election.date),
        ElectionScopeId: ERR_JURISDICTION_ID,
        Name: text(election.title),
        ExternalIdentifier: [
          {
            '@type': 'ElectionResults.ExternalIdentifier',
            Type: 'local-level',
            Label: 'election id',
            Value: election.id,
          },
        ],
        BallotCounts: [
          ballotCounts(ERR_JURISDICTION_ID, tally.sheets),
          ...tally.byPrecinct.map((g) => ballotCounts(precinctRef(g.id), g.sheets)),
        ],
        BallotStyle: election.ballotStyles.map((b) => {
          const style: Record<string, unknown> = {
            '@type': 'ElectionResults.BallotStyle',
            GpUnitIds: b.precinctIds.map(precinctRef),
            ExternalIdentifier: [
              {
                '@type': 'ElectionResults.ExternalIdentifier',
                Type: 'local-level',
                Label: 'ballot style',
                Value: b.id,
              },
            ],
            OrderedContent: (contestsOfStyle.get(b.id) ?? [])
              .filter((id) => contestOrder.has(id))
              .sort((x, y) => (contestOrder.get(x) ?? 0) - (contestOrder.get(y) ?? 0))
              .map((id) => ({ '@type': 'ElectionResults.OrderedContest', ContestId: id })),
          };
          if (b.partyId) style.PartyIds = [b.partyId];
          return style;
        }),
        Candidate: [...candidates.values()],
        Contest: contests,
      },
    ],
  };
  if (options.isTest !== undefined) report.IsTest = options.isTest;
  return report;
}
