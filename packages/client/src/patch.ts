/*
 * Applying a patch of the fossil-delta format (https://fossil-scm.org/home/doc/tip/www/delta_format.wiki): the
 * new package is written into one buffer of the size the gate announced, so a hostile or broken patch can neither
 * make it grow nor read outside the bytes the device has. fossil-delta's own `applyDelta` builds its output in a
 * plain array (tens of bytes per byte): too much for a phone.
 */

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < DIGITS.length; i++) VALUE[DIGITS.charCodeAt(i)] = i;

/** A patch that does not apply: malformed, made from other bytes, or giving another size. */
export class PatchError extends Error {}

/**
 * The bytes `patch` makes of `source`, which must be `size` long: rejects (PatchError) a patch that is malformed,
 * reads past `source`, or gives any other length. The caller still checks the result's SHA-256.
 */
export function applyPatch(source: Uint8Array, patch: Uint8Array, size: number): Uint8Array {
  let pos = 0;
  const int = () => {
    let v = 0;
    const start = pos;
    while (pos < patch.length && patch[pos] < 128 && VALUE[patch[pos]] >= 0) {
      v = v * 64 + VALUE[patch[pos++]];
      if (v > Number.MAX_SAFE_INTEGER / 64) throw new PatchError('a number in the patch is too large');
    }
    if (pos === start) throw new PatchError('the patch is malformed (a number was expected)');
    return v;
  };
  if (int() !== size || patch[pos++] !== 10) throw new PatchError('the patch makes a package of another size');
  const out = new Uint8Array(size);
  let total = 0;
  while (pos < patch.length) {
    const count = int();
    const op = patch[pos++];
    if (op === 64 /* @ copy */) {
      const offset = int();
      if (patch[pos++] !== 44) throw new PatchError('the patch is malformed (a copy must end with ",")');
      if (offset + count > source.length) throw new PatchError('the patch reads past the bytes it applies to');
      if (total + count > size) throw new PatchError('the patch writes past the announced size');
      out.set(source.subarray(offset, offset + count), total);
      total += count;
    } else if (op === 58 /* : insert */) {
      if (pos + count > patch.length) throw new PatchError('the patch is cut short');
      if (total + count > size) throw new PatchError('the patch writes past the announced size');
      out.set(patch.subarray(pos, pos + count), total);
      pos += count;
      total += count;
    } else if (op === 59 /* ; end (count is a checksum; the SHA-256 is checked instead) */) {
      if (total !== size) throw new PatchError('the patch makes a package of another size');
      return out;
    } else throw new PatchError('the patch is malformed (an unknown command)');
  }
  throw new PatchError('the patch is cut short');
}
