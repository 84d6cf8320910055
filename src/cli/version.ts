import { readFileSync } from 'node:fs';

/** The package version, for `--version` and every report's software field. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
