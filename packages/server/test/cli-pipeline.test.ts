import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniProgramZip } from './helpers/packages.js';
import { apiToken, CLI, type ServerProcess, startServer } from './helpers/process.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The shell script of "The mpop command" in docs/operations.md, as the page shows it. */
function documentedScript(): string {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The mpop command'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('docs/operations.md has no sh block under "The mpop command"');
  return block[1];
}

/**
 * The CI pipeline of docs/operations.md, run as written (only its first line, which exports placeholder values of
 * MPOP_URL and MPOP_TOKEN, is left out: the test server's are in the environment). If the page and the CLI drift
 * apart, this fails.
 */
describe('the documented CLI pipeline (docs/operations.md)', () => {
  let server: ServerProcess;
  let work: string;
  let token: string;
  let zip: Buffer;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-pipeline-'));
    server = await startServer(path.join(work, 'data'));
    token = await apiToken(server.url);
    zip = await miniProgramZip('pages/coupons/index');
    fs.writeFileSync(path.join(work, 'coupons.zip'), zip);
    fs.writeFileSync(path.join(work, 'coupons-1.0.0.2.zip'), await miniProgramZip('pages/coupons/v2'));
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('delivers a signed package to the host app, then rolls out, rolls back, takes down and cleans up', async () => {
    const [exportLine, ...rest] = documentedScript().split('\n');
    expect(exportLine).toMatch(/^export MPOP_URL=\S+ MPOP_TOKEN=\S+$/);
    const script = ['set -euo pipefail', `mpop() { "${process.execPath}" "${CLI}" "$@"; }`, ...rest].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, MPOP_URL: server.url, MPOP_TOKEN: token },
      timeout: 240_000,
    });
    expect(run.stderr).not.toMatch(/error|refused/i);
    expect(run.status).toBe(0);

    // The gate's answer (the curl line) names the mini program, signed with the key the script generated.
    const gateLine = run.stdout.split('\n').find((l) => l.startsWith('{"resources"'));
    expect(gateLine).toBeDefined();
    const { resources } = JSON.parse(gateLine!) as { resources: { miniProgramId: string; version: string; signature: string }[] };
    expect(resources).toHaveLength(1);
    expect(resources[0].version).toBe('1.0.0.1');
    const publicPem = fs.readFileSync(path.join(work, 'keys', 'public_key.pem'));
    expect(verify('sha256', zip, publicPem, Buffer.from(resources[0].signature, 'base64'))).toBe(true);

    // Each step said what it did.
    expect(run.stdout).toMatch(/Authorised \d{16} for [0-9A-F]{13}/);
    expect(run.stdout).toMatch(/Released 1\.0\.0\.2 of \d{16} to 10% of devices/);
    expect(run.stdout).toMatch(/now goes to 25% of devices/);
    expect(run.stdout).toMatch(/is paused/);
    expect(run.stdout).toMatch(/Rolled \d{16} back to 1\.0\.0\.1/);
    expect(run.stdout).toMatch(/is now "Retail Super App \(EU\)"/);
    expect(run.stdout).toMatch(/Took \d{16} down/);
    expect(run.stdout).toMatch(/Deleted [0-9A-F]{13}/);
  }, 300_000);
});
