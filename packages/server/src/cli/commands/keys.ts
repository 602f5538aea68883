import fs from 'node:fs';
import path from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { Output } from '../output.js';

/** `mpop keys generate`: an RSA 2048 key pair as `openssl genrsa` writes it (PKCS#1 PEM) and its public key PEM. */
export function keysCommand(program: Command, out: () => Output) {
  program
    .command('keys')
    .description('key pairs for host apps')
    .command('generate')
    .description('write private_key.pem (RSA 2048, PKCS#1 PEM, mode 0600) and public_key.pem')
    .option('-o, --output <dir>', 'the directory to write them to', '.')
    .option('--force', 'overwrite existing files')
    .action((o: { output: string; force?: boolean }) => {
      const dir = path.resolve(o.output);
      const privateFile = path.join(dir, 'private_key.pem');
      const publicFile = path.join(dir, 'public_key.pem');
      for (const f of [privateFile, publicFile]) {
        if (!o.force && present(f)) throw new CliError(`${f} already exists; keep it, or add --force to replace it.`);
      }
      fs.mkdirSync(dir, { recursive: true });
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
      writeNew(privateFile, privateKey.export({ type: 'pkcs1', format: 'pem' }), 0o600, Boolean(o.force));
      writeNew(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), 0o644, Boolean(o.force));
      const fingerprintSha256 = createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex');
      out().result(
        { privateKey: privateFile, publicKey: publicFile, bits: 2048, fingerprintSha256 },
        () =>
          `Wrote ${privateFile} (keep it secret; upload it with: mpop host-apps dev-config …) and ${publicFile}.\nPublic key SHA-256: ${fingerprintSha256}`,
      );
    });
}

/** Whether a name exists, a symbolic link included (even one that points nowhere). */
function present(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a key file as a new file: with --force the old name is unlinked first (a symbolic link is removed, never
 * followed, so a link planted to /etc/… cannot redirect the key), then created exclusively (O_CREAT | O_EXCL fails
 * on any name that reappeared meanwhile, a link included). The mode is set on the open descriptor, whatever the umask.
 */
function writeNew(file: string, data: string | Buffer, mode: number, force: boolean) {
  if (force) fs.rmSync(file, { force: true });
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new CliError(
        `${file} appeared while the keys were being written; check who else writes to ${path.dirname(file)}, then run this again.`,
      );
    throw err;
  }
  try {
    fs.fchmodSync(fd, mode);
    fs.writeFileSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}
