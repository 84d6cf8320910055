/** Typed index of the real scans in ../shared/fixtures (read-only; absent on some machines). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED_FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'vxsuite');
export const HAVE_SHARED = existsSync(SHARED_FIXTURES);

export const HUDSON = join(SHARED_FIXTURES, 'nh-hudson-2023-01');
export const AMHERST = join(SHARED_FIXTURES, 'nh-amherst-2023-01');
export const VXQA = join(SHARED_FIXTURES, 'vxqa-v4.1-blank');

export const fixture = (set: string, file: string): string => join(set, file);
