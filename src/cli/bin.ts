import { processIo } from './io.ts';
import { main } from './main.ts';

export async function runCli(): Promise<void> {
  const code = await main(process.argv.slice(2), processIo());
  process.exitCode = code;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) await runCli();
