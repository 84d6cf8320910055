/**
 * The mapping from the official data's contests and choices to our contest and option ids: an explicit
 * JSON file people can read, correct and sign off. The tool drafts it (`--draft-mapping FILE`) by
 * matching ids exactly, then names after normalizing case, accents, punctuation and a "(Vote For=N)"
 * suffix, then names as sets of words ("WHITCOMB, ADA" = "Ada Whitcomb"); whatever it cannot match has
 * `"ours": null` and is listed under `unmatched`. `"ours": null` in a confirmed file means "not ours, skip".
 * A choice mapped to `"write-in"` stands for all of our write-in lines of the contest summed (vendors
 * often report one "Write-in" total).
 */
import { z } from 'zod';
import { contestOptions, type Election } from '../election/election.ts';
import { parseWith, type Result } from '../election/result.ts';
import { COMBINED_WRITE_IN_ID } from '../tally/tally.ts';
import type { OfficialBallot, OfficialData } from './official.ts';

const Match = z.enum(['id', 'name', 'words', 'manual', 'none']);
export const MappingSchema = z.object({
  version: z.literal(1),
  format: z.string().optional(),
  contests: z.array(
    z.object({
      official: z.string(),
      officialName: z.string().optional(),
      ours: z.string().nullable(),
      match: Match.default('manual'),
      options: z
        .array(
          z.object({
            official: z.string(),
            officialName: z.string().optional(),
            ours: z.string().nullable(),
            match: Match.default('manual'),
          }),
        )
        .default([]),
    }),
  ),
  unmatched: z
    .object({
      official: z.array(z.string()).default([]),
      ours: z.array(z.string()).default([]),
    })
    .optional(),
});
export type Mapping = z.infer<typeof MappingSchema>;

export function parseMapping(value: unknown): Result<Mapping> {
  return parseWith(MappingSchema, value);
}

/** Lower case, no accents, punctuation as spaces, no "(Vote For=N)" / "Vote For N". */
export function normalizeName(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\(\s*vote\s+for[^)]*\)/g, ' ')
    .replace(/\bvote\s+for\s+(not\s+more\s+than\s+)?\d+\b/g, ' ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function words(s: string): string {
  return [...new Set(normalizeName(s).split(' '))].sort().join(' ');
}

const WRITE_IN_NAMES = new Set(['write in', 'writein', 'write ins', 'write in candidate', 'write in votes']);

type MatchKind = z.infer<typeof Match>;

function findMatch<T extends { id: string; name: string }>(
  key: string,
  name: string,
  candidates: readonly T[],
  taken: ReadonlySet<string>,
): { item: T; match: MatchKind } | undefined {
  const free = candidates.filter((c) => !taken.has(c.id));
  const byId = free.find((c) => c.id === key);
  if (byId) return { item: byId, match: 'id' };
  const n = normalizeName(name);
  const byName = free.filter((c) => normalizeName(c.name) === n);
  if (byName.length === 1 && byName[0]) return { item: byName[0], match: 'name' };
  const w = words(name);
  const byWords = free.filter((c) => words(c.name) === w);
  if (byWords.length === 1 && byWords[0]) return { item: byWords[0], match: 'words' };
  return undefined;
}

/** A first mapping from names and ids, with what could not be matched listed for a person to decide. */
export function draftMapping(official: OfficialData, election: Election): Mapping {
  const takenContests = new Set<string>();
  const unmatchedOfficial: string[] = [];
  const contests: Mapping['contests'] = official.contests.map((oc) => {
    const found = findMatch(
      oc.key,
      oc.name,
      election.contests.map((c) => ({ id: c.id, name: c.title })),
      takenContests,
    );
    if (!found) {
      unmatchedOfficial.push(`contest "${oc.name}"`);
      return {
        official: oc.key,
        officialName: oc.name,
        ours: null,
        match: 'none' as const,
        options: oc.options.map((o) => ({
          official: o.key,
          officialName: o.name,
          ours: null,
          match: 'none' as const,
        })),
      };
    }
    takenContests.add(found.item.id);
    const contest = election.contests.find((c) => c.id === found.item.id);
    const ours = contest ? contestOptions(contest) : [];
    const writeIns = ours.filter((o) => o.isWriteIn);
    const takenOptions = new Set<string>();
    const options = oc.options.map((o) => {
      const m = findMatch(
        o.key,
        o.name,
        ours.map((x) => ({ id: x.id, name: x.label })),
        takenOptions,
      );
      if (m) {
        takenOptions.add(m.item.id);
        return { official: o.key, officialName: o.name, ours: m.item.id, match: m.match };
      }
      if (WRITE_IN_NAMES.has(normalizeName(o.name)) && writeIns.length > 0) {
        const id = writeIns.length === 1 ? (writeIns[0]?.id ?? COMBINED_WRITE_IN_ID) : COMBINED_WRITE_IN_ID;
        for (const w of writeIns) takenOptions.add(w.id);
        return { official: o.key, officialName: o.name, ours: id, match: 'name' as const };
      }
      unmatchedOfficial.push(`choice "${o.name}" of contest "${oc.name}"`);
      return { official: o.key, officialName: o.name, ours: null, match: 'none' as const };
    });
    return { official: oc.key, officialName: oc.name, ours: found.item.id, match: found.match, options };
  });
  const unmatchedOurs = election.contests
    .filter((c) => !takenContests.has(c.id))
    .map((c) => `contest "${c.id}"`);
  return {
    version: 1,
    format: official.format,
    contests,
    unmatched: { official: unmatchedOfficial, ours: unmatchedOurs },
  };
}

