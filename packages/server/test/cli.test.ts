import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniProgramZip } from './helpers/packages.js';
import { apiToken, cli, type ServerProcess, startServer } from './helpers/process.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('the mpop command line against a running server', () => {
  let server: ServerProcess;
  let env: Record<string, string>;
  let work: string;
  let routes: Set<string>;
  const state = { appId: '', miniProgramId: '', fingerprint: '' };

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-cli-'));
    server = await startServer(path.join(work, 'data'));
    env = { MPOP_URL: server.url, MPOP_TOKEN: await apiToken(server.url) };
    const doc = (await (await fetch(`${server.url}/api/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    routes = new Set(Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((verb) => `${verb.toUpperCase()} ${p}`)));
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('runs as `npx mpop` from the project root and prints its help', () => {
    const help = execFileSync('npx', ['mpop', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help).toContain('Usage: mpop');
    for (const c of ['host-apps', 'mini-programs', 'keys', 'admin']) expect(help).toContain(c);
  });

  it('keys generate writes an RSA 2048 pair as openssl genrsa does (PKCS#1 PEM, mode 0600) and its public key', async () => {
    const res = await cli(['keys', 'generate', '-o', path.join(work, 'keys'), '--json'], env);
    expect(res.code).toBe(0);
    const out = res.json();
    const pem = fs.readFileSync(out.privateKey, 'utf8');
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(fs.statSync(out.privateKey).mode & 0o777).toBe(0o600);
    expect(createPrivateKey(pem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const pub = fs.readFileSync(out.publicKey, 'utf8');
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(createPublicKey(pem).export({ type: 'spki', format: 'pem' })).toBe(pub);
    execFileSync('openssl', ['rsa', '-check', '-noout', '-in', out.privateKey], { stdio: 'pipe' }); // openssl reads it back
    state.fingerprint = out.fingerprintSha256;
    const again = await cli(['keys', 'generate', '-o', path.join(work, 'keys')], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('keys generate never writes through a planted symbolic link, with or without --force', async () => {
    const dir = path.join(work, 'planted');
    fs.mkdirSync(dir);
    const victim = path.join(work, 'victim.conf');
    fs.writeFileSync(victim, 'precious\n', { mode: 0o644 });
    fs.symlinkSync(victim, path.join(dir, 'private_key.pem'));
    fs.symlinkSync(path.join(work, 'nowhere.pem'), path.join(dir, 'public_key.pem')); // dangling: existsSync says no

    const refused = await cli(['keys', 'generate', '-o', dir], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/private_key\.pem already exists/);

    const forced = await cli(['keys', 'generate', '-o', dir, '--force', '--json'], env);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.statSync(victim).mode & 0o777).toBe(0o644);
    expect(fs.existsSync(path.join(work, 'nowhere.pem'))).toBe(false);
    for (const f of ['private_key.pem', 'public_key.pem']) expect(fs.lstatSync(path.join(dir, f)).isSymbolicLink()).toBe(false);
    expect(fs.statSync(path.join(dir, 'private_key.pem')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'private_key.pem'), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
  });

  it('host-apps add, list, show, disable and enable print the API JSON with --json', async () => {
    const added = await cli(['host-apps', 'add', '--name', 'CLI Super App', '--workspace-id', 'cli', '--json'], env);
    expect(added.code).toBe(0);
    const app = added.json();
    expect(app).toMatchObject({ name: 'CLI Super App', workspaceId: 'cli', source: 'manual', devConfigured: false, enabled: true });
    expect(app.appId).toMatch(/^[0-9A-F]{13}$/);
    state.appId = app.appId;

    const list = await cli(['host-apps', 'list', '--workspace-id', 'cli', '--query', 'super', '--json'], env);
    expect(list.json()).toMatchObject({ total: 1, items: [{ appId: app.appId }] });
    const human = await cli(['host-apps', 'list', '--workspace-id', 'cli'], env);
    expect(human.stdout).toMatch(new RegExp(`${app.appId}\\s+cli\\s+CLI Super App\\s+no\\s+yes`));

    expect((await cli(['host-apps', 'show', 'cli', app.appId, '--json'], env)).json()).toEqual(app);
    expect((await cli(['host-apps', 'disable', 'cli', app.appId, '--json'], env)).json().enabled).toBe(false);
    expect((await cli(['host-apps', 'enable', 'cli', app.appId, '--json'], env)).json().enabled).toBe(true);
  });

  it('fails with exit code 1 and the problem detail (and the problem JSON with --json) when the API refuses', async () => {
    const dup = await cli(['host-apps', 'add', '--name', 'cli super app', '--workspace-id', 'cli', '--json'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^mpop: Workspace cli already has a host app named "cli super app"; choose another name\. \(NAME_TAKEN\)/);
    expect(dup.json()).toMatchObject({ status: 409, code: 'NAME_TAKEN' });
    const viewer = await cli(['host-apps', 'add', '--name', 'Nope', '--workspace-id', 'cli'], {
      ...env,
      MPOP_TOKEN: await apiToken(server.url, 'viewer'),
    });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/FORBIDDEN/);
    const badToken = await cli(['host-apps', 'list'], { ...env, MPOP_TOKEN: 'mpop_not-a-token' });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/UNAUTHENTICATED/);
    const down = await cli(['host-apps', 'list'], { ...env, MPOP_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/Cannot reach the server at http:\/\/127\.0\.0\.1:9 .*check MPOP_URL/);
  });

  it('exits 2 on usage errors: unknown command, missing option, missing MPOP_TOKEN, delete without --yes', async () => {
    expect((await cli(['host-apps', 'frobnicate'], env)).code).toBe(2);
    expect((await cli(['host-apps', 'add', '--name', 'X'], env)).code).toBe(2);
    const noToken = await cli(['host-apps', 'list'], { ...env, MPOP_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/Set MPOP_TOKEN/);
    const noYes = await cli(['host-apps', 'delete', 'cli', state.appId], env);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
  });

  it('dev-config uploads the generated key; the gate then signs the released package with it', async () => {
    const res = await cli(
      [
        'host-apps',
        'dev-config',
        'cli',
        state.appId,
        '--virtual-domain',
        'CLI.Example.com',
        '--private-key',
        path.join(work, 'keys', 'private_key.pem'),
        '--json',
      ],
      env,
    );
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({
      virtualDomain: 'cli.example.com',
      privateKey: { bits: 2048, format: 'pkcs1', fingerprintSha256: state.fingerprint },
    });

    const created = await cli(['mini-programs', 'create', '--name', 'CLI Coupons', '--json'], env);
    expect(created.code).toBe(0);
    state.miniProgramId = created.json().miniProgramId;
    expect(state.miniProgramId).toMatch(/^\d{16}$/);

    const zip = await miniProgramZip('pages/cli/index', { 'big.bin': 'x'.repeat(200_000) });
    fs.writeFileSync(path.join(work, 'mini.zip'), zip);
    const up = await cli(
      ['mini-programs', 'upload', state.miniProgramId, path.join(work, 'mini.zip'), '--version', '1.0.0.1', '--json'],
      env,
    );
    expect(up.code).toBe(0);
    expect(up.json()).toMatchObject({ version: '1.0.0.1', size: zip.length, status: 'uploaded' });
    expect(up.stderr).toMatch(/uploading mini\.zip: 100%/); // progress, on stderr only
    expect(
      (await cli(['mini-programs', 'upload', state.miniProgramId, path.join(work, 'mini.zip'), '--version', '1.0.0.2', '--quiet'], env))
        .stderr,
    ).toBe('');

    const rel = await cli(['mini-programs', 'release', state.miniProgramId, '1.0.0.1', '--json'], env);
    expect(rel.code).toBe(0);
    expect((await cli(['mini-programs', 'list', '--json'], env)).json().items).toContainEqual(
      expect.objectContaining({ miniProgramId: state.miniProgramId, releasedVersion: '1.0.0.1' }),
    );

    // Released to no authorised host app: the CLI says that no device gets it.
    expect(rel.json()).toMatchObject({ signing: { total: 0 } });
    const lonely = (await cli(['mini-programs', 'create', '--name', 'CLI Lonely', '--json'], env)).json().miniProgramId;
    expect((await cli(['mini-programs', 'upload', lonely, path.join(work, 'mini.zip'), '--version', '1.0.0.1', '--quiet'], env)).code).toBe(
      0,
    );
    const told = await cli(['mini-programs', 'release', lonely, '1.0.0.1'], env);
    expect(told.stdout).toMatch(/Released 1\.0\.0\.1 of \d{16}\. No host app is authorised for it, so no device gets it/);
    expect((await cli(['mini-programs', 'rollback', state.miniProgramId], env)).code).toBe(1); // nothing earlier
    // Authorise, then ask the gate as a host app would.
    const auth = await cli(['mini-programs', 'authorise', state.miniProgramId, 'cli', state.appId], env);
    expect(auth.code).toBe(0);
    expect(auth.stdout).toContain(`Authorised ${state.miniProgramId} for ${state.appId}`);
    const listed = await cli(['host-apps', 'mini-programs', 'cli', state.appId, '--json'], env);
    expect(listed.json().items).toContainEqual(expect.objectContaining({ miniProgramId: state.miniProgramId }));
    const gate = await fetch(`${server.url}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: state.appId, workspaceId: 'cli', platform: 'ios', clientVersion: '1.0', miniPrograms: {} }),
    });
    const [resource] = ((await gate.json()) as { resources: { signature: string; keyFingerprint: string }[] }).resources;
    expect(resource.keyFingerprint).toBe(state.fingerprint);
    const publicPem = fs.readFileSync(path.join(work, 'keys', 'public_key.pem'));
    expect(verify('sha256', zip, publicPem, Buffer.from(resource.signature, 'base64'))).toBe(true);
  });

  it('config-file writes the host app integration file (-o) or prints it', async () => {
    expect(routes.has('GET /api/v1/host-apps/{workspaceId}/{appId}/config-file')).toBe(true);
    const file = path.join(work, 'mpop-config.json');
    const res = await cli(['host-apps', 'config-file', 'cli', state.appId, '-o', file, '--json'], env);
    expect(res.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written).toMatchObject({
      appId: state.appId,
      workspaceId: 'cli',
      virtualDomain: 'cli.example.com',
      gatewayUrl: `${server.url}/client/v1`,
    });
    expect(written.publicKeys.map((k: { fingerprintSha256: string }) => k.fingerprintSha256)).toContain(state.fingerprint);
    expect(res.json()).toEqual(written);
    expect((await cli(['host-apps', 'config-file', 'cli', state.appId], env)).stdout.trim()).toBe(fs.readFileSync(file, 'utf8').trim());
  });

  it('rollback goes back to the earlier version', async () => {
    expect(routes.has('POST /api/v1/mini-programs/{id}/rollback')).toBe(true);
    expect((await cli(['mini-programs', 'release', state.miniProgramId, '1.0.0.2', '--json'], env)).code).toBe(0);
    const back = await cli(['mini-programs', 'rollback', state.miniProgramId, '--json'], env);
    expect(back.code).toBe(0);
    expect(back.json()).toMatchObject({ miniProgramId: state.miniProgramId, version: '1.0.0.1', percent: 100 });
    const nothing = await cli(['mini-programs', 'rollback', '9999999999999999', '--json'], env);
    expect(nothing.code).toBe(1);
  });

  it('host-apps keys shows the generation and keys; retire-key retires a replaced key (with --yes), never the current one', async () => {
    expect(routes.has('POST /api/v1/host-apps/{workspaceId}/{appId}/previous-keys/{fingerprint}/retire')).toBe(true);
    const keys2 = await cli(['keys', 'generate', '-o', path.join(work, 'keys2'), '--json'], env);
    const second = keys2.json();
    const rotate = await cli(
      ['host-apps', 'dev-config', 'cli', state.appId, '--virtual-domain', 'cli.example.com', '--private-key', second.privateKey, '--json'],
      env,
    );
    expect(rotate.code).toBe(0);
    const before = await cli(['host-apps', 'keys', 'cli', state.appId, '--json'], env);
    expect(before.json()).toMatchObject({
      keyFingerprint: second.fingerprintSha256,
      manifestTtlHours: 24,
      previousKeys: [{ fingerprintSha256: state.fingerprint, revokedAt: null }],
    });
    expect((await cli(['host-apps', 'keys', 'cli', state.appId], env)).stdout).toContain('no (still accepted)');
    const unconfirmed = await cli(['host-apps', 'retire-key', 'cli', state.appId, state.fingerprint], env);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    const inUse = await cli(['host-apps', 'retire-key', 'cli', state.appId, second.fingerprintSha256, '--yes', '--json'], env);
    expect(inUse.code).toBe(1);
    expect(inUse.json()).toMatchObject({ code: 'KEY_IN_USE', status: 409 });
    const retired = await cli(['host-apps', 'retire-key', 'cli', state.appId, state.fingerprint, '--yes', '--json'], env);
    expect(retired.code).toBe(0);
    expect(retired.json().previousKeys[0].revokedAt).toEqual(expect.any(String));
    expect(retired.json().generation).toBeGreaterThan(before.json().generation);
  });

  it('release --autopilot hands the ramp to the autopilot; autopilot --off takes it back; releases shows where it is', async () => {
    const usage = await cli(['mini-programs', 'release', state.miniProgramId, '1.0.0.2', '--autopilot', '--steps', '10,50'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/rising percents ending at 100/);
    const rel = await cli(
      [
        'mini-programs',
        'release',
        state.miniProgramId,
        '1.0.0.2',
        '--autopilot',
        '--steps',
        '5,25,100',
        '--min-devices',
        '50',
        '--max-failure-rate',
        '3%',
        '--on-failure',
        'rollback',
        '--json',
      ],
      env,
    );
    expect(rel.code, rel.stderr).toBe(0);
    expect(rel.json()).toMatchObject({
      version: '1.0.0.2',
      state: 'rolling-out',
      percent: 5,
      autopilot: { steps: [5, 25, 100], minMinutes: 30, minDevices: 50, maxFailureRate: 0.03, onFailure: 'rollback', status: { step: 0 } },
    });
    const table = await cli(['mini-programs', 'releases', state.miniProgramId], env);
    expect(table.stdout).toMatch(/AUTOPILOT/);
    expect(table.stdout).toMatch(/step 1\/3 \(5%\), waiting: 0 devices/);
    const off = await cli(['mini-programs', 'autopilot', state.miniProgramId, '--off', '--json'], env);
    expect(off.code, off.stderr).toBe(0);
    expect(off.json()).toMatchObject({ percent: 5, autopilot: null });
    const on = await cli(['mini-programs', 'autopilot', state.miniProgramId, '--steps', '1,10,100'], env);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/The autopilot steers 1.0.0.2 of \d+: step 1\/3 \(1%\)/);
    expect((await cli(['mini-programs', 'rollback', state.miniProgramId, '--json'], env)).code).toBe(0);
  });

  it('host-apps delete --yes removes it; show then fails with NOT_FOUND', async () => {
    const del = await cli(['host-apps', 'delete', 'cli', state.appId, '--yes', '--json'], env);
    expect(del.code).toBe(0);
    expect(del.json()).toEqual({});
    const gone = await cli(['host-apps', 'show', 'cli', state.appId, '--json'], env);
    expect(gone.code).toBe(1);
    expect(gone.json()).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('admin create-user makes a user that can sign in', async () => {
    const dataEnv = { MPOP_DATA_DIR: server.dataDir, DATABASE_URL: '', MPOP_MASTER_KEY: '' };
    const res = await cli(
      ['admin', 'create-user', '--username', 'ops-person', '--role', 'operator', '--password-stdin', '--json'],
      dataEnv,
      'ops-password-123\n',
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.json()).toMatchObject({ username: 'ops-person', role: 'operator' });
    const signIn = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ops-person', password: 'ops-password-123' }),
    });
    expect(signIn.status).toBe(200);
    const again = await cli(['admin', 'create-user', '--username', 'ops-person', '--password-stdin'], dataEnv, 'ops-password-123');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const short = await cli(['admin', 'create-user', '--username', 'shorty', '--password-stdin'], dataEnv, 'short');
    expect(short.code).toBe(2);
  });
});
