/*
 * Applying a patch of the `mpop-patch-v1` format: a small header, then one fossil delta (Fossil SCM's delta
 * format, https://fossil-scm.org/home/doc/tip/www/delta_format.wiki) per chunk of the new package, each made against
 * the whole old package. Each delta is applied by the fossil-delta library; the chunks are written into one buffer
 * of the size the gate announced, so a hostile or broken patch can neither make it grow nor read outside the bytes
 * the device has, and the memory beyond the two packages is bounded by one chunk (the library builds its output in
 * a plain array, tens of bytes per byte). docs/host-app-teams.md describes the format for other platforms.
 *
 *   offset  size  field
 *   0       14    magic: the ASCII bytes "mpop-patch-v1" and a line feed (0x0a)
 *   14      4     size of the old package (the bytes the patch applies to), unsigned big-endian
 *   18      4     size of the new package
 *   22      4     chunk size (1 KiB to 16 MiB)
 *   26      4     number of chunks: ceil(new size / chunk size)
 *   30      …     for each chunk, in order: 4 bytes (unsigned big-endian) the length of its delta, then the delta
 *
 * Chunk i is bytes [i × chunk size, min((i + 1) × chunk size, new size)) of the new package; nothing follows the
 * last delta.
 */
import { applyDelta, getDeltaTargetSize } from 'fossil-delta';

/** The `format` of the patches this client applies. */
export const PATCH_FORMAT = 'mpop-patch-v1';

const MAGIC = [...`${PATCH_FORMAT}\n`].map((c) => c.charCodeAt(0));
/** Bytes of the header before the first chunk. */
export const PATCH_HEADER_BYTES = MAGIC.length + 16;
/** The smallest and largest chunk sizes a patch may declare. */
export const PATCH_MIN_CHUNK = 1024;
export const PATCH_MAX_CHUNK = 16 * 1024 * 1024;

/** A patch that does not apply: malformed, made from other bytes, or giving another size. */
export class PatchError extends Error {}

/** What a patch's header says. */
export interface PatchHeader {
  sourceSize: number;
  targetSize: number;
  chunkSize: number;
  chunks: number;
}

/**
 * The header of `patch`, once it is well formed and consistent (the chunk count matches the sizes, and the patch is
 * long enough to hold that many length fields). Allocates nothing. Throws PatchError.
 */
export function readPatchHeader(patch: Uint8Array): PatchHeader {
  if (patch.length < PATCH_HEADER_BYTES || MAGIC.some((b, i) => patch[i] !== b))
    throw new PatchError(`not a patch of the ${PATCH_FORMAT} format`);
  const view = new DataView(patch.buffer, patch.byteOffset, patch.byteLength);
  const at = MAGIC.length;
  const header = {
    sourceSize: view.getUint32(at),
    targetSize: view.getUint32(at + 4),
    chunkSize: view.getUint32(at + 8),
    chunks: view.getUint32(at + 12),
  };
  if (header.chunkSize < PATCH_MIN_CHUNK || header.chunkSize > PATCH_MAX_CHUNK)
    throw new PatchError('the patch declares a chunk size out of bounds');
  if (header.chunks !== Math.ceil(header.targetSize / header.chunkSize))
    throw new PatchError('the patch declares a number of chunks that does not match its sizes');
  if (header.chunks * 4 > patch.length - PATCH_HEADER_BYTES) throw new PatchError('the patch is cut short');
  return header;
}

/**
 * The bytes `patch` makes of `source`, which must be `size` long: rejects (PatchError) a patch whose header does
 * not announce exactly these sizes (checked before anything is allocated), whose chunks are malformed, read past
 * `source`, fail fossil-delta's checksum or give another length, or that has bytes left over. The caller still
 * checks the result's SHA-256.
 */
export function applyPatch(source: Uint8Array, patch: Uint8Array, size: number): Uint8Array {
  const steps = applyChunks(source, patch, size);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** `applyPatch`, giving the event loop a turn between chunks (a page stays responsive while a large one applies). */
export async function applyPatchAsync(source: Uint8Array, patch: Uint8Array, size: number): Promise<Uint8Array> {
  const steps = applyChunks(source, patch, size);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Applies the chunks one by one, yielding after each. */
function* applyChunks(source: Uint8Array, patch: Uint8Array, size: number): Generator<void, Uint8Array> {
  const header = readPatchHeader(patch);
  if (header.targetSize !== size) throw new PatchError('the patch makes a package of another size');
  if (header.sourceSize !== source.length) throw new PatchError('the patch applies to bytes of another size');
  const view = new DataView(patch.buffer, patch.byteOffset, patch.byteLength);
  const out = new Uint8Array(size);
  let pos = PATCH_HEADER_BYTES;
  for (let i = 0; i < header.chunks; i++) {
    if (pos + 4 > patch.length) throw new PatchError('the patch is cut short');
    const length = view.getUint32(pos);
    pos += 4;
    if (length > patch.length - pos) throw new PatchError('the patch is cut short');
    const delta = patch.subarray(pos, pos + length);
    pos += length;
    const start = i * header.chunkSize;
    const expected = Math.min(header.chunkSize, size - start);
    let chunk: Uint8Array;
    try {
      if (getDeltaTargetSize(delta) !== expected) throw new PatchError(`chunk ${i} of the patch has another size`);
      chunk = applyDelta(source, delta);
    } catch (err) {
      if (err instanceof PatchError) throw err;
      throw new PatchError(`chunk ${i} of the patch does not apply: ${(err as Error).message}`);
    }
    if (chunk.length !== expected) throw new PatchError(`chunk ${i} of the patch has another size`);
    out.set(chunk, start);
    yield;
  }
  if (pos !== patch.length) throw new PatchError('the patch has bytes after its last chunk');
  return out;
}
