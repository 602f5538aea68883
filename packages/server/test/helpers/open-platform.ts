import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Client, devConfigForm } from './app.js';
import { sharedKey } from './keys.js';
import { miniProgramZip, packageForm } from './packages.js';

/** Creates an organisation (as an admin) and returns it. */
export async function organisation(admin: Client, name = `Vendor ${randomBytes(3).toString('hex')}`) {
  const res = await admin.post('/api/v1/organisations', { name });
  if (res.statusCode !== 201) throw new Error(`create organisation failed: ${res.body}`);
  return res.json() as { orgId: string; name: string; reviewRequired: boolean };
}

/** A member-only user (no platform role) with `role` in the organisation, signed in. */
export async function member(
  admin: Client,
  orgId: string,
  role: 'owner' | 'developer',
  prefix: string = role,
): Promise<Client & { username: string }> {
  const username = `${prefix}-${randomBytes(3).toString('hex')}`;
  const password = `${prefix}-password-123`;
  const created = await admin.post('/api/v1/users', { username, password });
  if (created.statusCode !== 201) throw new Error(`create user failed: ${created.body}`);
  const set = await admin.put(`/api/v1/organisations/${orgId}/members/${username}`, { role });
  if (set.statusCode !== 200) throw new Error(`set member failed: ${set.body}`);
  return Object.assign(await Client.signIn(admin.app, username, password), { username });
}

/** An API token of the signed-in client, as a client of its own. */
export async function tokenClient(client: Client, body: Record<string, unknown> = {}): Promise<Client> {
  const res = await client.post('/api/v1/tokens', { name: `ci-${randomBytes(2).toString('hex')}`, ...body });
  if (res.statusCode !== 201) throw new Error(`create token failed: ${res.body}`);
  return new Client(client.app, undefined, res.json().token);
}

/** A host app with a development configuration, ready to load mini programs. */
export async function configuredHostApp(admin: Client, workspaceId = 'open') {
  const app = (await admin.post('/api/v1/host-apps', { name: `Host ${randomBytes(3).toString('hex')}`, workspaceId })).json();
  const res = await admin.put(
    `/api/v1/host-apps/${workspaceId}/${app.appId}/dev-config`,
    devConfigForm('mini.example.com', sharedKey().pkcs8),
  );
  if (res.statusCode !== 200) throw new Error(`dev config failed: ${res.body}`);
  return { workspaceId, appId: app.appId as string };
}

/** The mini program IDs and versions the gate hands a host app. */
export async function served(app: FastifyInstance, host: { workspaceId: string; appId: string }) {
  const res = await app.inject({
    method: 'POST',
    url: '/client/v1/resources',
    payload: { ...host, platform: 'android', clientVersion: '10.2.3', miniPrograms: {} },
  });
  return (res.json().resources as { miniProgramId: string; version: string }[]).map((r) => `${r.miniProgramId}@${r.version}`);
}

/** Uploads a version (a valid package by default). */
export async function upload(client: Client, id: string, version: string, zip?: Buffer) {
  return client.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip ?? (await miniProgramZip())));
}
