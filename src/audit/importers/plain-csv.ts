/**
 * A plain CSV of contest totals: one row per choice with the columns `contest`, `choice` (or `option`,
 * `candidate`, `selection`) and `votes` (or `count`, `total`), in any order, names matched without case.
 * Rows whose choice is `overvotes`, `undervotes` or `ballots` give those counts of the contest instead.
 */
import { z } from 'zod';
import { describeValue, type Result } from '../../election/result.ts';
import { parseCsv } from '../csv.ts';
import { inFile, type OfficialContest, type OfficialData } from '../official.ts';

const COLUMNS = {
  contest: ['contest', 'contest name', 'race', 'office'],
  choice: ['choice', 'option', 'candidate', 'selection', 'choice name'],
  votes: ['votes', 'count', 'total', 'total votes'],
};
const SPECIAL = new Set(['overvotes', 'undervotes', 'ballots']);
const Count = z.coerce.number().int().min(0);

export function importPlainCsv(text: string, path: string): Result<OfficialData> {
  const parsed = parseCsv(text, path);
  if (!parsed.ok) return parsed;
  const [header, ...rows] = parsed.value;
  if (!header)
    return { ok: false, errors: inFile(path, ['Expected a header row but received an empty file']) };
  const names = header.map((h) => h.trim().toLowerCase());
  const col = (k: keyof typeof COLUMNS) => names.findIndex((n) => COLUMNS[k].includes(n));
  const at = { contest: col('contest'), choice: col('choice'), votes: col('votes') };
  const missing = (Object.keys(at) as (keyof typeof at)[]).filter((k) => at[k] < 0);
  if (missing.length)
    return {
      ok: false,
      errors: inFile(
        path,
        missing.map(
          (k) =>
            `Expected a column ${COLUMNS[k].map((n) => `"${n}"`).join(' or ')} but received ${header.map((h) => `"${h}"`).join(', ')}`,
        ),
      ),
    };
  const contests = new Map<string, OfficialContest>();
  const errors: string[] = [];
  rows.forEach((row, i) => {
    const contestName = (row[at.contest] ?? '').trim();
    const choice = (row[at.choice] ?? '').trim();
    const rawVotes = (row[at.votes] ?? '').trim().replace(/,/g, '');
    const votes = Count.safeParse(rawVotes === '' ? undefined : rawVotes);
    const line = i + 2;
    if (!contestName) {
      errors.push(
        `Expected a contest name for row ${line}.contest but received ${describeValue(row[at.contest])}`,
      );
      return;
    }
    if (!votes.success) {
      errors.push(
        `Expected integer at least 0 for row ${line}.${header[at.votes]} but received ${describeValue(row[at.votes])}`,
      );
      return;
    }
    let contest = contests.get(contestName);
    if (!contest) {
      contest = { key: contestName, name: contestName, options: [] };
      contests.set(contestName, contest);
    }
    const special = choice.toLowerCase();
    if (SPECIAL.has(special)) {
      contest[special as 'overvotes' | 'undervotes' | 'ballots'] = votes.data;
      return;
    }
    const prior = contest.options.find((o) => o.key === choice);
    if (prior)
      errors.push(
        `Expected one row per choice for row ${line} but received "${choice}" in "${contestName}" again`,
      );
    else contest.options.push({ key: choice, name: choice, votes: votes.data });
  });
  if (errors.length) return { ok: false, errors: inFile(path, errors) };
  return {
    ok: true,
    value: { format: 'csv', files: [path], contests: [...contests.values()], warnings: [] },
  };
}
