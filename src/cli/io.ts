/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
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
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function usageError(io: CliIo, messages: readonly string[], help: string): number {
  for (const m of messages) io.stderr.write(`ballot-tally: ${m}\n`);
  io.stderr.write(`\n${help}`);
  return EXIT.usage;
}