/** Official data in our ids. */
export interface MappedContest {
  contestId: string;
  officialNames: string[];
  /** our option id (or `write-in` for all write-ins) → votes */
  options: Map<string, number>;
  overvotes?: number;
  undervotes?: number;
  ballots?: number;
}

export interface MappedBallot extends Omit<OfficialBallot, 'votes' | 'overvoted'> {
  votes: Record<string, string[]>;
  overvoted: string[];
}

export interface UnmappedCount {
  contest: string;
  option?: string;
  votes: number;
  /** `skipped`: the mapping says null on purpose; `unknown`: not in the mapping file at all */
  why: 'skipped' | 'unknown';
}

export interface MappedOfficial {
  contests: Map<string, MappedContest>;
  /** contests whose write-ins are compared summed */
  combinedWriteIns: Set<string>;
  unmapped: UnmappedCount[];
  ballots?: MappedBallot[];
}

/** Check a mapping against the election and translate the official data. Never throws. */
export function applyMapping(
  official: OfficialData,
  mapping: Mapping,
  election: Election,
): Result<MappedOfficial> {
  const errors: string[] = [];
  const contestMap = new Map<string, { ours: string | null; options: Map<string, string | null> }>();
  mapping.contests.forEach((mc, i) => {
    const contest = mc.ours === null ? undefined : election.contests.find((c) => c.id === mc.ours);
    if (mc.ours !== null && !contest)
      errors.push(`Expected a contest id of the election for contests[${i}].ours but received "${mc.ours}"`);
    const ids = new Set(contest ? contestOptions(contest).map((o) => o.id) : []);
    if (contest?.type === 'candidate' && contest.allowWriteIns) ids.add(COMBINED_WRITE_IN_ID);
    const options = new Map<string, string | null>();
    mc.options.forEach((mo, j) => {
      if (contest && mo.ours !== null && !ids.has(mo.ours))
        errors.push(
          `Expected an option id of contest "${contest.id}" for contests[${i}].options[${j}].ours but received "${mo.ours}"`,
        );
      options.set(mo.official, mc.ours === null ? null : mo.ours);
    });
    if (contestMap.has(mc.official))
      errors.push(
        `Expected each official contest once for contests[${i}].official but received "${mc.official}" again`,
      );
    contestMap.set(mc.official, { ours: mc.ours, options });
  });
  if (errors.length) return { ok: false, errors };

  const contests = new Map<string, MappedContest>();
  const combinedWriteIns = new Set<string>();
  const unmapped: UnmappedCount[] = [];
  for (const oc of official.contests) {
    const m = contestMap.get(oc.key);
    const ourId = m?.ours ?? null;
    if (ourId === null) {
      for (const o of oc.options)
        unmapped.push({ contest: oc.name, option: o.name, votes: o.votes, why: m ? 'skipped' : 'unknown' });
      continue;
    }
    let mc = contests.get(ourId);
    if (!mc) {
      mc = { contestId: ourId, officialNames: [], options: new Map() };
      contests.set(ourId, mc);
    }
    mc.officialNames.push(oc.name);
    for (const k of ['overvotes', 'undervotes', 'ballots'] as const) {
      const v = oc[k];
      if (v !== undefined) mc[k] = (mc[k] ?? 0) + v;
    }
    for (const o of oc.options) {
      const optionId = m?.options.get(o.key);
      if (optionId === undefined || optionId === null) {
        unmapped.push({
          contest: oc.name,
          option: o.name,
          votes: o.votes,
          why: optionId === null ? 'skipped' : 'unknown',
        });
        continue;
      }
      if (optionId === COMBINED_WRITE_IN_ID) combinedWriteIns.add(ourId);
      mc.options.set(optionId, (mc.options.get(optionId) ?? 0) + o.votes);
    }
  }
  const result: MappedOfficial = { contests, combinedWriteIns, unmapped };
  if (official.ballots)
    result.ballots = official.ballots.map((b) => {
      const votes: Record<string, string[]> = {};
      const overvoted: string[] = [];
      for (const [key, optionKeys] of Object.entries(b.votes)) {
        const m = contestMap.get(key);
        if (!m?.ours) continue;
        const list = votes[m.ours] ?? [];
        for (const k of optionKeys) {
          const id = m.options.get(k);
          if (id && !list.includes(id)) list.push(id);
        }
        votes[m.ours] = list;
        if (b.overvoted.includes(key) && !overvoted.includes(m.ours)) overvoted.push(m.ours);
      }
      const { votes: _v, overvoted: _o, ...rest } = b;
      return { ...rest, votes, overvoted };
    });
  return { ok: true, value: result };
}
