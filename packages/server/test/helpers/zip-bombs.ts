import { constants, deflateRawSync } from 'node:zlib';

/**
 * Hostile zips, written byte by byte: yazl (helpers/packages.ts) makes honest archives, and an attacker's archive
 * is exactly what an honest writer will not make (sizes that lie, entries that share their data).
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(data: Buffer, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// crc32_combine from zlib: the CRC of A‖B from crc(A), crc(B) and |B|, so the CRC of a gibibyte of zeros takes
// microseconds rather than seconds.
const gf2Times = (mat: number[], vec: number) => {
  let sum = 0;
  for (let i = 0; vec; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i];
  return sum >>> 0;
};
const gf2Square = (mat: number[]) => mat.map((_, n) => gf2Times(mat, mat[n]));

export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1;
  let odd = [0xedb88320, ...Array.from({ length: 31 }, (_, n) => 1 << n)];
  let even = gf2Square(odd);
  odd = gf2Square(even);
  let c = crc1;
  let len = len2;
  do {
    even = gf2Square(odd);
    if (len & 1) c = gf2Times(even, c);
    len = Math.floor(len / 2);
    if (!len) break;
    odd = gf2Square(even);
    if (len & 1) c = gf2Times(odd, c);
    len = Math.floor(len / 2);
  } while (len);
  return (c ^ crc2) >>> 0;
}

export interface RawEntry {
  name: string;
  /** Raw deflate data (method 8), or the bytes themselves when `stored`. */
  data: Buffer;
  crc: number;
  /** The size the archive claims; an attacker's claim need not be true. */
  declaredSize: number;
  stored?: boolean;
  /** Unix mode in the external attributes (0o100644 a file, 0o120777 a symbolic link). */
  mode?: number;
}

/** A deflated file of `size` bytes, honestly described. */
export function deflated(name: string, content: Buffer | string): RawEntry {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { name, data: deflateRawSync(bytes), crc: crc32(bytes), declaredSize: bytes.length };
}

/**
 * `mib` MiB of zeros as one deflate stream of about `mib` KiB, made without ever holding the zeros: one
 * sync-flushed MiB repeated (a sync flush ends on a byte boundary with no final block), then an empty final block.
 */
export function zeros(name: string, mib: number): RawEntry {
  const oneMib = Buffer.alloc(1024 * 1024);
  const chunk = deflateRawSync(oneMib, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const data = Buffer.concat([...Array.from({ length: mib }, () => chunk), Buffer.from([0x03, 0x00])]);
  let crc = crc32(oneMib);
  const one = crc;
  for (let i = 1; i < mib; i++) crc = crc32Combine(crc, one, oneMib.length);
  return { name, data, crc, declaredSize: mib * oneMib.length };
}

/**
 * Writes a zip. `overlap` adds that many more central-directory entries (named `copyN.bin`) that all point at the
 * local data of the first entry: David Fifield's non-recursive zip bomb, where each copy costs 46 bytes.
 */
export function writeZip(entries: RawEntry[], options: { overlap?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const central = (e: RawEntry, name: Buffer, at: number) => {
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the upper external attributes are a mode
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8); // UTF-8 names
    c.writeUInt16LE(e.stored ? 0 : 8, 10);
    c.writeUInt32LE(e.crc, 16);
    c.writeUInt32LE(e.data.length, 20);
    c.writeUInt32LE(e.declaredSize, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    c.writeUInt32LE(at, 42);
    return Buffer.concat([c, name]);
  };
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x0800, 6);
    h.writeUInt16LE(e.stored ? 0 : 8, 8);
    h.writeUInt32LE(e.crc, 14);
    h.writeUInt32LE(e.data.length, 18);
    h.writeUInt32LE(e.declaredSize, 22);
    h.writeUInt16LE(name.length, 26);
    locals.push(h, name, e.data);
    centrals.push(central(e, name, offset));
    offset += h.length + name.length + e.data.length;
  }
  for (let i = 0; i < (options.overlap ?? 0); i++) centrals.push(central(entries[0], Buffer.from(`copy${i}.bin`), 0));
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export const appJson = (pages: unknown = ['pages/index/index']) => deflated('app.json', JSON.stringify({ pages }));
