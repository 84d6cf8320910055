import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CompareReport, compare, MATCH_BY, type MatchBy } from '../audit/compare.ts';
import { writeAuditHtml } from '../audit/html.ts';
import { FORMAT_CHOICES, type FormatChoice, loadOfficial } from '../audit/importers/index.ts';
import { applyMapping, draftMapping, type Mapping, parseMapping } from '../audit/mapping.ts';
import { loadOurBatch } from '../audit/ours.ts';
import { intFlag, readArgs } from './args.ts';
import { type CliIo, EXIT, printJson, usageError } from './io.ts';

export const COMPARE_HELP = `Usage: ballot-tally compare --ours DIR --official FILE... [options]

Compares our count (DIR, written by "ballot-tally tally --out DIR") with the official one: per contest
(ours, theirs and the difference per choice, with overvotes, undervotes and ballots) and, when the
official files are cast vote records, ballot by ballot, with each difference classified (a vote only one
side has, different choices, an overvote against votes, a marginal mark involved, a ballot missing on
either side, a duplicate).

Options:
  --ours DIR            our tally output directory
  --official FILE       official data (repeat, or list more files after the options); a directory is
                        read whole (a Dominion export folder, a folder of Hart XML files)
  --format F            auto (default) | nist-results | csv | nist-cvr | dominion | ess | hart | clearballot
  --mapping FILE        confirmed mapping of official contests/choices to ours (JSON)
  --draft-mapping FILE  write a drafted mapping (matched by id and name; unmatched ones are null) for
                        people to review; without --mapping, the comparison uses the draft
  --match-by K          record-id (default) | imprinted-id | file-name: how official records find our
                        sheets (imprinted-id and file-name compare with our sheet ids and image names)
  --tolerance N         accepted absolute difference per number (and number of ballot discrepancies) [0]
  --out DIR             write DIR/compare.json and DIR/audit.html (one offline file with ballot images)
  --max-images N        at most N sheets shown with images in audit.html [200]
  --json                print the comparison as JSON

Formats: nist-results = NIST SP 1500-100 v2 JSON; csv = contest,choice,votes; nist-cvr = NIST SP 1500-103
JSON; dominion = CvrExport*.json + ContestManifest.json + CandidateManifest.json; ess = ES&S CVR CSV;
hart = Hart Verity CVR XML; clearballot = ClearCount CVR CSV.
Exit codes: 0 differences within the tolerance; 1 differences beyond it; 2 bad usage.
`;

function textReport(r: CompareReport, io: CliIo): void {
  const w = (s: string) => io.stdout.write(`${s}\n`);
  w(
    `Official: ${r.official.format} (${r.official.files.length} file${r.official.files.length === 1 ? '' : 's'})`,
  );
  w(
    `Contests compared: ${r.summary.contestsCompared}, with differences: ${r.summary.contestsWithDifferences}, largest difference: ${r.summary.largestDifference}`,
  );
  for (const c of r.contests) {
    if (!c.compared || c.largestDifference === 0) continue;
    w(`\n${c.title} (${c.contestId})`);
    const rows = [
      ...c.options.map((o) => [o.label, o.ours, o.official, o.difference] as const),
      ['overvotes', c.overvotes.ours, c.overvotes.official, c.overvotes.difference] as const,
      ['undervotes', c.undervotes.ours, c.undervotes.official, c.undervotes.difference] as const,
      ['ballots', c.ballots.ours, c.ballots.official, c.ballots.difference] as const,
    ];
    const width = Math.max(...rows.map((x) => x[0].length));
    w(`  ${''.padEnd(width)}  ${'ours'.padStart(7)}  ${'official'.padStart(8)}  ${'diff'.padStart(5)}`);
    for (const [label, ours, official, diff] of rows)
      if (official !== null || label !== 'ballots')
        w(
          `  ${label.padEnd(width)}  ${String(ours).padStart(7)}  ${String(official ?? '-').padStart(8)}  ${(diff === null ? '-' : diff > 0 ? `+${diff}` : String(diff)).padStart(5)}`,
        );
  }
  const unmapped = r.unmapped.filter((u) => u.why === 'unknown');
  if (unmapped.length) {
    w('\nOfficial choices not in the mapping:');
    for (const u of unmapped) w(`  ${u.contest} / ${u.option ?? ''}: ${u.votes}`);
  }
  if (r.ballots) {
    w(`\nBallots matched: ${r.ballots.matched}; discrepancies: ${r.ballots.discrepancies.length}`);
    for (const [kind, n] of Object.entries(r.ballots.byKind)) w(`  ${kind}: ${n}`);
    for (const d of r.ballots.discrepancies.slice(0, 100))
      w(
        `  [${d.kind}] sheet ${d.sheetId ?? '-'} / official ${d.officialBallotId ?? '-'}${d.contestId ? ` / ${d.contestId}` : ''}: ${d.detail}`,
      );
    if (r.ballots.discrepancies.length > 100)
      w(`  ... ${r.ballots.discrepancies.length - 100} more (see --json or --out)`);
  }
  for (const warning of r.warnings) io.stderr.write(`ballot-tally: warning: ${warning}\n`);
  w(`\n${r.summary.withinTolerance ? 'Within' : 'Beyond'} the tolerance of ${r.options.tolerance}.`);
}

