import { describe, it } from 'vitest';
import { dialects } from './helpers/app.js';
import { fuzzEveryRoute } from './helpers/fuzz.js';

// Without PostgreSQL (allowed locally, an error in CI: MPOP_REQUIRE_POSTGRES=1) the suite shows as skipped.
if (dialects.includes('postgres')) fuzzEveryRoute('postgres');
else describe.skip('fuzzing every route with a body on postgres', () => it('needs PostgreSQL', () => {}));
