/*
 * The Fossil SCM delta format (https://fossil-scm.org/home/doc/tip/www/delta_format.wiki), as fossil-delta
 * (Dmitry Chestnykh, D. Richard Hipp; BSD) encodes it, rewritten for bounded memory: the patch is written into a
 * buffer of a fixed size (the most it may be to be kept), and making it stops as soon as it cannot fit, so a pair of
 * packages that share little costs neither memory nor time beyond that. The library builds its output in a plain
 * array (tens of bytes per byte: about 1.4 GB for two 50 MB packages, docs/BENCHMARKS.md).
 *
 * Each function is self-contained (no imports, nothing from outside its body): the worker thread that runs them is
 * made from their source text (delta-worker.ts).
 */

/**
 * The fossil-delta from `source` to `target`, or undefined when it would be longer than `maxBytes`.
 */
export function encodeBounded(source: Uint8Array, target: Uint8Array, maxBytes: number): Uint8Array | undefined {
  const NHASH = 16;
  const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';
  const out = new Uint8Array(maxBytes);
  let n = 0;
  let full = false;
  const digitCount = (v: number) => {
    let i = 1;
    for (let x = 64; v >= x; i++, x *= 64);
    return i;
  };
  const putByte = (b: number) => {
    if (n >= maxBytes) full = true;
    else out[n++] = b;
  };
  const putInt = (v: number) => {
    const d = digitCount(v);
    for (let j = d - 1; j >= 0; j--) putByte(DIGITS.charCodeAt(Math.floor(v / 64 ** j) % 64));
  };
  const putArray = (a: Uint8Array, start: number, end: number) => {
    if (n + (end - start) > maxBytes) {
      full = true;
      return;
    }
    out.set(a.subarray(start, end), n);
    n += end - start;
  };
  const checksum = (arr: Uint8Array) => {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let z = 0;
    let len = arr.length;
    while (len >= 4) {
      s0 = (s0 + arr[z]) | 0;
      s1 = (s1 + arr[z + 1]) | 0;
      s2 = (s2 + arr[z + 2]) | 0;
      s3 = (s3 + arr[z + 3]) | 0;
      z += 4;
      len -= 4;
    }
    s3 = (((((s3 + (s2 << 8)) | 0) + (s1 << 16)) | 0) + (s0 << 24)) | 0;
    if (len === 3) s3 = (s3 + (arr[z + 2] << 8)) | 0;
    if (len >= 2) s3 = (s3 + (arr[z + 1] << 16)) | 0;
    if (len >= 1) s3 = (s3 + (arr[z] << 24)) | 0;
    return s3 >>> 0;
  };
  // The rolling hash of a window of NHASH bytes (a and b are 16-bit sums).
  const win = new Uint8Array(NHASH);
  let ha = 0;
  let hb = 0;
  let hi = 0;
  const hashInit = (z: Uint8Array, pos: number) => {
    ha = 0;
    hb = 0;
    for (let i = 0; i < NHASH; i++) {
      const x = z[pos + i];
      ha = (ha + x) & 0xffff;
      hb = (hb + (NHASH - i) * x) & 0xffff;
      win[i] = x;
    }
    hi = 0;
  };
  const hashNext = (c: number) => {
    const old = win[hi];
    win[hi] = c;
    hi = (hi + 1) & (NHASH - 1);
    ha = (ha - old + c) & 0xffff;
    hb = (hb - NHASH * old + ha) & 0xffff;
  };
  const hashValue = () => ((ha & 0xffff) | ((hb & 0xffff) << 16)) >>> 0;

  const lenOut = target.length;
  const lenSrc = source.length;
  putInt(lenOut);
  putByte(10); // \n
  if (lenSrc <= NHASH) {
    putInt(lenOut);
    putByte(58); // :
    putArray(target, 0, lenOut);
  } else {
    const nHash = Math.ceil(lenSrc / NHASH);
    const collide = new Int32Array(nHash).fill(-1);
    const landmark = new Int32Array(nHash).fill(-1);
    for (let i = 0; i < lenSrc - NHASH; i += NHASH) {
      hashInit(source, i);
      const hv = hashValue() % nHash;
      collide[i / NHASH] = landmark[hv];
      landmark[hv] = i / NHASH;
    }
    let base = 0;
    while (base + NHASH < lenOut && !full) {
      let bestOfst = 0;
      let bestLitsz = 0;
      let bestCnt = 0;
      hashInit(target, base);
      let i = 0;
      for (;;) {
        // Bytes not matched so far will be written as they are: stop once they cannot fit.
        if (n + i > maxBytes) {
          full = true;
          break;
        }
        let limit = 250;
        let iBlock = landmark[hashValue() % nHash];
        while (iBlock >= 0 && limit-- > 0) {
          const iSrc = iBlock * NHASH;
          let j = 0;
          for (let x = iSrc, y = base + i; x < lenSrc && y < lenOut; j++, x++, y++) if (source[x] !== target[y]) break;
          j--;
          let k = 1;
          for (; k < iSrc && k <= i; k++) if (source[iSrc - k] !== target[base + i - k]) break;
          k--;
          const ofst = iSrc - k;
          const cnt = j + k + 1;
          const litsz = i - k;
          const sz = digitCount(i - k) + digitCount(cnt) + digitCount(ofst) + 3;
          if (cnt >= sz && cnt > bestCnt) {
            bestCnt = cnt;
            bestOfst = ofst;
            bestLitsz = litsz;
          }
          iBlock = collide[iBlock];
        }
        if (bestCnt > 0) {
          if (bestLitsz > 0) {
            putInt(bestLitsz);
            putByte(58); // :
            putArray(target, base, base + bestLitsz);
            base += bestLitsz;
          }
          base += bestCnt;
          putInt(bestCnt);
          putByte(64); // @
          putInt(bestOfst);
          putByte(44); // ,
          break;
        }
        if (base + i + NHASH >= lenOut) {
          putInt(lenOut - base);
          putByte(58); // :
          putArray(target, base, lenOut);
          base = lenOut;
          break;
        }
        hashNext(target[base + i + NHASH]);
        i++;
      }
    }
    if (base < lenOut && !full) {
      putInt(lenOut - base);
      putByte(58); // :
      putArray(target, base, lenOut);
    }
  }
  putInt(checksum(target));
  putByte(59); // ;
  return full ? undefined : out.slice(0, n);
}

