/** Validation against the NIST JSON schemas in ../shared/reference (draft-04). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';

export const REFERENCE = join(import.meta.dirname, '..', '..', 'shared', 'reference');
export const HAVE_SCHEMAS = existsSync(join(REFERENCE, 'nist-1500-103-cvr-schema.json'));

// ajv-draft-04 is CommonJS: under NodeNext its default import is `module.exports`, whose `.default` is the class.
const Ajv = AjvDraft04.default;

/** A validator for one schema file: returns the list of problems (empty when valid). */
export function validator(schemaFile: string) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addKeyword('refTypes');
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat('time', /^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/);
  ajv.addFormat('uri', /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/);
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  const validate = ajv.compile(JSON.parse(readFileSync(join(REFERENCE, schemaFile), 'utf8')));
  return (value: unknown): string[] =>
    validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
