/**
 * A plain-text summary of a tally for people: the sheet equation, rejections by reason, and per contest the
 * options with votes and share, then overvotes, undervotes and blank ballots.
 * Shares are of the votes counted for options in that contest (overvotes and undervotes excluded).
 */
import type { Election } from '../election/election.ts';
import type { ContestTally, SheetCounts, Tally } from '../tally/tally.ts';

export function sheetCountsLine(s: SheetCounts): string {
  return `inputs ${s.inputs} = recorded ${s.recorded} + needing review ${s.needsReview} + rejected ${s.rejected}`;
}

/** `55.6%`; `-` when nothing was counted. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-';
}

function contestBlock(c: ContestTally): string[] {
  const heading = c.type === 'candidate' ? `${c.title} (vote for ${c.seats})` : `${c.title} (yes/no)`;
  const totalVotes = c.options.reduce((a, o) => a + o.votes, 0);
  const labelWidth = Math.max(12, ...c.options.map((o) => o.label.length));
  const votesWidth = Math.max(1, ...c.options.map((o) => String(o.votes).length));
  const lines = [heading];
  for (const o of c.options)
    lines.push(
      `  ${o.label.padEnd(labelWidth)}  ${String(o.votes).padStart(votesWidth)}  ${percent(o.votes, totalVotes).padStart(6)}`,
    );
  lines.push(
    `  overvotes ${c.overvotes}, undervotes ${c.undervotes}, blank ${c.blank}, ballots ${c.ballots}`,
  );
  return lines;
}

export function summaryText(
  election: Election,
  tally: Tally,
  notes: {
    /** files found among the inputs that are not ballot images (listed in manifest.json) */
    ignoredFiles?: number;
  } = {},
): string {
  const s = tally.sheets;
  const lines = [
    `${election.title} — ${election.state ? `${election.jurisdiction}, ${election.state}` : election.jurisdiction} (${election.date.slice(0, 10)})`,
    `election definition sha256 ${tally.electionSha256}`,
    '',
    `Sheets: ${sheetCountsLine(s)}`,
  ];
  const reasons = Object.entries(s.rejectedByReason);
  if (reasons.length) lines.push(`Rejected: ${reasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  if (notes.ignoredFiles)
    lines.push(
      `Files not read: ${notes.ignoredFiles} (not ballot images by their names; listed under "ignored" in manifest.json)`,
    );
  lines.push(`Blank ballots: ${s.blankBallots}`);
  lines.push('Votes on sheets needing review are counted as read; rejected sheets count nothing.');
  for (const c of tally.contests) lines.push('', ...contestBlock(c));
  if (tally.warnings.length) lines.push('', 'Warnings:', ...tally.warnings.map((w) => `  ${w}`));
  return `${lines.join('\n')}\n`;
}
