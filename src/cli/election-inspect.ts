import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { contestOptions, type Election } from '../election/election.ts';
import { importVxf } from '../election/vxf.ts';
import { readArgs } from './args.ts';
import { type CliIo, EXIT, printJson, usageError } from './io.ts';

export const ELECTION_INSPECT_HELP = `Usage: ballot-tally election inspect FILE [--json]

Reads a VotingWorks election definition (VXF election.json: 2022, v4.0 or v4.1) and prints its
contests, options, ballot styles and the number of targets on each sheet side.
Every problem in the file is reported with its path and value; exit code 2 if there are any.
`;

/** Load and import an election definition file, or say why not. */
export function loadElection(
  path: string,
  cwd: string,
): { ok: true; election: Election; warnings: string[] } | { ok: false; errors: string[] } {
  let bytes: Buffer;
  const full = resolve(cwd, path);
  try {
    bytes = readFileSync(full);
  } catch (error) {
    return {
      ok: false,
      errors: [
        `Expected a readable election definition at ${path} but ${(error as NodeJS.ErrnoException).code ?? 'could not read it'}`,
      ],
    };
  }
  const r = importVxf(bytes);
  if (!r.ok) return { ok: false, errors: r.errors.map((e) => `${path}: ${e}`) };
  return { ok: true, election: r.value.election, warnings: r.value.warnings };
}

export function summarizeElection(e: Election) {
  return {
    id: e.id,
    title: e.title,
    date: e.date,
    jurisdiction: e.jurisdiction,
    state: e.state,
    paper: e.paper,
    grid: e.grid,
    metadataEncoding: e.metadataEncoding,
    source: e.source,
    contests: e.contests.map((c) => ({
      id: c.id,
      type: c.type,
      title: c.title,
      seats: c.type === 'candidate' ? c.seats : 1,
      options: contestOptions(c).map((o) => ({ id: o.id, label: o.label })),
    })),
    ballotStyles: e.ballotStyles.map((b) => ({
      id: b.id,
      precinctIds: b.precinctIds,
      sheets: e.layouts
        .filter((l) => l.ballotStyleId === b.id)
        .map((l) => ({
          sheetNumber: l.sheetNumber,
          side: l.side,
          targets: l.targets.length,
          writeIns: l.targets.filter((t) => t.type === 'write-in').length,
        })),
    })),
  };
}

export async function runElectionInspect(argv: readonly string[], io: CliIo): Promise<number> {
  const args = readArgs(argv, {});
  if (!args.ok) return usageError(io, args.errors, ELECTION_INSPECT_HELP);
  if (args.value.values.help) {
    io.stdout.write(ELECTION_INSPECT_HELP);
    return EXIT.ok;
  }
  const [file, ...extra] = args.value.positionals;
  if (!file || extra.length)
    return usageError(io, ['Expected exactly one election definition FILE'], ELECTION_INSPECT_HELP);
  const loaded = loadElection(file, io.cwd);
  if (!loaded.ok) {
    for (const m of loaded.errors) io.stderr.write(`ballot-tally: ${m}\n`);
    return EXIT.usage;
  }
  const summary = summarizeElection(loaded.election);
  if (args.value.values.json) {
    printJson(io, { ...summary, warnings: loaded.warnings });
    return EXIT.ok;
  }
  for (const w of loaded.warnings) io.stderr.write(`warning: ${w}\n`);
  const lines: string[] = [];
  lines.push(
    `${summary.title} (${summary.date}), ${summary.jurisdiction}${summary.state ? `, ${summary.state}` : ''}`,
  );
  lines.push(
    `format ${summary.source.format}, ${summary.paper} paper, ${summary.grid.columns}x${summary.grid.rows} timing-mark grid, metadata by ${summary.metadataEncoding}`,
  );
  lines.push(`sha256 ${summary.source.sha256}`);
  lines.push('');
  lines.push(`${summary.contests.length} contests:`);
  for (const c of summary.contests) {
    lines.push(`  ${c.title} [${c.id}] ${c.type === 'candidate' ? `vote for ${c.seats}` : 'yes/no'}`);
    for (const o of c.options) lines.push(`    - ${o.label} [${o.id}]`);
  }
  lines.push('');
  lines.push(`${summary.ballotStyles.length} ballot styles:`);
  for (const b of summary.ballotStyles) {
    lines.push(`  ${b.id} (precincts: ${b.precinctIds.join(', ')})`);
    for (const s of b.sheets)
      lines.push(`    sheet ${s.sheetNumber} ${s.side}: ${s.targets} targets (${s.writeIns} write-in)`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