/**
 * Whether applying `delta` to `source` gives exactly `target`, checked as it is applied (nothing is allocated: the
 * bytes each command would write are compared with the target's).
 */
export function rebuildsExactly(source: Uint8Array, delta: Uint8Array, target: Uint8Array): boolean {
  let pos = 0;
  const VALUES = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';
  const getInt = () => {
    let v = 0;
    let d = 0;
    for (; pos < delta.length; pos++) {
      const c = VALUES.indexOf(String.fromCharCode(delta[pos]));
      if (c < 0) break;
      v = v * 64 + c;
      d++;
    }
    return d === 0 ? -1 : v;
  };
  if (getInt() !== target.length || delta[pos++] !== 10) return false;
  let total = 0;
  while (pos < delta.length) {
    const cnt = getInt();
    if (cnt < 0) return false;
    const op = delta[pos++];
    if (op === 64) {
      const ofst = getInt();
      if (ofst < 0 || delta[pos++] !== 44 || ofst + cnt > source.length || total + cnt > target.length) return false;
      for (let i = 0; i < cnt; i++) if (source[ofst + i] !== target[total + i]) return false;
      total += cnt;
    } else if (op === 58) {
      if (pos + cnt > delta.length || total + cnt > target.length) return false;
      for (let i = 0; i < cnt; i++) if (delta[pos + i] !== target[total + i]) return false;
      pos += cnt;
      total += cnt;
    } else if (op === 59) {
      return total === target.length && pos === delta.length;
    } else return false;
  }
  return false;
}
