#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npm ci` is the whole build.
//
// The batch commands run in a child process with glibc's malloc limited to two arenas. Every thread of
// the worker pool (the workers, libuv's and libvips' threads) otherwise gets an arena of its own, and the
// freed ~4 MB decoded pages fragment them: 2,715 sheets with two workers peaked at 548 MB RSS, and at
// 450 MB with MALLOC_ARENA_MAX=2, about 2 % slower. glibc reads the setting only when a process starts,
// hence the child. It exits when this launcher goes (even on kill -9), and writes nothing more once it
// has gone, so a `--resume` never shares the journal with it. Set MALLOC_ARENA_MAX yourself to skip this.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BATCH_COMMANDS = new Set(['tally', 'calibrate']);
const LAUNCHER_PID_ENV = 'BALLOT_TALLY_LAUNCHER_PID'; // as src/cli/io.ts
const args = process.argv.slice(2);

if (
  process.platform === 'linux' &&
  BATCH_COMMANDS.has(args[0] ?? '') &&
  process.env.MALLOC_ARENA_MAX === undefined
) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, MALLOC_ARENA_MAX: '2', [LAUNCHER_PID_ENV]: String(process.pid) },
  });
  child.on('error', (error) => {
    process.stderr.write(`ballot-tally: could not start the batch process (${error.message})\n`);
    process.exit(2);
  });
  const forward = (signal) => () => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      // die of the same signal, so that the caller sees what the child saw
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { runCli } = await import('../src/cli/bin.ts');
  await runCli();
}
