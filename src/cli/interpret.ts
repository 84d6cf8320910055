import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadCalibration } from '../election/calibration.ts';
import type { InterpretedSheet } from '../pipeline/outcome.ts';
import { describeReason } from '../report/cvr-nist.ts';
import { renderOverlay } from '../report/overlay.ts';
import { scanSheet } from '../worker/scan-sheet.ts';
import { readArgs } from './args.ts';
import { loadElection } from './election-inspect.ts';
import { type CliIo, EXIT, printJson, usageError } from './io.ts';

export const INTERPRET_HELP = `Usage: ballot-tally interpret FRONT [BACK] --election FILE [options]

Interprets one sheet (its two sides in either order, or one multi-page TIFF) and prints every
contest's votes and every target's fill score and status.

Options:
  --election FILE       VotingWorks election definition (election.json)
  --calibration NAME    calibration profile name or path [default]
  --ballot-style ID     the sheet's ballot style, when it carries no readable metadata
  --page N              in a TIFF that holds several sheets (a scanned box), read pages N and N+1
                        (as \`tally\` shows them: box.tif#page=N-…) [1]
  --overlay OUT.png     write the sheet with the fitted grid and every target outlined by status
                        (marked green, marginal orange, unmarked blue) and labelled with its score,
                        and every write-in area dashed with its ink (orange where it goes to review);
                        the back goes to OUT-back.png
  --json                the full outcome as JSON
Exit codes: 0 recorded; 1 needs review or rejected; 2 bad usage.
`;

function describe(sheet: InterpretedSheet, titles: Map<string, string>): string {
  const lines = [
    `ballot style ${sheet.ballotStyleId}, precinct ${sheet.precinctId}, sheet ${sheet.sheetNumber}`,
    ...sheet.pages.map(
      (p) =>
        `  ${p.side}: image ${p.imageIndex + 1}${p.page ? ` page ${p.page + 1}` : ''}, ${p.widthPx}x${p.heightPx} @ ${p.dpi} dpi${p.rotated180 ? ', upside down' : ''}${p.marksInferred ? `, ${p.marksInferred} timing marks inferred` : ''}`,
    ),
    '',
  ];
  for (const c of sheet.contests) {
    const state = c.overvote ? 'OVERVOTE' : c.votes.length ? c.votes.join(', ') : '(no vote)';
    lines.push(`${titles.get(c.contestId) ?? c.contestId}: ${state}`);
    const mine = sheet.targets.filter((x) => x.contestId === c.contestId);
    for (const t of mine) {
      // an option printed twice (cross-endorsed): which oval; a write-in: the ink in its area
      const twice = mine.some((o) => o !== t && o.optionId === t.optionId);
      const place = twice ? `  [${t.side}, column ${t.column}, row ${t.row}]` : '';
      const ink = t.writeInInk01 !== undefined ? `  write-in area ink ${t.writeInInk01.toFixed(3)}` : '';
      lines.push(`    ${t.status.padEnd(8)} ${t.fill01.toFixed(3)}  ${t.optionId}${place}${ink}`);
    }
  }
  const reasons = sheet.reasons.filter((r) => r.type !== 'undervote');
  lines.push(
    '',
    sheet.needsReview ? 'NEEDS REVIEW:' : 'recorded',
    // in words, with the measures behind each (the same text as the CVR's annotations); --json has the fields
    ...reasons.map((r) => `  ${describeReason(r)}`),
  );
  return `${lines.join('\n')}\n`;
}

export async function runInterpret(argv: readonly string[], io: CliIo): Promise<number> {
  const args = readArgs(argv, {
    election: { type: 'string' },
    calibration: { type: 'string' },
    overlay: { type: 'string' },
    'ballot-style': { type: 'string' },
    page: { type: 'string' },
  });
  if (!args.ok) return usageError(io, args.errors, INTERPRET_HELP);
  const v = args.value.values;
  if (v.help) {
    io.stdout.write(INTERPRET_HELP);
    return EXIT.ok;
  }
  const files = args.value.positionals;
  const errors: string[] = [];
  if (files.length < 1 || files.length > 2)
    errors.push(`Expected 1 or 2 image files but received ${files.length}`);
  if (typeof v.election !== 'string') errors.push('Expected a path for --election but received nothing');
  let firstPage = 0;
  if (typeof v.page === 'string') {
    const n = Number(v.page);
    if (!Number.isInteger(n) || n < 1 || n > 100_000)
      errors.push(`Expected integer between 1 and 100000 for --page but received ${JSON.stringify(v.page)}`);
    else if (files.length !== 1)
      errors.push(`Expected one TIFF file with --page but received ${files.length} files`);
    else firstPage = n - 1;
  }
  if (errors.length) return usageError(io, errors, INTERPRET_HELP);
  const loaded = loadElection(v.election as string, io.cwd);
  if (!loaded.ok) return usageError(io, loaded.errors, '');
  const calibration = loadCalibration(typeof v.calibration === 'string' ? v.calibration : 'default');
  if (!calibration.ok) return usageError(io, calibration.errors, '');
  const ballotStyleId = typeof v['ballot-style'] === 'string' ? v['ballot-style'] : undefined;

  const { result, pages } = await scanSheet(
    {
      sheetId: 'sheet',
      paths: files.map((f) => resolve(io.cwd, f)),
      ...(firstPage > 0 ? { pages: { first: firstPage, count: 2 } } : {}),
    },
    loaded.election,
    calibration.value,
    ballotStyleId ? { ballotStyleId } : {},
  );
  const { outcome } = result;
  if (typeof v.overlay === 'string' && outcome.type === 'interpreted') {
    for (const info of outcome.pages) {
      const image = pages.find((p) => p.imageIndex === info.imageIndex && p.page === info.page);
      if (!image) continue;
      const out = resolve(
        io.cwd,
        info.side === 'front' ? v.overlay : v.overlay.replace(/(\.png)?$/i, '-back.png'),
      );
      await writeFile(out, await renderOverlay(image, outcome, info.side));
      io.stderr.write(`overlay: ${out}\n`);
    }
  }
  if (v.json)
    printJson(io, { files, imageSha256: result.imageSha256, calibration: calibration.value.name, outcome });
  else if (outcome.type === 'rejected') io.stdout.write(`REJECTED (${outcome.reason}): ${outcome.detail}\n`);
  else io.stdout.write(describe(outcome, new Map(loaded.election.contests.map((c) => [c.id, c.title]))));
  return outcome.type === 'interpreted' && !outcome.needsReview ? EXIT.ok : EXIT.attention;
}
