import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseMessage } from '@mpop/contracts';
import { miniProgramZip } from './helpers/packages.js';
import { apiToken, cli, type ServerProcess, startServer } from './helpers/process.js';

const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });
/** OpenSSL for making keys (its progress dots on stderr are of no interest). */
const quietly = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] });

describe('mpop sign: release signatures made offline, checked by OpenSSL and at upload', () => {
  let server: ServerProcess;
  let work: string;
  let env: Record<string, string>;
  let orgId: string;
  let id: string;
  let zip: string;
  const file = (name: string) => path.join(work, name);

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-cli-sign-'));
    // The keys as the documentation tells an organisation to make them.
    quietly('genpkey', '-algorithm', 'ed25519', '-out', file('ed.key'));
    quietly('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file('rsa.key'));
    for (const k of ['ed', 'rsa']) quietly('pkey', '-in', file(`${k}.key`), '-pubout', '-out', file(`${k}.pub`));
    zip = file('shop.zip');
    fs.writeFileSync(zip, await miniProgramZip('pages/signed/signed'));

    server = await startServer(file('data'));
    env = { MPOP_URL: server.url, MPOP_TOKEN: await apiToken(server.url) };
    orgId = (await cli(['orgs', 'create', '--name', 'Signing Vendor', '--json'], env)).json().orgId;
    id = (await cli(['mini-programs', 'create', '--name', 'Signed Shop', '--org', orgId, '--json'], env)).json().miniProgramId;
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** The exact text a release signature covers, in a file, for OpenSSL. */
  const messageFile = (version: string) => {
    const sha256 = createHash('sha256').update(fs.readFileSync(zip)).digest('hex');
    fs.writeFileSync(file(`msg-${version}`), releaseMessage(id, version, sha256));
    return file(`msg-${version}`);
  };
  const signatureFile = (b64: string, name: string) => {
    fs.writeFileSync(file(name), Buffer.from(b64, 'base64'));
    return file(name);
  };

  it('signs with Ed25519: OpenSSL verifies the signature (pkeyutl -rawin), and the fingerprint is the public key’s', async () => {
    const signed = await cli(['sign', '--key', file('ed.key'), '--mini-program', id, '--version', '1.0.0.1', zip, '--json'], env);
    expect(signed.code, signed.stderr).toBe(0);
    const out = signed.json();
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', file('ed.pub'), '-outform', 'DER']);
    expect(out).toMatchObject({ miniProgramId: id, version: '1.0.0.1', algorithm: 'Ed25519' });
    expect(out.releaseKeyFingerprint).toBe(createHash('sha256').update(der).digest('hex'));

    const sig = signatureFile(out.releaseSignature, 'ed.sig');
    const ok = openssl('pkeyutl', '-verify', '-pubin', '-inkey', file('ed.pub'), '-rawin', '-in', messageFile('1.0.0.1'), '-sigfile', sig);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Signature Verified Successfully/);
    // The same signature over another version does not verify: the version is part of what is signed.
    const other = openssl(
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      file('ed.pub'),
      '-rawin',
      '-in',
      messageFile('1.0.0.2'),
      '-sigfile',
      sig,
    );
    expect(other.status).not.toBe(0);
  });

  it('signs with RSA: OpenSSL verifies the signature (dgst -sha256 -verify)', async () => {
    const signed = await cli(['sign', '--key', file('rsa.key'), '--mini-program', id, '--version', '1.0.0.2', zip], env);
    expect(signed.code, signed.stderr).toBe(0);
    const b64 = signed.stdout.trim();
    expect(b64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const ok = openssl('dgst', '-sha256', '-verify', file('rsa.pub'), '-signature', signatureFile(b64, 'rsa.sig'), messageFile('1.0.0.2'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Verified OK/);
  });

  it('uploads with --release-signature or --sign-key once the organisation registered its keys, and is refused without', async () => {
    for (const k of ['ed', 'rsa']) {
      const added = await cli(['orgs', 'release-keys', 'add', orgId, file(`${k}.pub`)], env);
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toMatch(/Registered the (Ed25519|RSA) release key [0-9a-f]{64}/);
    }
    const listed = await cli(['orgs', 'release-keys', 'list', orgId, '--json'], env);
    expect(listed.json().items.map((k: { algorithm: string }) => k.algorithm)).toEqual(['Ed25519', 'RSA']);

    const unsigned = await cli(['mini-programs', 'upload', id, zip, '--version', '1.0.0.1', '--quiet'], env);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/signs its releases: the upload needs releaseSignature/);

    const signature = (await cli(['sign', '--key', file('ed.key'), '--mini-program', id, '--version', '1.0.0.1', zip], env)).stdout.trim();
    const withSignature = await cli(
      ['mini-programs', 'upload', id, zip, '--version', '1.0.0.1', '--release-signature', signature, '--json', '--quiet'],
      env,
    );
    expect(withSignature.code, withSignature.stderr).toBe(0);
    expect(withSignature.json().releaseKey.registered).toBe(true);

    const onTheFly = await cli(
      ['mini-programs', 'upload', id, zip, '--version', '1.0.0.2', '--sign-key', file('rsa.key'), '--json', '--quiet'],
      env,
    );
    expect(onTheFly.code, onTheFly.stderr).toBe(0);
    const rsaDer = execFileSync('openssl', ['pkey', '-pubin', '-in', file('rsa.pub'), '-outform', 'DER']);
    expect(onTheFly.json().releaseKey.fingerprintSha256).toBe(createHash('sha256').update(rsaDer).digest('hex'));

    // A signature made for 1.0.0.1 does not pass for 1.0.0.3.
    const replayed = await cli(
      ['mini-programs', 'upload', id, zip, '--version', '1.0.0.3', '--release-signature', signature, '--quiet'],
      env,
    );
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toMatch(/does not verify/);
  });

  it('says what is wrong with a bad key file or arguments, without a server', async () => {
    fs.writeFileSync(file('not-a-key.pem'), 'hello');
    const bad = await cli(['sign', '--key', file('not-a-key.pem'), '--mini-program', id, '--version', '1.0.0.1', zip], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not a PEM private key/);
    const badVersion = await cli(['sign', '--key', file('ed.key'), '--mini-program', id, '--version', 'one', zip], {});
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toMatch(/--version must be four numbers/);
  });
});
