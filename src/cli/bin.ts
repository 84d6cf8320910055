import { LAUNCHER_PID_ENV, processIo } from './io.ts';
import { main } from './main.ts';

export async function runCli(): Promise<void> {
  if (process.env[LAUNCHER_PID_ENV] && process.channel) {
    // Run by bin/ballot-tally.js in a child process: when the launcher goes (killed), so does this. The
    // channel carries nothing and must not keep the process alive by itself.
    process.channel.unref();
    process.on('disconnect', () => process.exit(1));
  }
  const code = await main(process.argv.slice(2), processIo());
  process.exitCode = code;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) await runCli();
