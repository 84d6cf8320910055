/**
 * NIST SP 1500-103 cast vote records (JSON): one ballot record per CVR, read from its current snapshot
 * (`CurrentSnapshotId`; else the last `modified`, else the first snapshot).
 * A selection is a vote when its `TotalNumberVotes` is above 0, or, without that field, when one of its
 * positions is allocable (`IsAllocable` yes). A contest is overvoted when its `Status` says `overvoted` or
 * its `Overvotes` is above 0.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { parseWith, type Result } from '../../election/result.ts';
import {
  type ContestDefinition,
  inFile,
  type OfficialBallot,
  type OfficialData,
  totalsFromBallots,
} from '../official.ts';

const Position = z.object({
  HasIndication: z.string().optional(),
  IsAllocable: z.string().optional(),
  NumberVotes: z.number().optional(),
});
const CvrContest = z.object({
  ContestId: z.string(),
  Overvotes: z.number().optional(),
  Status: z.array(z.string()).optional(),
  CVRContestSelection: z
    .array(
      z.object({
        ContestSelectionId: z.string().optional(),
        TotalNumberVotes: z.number().optional(),
        SelectionPosition: z.array(Position).default([]),
      }),
    )
    .default([]),
});
const Cvr = z.object({
  UniqueId: z.string().optional(),
  BallotPrePrintedId: z.string().optional(),
  BallotAuditId: z.string().optional(),
  CurrentSnapshotId: z.string(),
  BallotImage: z
    .array(z.object({ Location: z.string().optional(), FileName: z.string().optional() }))
    .optional(),
  CVRSnapshot: z
    .array(z.object({ '@id': z.string(), Type: z.string(), CVRContest: z.array(CvrContest).default([]) }))
    .min(1),
});
const ReportSchema = z.object({
  '@type': z.literal('CVR.CastVoteRecordReport'),
  Election: z
    .array(
      z.object({
        Candidate: z.array(z.object({ '@id': z.string(), Name: z.string().optional() })).default([]),
        Contest: z
          .array(
            z.object({
              '@id': z.string(),
              Name: z.string().optional(),
              VotesAllowed: z.number().int().optional(),
              '@type': z.string(),
              ContestSelection: z
                .array(
                  z.object({
                    '@id': z.string(),
                    CandidateIds: z.array(z.string()).optional(),
                    Selection: z.string().optional(),
                    IsWriteIn: z.boolean().optional(),
                  }),
                )
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
  CVR: z.array(Cvr).default([]),
});

/** `file:samples/demo/000003-front.jpeg` → `000003-front.jpeg` */
function fileNameOf(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const path = location.replace(/^file:(\/\/)?/, '');
  try {
    return basename(decodeURI(path));
  } catch {
    return basename(path);
  }
}

export function importNistCvr(value: unknown, path: string): Result<OfficialData> {
  const parsed = parseWith(ReportSchema, value);
  if (!parsed.ok) return { ok: false, errors: inFile(path, parsed.errors) };
  const report = parsed.value;
  const definitions: ContestDefinition[] = [];
  for (const e of report.Election) {
    const candidates = new Map(e.Candidate.map((c) => [c['@id'], c.Name ?? c['@id']]));
    for (const c of e.Contest) {
      const d: ContestDefinition = {
        key: c['@id'],
        name: c.Name ?? c['@id'],
        options: new Map(
          c.ContestSelection.map((s) => [
            s['@id'],
            s.IsWriteIn
              ? 'Write-in'
              : (s.Selection ??
                s.CandidateIds?.map((id) => candidates.get(id) ?? id).join(' & ') ??
                s['@id']),
          ]),
        ),
      };
      // a ballot measure is vote for 1 whatever it says
      const allowed = c['@type'].endsWith('BallotMeasureContest') ? 1 : c.VotesAllowed;
      if (allowed !== undefined) d.votesAllowed = allowed;
      definitions.push(d);
    }
  }
  const warnings: string[] = [];
  const ballots: OfficialBallot[] = report.CVR.map((cvr, i) => {
    const snapshot =
      cvr.CVRSnapshot.find((s) => s['@id'] === cvr.CurrentSnapshotId) ??
      [...cvr.CVRSnapshot].reverse().find((s) => s.Type === 'modified') ??
      cvr.CVRSnapshot[0];
    const votes: Record<string, string[]> = {};
    const overvoted: string[] = [];
    for (const c of snapshot?.CVRContest ?? []) {
      const over = (c.Status ?? []).includes('overvoted') || (c.Overvotes ?? 0) > 0;
      if (over) overvoted.push(c.ContestId);
      votes[c.ContestId] = over
        ? []
        : c.CVRContestSelection.filter((s) =>
            s.TotalNumberVotes !== undefined
              ? s.TotalNumberVotes > 0
              : s.SelectionPosition.some((p) => p.IsAllocable === 'yes' && (p.NumberVotes ?? 1) > 0),
          ).flatMap((s) => (s.ContestSelectionId ? [s.ContestSelectionId] : []));
    }
    const ballot: OfficialBallot = {
      ballotId: cvr.UniqueId ?? String(i + 1),
      votes,
      overvoted,
      source: `${basename(path)}#CVR[${i}]`,
    };
    const imprinted = cvr.BallotPrePrintedId ?? cvr.BallotAuditId;
    if (imprinted) ballot.imprintedId = imprinted;
    const fileName = cvr.BallotImage?.[0]?.FileName ?? fileNameOf(cvr.BallotImage?.[0]?.Location);
    if (fileName) ballot.fileName = fileName;
    return ballot;
  });
  if (ballots.length === 0) warnings.push(`${basename(path)}: no CVRs in the report`);
  return {
    ok: true,
    value: {
      format: 'nist-cvr',
      files: [path],
      contests: totalsFromBallots(definitions, ballots),
      ballots,
      warnings,
    },
  };
}