export async function runCompare(argv: readonly string[], io: CliIo): Promise<number> {
  const args = readArgs(argv, {
    ours: { type: 'string' },
    official: { type: 'string', multiple: true },
    format: { type: 'string' },
    mapping: { type: 'string' },
    'draft-mapping': { type: 'string' },
    'match-by': { type: 'string' },
    tolerance: { type: 'string' },
    out: { type: 'string' },
    'max-images': { type: 'string' },
  });
  if (!args.ok) return usageError(io, args.errors, COMPARE_HELP);
  const v = args.value.values;
  if (v.help) {
    io.stdout.write(COMPARE_HELP);
    return EXIT.ok;
  }
  const errors: string[] = [];
  const officialPaths = [...((v.official as string[] | undefined) ?? []), ...args.value.positionals];
  if (typeof v.ours !== 'string') errors.push('Expected a directory for --ours but received nothing');
  if (officialPaths.length === 0)
    errors.push('Expected at least one file for --official but received nothing');
  const format = (v.format ?? 'auto') as string;
  if (!FORMAT_CHOICES.includes(format as FormatChoice))
    errors.push(
      `Expected one of ${FORMAT_CHOICES.map((f) => `"${f}"`).join(', ')} for --format but received "${format}"`,
    );
  const matchBy = (v['match-by'] ?? 'record-id') as string;
  if (!MATCH_BY.includes(matchBy as MatchBy))
    errors.push(
      `Expected one of ${MATCH_BY.map((f) => `"${f}"`).join(', ')} for --match-by but received "${matchBy}"`,
    );
  const tolerance = intFlag(v.tolerance, '--tolerance', 0, 1_000_000_000, 0);
  if (!tolerance.ok) errors.push(...tolerance.errors);
  const maxImages = intFlag(v['max-images'], '--max-images', 0, 100_000, 200);
  if (!maxImages.ok) errors.push(...maxImages.errors);
  if (errors.length || !tolerance.ok || !maxImages.ok) return usageError(io, errors, COMPARE_HELP);

  const batch = loadOurBatch(v.ours as string, io.cwd);
  if (!batch.ok) return usageError(io, batch.errors, '');
  const official = loadOfficial(officialPaths, format as FormatChoice, io.cwd);
  if (!official.ok) return usageError(io, official.errors, '');

  let mapping: Mapping;
  const draft = draftMapping(official.value, batch.value.election);
  if (typeof v['draft-mapping'] === 'string') {
    const path = resolve(io.cwd, v['draft-mapping']);
    writeFileSync(path, `${JSON.stringify(draft, null, 2)}\n`);
    io.stderr.write(
      `ballot-tally: wrote a draft mapping to ${path} (${draft.unmatched?.official.length ?? 0} official names unmatched); review it and pass it with --mapping\n`,
    );
  }
  if (typeof v.mapping === 'string') {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(resolve(io.cwd, v.mapping), 'utf8'));
    } catch (error) {
      return usageError(
        io,
        [`Expected a readable JSON mapping at ${v.mapping} but ${(error as Error).message}`],
        '',
      );
    }
    const parsed = parseMapping(value);
    if (!parsed.ok)
      return usageError(
        io,
        parsed.errors.map((e) => `${v.mapping}: ${e}`),
        '',
      );
    mapping = parsed.value;
  } else {
    mapping = draft;
    for (const u of draft.unmatched?.official ?? [])
      io.stderr.write(
        `ballot-tally: warning: no match for official ${u} (not compared; see --draft-mapping)\n`,
      );
  }
  const mapped = applyMapping(official.value, mapping, batch.value.election);
  if (!mapped.ok)
    return usageError(
      io,
      mapped.errors.map((e) => `mapping: ${e}`),
      '',
    );

  const report = compare(batch.value, official.value, mapped.value, {
    matchBy: matchBy as MatchBy,
    tolerance: tolerance.value,
  });
  if (typeof v.out === 'string') {
    const outDir = resolve(io.cwd, v.out);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'compare.json'), `${JSON.stringify(report, null, 2)}\n`);
    const html = await writeAuditHtml(report, batch.value, { maxImages: maxImages.value });
    writeFileSync(join(outDir, 'audit.html'), html);
    if (v.json !== true)
      io.stderr.write(
        `ballot-tally: wrote ${join(outDir, 'compare.json')} and ${join(outDir, 'audit.html')}\n`,
      );
  }
  if (v.json === true) printJson(io, report);
  else textReport(report, io);
  return report.summary.withinTolerance ? EXIT.ok : EXIT.attention;
}
