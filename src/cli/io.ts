/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** True once the launcher this process runs under (bin/ballot-tally.js) is gone, e.g. killed. */
  orphaned?: () => boolean;
}

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** Everything read and recorded. */
  ok: 0,
  /** The job ran, but some sheets need review or were rejected (or differences exceed a tolerance). */
  attention: 1,
  /** Bad usage, bad configuration, unreadable definition: nothing was done. */
  usage: 2,
} as const;

export function processIo(): CliIo {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
  const launcherPid = Number(process.env[LAUNCHER_PID_ENV]);
  // getppid() changes the moment the launcher dies (the kernel re-parents its child), so a check right
  // before each journal write leaves no window for a line written after a `kill -9` of the launcher
  if (launcherPid > 0) io.orphaned = () => process.ppid !== launcherPid;
  return io;
}

/** Set by bin/ballot-tally.js for the child it runs a batch command in: the launcher's pid. */
export const LAUNCHER_PID_ENV = 'BALLOT_TALLY_LAUNCHER_PID';

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function usageError(io: CliIo, messages: readonly string[], help: string): number {
  for (const m of messages) io.stderr.write(`ballot-tally: ${m}\n`);
  io.stderr.write(`\n${help}`);
  return EXIT.usage;
}
