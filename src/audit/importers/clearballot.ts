/**
 * Clear Ballot ClearCount CVR CSV: columns `RowNumber, BoxID, BoxPosition, BallotID, PrecinctID,
 * BallotStyleID, PrecinctStyleName, ScanComputerName, Status, Remade`, then one column per choice headed
 * `Choice_<id>_<rank>:<contest>:Vote For <N>:<choice>:<party>` with 1 (marked), 0, or empty when the
 * contest was not on the ballot. More marks than N is an overvote. The ballot id is `BallotID` (the id
 * Clear Ballot imprints).
 */
import { basename } from 'node:path';
import type { Result } from '../../election/result.ts';
import { parseCsv } from '../csv.ts';
import {
  type ContestDefinition,
  inFile,
  type OfficialBallot,
  type OfficialData,
  totalsFromBallots,
} from '../official.ts';

const CHOICE = /^Choice_[^:]*:(.*):Vote For (\d+):(.*):[^:]*$/;

export function importClearBallot(text: string, path: string): Result<OfficialData> {
  const parsed = parseCsv(text, path);
  if (!parsed.ok) return parsed;
  const [header, ...rows] = parsed.value;
  if (!header)
    return { ok: false, errors: inFile(path, ['Expected a header row but received an empty file']) };
  const idColumn = header.indexOf('BallotID');
  const rowColumn = header.indexOf('RowNumber');
  const errors: string[] = [];
  if (idColumn < 0) errors.push('Expected a "BallotID" column in the header but received none');
  const choices: { column: number; contest: string; option: string }[] = [];
  const definitions = new Map<string, ContestDefinition>();
  header.forEach((h, column) => {
    if (!h.startsWith('Choice_')) return;
    const m = CHOICE.exec(h);
    if (!m?.[1] || !m[2] || m[3] === undefined) {
      errors.push(`Expected a header like "Choice_1_1:Contest:Vote For 1:Choice:Party" but received "${h}"`);
      return;
    }
    const contest = m[1];
    let d = definitions.get(contest);
    if (!d) {
      d = { key: contest, name: contest, votesAllowed: Number(m[2]), options: new Map() };
      definitions.set(contest, d);
    }
    d.options.set(m[3], m[3]);
    choices.push({ column, contest, option: m[3] });
  });
  if (choices.length === 0 && errors.length === 0)
    errors.push('Expected at least one "Choice_" column but received none');
  const ballots: OfficialBallot[] = [];
  rows.forEach((row, i) => {
    const line = i + 2;
    const id = (row[idColumn] ?? '').trim();
    if (!id) {
      errors.push(`Expected a ballot id for row ${line}.BallotID but received ""`);
      return;
    }
    const votes: Record<string, string[]> = {};
    for (const c of choices) {
      const v = (row[c.column] ?? '').trim();
      if (v === '') continue;
      if (v !== '0' && v !== '1') {
        errors.push(`Expected one of "0", "1", "" for row ${line}.${header[c.column]} but received "${v}"`);
        continue;
      }
      const list = votes[c.contest] ?? [];
      if (v === '1') list.push(c.option);
      votes[c.contest] = list;
    }
    const overvoted: string[] = [];
    for (const [contest, list] of Object.entries(votes))
      if (list.length > (definitions.get(contest)?.votesAllowed ?? Number.POSITIVE_INFINITY)) {
        overvoted.push(contest);
        votes[contest] = [];
      }
    const ballot: OfficialBallot = {
      ballotId: id,
      imprintedId: id,
      votes,
      overvoted,
      source: `${basename(path)}:${line}${rowColumn >= 0 ? ` (RowNumber ${row[rowColumn] ?? ''})` : ''}`,
    };
    ballots.push(ballot);
  });
  if (errors.length) return { ok: false, errors: inFile(path, errors) };
  return {
    ok: true,
    value: {
      format: 'clearballot',
      files: [path],
      contests: totalsFromBallots(definitions.values(), ballots),
      ballots,
      warnings: [],
    },
  };
}
