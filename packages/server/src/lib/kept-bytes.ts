/**
 * Bytes a cache keeps for long (gate answers, their parts, signed manifests), in memory of their own. `Buffer.from`
 * and `Buffer.allocUnsafe` cut buffers under 4 KB from Node's shared 8 KB pool, and a buffer kept alive keeps its
 * whole pool block alive: a few thousand kept answers of 1 KB each then held 8 KB each, 25 MB for 3 MB of bytes.
 */
export function keptBytes(text: string): Buffer {
  const out = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  out.write(text, 'utf8');
  return out;
}

/** An uninitialised buffer of its own (see keptBytes), for bytes joined from parts and kept. */
export const keptBuffer = (length: number): Buffer => Buffer.allocUnsafeSlow(length);
