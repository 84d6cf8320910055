/**
 * Dominion Democracy Suite CVR export (JSON): `CvrExport*.json` files with `ContestManifest.json` and
 * `CandidateManifest.json` beside them.
 *
 * Each session is one ballot; its current interpretation is `Original`, or `Modified` when `Original`
 * is not current (adjudicated). Each card (sheet) of a session is one ballot record (ours are sheets),
 * id `TabulatorId-BatchId-RecordId` (the number Dominion imprints), with `-N` for card N of several.
 * A mark is a vote when `IsVote` is true; a contest is overvoted when its `Overvotes` is above 0.
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

const Id = z.union([z.number().int(), z.string()]).transform(String);
const ContestManifestSchema = z.object({
  List: z.array(z.object({ Id, Description: z.string(), VoteFor: z.number().int().min(0).optional() })),
});
const CandidateManifestSchema = z.object({
  List: z.array(z.object({ Id, Description: z.string(), ContestId: Id, Type: z.string().optional() })),
});
const Contest = z.object({
  Id,
  Overvotes: z.number().int().default(0),
  Undervotes: z.number().int().optional(),
  Marks: z
    .array(
      z.object({
        CandidateId: Id,
        Rank: z.number().int().optional(),
        MarkDensity: z.number().optional(),
        IsAmbiguous: z.boolean().optional(),
        IsVote: z.boolean(),
      }),
    )
    .default([]),
});
const Interpretation = z.object({
  IsCurrent: z.boolean().optional(),
  PrecinctPortionId: Id.optional(),
  BallotTypeId: Id.optional(),
  Cards: z
    .array(
      z.object({ Id: Id.optional(), PaperIndex: z.number().int().optional(), Contests: z.array(Contest) }),
    )
    .optional(),
  Contests: z.array(Contest).optional(),
});
const CvrExportSchema = z.object({
  Sessions: z.array(
    z.object({
      TabulatorId: Id,
      BatchId: Id,
      RecordId: Id,
      ImageMask: z.string().optional(),
      Original: Interpretation,
      Modified: Interpretation.optional(),
    }),
  ),
});

export interface DominionFiles {
  /** path → parsed JSON */
  contestManifest?: { path: string; value: unknown };
  candidateManifest?: { path: string; value: unknown };
  exports: { path: string; value: unknown }[];
}

export function isDominionManifest(path: string): 'contest' | 'candidate' | undefined {
  const name = basename(path).toLowerCase();
  if (name === 'contestmanifest.json') return 'contest';
  if (name === 'candidatemanifest.json') return 'candidate';
  return undefined;
}

export function importDominion(files: DominionFiles): Result<OfficialData> {
  const errors: string[] = [];
  if (!files.contestManifest)
    errors.push('Expected a ContestManifest.json beside the CvrExport files but received none');
  if (!files.candidateManifest)
    errors.push('Expected a CandidateManifest.json beside the CvrExport files but received none');
  if (files.exports.length === 0) errors.push('Expected at least one CvrExport*.json file but received none');
  if (!files.contestManifest || !files.candidateManifest || errors.length) return { ok: false, errors };
  const contests = parseWith(ContestManifestSchema, files.contestManifest.value);
  const candidates = parseWith(CandidateManifestSchema, files.candidateManifest.value);
  if (!contests.ok) errors.push(...inFile(files.contestManifest.path, contests.errors));
  if (!candidates.ok) errors.push(...inFile(files.candidateManifest.path, candidates.errors));
  if (!contests.ok || !candidates.ok) return { ok: false, errors };

  const definitions = new Map<string, ContestDefinition>();
  for (const c of contests.value.List) {
    const d: ContestDefinition = { key: c.Id, name: c.Description, options: new Map() };
    if (c.VoteFor !== undefined) d.votesAllowed = c.VoteFor;
    definitions.set(c.Id, d);
  }
  const warnings: string[] = [];
  for (const c of candidates.value.List) {
    const d = definitions.get(c.ContestId);
    if (d) d.options.set(c.Id, c.Description);
    else
      warnings.push(
        `CandidateManifest.json: candidate ${c.Id} names contest ${c.ContestId}, which is not in ContestManifest.json`,
      );
  }

  const ballots: OfficialBallot[] = [];
  for (const file of files.exports) {
    const parsed = parseWith(CvrExportSchema, file.value);
    if (!parsed.ok) {
      errors.push(...inFile(file.path, parsed.errors));
      continue;
    }
    parsed.value.Sessions.forEach((s, i) => {
      const current = s.Original.IsCurrent === false && s.Modified ? s.Modified : s.Original;
      const cards = current.Cards ?? [{ Contests: current.Contests ?? [] }];
      const base = `${s.TabulatorId}-${s.BatchId}-${s.RecordId}`;
      cards.forEach((card, cardIndex) => {
        const votes: Record<string, string[]> = {};
        const overvoted: string[] = [];
        for (const c of card.Contests) {
          if (!definitions.has(c.Id))
            warnings.push(
              `${basename(file.path)}: session ${base} has contest ${c.Id}, which is not in ContestManifest.json`,
            );
          const over = c.Overvotes > 0;
          if (over) overvoted.push(c.Id);
          votes[c.Id] = over ? [] : [...new Set(c.Marks.filter((m) => m.IsVote).map((m) => m.CandidateId))];
        }
        const id = cards.length > 1 ? `${base}-${cardIndex + 1}` : base;
        const ballot: OfficialBallot = {
          ballotId: id,
          imprintedId: id,
          votes,
          overvoted,
          source: `${basename(file.path)}#Sessions[${i}]`,
        };
        if (s.ImageMask) ballot.fileName = basename(s.ImageMask.replace(/\\/g, '/')).replace(/\*.*$/, '');
        ballots.push(ballot);
      });
    });
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      format: 'dominion',
      files: [files.contestManifest.path, files.candidateManifest.path, ...files.exports.map((f) => f.path)],
      contests: totalsFromBallots(definitions.values(), ballots),
      ballots,
      warnings,
    },
  };
}
