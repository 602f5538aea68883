import v8 from 'node:v8';

/** MPOP_HEAP_GROWTH_PERCENT's default: a full collection once the heap holds half as much again as it kept. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 50;

/**
 * How far V8 lets the JavaScript heap grow past what its last full collection kept before it collects again, in
 * percent of that (V8's `--heap-growing-percent`, read at every full collection, so it can be set once the process
 * runs). Left to itself, V8 picks a factor between 1.1 and 4 from how fast it collects against how fast the program
 * allocates: the faster the machine, the more garbage it lets build up. A release's fan-out and the gate's load
 * allocate fast, and the heap grew to three times its live objects (`docs/BENCHMARKS.md`, Peak RSS); with 50 % it stays
 * within about 1.5 times, for more, shorter full collections (they mark concurrently, beside the event loop).
 * 0 leaves V8's own choice (or a `node --heap-growing-percent` flag) alone. It applies to the whole process.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
