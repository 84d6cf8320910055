/**
 * CSV outputs (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote, CR or LF; quotes
 * doubled). Text cells that a spreadsheet would read as a formula (starting with = + - @, tab or CR) get a
 * leading `'`. Numbers are written as they are.
 *
 * - `cvr.csv`: one row per sheet in input order: sheet_id, batch, files (`|`-joined), status
 *   (recorded / needs-review / rejected), ballot_style, precinct, sheet_number, reasons (`; `-joined), then
 *   one column per contest (header: the contest id) with the votes joined by `|`; an overvoted contest reads
 *   `overvote:` followed by the marked options; a contest with no vote or not on the sheet is empty.
 * - `tally.csv`: scope (total / precinct / ballot-style / batch), scope_id, contest_id, contest, kind
 *   (option / overvotes / undervotes / blank / ballots), option_id, option, count.
 */
import type { Election } from '../election/election.ts';
import { type SheetRecord, sheetStatus } from '../tally/records.ts';
import type { ContestTally, Tally } from '../tally/tally.ts';
import { describeReason } from './cvr-nist.ts';

export type CsvValue = string | number;

/** One CSV field: formula-safe, quoted when needed. */
export function csvCell(value: CsvValue): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = value;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record with its CRLF. */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function cvrCsvHeader(election: Election): string[] {
  return [
    'sheet_id',
    'batch',
    'files',
    'status',
    'ballot_style',
    'precinct',
    'sheet_number',
    'reasons',
    ...election.contests.map((c) => c.id),
  ];
}

export function cvrCsvRow(election: Election, record: SheetRecord): CsvValue[] {
  const o = record.outcome;
  const head: CsvValue[] = [record.sheetId, record.batchId, record.imagePaths.join('|'), sheetStatus(o)];
  if (o.type === 'rejected')
    return [...head, '', '', '', `${o.reason}: ${o.detail}`, ...election.contests.map(() => '')];
  const results = new Map(o.contests.map((c) => [c.contestId, c]));
  return [
    ...head,
    o.ballotStyleId,
    o.precinctId,
    o.sheetNumber,
    o.reasons.map(describeReason).join('; '),
    ...election.contests.map((c) => {
      const r = results.get(c.id);
      if (!r) return '';
      return r.overvote ? `overvote:${r.marked.join('|')}` : r.votes.join('|');
    }),
  ];
}

/** `cvr.csv` as chunks (header, then one line per record in the order given). */
export async function* cvrCsvChunks(
  election: Election,
  records: AsyncIterable<SheetRecord> | Iterable<SheetRecord>,
): AsyncGenerator<string> {
  yield csvLine(cvrCsvHeader(election));
  for await (const r of records) yield csvLine(cvrCsvRow(election, r));
}

export const TALLY_CSV_HEADER = [
  'scope',
  'scope_id',
  'contest_id',
  'contest',
  'kind',
  'option_id',
  'option',
  'count',
] as const;

function contestRows(scope: string, scopeId: string, c: ContestTally): CsvValue[][] {
  const row = (kind: string, optionId: string, option: string, count: number): CsvValue[] => [
    scope,
    scopeId,
    c.contestId,
    c.title,
    kind,
    optionId,
    option,
    count,
  ];
  return [
    ...c.options.map((o) => row('option', o.optionId, o.label, o.votes)),
    row('overvotes', '', '', c.overvotes),
    row('undervotes', '', '', c.undervotes),
    row('blank', '', '', c.blank),
    row('ballots', '', '', c.ballots),
  ];
}

/** `tally.csv`: the totals, then the breakdowns by precinct, ballot style and batch. */
export function tallyCsv(tally: Tally): string {
  const rows: CsvValue[][] = [[...TALLY_CSV_HEADER]];
  for (const c of tally.contests) rows.push(...contestRows('total', '', c));
  for (const [scope, groups] of [
    ['precinct', tally.byPrecinct],
    ['ballot-style', tally.byBallotStyle],
    ['batch', tally.byBatch],
  ] as const)
    for (const g of groups) for (const c of g.contests) rows.push(...contestRows(scope, g.id, c));
  return rows.map(csvLine).join('');
}
