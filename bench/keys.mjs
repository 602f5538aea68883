// Distinct RSA-2048 keys for the fan-out benchmark, made fast: a few hundred random 1024-bit primes, paired. Each pair
// is a real, distinct 2048-bit key (signing costs exactly what it costs with any key), but keys that share primes
// are NOT safe to use anywhere else: they exist only inside the benchmark's throw-away database.
import { createPrivateKey, generatePrimeSync } from 'node:crypto';

const E = 65537n;
const toB64u = (n) => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
};
const bitLength = (n) => n.toString(2).length;
function modInverse(a, m) {
  let [old_r, r] = [a % m, m];
  let [old_s, s] = [1n, 0n];
  while (r !== 0n) {
    const q = old_r / r;
    [old_r, r] = [r, old_r - q * r];
    [old_s, s] = [s, old_s - q * s];
  }
  return ((old_s % m) + m) % m;
}
const gcd = (a, b) => (b === 0n ? a : gcd(b, a % b));

/** @returns `count` distinct PKCS#8 PEM private keys of 2048 bits. */
export function benchKeys(count) {
  const primes = [];
  const keys = [];
  while (keys.length < count) {
    const p = generatePrimeSync(1024, { bigint: true, safe: false });
    if (gcd(E, p - 1n) !== 1n) continue;
    for (const q of primes) {
      if (keys.length >= count) break;
      const n = p * q;
      if (bitLength(n) !== 2048) continue;
      const phi = (p - 1n) * (q - 1n);
      const d = modInverse(E, phi);
      const [hi, lo] = p > q ? [p, q] : [q, p];
      const jwk = {
        kty: 'RSA',
        n: toB64u(n),
        e: toB64u(E),
        d: toB64u(d),
        p: toB64u(hi),
        q: toB64u(lo),
        dp: toB64u(d % (hi - 1n)),
        dq: toB64u(d % (lo - 1n)),
        qi: toB64u(modInverse(lo, hi)),
      };
      keys.push(createPrivateKey({ key: jwk, format: 'jwk' }));
    }
    primes.push(p);
  }
  return keys;
}
