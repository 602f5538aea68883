import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniProgramZip } from './helpers/packages.js';
import { apiToken, cli, type ServerProcess, startServer } from './helpers/process.js';

/** Signs in as a user and makes an API token without a platform role: what a vendor hands its CI. */
async function memberToken(url: string, username: string, password: string): Promise<string> {
  const signIn = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
  const res = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { cookie, origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'vendor-ci' }),
  });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

describe("a vendor's CI with the mpop command line and its own token", () => {
  let server: ServerProcess;
  let work: string;
  let admin: Record<string, string>;
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-cli-org-'));
    server = await startServer(path.join(work, 'data'));
    admin = { MPOP_URL: server.url, MPOP_TOKEN: await apiToken(server.url) };
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('onboards a vendor, then uploads, submits and asks for a host app with the vendor token', async () => {
    const created = await cli(['orgs', 'create', '--name', 'CLI Vendor', '--json'], admin);
    expect(created.code, created.stderr).toBe(0);
    const { orgId } = created.json();
    const user = await fetch(`${server.url}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.MPOP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'vendor-dev', password: 'vendor-password-123' }),
    });
    expect(user.status).toBe(201);
    expect((await cli(['orgs', 'members', 'set', orgId, 'vendor-dev', '--role', 'developer'], admin)).stdout).toMatch(
      `vendor-dev is a developer of ${orgId}.`,
    );
    const host = (await cli(['host-apps', 'add', '--name', 'Partner App', '--workspace-id', 'cli', '--json'], admin)).json();

    const vendor = { MPOP_URL: server.url, MPOP_TOKEN: await memberToken(server.url, 'vendor-dev', 'vendor-password-123') };
    expect((await cli(['orgs', 'list', '--json'], vendor)).json().items.map((o: { orgId: string }) => o.orgId)).toEqual([orgId]);
    const mp = (await cli(['mini-programs', 'create', '--name', 'Vendor Shop', '--json'], vendor)).json();
    expect(mp.orgId).toBe(orgId);
    const zip = path.join(work, 'shop.zip');
    fs.writeFileSync(zip, await miniProgramZip());
    const uploaded = await cli(['mini-programs', 'upload', mp.miniProgramId, zip, '--version', '1.0.0.1', '--json', '--quiet'], vendor);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    expect(uploaded.json().review.state).toBe('draft');
    const submitted = await cli(['mini-programs', 'submit', mp.miniProgramId, '1.0.0.1', '--note', 'from CI'], vendor);
    expect(submitted.stdout).toBe(`Submitted 1.0.0.1 of ${mp.miniProgramId} for review: in-review.\n`);
    const released = await cli(['mini-programs', 'release', mp.miniProgramId, '1.0.0.1'], vendor);
    expect(released.code).toBe(1);
    expect(released.stderr).toMatch(/NOT_APPROVED/);

    const asked = await cli(
      ['associations', 'request', mp.miniProgramId, '--workspace-id', 'cli', '--app-id', host.appId, '--json'],
      vendor,
    );
    expect(asked.json()).toMatchObject({ state: 'pending', miniProgramId: mp.miniProgramId });
    const listed = await cli(['associations', 'list', '--state', 'pending'], vendor);
    expect(listed.stdout).toMatch(new RegExp(`${mp.miniProgramId}\\s+cli/${host.appId}\\s+pending`));
    const hostApps = await cli(['host-apps', 'list'], vendor);
    expect(hostApps.code).toBe(1);
    expect(hostApps.stderr).toMatch(/FORBIDDEN/);
  });
});
