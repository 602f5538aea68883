import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** An RSA key pair made with node:crypto, exported in both PEM formats. */
export function rsaKey(bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    spkiDer: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

let cached: ReturnType<typeof rsaKey> | undefined;
/** One 2048-bit key shared by a test file (key generation is the slow part of these tests). */
export const sharedKey = () => (cached ??= rsaKey(2048));

/** Keys and non-keys written by the openssl command line, the way operators make them. */
export function opensslFixtures() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-keys-'));
  const f = (name: string) => path.join(dir, name);
  try {
    openssl('genrsa', '-out', f('pkcs8.pem'), '2048'); // OpenSSL 3 writes PKCS#8 ("BEGIN PRIVATE KEY")
    openssl('genrsa', '-traditional', '-out', f('pkcs1.pem'), '2048');
    openssl('pkey', '-in', f('pkcs8.pem'), '-pubout', '-out', f('public.pem'));
    openssl('req', '-x509', '-new', '-key', f('pkcs8.pem'), '-subj', '/CN=mpop-test', '-days', '1', '-out', f('cert.pem'));
    openssl('pkcs8', '-topk8', '-in', f('pkcs8.pem'), '-v2', 'aes-256-cbc', '-passout', 'pass:secret', '-out', f('encrypted-pkcs8.pem'));
    openssl('rsa', '-in', f('pkcs1.pem'), '-aes256', '-traditional', '-passout', 'pass:secret', '-out', f('encrypted-pkcs1.pem'));
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ec.pem'));
    openssl('genpkey', '-algorithm', 'ed25519', '-out', f('ed25519.pem'));
    openssl('genrsa', '-out', f('rsa1024.pem'), '1024');
    const read = (n: string) => fs.readFileSync(f(n), 'utf8');
    return {
      pkcs8: read('pkcs8.pem'),
      pkcs1: read('pkcs1.pem'),
      publicKey: read('public.pem'),
      certificate: read('cert.pem'),
      encryptedPkcs8: read('encrypted-pkcs8.pem'),
      encryptedPkcs1: read('encrypted-pkcs1.pem'),
      ec: read('ec.pem'),
      ed25519: read('ed25519.pem'),
      rsa1024: read('rsa1024.pem'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function nonKeys(validPem: string) {
  const lines = validPem.trim().split('\n');
  return {
    truncated: `${lines.slice(0, Math.floor(lines.length / 2)).join('\n')}\n${lines[lines.length - 1]}\n`,
    randomBytes: randomBytes(1200),
    oversized: Buffer.alloc(17 * 1024, 'A'),
  };
}

/** The base64 body lines of a PEM: what must never appear in a database file, dump or log. */
export const pemBody = (pem: string) =>
  pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .slice(1, -1);
