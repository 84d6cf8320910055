/**
 * `ballot-tally samples generate`: parse the options (zod), generate a batch, print a summary.
 * `runSamplesGenerate(argv, io)` resolves to the exit code: 0 done, 2 bad usage, 1 failure.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { importVxf } from '../../src/election/vxf.ts';
import { generateBatch } from './batch.ts';
import { PROFILE_NAMES } from './profiles.ts';

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const SAMPLES_GENERATE_USAGE = `Usage: ballot-tally samples generate --election FILE --count N --seed S --out DIR
       [--profile ${PROFILE_NAMES.join('|')}] [--dpi 150|200|300]
       [--format jpeg|png|tiff-g4|tiff-multipage|mixed] [--workers N] [--json]

  --workers N   worker threads (default: one per core; 0 = this thread only). The files are the same
                byte for byte whatever N.
`;

const intBetween = (flag: string, min: number, max: number) =>
  z.string().transform((s, ctx) => {
    const n = Number(s);
    if (!/^-?\d+$/.test(s) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `Expected integer between ${min} and ${max} for ${flag} but received ${s}`,
      });
      return z.NEVER;
    }
    return n;
  });
const oneOf = <T extends string>(flag: string, values: readonly T[]) =>
  z.string().transform((s, ctx) => {
    if (!(values as readonly string[]).includes(s)) {
      ctx.addIssue({
        code: 'custom',
        message: `Expected one of ${values.map((v) => `"${v}"`).join(', ')} for ${flag} but received "${s}"`,
      });
      return z.NEVER;
    }
    return s as T;
  });
const required = <O>(flag: string, inner: z.ZodType<O, string>) =>
  z.string({ error: `Expected a value for ${flag} but received nothing` }).pipe(inner);

const ArgsSchema = z.object({
  election: required('--election', z.string().min(1)),
  count: required('--count', intBetween('--count', 1, 1_000_000)),
  seed: required('--seed', intBetween('--seed', 0, 4_294_967_295)),
  out: required('--out', z.string().min(1)),
  profile: oneOf('--profile', PROFILE_NAMES).optional(),
  dpi: oneOf('--dpi', ['150', '200', '300'] as const).optional(),
  format: oneOf('--format', ['jpeg', 'png', 'tiff-g4', 'tiff-multipage', 'mixed'] as const).optional(),
  workers: intBetween('--workers', 0, 256).optional(),
  json: z.boolean().optional(),
});
export type SamplesGenerateArgs = z.infer<typeof ArgsSchema>;

const VALUE_FLAGS = ['election', 'count', 'seed', 'out', 'profile', 'dpi', 'format', 'workers'];

export function parseSamplesGenerateArgs(
  argv: string[],
): { ok: true; value: SamplesGenerateArgs } | { ok: false; errors: string[] } {
  const raw: Record<string, string | boolean> = {};
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m?.[1]) {
      errors.push(`Expected an option such as --count but received "${a}"`);
      continue;
    }
    const name = m[1];
    if (name === 'json') raw.json = true;
    else if (VALUE_FLAGS.includes(name)) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) errors.push(`Expected a value for --${name} but received nothing`);
      else raw[name] = v;
    } else
      errors.push(
        `Expected one of ${[...VALUE_FLAGS, 'json'].map((f) => `--${f}`).join(', ')} but received "--${name}"`,
      );
  }
  const parsed = ArgsSchema.safeParse(raw);
  if (!parsed.success) errors.push(...parsed.error.issues.map((i) => i.message));
  if (errors.length || !parsed.success) return { ok: false, errors };
  return { ok: true, value: parsed.data };
}

export async function runSamplesGenerate(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(SAMPLES_GENERATE_USAGE);
    return 0;
  }
  const args = parseSamplesGenerateArgs(argv);
  if (!args.ok) {
    for (const e of args.errors) io.stderr.write(`${e}\n`);
    io.stderr.write(SAMPLES_GENERATE_USAGE);
    return 2;
  }
  const a = args.value;
  let bytes: Buffer;
  try {
    bytes = await readFile(a.election);
  } catch (error) {
    io.stderr.write(
      `Expected a readable file for --election but received "${a.election}": ${(error as Error).message}\n`,
    );
    return 2;
  }
  const imported = importVxf(bytes);
  if (!imported.ok) {
    for (const e of imported.errors) io.stderr.write(`${a.election}: ${e}\n`);
    return 1;
  }
  let lastReport = 0;
  const summary = await generateBatch({
    election: imported.value.election,
    count: a.count,
    seed: a.seed,
    outDir: a.out,
    ...(a.profile ? { profile: a.profile } : {}),
    ...(a.dpi ? { dpi: Number(a.dpi) as 150 | 200 | 300 } : {}),
    ...(a.format ? { format: a.format } : {}),
    ...(a.workers !== undefined ? { workers: a.workers } : {}),
    onProgress: ({ done, total }) => {
      const now = Date.now();
      if (done === total || now - lastReport > 1000) {
        lastReport = now;
        io.stderr.write(`generated ${done}/${total} sheets\n`);
      }
    },
  });
  if (a.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else
    io.stdout.write(
      `${summary.count} sheets (${summary.files} files, ${(summary.bytes / 1e6).toFixed(1)} MB) in ${a.out} ` +
        `at ${summary.sheetsPerSecond} sheets/s (${summary.workers ? `${summary.workers} workers` : 'one thread'}); contests: ${summary.contests.valid} valid, ${summary.contests.undervote} undervoted, ` +
        `${summary.contests.overvote} overvoted, ${summary.contests.blank} blank; ${summary.ambiguousTargets} ambiguous targets\n`,
    );
  return 0;
}
