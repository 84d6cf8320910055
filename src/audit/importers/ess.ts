/**
 * ES&S cast vote record CSV (EVS export): columns `Cast Vote Record`, then metadata (`Precinct`,
 * `Ballot Style`, `Tabulator CVR`, `Batch`, ...), then one column per contest whose cell is the choice
 * name, `overvote`, `undervote`, or empty when the contest was not on the ballot. A vote-for-N contest
 * repeats its column N times (one choice per cell).
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

export const ESS_METADATA_HEADERS = [
  'Election ID',
  'Audit Number',
  'Tabulator CVR',
  'Cast Vote Record',
  'Batch',
  'Ballot Status',
  'Precinct',
  'Ballot Style',
  'Precinct ID',
  'Ballot Style ID',
];

export function importEss(text: string, path: string): Result<OfficialData> {
  const parsed = parseCsv(text, path);
  if (!parsed.ok) return parsed;
  const [header, ...rows] = parsed.value;
  const idColumn = header?.indexOf('Cast Vote Record') ?? -1;
  if (!header || idColumn < 0)
    return {
      ok: false,
      errors: inFile(path, ['Expected a "Cast Vote Record" column in the header but received none']),
    };
  let last = -1;
  header.forEach((h, i) => {
    if (ESS_METADATA_HEADERS.includes(h.trim())) last = i;
  });
  const contestColumns = new Map<string, number[]>();
  for (let i = last + 1; i < header.length; i++) {
    const name = (header[i] ?? '').trim();
    if (!name) continue;
    contestColumns.set(name, [...(contestColumns.get(name) ?? []), i]);
  }
  const definitions = new Map<string, ContestDefinition>();
  for (const [name, columns] of contestColumns)
    definitions.set(name, { key: name, name, votesAllowed: columns.length, options: new Map() });
  const tabulatorColumn = header.indexOf('Tabulator CVR');
  const errors: string[] = [];
  const ballots: OfficialBallot[] = [];
  rows.forEach((row, i) => {
    const id = (row[idColumn] ?? '').trim();
    if (!/^\S+$/.test(id)) {
      errors.push(
        `Expected a cast vote record number for row ${i + 2}."Cast Vote Record" but received "${id}"`,
      );
      return;
    }
    const votes: Record<string, string[]> = {};
    const overvoted: string[] = [];
    for (const [name, columns] of contestColumns) {
      const cells = columns.map((c) => (row[c] ?? '').trim()).filter((v) => v !== '');
      if (cells.length === 0) continue;
      if (cells.some((v) => v.toLowerCase() === 'overvote')) {
        overvoted.push(name);
        votes[name] = [];
        continue;
      }
      const choices = cells.filter((v) => v.toLowerCase() !== 'undervote');
      for (const c of choices) definitions.get(name)?.options.set(c, c);
      votes[name] = [...new Set(choices)];
    }
    const ballot: OfficialBallot = { ballotId: id, votes, overvoted, source: `${basename(path)}:${i + 2}` };
    const tabulatorCvr = tabulatorColumn >= 0 ? (row[tabulatorColumn] ?? '').trim() : '';
    if (tabulatorCvr) ballot.imprintedId = tabulatorCvr;
    ballots.push(ballot);
  });
  if (errors.length) return { ok: false, errors: inFile(path, errors) };
  return {
    ok: true,
    value: {
      format: 'ess',
      files: [path],
      contests: totalsFromBallots(definitions.values(), ballots),
      ballots,
      warnings: [],
    },
  };
}
