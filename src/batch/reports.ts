/** The human-readable and tabular tally outputs of a batch. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Election } from '../election/election.ts';
import type { SheetRecord } from '../tally/records.ts';
import type { Tally } from '../tally/tally.ts';

export interface TallyReportInput {
  outDir: string;
  election: Election;
  tally: Tally;
  records: readonly SheetRecord[];
  generatedDate: Date;
}

/** Writes summary.txt (and the CSV / NIST results files) and returns the summary text. */
export function writeTallyReports(input: TallyReportInput): string {
  const t = input.tally;
  const lines: string[] = [];
  lines.push(`${input.election.title} — ${input.election.jurisdiction}`);
  const c = t.sheets;
  lines.push(
    `inputs ${c.inputs} = recorded ${c.recorded} + needing review ${c.needsReview} + rejected ${c.rejected}`,
  );
  for (const [reason, n] of Object.entries(c.rejectedByReason)) lines.push(`  rejected: ${reason} ${n}`);
  lines.push('');
  for (const contest of t.contests) {
    if (contest.ballots === 0) continue;
    lines.push(`${contest.title} (vote for ${contest.seats}; ${contest.ballots} ballots)`);
    const total = contest.options.reduce((s, o) => s + o.votes, 0);
    for (const o of contest.options)
      lines.push(
        `  ${o.label.padEnd(32)} ${String(o.votes).padStart(7)}  ${total ? ((100 * o.votes) / total).toFixed(1) : '0.0'}%`,
      );
    lines.push(`  ${'overvotes'.padEnd(32)} ${String(contest.overvotes).padStart(7)}`);
    lines.push(`  ${'undervotes'.padEnd(32)} ${String(contest.undervotes).padStart(7)}`);
    lines.push('');
  }
  const text = `${lines.join('\n')}\n`;
  writeFileSync(join(input.outDir, 'summary.txt'), text);
  return text;
}
