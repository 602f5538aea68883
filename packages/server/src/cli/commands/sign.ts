import fs from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import type { Command } from 'commander';
import { MINI_PROGRAM_ID_PATTERN, PACKAGE_VERSION_PATTERN, type ReleaseKey, type ReleaseKeyList, releaseMessage } from '@mpop/contracts';
import { canonicalVersion } from '../../modules/mini-programs/versions.js';
import { CliError, usageError } from '../errors.js';
import { call } from '../http.js';
import { type Output, table } from '../output.js';
import type { Context } from './host-apps.js';

/** The variable a passphrase-protected release key's passphrase is read from (never from the command line). */
export const PASSPHRASE_ENV = 'MPOP_RELEASE_KEY_PASSPHRASE';

/** A release signature and what it covers. */
export interface ReleaseSignature {
  miniProgramId: string;
  version: string;
  sha256: string;
  releaseSignature: string;
  /** The fingerprintSha256 of the public key: the one the organisation registered. */
  releaseKeyFingerprint: string;
  algorithm: 'Ed25519' | 'RSA';
}

/** Reads a release private key file (Ed25519 or RSA; PEM, passphrase from MPOP_RELEASE_KEY_PASSPHRASE if set). */
export function readReleasePrivateKey(file: string): KeyObject {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch {
    throw usageError(`The key file ${file} cannot be read.`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', passphrase: process.env[PASSPHRASE_ENV] });
  } catch (err) {
    throw new CliError(
      /passphrase|decrypt|bad decrypt/i.test((err as Error).message)
        ? `The key ${file} is passphrase-protected; set ${PASSPHRASE_ENV} to its passphrase.`
        : `${file} is not a PEM private key (make one with "openssl genpkey -algorithm ed25519 -out release.key").`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519' && key.asymmetricKeyType !== 'rsa') {
    throw new CliError(`${file} is a ${key.asymmetricKeyType ?? 'unknown'} key; release keys are Ed25519 or RSA.`);
  }
  return key;
}

/**
 * Signs a package offline, with no server: the UTF-8 text `mpop-release-v1\n<miniProgramId>\n<version>\n<sha256>`,
 * Ed25519 as is, RSA as RSASSA-PKCS1-v1_5 with SHA-256. The version is made canonical (1.0.0.01 → 1.0.0.1), as
 * the platform stores it.
 */
export async function signRelease(key: KeyObject, miniProgramId: string, version: string, packageFile: string): Promise<ReleaseSignature> {
  if (!new RegExp(MINI_PROGRAM_ID_PATTERN).test(miniProgramId))
    throw usageError(`--mini-program must be 16 digits; it is "${miniProgramId}".`);
  if (!new RegExp(PACKAGE_VERSION_PATTERN).test(version))
    throw usageError(`--version must be four numbers, such as 1.0.0.1; it is "${version}".`);
  if (!fs.existsSync(packageFile)) throw usageError(`${packageFile} does not exist.`);
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(packageFile)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  const canonical = canonicalVersion(version);
  const ed25519 = key.asymmetricKeyType === 'ed25519';
  const signature = sign(ed25519 ? null : 'sha256', Buffer.from(releaseMessage(miniProgramId, canonical, sha256), 'utf8'), key);
  const releaseKeyFingerprint = createHash('sha256')
    .update(createPublicKey(key).export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return {
    miniProgramId,
    version: canonical,
    sha256,
    releaseSignature: signature.toString('base64'),
    releaseKeyFingerprint,
    algorithm: ed25519 ? 'Ed25519' : 'RSA',
  };
}

/** `mpop sign`: the release signature of a package, from a private key file, offline. */
export function signCommand(program: Command, out: () => Output) {
  program
    .command('sign <package>')
    .description("print a package's release signature (base64), made offline with the organisation's release private key")
    .requiredOption('--key <file>', `the release private key (PEM, Ed25519 or RSA; passphrase from ${PASSPHRASE_ENV})`)
    .requiredOption('--mini-program <id>', 'the mini program ID (16 digits)')
    .requiredOption('--version <version>', 'the version it will be uploaded as, such as 1.0.0.1')
    .action(async (file: string, o: { key: string; miniProgram: string; version: string }) => {
      const signed = await signRelease(readReleasePrivateKey(o.key), o.miniProgram, o.version, file);
      out().result(signed, () => signed.releaseSignature);
    });
}

/** `mpop orgs release-keys …`: an organisation's release keys (public halves only). */
export function releaseKeysCommand(orgs: Command, ctx: Context) {
  const base = (orgId: string) => `/api/v1/organisations/${encodeURIComponent(orgId)}/release-keys`;
  const cmd = orgs.command('release-keys').description("an organisation's release keys: uploads must be signed with one");
  cmd
    .command('list <orgId>')
    .description('list the release keys')
    .action(async (orgId: string) => {
      const list = (await call(ctx.conn(), 'GET', base(orgId))).json as ReleaseKeyList;
      ctx
        .out()
        .result(list, () =>
          list.items.length === 0
            ? 'No release keys: uploads need no release signature.'
            : table([
                ['FINGERPRINT (SHA-256)', 'ALGORITHM', 'BITS', 'ADDED'],
                ...list.items.map((k) => [k.fingerprintSha256, k.algorithm, String(k.bits), k.createdAt]),
              ]),
        );
    });
  cmd
    .command('add <orgId> <publicKeyFile>')
    .description('register a public key (owner, admin); from then on every upload must carry a release signature')
    .action(async (orgId: string, file: string) => {
      let pem: string;
      try {
        pem = fs.readFileSync(file, 'utf8');
      } catch {
        throw usageError(`${file} cannot be read.`);
      }
      const key = (await call(ctx.conn(), 'POST', base(orgId), { pem })).json as ReleaseKey;
      ctx.out().result(key, () => `Registered the ${key.algorithm} release key ${key.fingerprintSha256} for ${orgId}.`);
    });
  cmd
    .command('remove <orgId> <fingerprint>')
    .description('remove a release key (owner, admin); host apps built without it refuse what it signed')
    .action(async (orgId: string, fingerprint: string) => {
      await call(ctx.conn(), 'DELETE', `${base(orgId)}/${encodeURIComponent(fingerprint)}`);
      ctx.out().result({}, () => `Removed the release key ${fingerprint} of ${orgId}.`);
    });
}
