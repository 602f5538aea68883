// The environment `npm start` gives the server process (and the benchmark its servers, to measure them as run).
//
// glibc's malloc raises its mmap threshold each time a large block it had mapped is freed (a sign-in's 16 MiB
// password hash, an upload's buffers), up to 32 MiB, and with it how much free memory each arena keeps at its top
// (twice that): after the first sign-in, most large blocks come from the arenas and their free space is never given
// back. A threshold set in the environment is fixed, so large blocks are mapped and unmapped as they come and go.
// Measured by `npm run bench` (docs/BENCHMARKS.md, Peak RSS): about 50 MiB less at the peak after five releases.
// A value the operator set wins; other C libraries (musl, macOS) ignore the variable.
export const MALLOC_DEFAULTS = { MALLOC_MMAP_THRESHOLD_: '131072' };

/** `env` with the defaults above under it. */
export const serverEnv = (env = process.env) => ({ ...MALLOC_DEFAULTS, ...env });
