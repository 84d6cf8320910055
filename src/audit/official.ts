/**
 * The one normalized form every importer of official (machine count) data produces: contest totals per
 * option and, where the source has them, per-ballot records. Contests and options are named by the
 * source's own keys (ids or names) and display names; `mapping.ts` turns them into our ids.
 */
import { basename } from 'node:path';

export const OFFICIAL_FORMATS = [
  'nist-results',
  'csv',
  'nist-cvr',
  'dominion',
  'ess',
  'hart',
  'clearballot',
] as const;
export type OfficialFormat = (typeof OFFICIAL_FORMATS)[number];

export interface OfficialOption {
  /** the source's key for the option (an id, or the name when the source has no ids) */
  key: string;
  name: string;
  votes: number;
}

export interface OfficialContest {
  key: string;
  name: string;
  votesAllowed?: number;
  options: OfficialOption[];
  /** ballots (sheets) on which the contest was overvoted, when the source says */
  overvotes?: number;
  /** unused votes, when the source says */
  undervotes?: number;
  /** ballots (sheets) that carried the contest, when the source says */
  ballots?: number;
}

/** One ballot (one sheet or card) of a vendor CVR export. */
export interface OfficialBallot {
  /** the record's id in the source (CVR number, session, CvrGuid, UniqueId) */
  ballotId: string;
  /** the id printed on the ballot by the scanner, when the source has one */
  imprintedId?: string;
  /** the ballot image's file name, when the source has one */
  fileName?: string;
  /** contest key → option keys counted as votes; every contest on the ballot has an entry (maybe empty) */
  votes: Record<string, string[]>;
  /** contest keys overvoted on this ballot (their `votes` entry is empty) */
  overvoted: string[];
  /** where it came from, for people: `file.json#Sessions[12]` */
  source: string;
}

export interface OfficialData {
  format: OfficialFormat;
  files: string[];
  contests: OfficialContest[];
  /** present only for per-ballot sources (CVR exports) */
  ballots?: OfficialBallot[];
  warnings: string[];
}

/** What an importer knows about a contest before counting. */
export interface ContestDefinition {
  key: string;
  name: string;
  votesAllowed?: number;
  /** option key → name, in source order */
  options: Map<string, string>;
}

/**
 * Contest totals from per-ballot records, counted the way our tally counts: an overvoted contest adds no
 * votes and no undervotes, `ballots` counts ballots that carried the contest.
 */
export function totalsFromBallots(
  definitions: Iterable<ContestDefinition>,
  ballots: readonly OfficialBallot[],
): OfficialContest[] {
  const defs = new Map<string, ContestDefinition>();
  for (const d of definitions) defs.set(d.key, d);
  for (const b of ballots)
    for (const [contestKey, optionKeys] of Object.entries(b.votes)) {
      let d = defs.get(contestKey);
      if (!d) {
        d = { key: contestKey, name: contestKey, options: new Map() };
        defs.set(contestKey, d);
      }
      for (const o of optionKeys) if (!d.options.has(o)) d.options.set(o, o);
    }
  const acc = new Map<string, { votes: Map<string, number>; ballots: number; over: number; under: number }>();
  for (const key of defs.keys()) acc.set(key, { votes: new Map(), ballots: 0, over: 0, under: 0 });
  for (const b of ballots) {
    const over = new Set(b.overvoted);
    for (const [contestKey, optionKeys] of Object.entries(b.votes)) {
      const a = acc.get(contestKey);
      const d = defs.get(contestKey);
      if (!a || !d) continue;
      a.ballots++;
      if (over.has(contestKey)) {
        a.over++;
        continue;
      }
      const unique = [...new Set(optionKeys)];
      for (const o of unique) a.votes.set(o, (a.votes.get(o) ?? 0) + 1);
      if (d.votesAllowed !== undefined) a.under += Math.max(0, d.votesAllowed - unique.length);
    }
  }
  return [...defs.values()].map((d) => {
    const a = acc.get(d.key);
    const contest: OfficialContest = {
      key: d.key,
      name: d.name,
      options: [...d.options].map(([key, name]) => ({ key, name, votes: a?.votes.get(key) ?? 0 })),
      overvotes: a?.over ?? 0,
      ballots: a?.ballots ?? 0,
    };
    if (d.votesAllowed !== undefined) {
      contest.votesAllowed = d.votesAllowed;
      contest.undervotes = a?.under ?? 0;
    }
    return contest;
  });
}

/** `file.json` for messages. */
export function shortName(path: string): string {
  return basename(path);
}

/** Prefix each message with the file it is about. */
export function inFile(path: string, errors: readonly string[]): string[] {
  return errors.map((e) => `${shortName(path)}: ${e}`);
}
