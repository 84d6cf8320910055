/**
 * A small argument reader on top of node:util parseArgs: unknown flags and bad values become messages
 * in one grammar instead of exceptions.
 */
import { parseArgs } from 'node:util';
import type { Result } from '../election/result.ts';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function readArgs(argv: readonly string[], flags: FlagSpec): Result<ParsedArgs> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...flags, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    return { ok: true, value: { values: values as ParsedArgs['values'], positionals } };
  } catch (error) {
    return { ok: false, errors: [(error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')] };
  }
}

/** `Expected integer between 1 and 64 for --workers but received "x"` */
export function intFlag(
  value: unknown,
  name: string,
  min: number,
  max: number,
  fallback: number,
): Result<number> {
  if (value === undefined) return { ok: true, value: fallback };
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    return {
      ok: false,
      errors: [`Expected integer between ${min} and ${max} for ${name} but received "${String(value)}"`],
    };
  return { ok: true, value: n };
}
