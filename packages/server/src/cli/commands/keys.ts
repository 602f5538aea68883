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
        if (!o.force && fs.existsSync(f)) throw new CliError(`${f} already exists; keep it, or add --force to replace it.`);
      }
      fs.mkdirSync(dir, { recursive: true });
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
      const flag = o.force ? 'w' : 'wx';
      fs.writeFileSync(privateFile, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600, flag });
      fs.chmodSync(privateFile, 0o600);
      fs.writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag });
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
