/** A value or the list of reasons it could not be made. `parseX(unknown)` functions return this and never throw. */
export type Result<T> = { ok: true; value: T } | { ok: false; errors: string[] };

interface IssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected?: unknown;
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly values?: readonly unknown[];
}

/** `contests[2].seats` style path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `"${value.length > 60 ? `${value.slice(0, 57)}...` : value}" of type string`;
  return `${String(value)} of type ${typeof value}`;
}

/**
 * One message per zod issue, in one grammar:
 * `Expected integer at least 1 for contests[0].seats but received 0 of type number`.
 */
export function formatIssues(issues: readonly IssueLike[], input: unknown): string[] {
  return issues.map((issue) => {
    const where = formatPath(issue.path);
    const value = valueAt(input, issue.path);
    const received = describeValue(value);
    switch (issue.code) {
      case 'invalid_type':
        return `Expected ${String(issue.expected)} for ${where} but received ${received}`;
      case 'too_small':
        return `Expected ${typeof value === 'number' ? 'number' : 'value'} at least ${String(issue.minimum)} for ${where} but received ${received}`;
      case 'too_big':
        return `Expected ${typeof value === 'number' ? 'number' : 'value'} at most ${String(issue.maximum)} for ${where} but received ${received}`;
      case 'invalid_union':
        return `Expected one of the known kinds for ${where} but received ${received}`;
      case 'invalid_value':
        return `Expected one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')} for ${where} but received ${received}`;
      case 'custom':
        return `Expected ${issue.message} for ${where} but received ${received}`;
      default:
        return `Expected ${issue.message.replace(/^Invalid /, 'valid ')} for ${where} but received ${received}`;
    }
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Parse with a zod schema into a Result with messages in our grammar. */
export function parseWith<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: readonly IssueLike[] } };
  },
  value: unknown,
): Result<T> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues(r.error.issues, value) };
}
