/*
 * The `mpop-patch-v1` format (its layout: packages/client/src/patch.ts and docs/host-app-teams.md): a header, then
 * one fossil delta per chunk of the new package, each made by the fossil-delta library against the whole old
 * package (so content that moved is still found). The library builds a delta in a plain array (tens of bytes per
 * byte), so what it holds at once is bounded by one chunk, not the package.
 *
 * Each function is self-contained (no imports, nothing from outside its body; the library's functions are passed
 * in): the worker thread that runs them is made from their source text (delta-worker.ts).
 */

/** The library functions the encoder and the check take (fossil-delta's). */
export interface DeltaLibrary {
  createDelta(source: Uint8Array, target: Uint8Array): Uint8Array;
  applyDelta(source: Uint8Array, delta: Uint8Array): Uint8Array;
}

/**
 * The patch from `source` to `target` in chunks of `chunkSize`, or undefined as soon as it would be longer than
 * `maxBytes` (the chunks made so far already are). Returns the patch as the first `length` bytes of `buffer` (one
 * allocation of at most `maxBytes`, written as the chunks come).
 */
export function encodeChunked(
  source: Uint8Array,
  target: Uint8Array,
  maxBytes: number,
  chunkSize: number,
  createDelta: DeltaLibrary['createDelta'],
): { buffer: Uint8Array; length: number } | undefined {
  const MAGIC = 'mpop-patch-v1\n';
  const HEADER = MAGIC.length + 16;
  if (HEADER > maxBytes) return undefined;
  const chunks = Math.ceil(target.length / chunkSize);
  const out = new Uint8Array(maxBytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(MAGIC.length, source.length);
  view.setUint32(MAGIC.length + 4, target.length);
  view.setUint32(MAGIC.length + 8, chunkSize);
  view.setUint32(MAGIC.length + 12, chunks);
  let n = HEADER;
  for (let i = 0; i < chunks; i++) {
    const delta = createDelta(source, target.subarray(i * chunkSize, Math.min(target.length, (i + 1) * chunkSize)));
    if (n + 4 + delta.length > maxBytes) return undefined;
    view.setUint32(n, delta.length);
    out.set(delta, n + 4);
    n += 4 + delta.length;
  }
  return { buffer: out, length: n };
}

/**
 * Whether `patch` applied to `source` gives exactly `target`: its header announces these sizes, each chunk's delta
 * (applied by the library, which checks its checksum) gives that chunk, and nothing follows the last one.
 */
export function rebuildsExactly(
  source: Uint8Array,
  patch: Uint8Array,
  target: Uint8Array,
  applyDelta: DeltaLibrary['applyDelta'],
): boolean {
  const MAGIC = 'mpop-patch-v1\n';
  const HEADER = MAGIC.length + 16;
  if (patch.length < HEADER) return false;
  for (let i = 0; i < MAGIC.length; i++) if (patch[i] !== MAGIC.charCodeAt(i)) return false;
  const view = new DataView(patch.buffer, patch.byteOffset, patch.byteLength);
  const chunkSize = view.getUint32(MAGIC.length + 8);
  const chunks = view.getUint32(MAGIC.length + 12);
  if (view.getUint32(MAGIC.length) !== source.length || view.getUint32(MAGIC.length + 4) !== target.length) return false;
  if (chunkSize < 1 || chunks !== Math.ceil(target.length / chunkSize)) return false;
  let pos = HEADER;
  for (let i = 0; i < chunks; i++) {
    if (pos + 4 > patch.length) return false;
    const length = view.getUint32(pos);
    pos += 4;
    if (length > patch.length - pos) return false;
    const expected = target.subarray(i * chunkSize, Math.min(target.length, (i + 1) * chunkSize));
    let chunk: Uint8Array;
    try {
      chunk = applyDelta(source, patch.subarray(pos, pos + length));
    } catch {
      return false;
    }
    if (chunk.length !== expected.length) return false;
    for (let j = 0; j < chunk.length; j++) if (chunk[j] !== expected[j]) return false;
    pos += length;
  }
  return pos === patch.length;
}
