/**
 * NIST SP 1500-100 v2 election results (JSON): contest totals per selection. The count of a selection is
 * its `VoteCounts` for the election's scope (`ElectionScopeId`): the `total` entry when there is one,
 * else the sum of the other types (election day, absentee, ...). Without counts at that scope, the
 * counts of the precinct reporting units are summed. `OtherCounts` at the same unit gives overvotes
 * and undervotes.
 */
import { z } from 'zod';
import { parseWith, type Result } from '../../election/result.ts';
import { inFile, type OfficialContest, type OfficialData } from '../official.ts';

const Text = z.object({ Text: z.array(z.object({ Content: z.string(), Language: z.string().optional() })) });
const VoteCounts = z.object({
  GpUnitId: z.string(),
  Type: z.string(),
  Count: z.number().min(0),
});
const Selection = z.object({
  '@id': z.string(),
  '@type': z.string(),
  CandidateIds: z.array(z.string()).optional(),
  Selection: Text.optional(),
  IsWriteIn: z.boolean().optional(),
  PartyIds: z.array(z.string()).optional(),
  VoteCounts: z.array(VoteCounts).default([]),
});
const Contest = z.object({
  '@id': z.string(),
  '@type': z.string(),
  Name: z.string(),
  VotesAllowed: z.number().int().optional(),
  OtherCounts: z
    .array(
      z.object({
        GpUnitId: z.string(),
        Overvotes: z.number().optional(),
        Undervotes: z.number().optional(),
      }),
    )
    .optional(),
  ContestSelection: z.array(Selection).default([]),
});
const ReportSchema = z.object({
  '@type': z.literal('ElectionResults.ElectionReport'),
  GpUnit: z.array(z.object({ '@id': z.string(), Type: z.string() })).default([]),
  Party: z.array(z.object({ '@id': z.string(), Name: Text.optional() })).default([]),
  Election: z
    .array(
      z.object({
        ElectionScopeId: z.string(),
        Candidate: z.array(z.object({ '@id': z.string(), BallotName: Text })).default([]),
        Contest: z.array(Contest).default([]),
      }),
    )
    .min(1),
});

const textOf = (t: z.infer<typeof Text> | undefined) =>
  (t?.Text.find((x) => x.Language === 'en') ?? t?.Text[0])?.Content;

export function importNistResults(value: unknown, path: string): Result<OfficialData> {
  const parsed = parseWith(ReportSchema, value);
  if (!parsed.ok) return { ok: false, errors: inFile(path, parsed.errors) };
  const report = parsed.value;
  const precincts = new Set(report.GpUnit.filter((g) => g.Type === 'precinct').map((g) => g['@id']));
  const parties = new Map(report.Party.map((p) => [p['@id'], textOf(p.Name) ?? p['@id']]));
  const contests: OfficialContest[] = [];
  const warnings: string[] = [];
  for (const election of report.Election) {
    const scope = election.ElectionScopeId;
    const candidates = new Map(election.Candidate.map((c) => [c['@id'], textOf(c.BallotName) ?? c['@id']]));
    const countAt = (counts: z.infer<typeof VoteCounts>[]): number => {
      const atScope = counts.filter((c) => c.GpUnitId === scope);
      const pick = atScope.length ? atScope : counts.filter((c) => precincts.has(c.GpUnitId));
      const byUnit = new Map<string, z.infer<typeof VoteCounts>[]>();
      for (const c of pick) byUnit.set(c.GpUnitId, [...(byUnit.get(c.GpUnitId) ?? []), c]);
      let sum = 0;
      for (const list of byUnit.values()) {
        const total = list.find((c) => c.Type === 'total');
        sum += total ? total.Count : list.reduce((a, c) => a + c.Count, 0);
      }
      return sum;
    };
    for (const c of election.Contest) {
      const other = c.OtherCounts?.find((o) => o.GpUnitId === scope);
      const contest: OfficialContest = {
        key: c['@id'],
        name: c.Name,
        options: c.ContestSelection.map((s) => ({
          key: s['@id'],
          name: s.IsWriteIn
            ? 'Write-in'
            : (textOf(s.Selection) ??
              s.CandidateIds?.map((id) => candidates.get(id) ?? id).join(' & ') ??
              s.PartyIds?.map((id) => parties.get(id) ?? id).join(' & ') ??
              s['@id']),
          votes: countAt(s.VoteCounts),
        })),
      };
      if (c.VotesAllowed !== undefined) contest.votesAllowed = c.VotesAllowed;
      if (other?.Overvotes !== undefined) contest.overvotes = other.Overvotes;
      if (other?.Undervotes !== undefined) contest.undervotes = other.Undervotes;
      contests.push(contest);
    }
  }
  if (contests.length === 0) warnings.push(`${path}: no contests in the results`);
  return { ok: true, value: { format: 'nist-results', files: [path], contests, warnings } };
}
