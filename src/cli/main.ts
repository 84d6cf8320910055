/**
 * `main(argv, io) → exit code`: the whole command line, testable without a process.
 * One file per subcommand; this one only dispatches.
 */

import { runSamplesGenerate, SAMPLES_GENERATE_USAGE } from '../../samples/generator/cli.ts';
import { ADJUDICATE_HELP, runAdjudicate } from './adjudicate.ts';
import { CALIBRATE_HELP, runCalibrate } from './calibrate.ts';
import { COMPARE_HELP, runCompare } from './compare.ts';
import { ELECTION_INSPECT_HELP, runElectionInspect } from './election-inspect.ts';
import { INTERPRET_HELP, runInterpret } from './interpret.ts';
import { type CliIo, EXIT } from './io.ts';
import { runTally, TALLY_HELP } from './tally.ts';
import { VERSION } from './version.ts';

export { VERSION };

type Command = {
  summary: string;
  help: string;
  run: (argv: readonly string[], io: CliIo) => Promise<number>;
};

const COMMANDS: Record<string, Command> = {
  'election inspect': {
    summary: 'print the contests, ballot styles and targets of an election definition',
    help: ELECTION_INSPECT_HELP,
    run: runElectionInspect,
  },
  interpret: {
    summary: 'interpret one sheet (front and back) and print its votes, scores and review reasons',
    help: INTERPRET_HELP,
    run: runInterpret,
  },
  compare: {
    summary: 'compare our count with the official one (totals and ballot by ballot); HTML report',
    help: COMPARE_HELP,
    run: runCompare,
  },
  adjudicate: {
    summary: "apply people's decisions on targets: modified CVR snapshots and new tallies",
    help: ADJUDICATE_HELP,
    run: runAdjudicate,
  },
  calibrate: {
    summary: 'fit mark thresholds to a batch (or a test deck with --truth) and write a calibration profile',
    help: CALIBRATE_HELP,
    run: runCalibrate,
  },
  'samples generate': {
    summary: 'render synthetic ballots with scanner defects and ground truth (seeded)',
    help: SAMPLES_GENERATE_USAGE,
    run: (argv, io) => runSamplesGenerate([...argv], io),
  },
  tally: {
    summary: 'interpret a whole batch in a worker pool; write NIST cast vote records and tallies',
    help: TALLY_HELP,
    run: runTally,
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `ballot-tally ${VERSION}: an independent tallier for scanned paper ballots

Usage: ballot-tally COMMAND [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Every command takes --help and --json (results as JSON on stdout; logs and progress on stderr).
Exit codes: 0 done and all recorded; 1 done, but something needs attention (review, rejection,
differences); 2 bad usage or configuration, nothing done.
`;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(mainHelp());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS[name];
    if (command) return command.run(argv.slice(words), io);
  }
  io.stderr.write(
    `ballot-tally: Expected a command but received "${argv.slice(0, 2).join(' ')}"\n\n${mainHelp()}`,
  );
  return EXIT.usage;
}
